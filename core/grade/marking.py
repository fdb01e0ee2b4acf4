"""Marking: every student's answers judged against their version's key, with
partial credit, and the list of what a person must look at."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Mapping, Sequence

from ..gradable import GradableAnswer, gradable_answers
from .equal import BLANK, CORRECT, NEEDS_REVIEW, Verdict, judge
from .responses import Response


@dataclass(frozen=True)
class Mark:
    """One gradable answer of one student: what they wrote, the verdict per
    entry, and the points (None while a person has still to decide)."""

    answer: GradableAnswer
    text: str
    verdicts: tuple[Verdict, ...]
    points: Fraction | None
    reviewed: bool = False

    @property
    def needs_review(self) -> bool:
        return self.points is None

    @property
    def status(self) -> str:
        statuses = {v.status for v in self.verdicts}
        if len(statuses) == 1:
            return statuses.pop()
        return "partial"


@dataclass
class StudentResult:
    """A student's marks, in question order."""

    student: str
    version: str
    marks: list[Mark] = field(default_factory=list)
    _total: Fraction | None = field(default=None, repr=False, compare=False)
    _counted: int = field(default=-1, repr=False, compare=False)

    @property
    def complete(self) -> bool:
        return all(not m.needs_review for m in self.marks)

    @property
    def total(self) -> Fraction:
        """Points awarded so far (an answer awaiting review counts 0)."""
        if self._total is None or self._counted != len(self.marks):
            self._total = sum((m.points or Fraction(0) for m in self.marks), Fraction(0))
            self._counted = len(self.marks)
        return self._total

    def part_points(self) -> dict[str, Fraction]:
        """Points per printed part (``2b``), in question order."""
        out: dict[str, Fraction] = {}
        for mark in self.marks:
            key = mark.answer.part_column
            out[key] = out.get(key, Fraction(0)) + (mark.points or Fraction(0))
        return out


#: A person's decision from review.csv: (student, column) -> points.
Overrides = Mapping[tuple[str, str], Fraction]


def mark_all(document: Mapping[str, Any], responses: Sequence[Response],
             overrides: Overrides | None = None) -> list[StudentResult]:
    """Judge every response. Judging is memoised per (version, column, text):
    a class gives the same answer many times."""
    by_version: dict[str, list[GradableAnswer]] = {}
    for answer in gradable_answers(document):
        by_version.setdefault(answer.version, []).append(answer)
    memo: dict[tuple[str, str, str], tuple[Verdict, ...]] = {}
    results = []
    for response in responses:
        result = StudentResult(response.student, response.version)
        for answer in by_version[response.version]:
            text = response.answers.get(answer.column, "") or ""
            key = (answer.version, answer.column, text.strip())
            if key not in memo:
                memo[key] = tuple(judge(answer.kind, answer.value, text, answer.tolerance))
            verdicts = memo[key]
            override = (overrides or {}).get((response.student, answer.column))
            if override is not None:
                result.marks.append(Mark(answer, text, verdicts, min(override, answer.points), reviewed=True))
            else:
                result.marks.append(Mark(answer, text, verdicts, _points(answer, verdicts)))
        results.append(result)
    return results


def _points(answer: GradableAnswer, verdicts: Sequence[Verdict]) -> Fraction | None:
    """Partial credit entry by entry; None while any entry needs a person
    (a blank entry is simply 0)."""
    if any(v.status in NEEDS_REVIEW for v in verdicts):
        return None
    shares = [points for _, _, points in answer.entries()] or [answer.points]
    if len(shares) != len(verdicts):  # a scalar verdict for an explained part
        shares = [answer.points / len(verdicts)] * len(verdicts)
    return sum((share for share, v in zip(shares, verdicts) if v.status == CORRECT), Fraction(0))


__all__ = ["Mark", "StudentResult", "mark_all", "BLANK"]
