"""Offline HTML pages: ``exam-V.html`` and ``practice-V.html`` per version.

Each page is one self-contained file: math as MathML (which browsers draw
themselves: no script, no CDN), figures as inline SVG, a print stylesheet.
The practice page holds each part's worked solution behind a "Show solution"
control (``<details>``). A Content-Security-Policy forbids scripts and any
network access.
"""

from __future__ import annotations

import functools
import html as html_module
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

import jinja2
import sympy

from ..spec import ProblemSet
from . import forms
from .model import ExportQuestion
from .text import SpecHtml, replace_figures

_PROLOG = re.compile(r"^\s*<\?xml[^>]*\?>\s*")


@dataclass(frozen=True)
class PartPage:
    label: str
    points: str
    text: str
    solution: str


@dataclass(frozen=True)
class QuestionPage:
    number: int
    points: str
    statement: str
    parts: tuple[PartPage, ...]


@functools.lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    env = jinja2.Environment(loader=jinja2.PackageLoader("genexam.export", "."), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env.get_template("page.html.j2")


def html_pages(spec: ProblemSet, questions: Sequence[ExportQuestion], html: dict[str, str], spec_text: SpecHtml,
               key: bool = True) -> dict[str, bytes]:
    """``exam-V.html`` for every version, and ``practice-V.html`` with the
    solutions when ``key``; ``html`` maps Markdown to HTML with MathML."""
    versions = list(dict.fromkeys(q.version for q in questions))
    title_text = html_module.unescape(re.sub(r"<[^>]+>", "", spec_text.title)).strip() or spec.title
    pages: dict[str, bytes] = {}
    for version in versions:
        mine = [_question_page(q, html) for q in questions if q.version == version]
        total = _points(sum((q.points for q in questions if q.version == version), Fraction(0)))
        for practice in ((False, True) if key else (False,)):
            page = _template().render(spec=spec_text, title_text=title_text, version=version, total=total,
                                      questions=mine, practice=practice)
            pages[f"{'practice' if practice else 'exam'}-{version}.html"] = page.encode("utf-8")
    return pages


def _question_page(question: ExportQuestion, html: dict[str, str]) -> QuestionPage:
    def shown(markdown: str) -> str:
        return replace_figures(html[markdown], question.figures,
                               lambda path, alt: _inline_svg(question.figures[path], alt))

    parts = tuple(PartPage(p.label, _points(p.points), shown(p.statement), shown(p.solution)) for p in question.parts)
    return QuestionPage(question.number, _points(question.points), shown(question.statement), parts)


def _inline_svg(svg: str, alt: str) -> str:
    """A figure's SVG placed in the page, labelled for screen readers."""
    body = _PROLOG.sub("", svg, count=1)
    label = html_module.escape(alt, quote=True)
    return body.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)


def _points(value: Fraction) -> str:
    return forms.decimal_text(sympy.Rational(value.numerator, value.denominator), 6)
