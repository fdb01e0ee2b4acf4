"""Statement HTML shared by the online exports: every Markdown fragment of
the questions converted by pandoc in one call (math as ``\\( ... \\)`` for
the MathJax of Moodle and Canvas, or as MathML for the offline page), and the
figures those fragments place, found by their ``figures/...`` image paths.

The family text is read with raw HTML and raw TeX off (pandoc escapes
``<script>`` to text), and the spec's own text as plain text, so nothing a
spec or bank says can become markup here.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Sequence

from ..render import pandoc
from ..spec import ProblemSet
from .model import ExportQuestion

#: pandoc's math output per export: MathJax delimiters, or MathML.
MATH_OPTIONS = {"mathjax": ("--mathjax",), "mathml": ("--mathml",)}

#: An image pandoc wrote for ``![caption](figures/NAME.svg)``.
_FIGURE_IMG = re.compile(r'<img src="(figures/[^"]+)"([^>]*?)\s*/?>')
_ALT = re.compile(r'alt="([^"]*)"')


@dataclass(frozen=True)
class SpecHtml:
    """The spec's own text as HTML (plain text, escaped)."""

    title: str
    course: str
    date: str
    instructions: str


def fragments_of(questions: Iterable[ExportQuestion]) -> list[str]:
    """Every Markdown fragment the writers may show, each once."""
    seen: dict[str, None] = {}
    for question in questions:
        seen[question.statement] = None
        for part in question.parts:
            seen.update(dict.fromkeys((part.statement, part.solution)))
    return list(seen)


def convert(fragments: Sequence[str], math: str) -> dict[str, str]:
    """Markdown fragment -> HTML, in one pandoc call."""
    converted = pandoc.convert_many(list(fragments), "html", options=MATH_OPTIONS[math])
    return dict(zip(fragments, converted))


def spec_html(spec: ProblemSet) -> SpecHtml:
    """Title, course, date and instructions as HTML, read as plain text
    (no markup, no math) exactly as the paper formats read them."""
    fields = [pandoc.escape_markdown(spec.title), pandoc.escape_markdown(spec.course),
              pandoc.escape_markdown(spec.date), spec.instructions]
    title, course, date, instructions = pandoc.convert_many(fields, "html", pandoc.SPEC_READER)
    return SpecHtml(_inline(title), _inline(course), _inline(date), instructions)


def _inline(paragraph: str) -> str:
    """One paragraph's content, without its ``<p>``: for a heading or a line."""
    match = re.fullmatch(r"<p>(.*)</p>", paragraph.strip(), re.DOTALL)
    return match.group(1) if match else paragraph


def figures_in(text: str, figures: Mapping[str, str]) -> list[str]:
    """The figure paths (of ``figures``) that an HTML fragment shows, in order."""
    found = [m.group(1) for m in _FIGURE_IMG.finditer(text) if m.group(1) in figures]
    return list(dict.fromkeys(found))


def replace_figures(text: str, figures: Mapping[str, str], replace: Callable[[str, str], str]) -> str:
    """Rewrite each ``<img>`` of a known figure: ``replace(path, alt)`` gives
    the new markup (an image at another address, or inline SVG)."""
    def one(match: re.Match[str]) -> str:
        path = match.group(1)
        if path not in figures:
            return match.group(0)
        alt = _ALT.search(match.group(2))
        return replace(path, html.unescape(alt.group(1)) if alt else "")
    return _FIGURE_IMG.sub(one, text)


def figure_name(path: str) -> str:
    """``figures/x-1a2b.svg`` -> ``x-1a2b.svg`` (unique: named by content)."""
    return path.rsplit("/", 1)[-1]
