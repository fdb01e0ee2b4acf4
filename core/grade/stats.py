"""Item statistics and version fairness, from the marks.

- difficulty: mean points / points possible (the classical p-value of an item);
- discrimination: the correlation between the item's points and the rest of
  the exam's (the point-biserial when the item is right/wrong), so an item
  does not correlate with itself;
- fairness: each version's mean percentage against the others', with a
  permutation test (labels shuffled among students, seeded, so the report is
  the same every run).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

from .marking import StudentResult

PERMUTATIONS = 2000
#: A version is flagged when its permutation p-value is below this.
ALPHA = 0.05


@dataclass(frozen=True)
class ItemStats:
    part: str  # printed part, e.g. 2b
    version: str  # "all" for the whole class
    students: int
    max_points: float
    mean: float
    difficulty: float
    discrimination: float | None  # None with fewer than 3 students or no spread


@dataclass(frozen=True)
class VersionFairness:
    version: str
    students: int
    mean_percent: float
    difference: float  # from the other versions' mean, in percentage points
    p_value: float | None
    flagged: bool


def item_stats(results: Sequence[StudentResult]) -> list[ItemStats]:
    """Per printed part: overall, then per version."""
    # (student, part) -> (points, possible), summed once
    cells: list[tuple[str, float, dict[str, tuple[float, float]]]] = []
    parts: dict[str, None] = {}
    for result in results:
        by_part: dict[str, list[Fraction]] = {}
        for mark in result.marks:
            got, most = by_part.setdefault(mark.answer.part_column, [Fraction(0), Fraction(0)])
            by_part[mark.answer.part_column] = [got + (mark.points or Fraction(0)), most + mark.answer.points]
            parts.setdefault(mark.answer.part_column)
        cells.append((result.version, float(result.total), {k: (float(a), float(b)) for k, (a, b) in by_part.items()}))
    out: list[ItemStats] = []
    versions = sorted({r.version for r in results}, key=lambda v: (len(v), v))
    for part in parts:
        for version in ["all", *versions]:
            scores, rests, possible = [], [], 0.0
            for student_version, total, by_part in cells:
                if version not in ("all", student_version) or part not in by_part:
                    continue
                score, possible = by_part[part]
                scores.append(score)
                rests.append(total - score)
            if not scores:
                continue
            mean = sum(scores) / len(scores)
            out.append(ItemStats(part, version, len(scores), possible, mean,
                                 mean / possible if possible else 0.0, _correlation(scores, rests)))
    return out


def _correlation(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    if len(xs) < 3:
        return None
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def version_fairness(results: Sequence[StudentResult], max_points: Fraction,
                     permutations: int = PERMUTATIONS) -> list[VersionFairness]:
    """Each version's mean percentage against the rest of the class, with a
    two-sided permutation p-value (one set of shuffles serves every version)."""
    versions = sorted({r.version for r in results}, key=lambda v: (len(v), v))
    scores = [float(r.total / max_points * 100) if max_points else 0.0 for r in results]
    labels = [r.version for r in results]
    if len(versions) < 2:
        return [VersionFairness(v, len(scores), _mean(scores), 0.0, None, False) for v in versions]
    observed = _differences(scores, labels, versions)
    extreme = dict.fromkeys(versions, 0)
    rng = random.Random(0)
    shuffled = list(labels)
    for _ in range(permutations):
        rng.shuffle(shuffled)
        for version, difference in _differences(scores, shuffled, versions).items():
            if abs(difference) >= abs(observed[version]) - 1e-12:
                extreme[version] += 1
    out = []
    for version in versions:
        members = [s for s, label in zip(scores, labels) if label == version]
        p = (extreme[version] + 1) / (permutations + 1)
        out.append(VersionFairness(version, len(members), _mean(members), observed[version], p, p < ALPHA))
    return out


def _differences(scores: Sequence[float], labels: Sequence[str], versions: Sequence[str]) -> dict[str, float]:
    total = sum(scores)
    count = len(scores)
    sums = dict.fromkeys(versions, 0.0)
    sizes = dict.fromkeys(versions, 0)
    for score, label in zip(scores, labels):
        sums[label] += score
        sizes[label] += 1
    out = {}
    for version in versions:
        inside, others = sizes[version], count - sizes[version]
        if inside == 0 or others == 0:
            out[version] = 0.0
            continue
        out[version] = sums[version] / inside - (total - sums[version]) / others
    return out


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def histogram(results: Sequence[StudentResult], max_points: Fraction, bins: int = 10) -> list[int]:
    """Students per 10-percentage-point band (the last band includes 100%)."""
    counts = [0] * bins
    for result in results:
        percent = float(result.total / max_points) if max_points else 0.0
        counts[min(bins - 1, int(percent * bins))] += 1
    return counts
