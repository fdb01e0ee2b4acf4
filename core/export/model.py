"""The one driver behind every online export: the solved versions and their
answers.json records, cut into questions as an LMS asks them.

Each printed question of each version becomes an :class:`ExportQuestion`:
its statement, its parts (text, points, worked solution) and their gradable
answers (genexam.gradable). A writer (moodle, qti, html) only lays these out.

An LMS grades some answers by itself and leaves others to a person, so a
question is split in two:

- its *auto-graded* entries (:func:`auto_entries`): whole numbers, fractions,
  irrational numbers (as decimals within a tolerance), yes/no, one-word
  answers and multiple-choice letters -- a vector or table one entry each;
- its *written* answers (:func:`written_answers`): formulas, big-O terms and
  explanations, which become an essay question with the worked solution for
  the grader.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Mapping, Sequence

import sympy

from ..answers import answers_document
from ..gradable import DEFAULT_TOLERANCE, Entry, GradableAnswer, problem_answers
from ..instances import Instance
from ..spec import LmsOptions, ProblemSet
from ..templating import ProblemText, instance_figures

#: Kinds an LMS can grade itself; the others go to a person.
AUTO_KINDS = ("integer", "rational", "real", "boolean", "word", "choice")
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class ExportPart:
    """One asked part: its printed letter ("" for a one-part question), points,
    statement and worked solution (Markdown), its gradable answers, and its
    options when it is multiple choice."""

    label: str
    points: Fraction
    statement: str
    solution: str
    answers: tuple[GradableAnswer, ...]
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExportQuestion:
    """One printed question of one version."""

    version: str
    number: int
    statement: str
    parts: tuple[ExportPart, ...]
    #: Figures the question's text or solutions may show: output path -> SVG.
    figures: Mapping[str, str]

    @property
    def points(self) -> Fraction:
        return sum((p.points for p in self.parts), Fraction(0))


@dataclass(frozen=True)
class AutoEntry:
    """One auto-graded blank: an answer, or one entry of a vector or table."""

    answer: GradableAnswer
    position: Entry
    value: Any  # sympy number, bool, a word, or a multiple-choice letter
    points: Fraction
    options: tuple[str, ...] = ()  # multiple choice: the options, A first

    @property
    def kind(self) -> str:
        return self.answer.kind

    @property
    def name(self) -> str:
        """What the blank asks for, e.g. ``total_mults`` or ``p (3 of 7)``."""
        base = self.answer.answer or "answer"
        if not self.position:
            return base
        return f"{base} ({', '.join(_position_text(self.answer.value, self.position))})"

    @property
    def correct_option(self) -> int:
        """Multiple choice: the index of the correct option."""
        return LETTERS.index(self.value)


def _position_text(value: Any, position: Entry) -> list[str]:
    """Human words for an entry's place: "3 of 7", "row 2 of 3", or a key."""
    out = []
    for index in position:
        if isinstance(value, dict):
            out.append(str(index))
            value = value[index]
        else:
            out.append(f"{index + 1} of {len(value)}")
            value = value[index]
    return out


def export_questions(spec: ProblemSet, versions: Mapping[str, Sequence[Instance]],
                     texts: Mapping[str, Sequence[ProblemText]],
                     answers: Mapping[str, Any] | None = None) -> list[ExportQuestion]:
    """Every question of every version, in version then question order.
    ``answers`` is the answers.json document (made from ``versions`` when
    not given): gradable answers are read from it, as `genexam grade` reads them."""
    if answers is None:
        answers = json.loads(answers_document(spec, versions))
    tolerance = relative_tolerance(spec.lms)
    out: list[ExportQuestion] = []
    for version in answers["versions"]:
        label = version["version"]
        rows = list(zip(versions[label], texts[label], version["problems"]))
        for number, group in itertools.groupby(rows, key=lambda row: row[0].number):
            out.append(_question(label, number, list(group), tolerance))
    return out


def relative_tolerance(lms: LmsOptions) -> Fraction:
    """The relative tolerance gradable answers carry (the absolute one is
    applied by :func:`absolute_tolerance`)."""
    return lms.tolerance if lms.tolerance_kind == "relative" else DEFAULT_TOLERANCE


def absolute_tolerance(entry: AutoEntry, lms: LmsOptions) -> Fraction:
    """How far from the exact value a typed number may be: 0 for a whole
    number, else the spec's tolerance (relative to the value by default)."""
    if entry.kind == "integer" or (isinstance(entry.value, sympy.Integer)):
        return Fraction(0)
    if lms.tolerance_kind == "absolute":
        return lms.tolerance
    # the answer's own (the spec's, or a family's for its inherently approximate values)
    relative = entry.answer.tolerance if entry.answer.tolerance is not None else lms.tolerance
    magnitude = abs(exact_fraction(entry.value))
    return relative * magnitude if magnitude else relative


def exact_fraction(value: Any) -> Fraction:
    """A number as a Fraction: exact for integers and rationals, else its
    value correctly rounded to 40 significant digits."""
    from .forms import reference

    return reference(value)[0]


def _question(version: str, number: int, group: list[tuple[Instance, ProblemText, Mapping[str, Any]]],
              tolerance: Fraction) -> ExportQuestion:
    """One question from its problems (several when later ones continue it:
    each continuing problem's statement then opens its first part)."""
    parts: list[ExportPart] = []
    figures: dict[str, str] = {}
    for index, (instance, text, record) in enumerate(group):
        figures.update(instance_figures(instance))
        gradable = problem_answers(version, record, tolerance)
        points = _part_points(record)
        lead = text.statement if index else ""
        for position, (part, label, part_points) in enumerate(zip(text.parts, record["labels"], points)):
            statement = f"{lead}\n\n{part.statement}" if position == 0 and lead.strip() else part.statement
            mine = tuple(a for a in gradable if a.part == part.id)
            options = instance.family.options_for(instance.solution, part.id)
            parts.append(ExportPart(label, part_points, statement, part.solution, mine, tuple(options)))
    return ExportQuestion(version, number, group[0][1].statement, tuple(parts), dict(sorted(figures.items())))


def _part_points(record: Mapping[str, Any]) -> list[Fraction]:
    points = record["points"]
    if isinstance(points, list):
        return [Fraction(str(p)) for p in points]
    return [Fraction(str(points)) / len(record["parts"])] * len(record["parts"])


def auto_entries(part: ExportPart) -> list[AutoEntry]:
    """The part's auto-graded blanks, in answer and entry order."""
    out = []
    for answer in part.answers:
        if answer.kind not in AUTO_KINDS:
            continue
        for position, value, points in answer.entries():
            out.append(AutoEntry(answer, position, value, points,
                                 part.options if answer.kind == "choice" else ()))
    return out


def written_answers(part: ExportPart) -> list[GradableAnswer]:
    """The part's answers a person grades: formulas, big-O terms, explanations."""
    return [a for a in part.answers if a.kind not in AUTO_KINDS]

