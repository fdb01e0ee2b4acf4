"""A format-neutral view of one exam or key, filled with text already in the
target format (Markdown, LaTeX or Typst), for the layouts in templates/."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Sequence

from ..instances import Instance
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


@dataclass(frozen=True)
class SpecText:
    """The spec's own text, converted to the target format."""

    title: str
    course: str
    date: str
    instructions: str


def document(spec: ProblemSet, version: str, instances: Sequence[Instance], texts: Sequence[ProblemText],
             spec_text: SpecText, key: bool, convert: Callable[[str], str]) -> DocumentView:
    """Assemble one exam (``key=False``) or answer key; ``convert`` maps a
    Markdown fragment to the target format."""
    questions = []
    for instance, text in zip(instances, texts):
        problem = instance.problem
        part_space = {part.id: part.space for part in instance.parts}
        parts = tuple(
            PartView(
                label=part.id,
                points=format_points(problem.part_points(part.id)),
                text=convert(part.statement),
                solution=convert(part.solution) if key else "",
                space=part_space[part.id],
            )
            for part in text.parts
        )
        questions.append(QuestionView(
            number=instance.number,
            points=format_points(problem.total_points),
            points_on_parts=isinstance(problem.points, tuple),
            statement=convert(text.statement),
            parts=parts,
        ))
    total = sum((p.total_points for p in spec.problems), Fraction(0))
    return DocumentView(
        title=spec_text.title, course=spec_text.course, date=spec_text.date,
        instructions=spec_text.instructions, version=version, key=key,
        total_points=format_points(total), questions=tuple(questions),
    )
