"""Files a converted text refers to: only the figures the build makes.

A Markdown image in a spec's or bank's text (``![x](private/report.pdf)``)
becomes ``image("...")`` in Typst and ``\\includegraphics{...}`` in LaTeX,
which would embed that file from wherever the tool looks. Typst and LaTeX are
also confined (an empty root folder, a scratch folder with TeX's paranoid file
access), but the build refuses such a text first, naming it. The patterns are
sound on pandoc's output: pandoc escapes a quote in Typst text (``\\"``) and
a backslash in LaTeX text (``\\textbackslash``), so no plain text matches them.
"""

from __future__ import annotations

import re
from typing import Iterable, Sequence

from ..errors import GenexamError

_PATTERNS = {
    "typ": re.compile(r'(?<![\\\w])image\("((?:[^"\\]|\\.)*)"'),
    "tex": re.compile(r"\\(?:includegraphics|includesvg)(?:\[[^\]]*\])?\{([^{}]*)\}"),
}


def referenced_files(fmt: str, text: str) -> list[str]:
    """The paths that the converted ``text`` (format 'typ' or 'tex') shows as images."""
    found = _PATTERNS[fmt].findall(text)
    return [re.sub(r"\\(.)", r"\1", path) for path in found] if fmt == "typ" else found


def check_references(fmt: str, texts: Sequence[str], sources: Sequence[str], made: Iterable[str]) -> None:
    """Raise GenexamError when a text refers to a file outside ``made`` (the
    build's figure paths, as SVG; LaTeX may name their PDF or drop the suffix)."""
    allowed = set()
    for path in made:
        stem = path[: -len(".svg")] if path.endswith(".svg") else path
        allowed |= {path, stem, stem + ".pdf"}
    for text, source in zip(texts, sources):
        for path in referenced_files(fmt, text):
            if path not in allowed:
                raise GenexamError(
                    f"{source}: the text shows the file {path!r} as an image; genexam documents show only the "
                    "figures its families draw and never read other files: remove the image from that text")
