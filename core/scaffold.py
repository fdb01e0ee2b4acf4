"""``genexam new family NAME``: a family as an installable package.

The package is what a family needs to travel: pyproject.toml with the
``genexam`` entry point and the template as package data (a bare module with
``py-modules`` would leave the template behind), the family module and its
template in a package folder, a test module that runs genexam's contract
(:mod:`genexam.testing`), and a README. The files come from
``scaffold_files/`` (package data of genexam) with the names filled in.
"""

from __future__ import annotations

import keyword
import re
from importlib import resources
from pathlib import Path

from .errors import GenexamError

#: Scaffold file -> where it goes in the new package ({package}, {name} filled in).
FILES = {
    "pyproject.toml.tmpl": "pyproject.toml",
    "README.md.tmpl": "README.md",
    "gitignore.tmpl": ".gitignore",
    "init.py.tmpl": "{package}/__init__.py",
    "family.py.tmpl": "{package}/{name}.py",
    "family.md.j2.tmpl": "{package}/{name}.md.j2",
    "test_family.py.tmpl": "tests/test_{name}.py",
}
TITLE = "Pre-activation and output of a ReLU neuron"


def new_family(name: str, directory: Path | None = None) -> Path:
    """Write the package for family ``name`` into ``directory`` (default
    ``./genexam-<name with dashes>``), which must not exist or be empty;
    return the directory."""
    _check_name(name)
    dist = f"genexam-{name.replace('_', '-')}"
    target = Path(directory) if directory is not None else Path(dist)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise GenexamError(f"{target} already exists and is not an empty folder; give another --dir")
    from . import __version__

    names = {
        "__NAME__": name,
        "__CLASS__": "".join(word.capitalize() for word in name.split("_") if word) or "Family",
        "__PACKAGE__": f"genexam_{name}",
        "__DIST__": dist,
        "__TITLE__": TITLE,
        "__GENEXAM_VERSION__": __version__,
    }
    rendered = {}
    source = resources.files("genexam") / "scaffold_files"
    for template, destination in FILES.items():
        text = (source / template).read_text(encoding="utf-8")
        for placeholder, value in names.items():
            text = text.replace(placeholder, value)
        rendered[destination.format(package=names["__PACKAGE__"], name=name)] = text
    try:
        for relative, text in rendered.items():
            path = target / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise GenexamError(f"cannot write the package into {target}: {exc.strerror or exc}") from None
    return target


def _check_name(name: str) -> None:
    """A family name is public API (specs, answers.json) and a Python module name."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or keyword.iskeyword(name):
        suggestion = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")
        hint = f" such as '{suggestion}'" if suggestion and suggestion[0].isalpha() else ""
        raise GenexamError(f"'{name}' cannot be a family name: use lower case letters, digits and _, "
                           f"starting with a letter{hint}")
