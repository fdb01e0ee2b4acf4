"""Drawing and solving every problem of every version."""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from .errors import GenexamError
from .family import Family, Part, Solution
from .sampling import UnsatisfiableError, derive_seed, draw_params
from .spec import ProblemSet, ProblemSpec


@dataclass(frozen=True)
class Instance:
    """One problem of one version: its parameters and exact solution."""

    number: int
    version: str
    problem: ProblemSpec
    seed: int
    params: Mapping[str, Any]
    solution: Solution

    @property
    def family(self) -> type[Family]:
        return self.problem.family

    @property
    def parts(self) -> tuple[Part, ...]:
        """Every part this instance has (the spec asks some or all of them)."""
        return self.family.parts_for(self.params)


def printed_labels(instances: Sequence[Instance]) -> list[tuple[str, ...]]:
    """The letter each asked part is printed with, per instance: a question's
    parts are lettered a, b, ... in order (across the problems that continue
    it), as the exam class letters them; a one-part question shows none ("")."""
    sizes: dict[int, int] = {}
    for instance in instances:
        sizes[instance.number] = sizes.get(instance.number, 0) + len(instance.problem.parts)
    used: dict[int, int] = {}
    out = []
    for instance in instances:
        start = used.get(instance.number, 0)
        count = len(instance.problem.parts)
        used[instance.number] = start + count
        out.append(("",) if sizes[instance.number] == 1 else tuple(string.ascii_lowercase[start:start + count]))
    return out


def instance_key(family: type[Family], params: Mapping[str, Any]) -> tuple[str, str]:
    """Identifies an instance: versions that draw the same parameters share
    its solution and its rendered text."""
    return family.name, repr(sorted(params.items()))


def make_version(spec: ProblemSet, version: str, solved: dict[Any, Solution] | None = None) -> list[Instance]:
    """Draw and solve each problem of ``spec`` for one version label.

    ``solved`` memoizes solutions across versions: a solution depends only on
    the family and the parameters, and versions often repeat an instance."""
    out = []
    unmet: list[str] = []  # constraints no draw meets, for every problem at once
    number = 0
    for problem in spec.problems:
        number += 0 if problem.continues else 1  # the question's number, shared by a continuing problem
        seed = derive_seed(spec.seed, version, problem.id)
        context = f"{problem.location}: {problem.key_path or problem.id} (problem {number}, version {version})"
        try:
            params = draw_params(problem.family, random.Random(seed), problem.overrides, problem.where, context)
        except UnsatisfiableError as exc:
            unmet.append(str(exc))
            continue
        if unmet:
            continue
        key = instance_key(problem.family, params)
        if solved is None or key not in solved:
            solution = solve(problem.family, params, context)
            if solved is not None:
                solved[key] = solution
        else:
            solution = solved[key]
        out.append(Instance(number, version, problem, seed, params, solution))
    if len(unmet) == 1:
        raise UnsatisfiableError(unmet[0])
    if unmet:
        raise UnsatisfiableError(f"{len(unmet)} problems cannot be drawn:\n" + "\n".join(f"  {m}" for m in unmet))
    return out


def solve(family: type[Family], params: Mapping[str, Any], context: str = "") -> Solution:
    """Solve one instance; an instance the family cannot solve (a singular
    matrix, say) is reported as the user's parameters, not a crash."""
    try:
        solution = family().solve(params)
    except (ValueError, ZeroDivisionError, ArithmeticError) as exc:
        shown = ", ".join(f"{k}={v}" for k, v in params.items())
        raise GenexamError(f"{context + ': ' if context else ''}family '{family.name}' cannot solve {shown}: {exc}; "
                           "change the parameters or add a 'where' constraint that excludes this case") from None
    missing = set(family.answer_ids(params)) - set(solution.answers)
    if missing:  # a plugin bug, but name it clearly
        raise GenexamError(f"family '{family.name}' did not produce the answers {sorted(missing)} it declares")
    return solution
