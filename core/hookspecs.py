"""The hooks genexam calls. Keep them few; each is documented here and in the README.

A plugin -- a built-in one in :mod:`genexam.plugins` or a package registered
under the ``genexam`` entry-point group -- implements any of these with
``@genexam.hookimpl``.
"""

from __future__ import annotations

from typing import Any, Callable

import pluggy

hookspec = pluggy.HookspecMarker("genexam")


@hookspec
def genexam_families() -> list[type]:
    """Return the problem families this plugin provides.

    Each item is a subclass of :class:`genexam.family.Family`. Names must be
    unique across all plugins; a clash is reported naming both plugins.
    """


@hookspec
def genexam_template_filters() -> dict[str, Callable[..., Any]]:
    """Return extra Jinja2 filters (name -> function) for family templates.

    Filters turn values into Markdown/TeX text; the built-in ones (``tex``,
    ``num``, ``vec`` ...) live in :mod:`genexam.texfilters`.
    """
