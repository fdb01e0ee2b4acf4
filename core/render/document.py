"""A format-neutral view of one exam or key, filled with text already in the
target format (Markdown, LaTeX or Typst), for the layouts in templates/."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Sequence

from ..instances import Instance, printed_labels
from ..spec import ProblemSet
from ..templating import ProblemText
from ..texfilters import points as format_points


@dataclass(frozen=True)
class PartView:
    label: str
    points: str
    text: str
    solution: str
    space: str


@dataclass(frozen=True)
class QuestionView:
    number: int
    points: str  # the question's total
    points_on_parts: bool  # True when each part carries its own points
    statement: str
    parts: tuple[PartView, ...]
    new_page: bool = False

    @property
    def labelled(self) -> bool:
        """A one-part question is shown without '(a)'."""
        return len(self.parts) > 1


@dataclass(frozen=True)
class DocumentView:
    title: str
    course: str
    date: str
    instructions: str
    version: str
    key: bool
    total_points: str
    questions: tuple[QuestionView, ...]
    paper: str = "a4"
    layout: str = "flow"  # "fixed": every version's blocks get the same heights (genexam.fixed_layout)
    #: Whose copy this is (a roster build): name, id and QR codes, or None.
    stamp: "CopyStamp | None" = None


@dataclass(frozen=True)
class CopyStamp:
    """What identifies one student's copy, already in the target format."""

    name: str  # printed in the Name field (markup of the target format)
    student_id: str  # printed in the Student ID field and the footer
    version: str  # the version label, or the student id for a copy of its own
    has_id: bool = True  # False on a key shared by a version's students
    #: Per page (1, 2, ...): Typst, the QR code's SVG as a string literal;
    #: LaTeX, the file name of its PDF.
    qr: tuple[str, ...] = ()


@dataclass(frozen=True)
class SpecText:
    """The spec's own text, converted to the target format."""

    title: str
    course: str
    date: str
    instructions: str


def _question(group: list[tuple[Instance, ProblemText, tuple[str, ...]]], key: bool,
              convert: Callable[[str], str]) -> QuestionView:
    """One question from its problems: usually one, or several when later ones
    ``continue`` it. Then each continuing problem's statement opens its first
    part, and every part shows its points (a one-part problem's total is its
    part's: the spec allows nothing else)."""
    merged = len(group) > 1
    parts = []
    for index, (instance, text, labels) in enumerate(group):
        problem = instance.problem
        space = {part.id: part.space for part in instance.parts}
        lead = convert(text.statement) if index else ""
        for position, (part, label) in enumerate(zip(text.parts, labels)):
            points = problem.part_points(part.id)
            body = convert(part.statement)
            parts.append(PartView(
                label=label,
                points=format_points(problem.total_points if points is None and merged else points),
                text=f"{lead}\n\n{body}" if position == 0 and lead.strip() else body,
                solution=convert(part.solution) if key else "",
                space=space[part.id],
            ))
    first_instance, first_text, _ = group[0]
    return QuestionView(
        number=first_instance.number,
        points=format_points(sum((instance.problem.total_points for instance, _, _ in group), Fraction(0))),
        points_on_parts=merged or isinstance(first_instance.problem.points, tuple),
        statement=convert(first_text.statement),
        parts=tuple(parts),
        new_page=first_instance.problem.new_page,
    )


def document(spec: ProblemSet, version: str, instances: Sequence[Instance], texts: Sequence[ProblemText],
             spec_text: SpecText, key: bool, convert: Callable[[str], str]) -> DocumentView:
    """Assemble one exam (``key=False``) or answer key; ``convert`` maps a
    Markdown fragment to the target format."""
    rows = zip(instances, texts, printed_labels(instances))
    questions = [_question(list(group), key, convert)
                 for _, group in itertools.groupby(rows, key=lambda row: row[0].number)]
    total = sum((p.total_points for p in spec.problems), Fraction(0))
    return DocumentView(
        title=spec_text.title, course=spec_text.course, date=spec_text.date,
        instructions=spec_text.instructions, version=version, key=key,
        total_points=format_points(total), questions=tuple(questions), paper=spec.paper,
        layout=spec.layout,
    )
