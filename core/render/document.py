"""A format-neutral view of one exam or key, filled with text already in the
target format (Markdown, LaTeX or Typst), for the layouts in templates/."""

from __future__ import annotations

from dataclasses import dataclass, replace
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


def _continued(question: QuestionView, statement: str, parts: tuple[PartView, ...], problem) -> QuestionView:
    """``question`` with the parts of the problem that continues it; that
    problem's statement opens its first part, and every part shows its points."""
    def with_points(view: QuestionView) -> tuple[PartView, ...]:
        # A one-part problem given a single total shows it on its part (the spec checks this is the case).
        return view.parts if view.points_on_parts else tuple(replace(p, points=view.points) for p in view.parts)

    added = QuestionView(question.number, format_points(problem.total_points),
                         isinstance(problem.points, tuple), statement, parts)
    new_parts = with_points(added)
    if statement.strip() and new_parts:
        new_parts = (replace(new_parts[0], text=f"{statement}\n\n{new_parts[0].text}"),) + new_parts[1:]
    total = _parse_points(question.points) + problem.total_points
    return replace(question, points=format_points(total), points_on_parts=True,
                   parts=with_points(question) + new_parts)


def _parse_points(text: str) -> Fraction:
    return Fraction(text)


def document(spec: ProblemSet, version: str, instances: Sequence[Instance], texts: Sequence[ProblemText],
             spec_text: SpecText, key: bool, convert: Callable[[str], str]) -> DocumentView:
    """Assemble one exam (``key=False``) or answer key; ``convert`` maps a
    Markdown fragment to the target format."""
    questions = []
    for instance, text, labels in zip(instances, texts, printed_labels(instances)):
        problem = instance.problem
        part_space = {part.id: part.space for part in instance.parts}
        parts = tuple(
            PartView(
                label=label,
                points=format_points(problem.part_points(part.id)),
                text=convert(part.statement),
                solution=convert(part.solution) if key else "",
                space=part_space[part.id],
            )
            for part, label in zip(text.parts, labels)
        )
        if problem.continues and questions:
            questions[-1] = _continued(questions[-1], convert(text.statement), parts, problem)
            continue
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
