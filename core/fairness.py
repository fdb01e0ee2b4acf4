"""Fairness before the exam: are the versions' instances equally hard?

Each family may declare difficulty measures of an instance
(:meth:`genexam.family.Family.difficulty`); the default measures what makes
hand computation longer whatever the family: how many values the student
writes, how many digits they carry, and how many terms the symbolic answers
have. Per problem and measure, a version is an outlier when it lies outside
Tukey's fences (more than 1.5 interquartile ranges beyond the quartiles) and
more than a quarter away from the median: a robust rule that a few versions
cannot mask, and that leaves alone a family's designed variety (2-D and 3-D
instances in equal shares).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Mapping, Sequence

from .instances import Instance

#: How far beyond the quartiles (in interquartile ranges), and from the median, a version must lie.
FENCE = 1.5
RELATIVE_LIMIT = 0.25


@dataclass(frozen=True)
class Outlier:
    question: int
    problem: str
    measure: str
    version: str
    value: float
    median: float


def measures(instance: Instance) -> dict[str, float]:
    """The difficulty measures of one instance (the family's, or the defaults)."""
    asked = [p for p in instance.parts if p.id in instance.problem.parts]
    answers = {a: instance.solution.answers.get(a) for p in asked for a in p.answers}
    return {k: float(v) for k, v in instance.family().difficulty(instance.params, answers).items()}


def outliers(versions: Mapping[str, Sequence[Instance]]) -> tuple[list[Outlier], int]:
    """Versions whose instances stand out, and how many (problem, measure) pairs were compared."""
    found: list[Outlier] = []
    compared = 0
    labels = list(versions)
    if len(labels) < 3:
        return found, 0
    for index, first in enumerate(versions[labels[0]]):
        table = {label: measures(versions[label][index]) for label in labels}
        for measure in table[labels[0]]:
            values = [table[label].get(measure, 0.0) for label in labels]
            compared += 1
            median = statistics.median(values)
            q1, _, q3 = statistics.quantiles(values, n=4)
            low, high = q1 - FENCE * (q3 - q1), q3 + FENCE * (q3 - q1)
            for label, value in zip(labels, values):
                far = abs(value - median) > RELATIVE_LIMIT * max(abs(median), 1.0)
                if (value < low or value > high) and far:
                    found.append(Outlier(first.number, first.problem.id, measure, label, value, median))
    return found, compared


def fairness_report(versions: Mapping[str, Sequence[Instance]]) -> str:
    """A plain-text report for `genexam validate --fairness`."""
    found, compared = outliers(versions)
    if len(versions) < 3:
        return "fairness: fewer than 3 versions, nothing to compare"
    lines = [f"fairness: {compared} measures compared across {len(versions)} versions; "
             f"{len(found)} outlier{'s' if len(found) != 1 else ''}"
             + (" (a version far from the others' median: consider redrawing it with --seed or a 'where')"
                if found else "")]
    for o in found:
        lines.append(f"  question {o.question} ({o.problem}), version {o.version}: {o.measure} = {o.value:g} "
                     f"(median of the versions {o.median:g})")
    return "\n".join(lines)
