"""genexam: randomized deep-learning exams with exact, worked answer keys.

A problem family is a plugin; third-party packages register theirs with the
``genexam_families`` hook (see :mod:`genexam.hookspecs`) under the ``genexam``
entry-point group, exactly as the built-in families in :mod:`genexam.plugins` do.
"""

import pluggy

__version__ = "0.1.0"

#: Marker for hook implementations: ``@genexam.hookimpl def genexam_families(): ...``
hookimpl = pluggy.HookimplMarker("genexam")
