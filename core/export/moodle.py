"""Moodle XML (Question bank > Import > Moodle XML format).

One category per printed question, ``$course$/<title>/Q<n>``, holding that
question in every version, so a quiz slot "random question from Q<n>" gives
each student one version. In each version:

- the auto-graded answers form one ``cloze`` (embedded answers) question, a
  gap per answer or per entry of a vector or table: ``{w:NUMERICAL:=v:tol}``,
  ``{w:SHORTANSWER:=word}``, ``{w:MULTICHOICE:=yes~no}`` or, for multiple
  choice, ``{w:MULTICHOICE:A~=B~C}`` over the letters of the options the
  statement lists, in the version's order. Gap weights ``w`` are the points
  (times the least common denominator when points are fractions: Moodle
  wants whole weights and makes the question's mark their sum);
- formulas, big-O terms and explanations form one ``essay`` question in the
  sibling category ``Q<n> written``, with the worked solution as information
  for the grader.

Statements are HTML with math as ``\\( ... \\)`` (Moodle's MathJax filter);
the worked solution is the general feedback; figures travel inside the XML
as base64 files (``@@PLUGINFILE@@/name``).

Moodle's importer (question/format/xml/format.php and
question/type/multianswer/questiontype.php) finds a gap anywhere in the
question text by ``{digits:TYPE:``; so every brace of the text itself is
written as an HTML entity (``&#123;``), which Moodle stores as is and the
browser shows as a brace: no text can open a gap.
"""

from __future__ import annotations

import base64
import html as html_module
import math
from fractions import Fraction
from typing import Callable, Sequence

import sympy
from lxml import etree

from ..spec import ProblemSet
from . import forms
from .model import (AutoEntry, ExportPart, ExportQuestion, absolute_tolerance, auto_entries, written_answers)
from .text import figure_name, figures_in, replace_figures

FILE_NAME = "moodle.xml"


def category_path(spec: ProblemSet, number: int, written: bool = False) -> str:
    """``$course$/<title>/Q<n>``; a ``/`` in the title is doubled, as Moodle
    reads a single one as a subcategory, and the title is HTML-escaped, as
    Moodle shows names as HTML (format_string)."""
    title = html_module.escape(" ".join(spec.title.split()), quote=False).replace("/", "//")
    return f"$course$/{title}/Q{number}{' written' if written else ''}"


def moodle_xml(spec: ProblemSet, questions: Sequence[ExportQuestion], html: dict[str, str]) -> bytes:
    """The whole moodle.xml; ``html`` maps each Markdown fragment to HTML
    (math as ``\\( ... \\)``)."""
    quiz = etree.Element("quiz")
    quiz.append(etree.Comment(" written by genexam; import in Question bank > Import > Moodle XML format "))
    numbers = sorted({q.number for q in questions})
    for written in (False, True):
        for number in numbers:
            mine = [q for q in questions if q.number == number]
            made = [_essay(spec, q, html) if written else _cloze(spec, q, html) for q in mine]
            made = [m for m in made if m is not None]
            if not made:
                continue
            quiz.append(_category(category_path(spec, number, written)))
            quiz.extend(made)
    return etree.tostring(quiz, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _category(path: str) -> etree._Element:
    question = etree.Element("question", type="category")
    category = etree.SubElement(question, "category")
    etree.SubElement(category, "text").text = path
    info = etree.SubElement(question, "info", format="html")
    etree.SubElement(info, "text").text = ""
    return question


# -- the cloze question: every auto-graded answer ------------------------------

def _cloze(spec: ProblemSet, question: ExportQuestion, html: dict[str, str]) -> etree._Element | None:
    entries = [(part, auto_entries(part)) for part in question.parts]
    entries = [(part, mine) for part, mine in entries if mine]
    if not entries:
        return None
    scale = _weight_scale([e.points for _, mine in entries for e in mine])
    body = [_braces(html[question.statement])]
    for part, mine in entries:
        body.append(_part_heading(part))
        body.append(_braces(html[part.statement]))
        body.append(_gap_lines(mine, lambda e: gap(e, spec, scale)))
    feedback = "\n".join(_solution(part, html) for part, _ in entries)
    element = _question("cloze", f"Q{question.number} ({question.version})", "\n".join(body), feedback, question)
    return element


def _weight_scale(points: Sequence[Fraction]) -> int:
    """The least common denominator of the gaps' points: weights are whole."""
    return math.lcm(*(p.denominator for p in points)) if points else 1


def gap(entry: AutoEntry, spec: ProblemSet, scale: int = 1) -> str:
    """One embedded answer in Moodle's syntax."""
    weight = entry.points * scale
    assert weight.denominator == 1
    head = f"{{{weight.numerator}:"
    if entry.kind in ("integer", "rational", "real"):
        tolerance = absolute_tolerance(entry, spec.lms)
        return f"{head}NUMERICAL:={forms.decimal_text(entry.value)}:{forms.fraction_text(tolerance)}}}"
    if entry.kind == "boolean":
        return f"{head}MULTICHOICE:{'=' if entry.value else ''}yes~{'' if entry.value else '='}no}}"
    if entry.kind == "choice":
        letters = [chr(ord("A") + i) for i in range(len(entry.options))]
        return f"{head}MULTICHOICE:" + "~".join(("=" if i == entry.correct_option else "") + letter
                                                  for i, letter in enumerate(letters)) + "}"
    return f"{head}SHORTANSWER:={gap_text(str(entry.value))}}}"


#: Inside a gap an answer ends at ~, # or }; Moodle decodes HTML entities in
#: it, so these (and & itself, and the quote, slash and backslash) are written
#: as numeric entities.
_GAP_ESCAPES = {c: f"&#{ord(c)};" for c in "&}{#~\\\"/"}


def gap_text(text: str) -> str:
    """A text answer inside a gap."""
    return "".join(_GAP_ESCAPES.get(c, c) for c in text)


def _braces(text: str) -> str:
    """Question text with no literal brace: none can start an embedded answer."""
    return text.replace("{", "&#123;").replace("}", "&#125;")


def _part_heading(part: ExportPart) -> str:
    points = f"{_points(part.points)} point{'s' if part.points != 1 else ''}"
    return f"<p><strong>{'(' + part.label + ') ' if part.label else ''}</strong><em>[{points}]</em></p>"


def _points(value: Fraction) -> str:
    return forms.decimal_text(_rational(value), 6)


def _gap_lines(entries: Sequence[AutoEntry], render: Callable[[AutoEntry], str]) -> str:
    """One line per answer: ``name = gap``, or ``name = (gap, gap, ...)`` for a
    vector or table (entries in reading order)."""
    lines = []
    ids = list(dict.fromkeys(e.answer.answer for e in entries))
    for answer_id in ids:
        mine = [e for e in entries if e.answer.answer == answer_id]
        # a part's one number is "the answer" (a question-bank part's answer id is its letter)
        name = "Answer" if len(ids) == 1 and len(mine) == 1 and not mine[0].position else \
            f"<code>{_braces(_escape(answer_id or 'answer'))}</code>"
        value = mine[0].answer.value
        if mine[0].position:
            shown = _nested(value, {e.position: render(e) for e in mine}, ())
        else:
            shown = render(mine[0])
        lines.append(f"<p>{name} = {shown}</p>")
    return "\n".join(lines)


def _nested(value: object, gaps: dict, position: tuple) -> str:
    if isinstance(value, list):
        return "(" + ", ".join(_nested(v, gaps, position + (i,)) for i, v in enumerate(value)) + ")"
    if isinstance(value, dict):
        return "(" + ", ".join(f"{_braces(_escape(str(k)))}: {_nested(v, gaps, position + (k,))}"
                               for k, v in value.items()) + ")"
    return gaps[position]


def _escape(text: str) -> str:
    return html_module.escape(text, quote=True)


def _solution(part: ExportPart, html: dict[str, str]) -> str:
    return f"{_part_heading(part)}\n{html[part.solution]}"


# -- the essay question: what a person grades ----------------------------------

def _essay(spec: ProblemSet, question: ExportQuestion, html: dict[str, str]) -> etree._Element | None:
    parts = [(part, written_answers(part)) for part in question.parts]
    parts = [(part, mine) for part, mine in parts if mine]
    if not parts:
        return None
    body = [html[question.statement]]
    for part, mine in parts:
        body += [_part_heading(part), html[part.statement]]
        if len(mine) < len(part.answers):  # the numbers of this part are asked in the cloze question
            asked = ", ".join(f"<code>{_escape(a.answer)}</code>" for a in mine)
            body.append(f"<p><em>Answer here: {asked}.</em></p>")
    points = sum((a.points for _, mine in parts for a in mine), Fraction(0))
    solutions = "\n".join(_solution(part, html) for part, _ in parts)
    element = _question("essay", f"Q{question.number} written ({question.version})", "\n".join(body),
                        solutions, question)
    _set(element, "defaultgrade", forms.decimal_text(_rational(points), 12))
    for name, value in (("responseformat", "editor"), ("responserequired", "1"), ("responsefieldlines", "15"),
                        ("attachments", "0"), ("attachmentsrequired", "0")):
        _set(element, name, value)
    _text_field(element, "graderinfo", solutions, question)
    _text_field(element, "responsetemplate", "", question)
    return element


def _rational(value: Fraction) -> sympy.Rational:
    return sympy.Rational(value.numerator, value.denominator)


# -- common parts ----------------------------------------------------------------

def _question(kind: str, name: str, text: str, feedback: str, question: ExportQuestion) -> etree._Element:
    element = etree.Element("question", type=kind)
    name_field = etree.SubElement(element, "name")
    etree.SubElement(name_field, "text").text = name
    _text_field(element, "questiontext", text, question)
    _text_field(element, "generalfeedback", feedback, question)
    _set(element, "penalty", "0")
    _set(element, "hidden", "0")
    return element


def _text_field(parent: etree._Element, tag: str, text: str, question: ExportQuestion) -> None:
    """An HTML field with its figures as base64 files."""
    field = etree.SubElement(parent, tag, format="html")
    shown = figures_in(text, question.figures)
    text = replace_figures(text, question.figures,
                           lambda path, alt: f'<img src="@@PLUGINFILE@@/{figure_name(path)}" alt="{_escape(alt)}">')
    etree.SubElement(field, "text").text = text
    for path in shown:
        file = etree.SubElement(field, "file", name=figure_name(path), path="/", encoding="base64")
        file.text = base64.b64encode(question.figures[path].encode("utf-8")).decode("ascii")


def _set(parent: etree._Element, tag: str, value: str) -> None:
    etree.SubElement(parent, tag).text = value
