"""answers.json: for every version and problem, the family, parameters,
derived seed and exact answers -- enough to rebuild, regrade or import into an LMS.

Integers are JSON numbers, booleans are booleans, lists stay lists, and every
other exact value is a string in sympy syntax (``61*n**2 + 9700*n``, ``1/2``).
"""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any, Mapping, Sequence

import sympy

from .instances import Instance, printed_labels
from .spec import ProblemSet

FORMAT_VERSION = 1


def to_json_value(value: Any) -> Any:
    """An exact value in its answers.json form."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else str(value)
    if isinstance(value, sympy.MatrixBase):
        return [[to_json_value(v) for v in row] for row in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [to_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, sympy.logic.boolalg.BooleanAtom):
        return bool(value)
    if isinstance(value, sympy.Integer):
        return int(value)
    if isinstance(value, sympy.Basic):
        return sympy.sstr(value)
    raise TypeError(f"cannot write {type(value).__name__} {value!r} to answers.json")


def score_json(points: Fraction) -> int | float:
    """Points (whole, or with at most two decimals) as a plain JSON number for an LMS."""
    return int(points) if points.denominator == 1 else float(points)


def instance_record(instance: Instance, labels: Sequence[str]) -> dict[str, Any]:
    """One problem of one version, as stored in answers.json; ``labels``: the
    letter each part is printed with ("" for a question shown without one)."""
    problem = instance.problem
    points = problem.points
    return {
        "number": instance.number,
        "id": problem.id,
        "family": instance.family.name,
        "parts": list(problem.parts),
        "labels": list(labels),
        "points": [score_json(p) for p in points] if isinstance(points, tuple) else score_json(points),
        "seed": instance.seed,
        "params": {k: to_json_value(v) for k, v in instance.params.items()},
        "answers": {k: to_json_value(instance.solution.answers[k]) for k in _asked(instance)},
        # what each asked part asks, and how answers are graded where their value does not say
        "part_answers": {part.id: list(part.answers) for part in instance.parts if part.id in problem.parts},
        "kinds": {k: v for k, v in instance.family.answer_kinds.items() if k in _asked(instance)},
        **_grading(instance),
    }


def _grading(instance: Instance) -> dict[str, Any]:
    """A family's declared answer weights and tolerance, where it declares them."""
    family = instance.family
    out: dict[str, Any] = {}
    if family.answer_weights:
        out["weights"] = {k: v for k, v in family.answer_weights.items() if k in _asked(instance)}
    if family.tolerance is not None:
        out["tolerance"] = str(Fraction(family.tolerance))
    return out


def _asked(instance: Instance) -> list[str]:
    asked = [part for part in instance.parts if part.id in instance.problem.parts]
    return list(dict.fromkeys(a for part in asked for a in part.answers))


def answers_document(spec: ProblemSet, versions: Mapping[str, Sequence[Instance]]) -> str:
    """The whole answers.json text (sorted keys where order carries no meaning)."""
    doc = {
        "format": FORMAT_VERSION,
        "spec": spec.path.name,
        "title": spec.title,
        "seed": spec.seed,
        "total_points": score_json(sum((p.total_points for p in spec.problems), Fraction(0))),
        "versions": [
            {"version": label, "problems": [instance_record(i, printed)
                                            for i, printed in zip(instances, printed_labels(instances))]}
            for label, instances in versions.items()
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
