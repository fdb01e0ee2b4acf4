"""Seeding and drawing parameters.

Each (spec seed, version, problem id) gets its own RNG, so adding or removing
a problem never changes the others. A draw that breaks a constraint is redrawn
a bounded number of times; if none holds, the error names the constraint that
failed most often.
"""

from __future__ import annotations

import functools
import hashlib
import random
from collections import Counter
from fractions import Fraction
from typing import Any, Iterable, Mapping

from . import expr
from .distributions import Distribution, fixed_values, show_value
from .errors import GenexamError
from .family import Family
from .limits import DRAWS

MAX_DRAWS = DRAWS.value


def derive_seed(spec_seed: int, version: str, problem_id: str) -> int:
    """A 63-bit seed from the spec seed, version label and problem id (stable across runs and platforms)."""
    digest = hashlib.sha256(f"genexam/{spec_seed}/{version}/{problem_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


class UnsatisfiableError(GenexamError):
    """No draw within MAX_DRAWS met the constraints."""


class ConstraintLimitError(GenexamError):
    """A constraint whose evaluation would pass a limit (genexam.limits)."""


def draw_params(
    family: type[Family],
    rng: random.Random,
    overrides: Mapping[str, Distribution] | None = None,
    where: Iterable[expr.Expression] = (),
    context: str = "",
    hint: str = "widen the ranges in 'params' or relax 'where'",
    fixed_hint: str = "change those values in 'params', or relax 'where'",
) -> dict[str, Any]:
    """Draw every parameter of ``family`` (defaults overridden by ``overrides``)
    until the family's constraints and ``where`` all hold; ``context`` and
    ``hint`` (how to mend it; ``fixed_hint`` when fixed values alone break a
    constraint) go into the error when they never do, which names every
    constraint that cannot be met."""
    overrides = overrides or {}
    checks = [*family_constraints(family), *where]
    failures: Counter[str] = Counter()
    errors: dict[str, str] = {}  # constraint -> the last error evaluating it raised
    # Fixed values are known before anything is drawn, so a Computed default
    # can follow them (a vector as long as a fixed one). They draw nothing, so
    # the random stream is the same as drawing in declared order.
    fixed = fixed_values(overrides)
    for _ in range(MAX_DRAWS):
        drawn = _draw_once(family, rng, overrides, fixed)
        try:
            failed = _first_failure(checks, drawn, errors)
        except _OverBudget as over:
            where_from = over.check.origin or (f"{context}: constraint" if context else "constraint")
            raise ConstraintLimitError(f"{where_from} \"{over.check.text}\" is refused: {over.error} "
                                       "(rewrite it with smaller numbers and lists)") from None
        if failed is None:
            return drawn
        failures[failed] += 1
    reasons = _unmet(family, checks, overrides, fixed, failures, errors, hint, fixed_hint)
    where_from = f"{context}: " if context else ""
    if len(reasons) == 1:
        raise UnsatisfiableError(f"{where_from}no parameters for family '{family.name}' satisfy {reasons[0]}")
    raise UnsatisfiableError(f"{where_from}no parameters for family '{family.name}' satisfy these "
                             f"{len(reasons)} constraints:\n" + "\n".join(f"    - {r}" for r in reasons))


#: Draws made, after MAX_DRAWS failed, to tell each constraint that never holds on its own.
DIAGNOSTIC_DRAWS = 200


def _draw_once(family: type[Family], rng: random.Random, overrides: Mapping[str, Distribution],
               fixed: Mapping[str, Any]) -> dict[str, Any]:
    drawn: dict[str, Any] = dict(fixed)
    for param in family.params:
        if param.name not in fixed:
            dist = overrides.get(param.name, param.default_distribution)
            drawn[param.name] = dist.sample(rng, drawn)
    return {param.name: drawn[param.name] for param in family.params}  # declared order


def _unmet(family: type[Family], checks: list[expr.Expression], overrides: Mapping[str, Distribution],
           fixed: Mapping[str, Any], failures: Counter[str], errors: dict[str, str], hint: str,
           fixed_hint: str) -> list[str]:
    """Every constraint that holds in none of a fresh sample of draws, each
    with its own advice; if each can hold alone, the one that failed most
    (they cannot hold together)."""
    rng = random.Random(0)  # a diagnosis of its own: the same message every time
    held: Counter[str] = Counter()
    for _ in range(DIAGNOSTIC_DRAWS):
        plain = {k: _plain(v) for k, v in _draw_once(family, rng, overrides, fixed).items()}
        for check in checks:
            try:
                held[check.text] += bool(check.evaluate(plain))
            except (ArithmeticError, TypeError, ValueError, IndexError, KeyError) as exc:
                errors[check.text] = f"{type(exc).__name__}: {exc}"
    never = [c for c in checks if held[c.text] == 0]
    if not never:
        worst, count = failures.most_common(1)[0]
        return [f'"{worst}" ({count} of {MAX_DRAWS} draws failed it, with the other constraints); {hint}']
    reasons = []
    for check in never:
        if check.text in errors:
            reasons.append(f'"{check.text}": evaluating it raised {errors[check.text]}; the condition mixes '
                           "values it cannot compare or combine: rewrite it")
        elif check.names <= set(fixed):
            values = ", ".join(f"{name} = {show_value(fixed[name])}" for name in sorted(check.names))
            reasons.append(f'"{check.text}": it is false for the fixed values {values}, and no redraw changes '
                           f"them; {fixed_hint}")
        else:
            reasons.append(f'"{check.text}" (it held in none of {DIAGNOSTIC_DRAWS} draws); {hint}')
    return reasons


@functools.lru_cache(maxsize=None)
def family_constraints(family: type[Family]) -> tuple[expr.Expression, ...]:
    """A family's constraints, parsed once (draw_params runs per version and problem)."""
    return tuple(expr.parse(text, family.param_names()) for text in family.constraints)


def _first_failure(checks: list[expr.Expression], drawn: Mapping[str, Any], errors: dict[str, str]) -> str | None:
    """The text of the first check ``drawn`` fails, or None; evaluation errors go into ``errors``."""
    plain = {k: _plain(v) for k, v in drawn.items()}
    for check in checks:
        try:
            holds = check.evaluate(plain)
        except expr.BudgetExceeded as exc:  # not a draw that fails: the constraint itself is too costly
            raise _OverBudget(check, exc) from None
        except (ArithmeticError, TypeError, ValueError, IndexError, KeyError) as exc:
            holds = False  # e.g. division by a drawn zero: treat as not satisfied
            errors[check.text] = f"{type(exc).__name__}: {exc}"
        if not holds:
            return check.text
    return None


class _OverBudget(Exception):
    def __init__(self, check: expr.Expression, error: expr.BudgetExceeded):
        super().__init__(str(error))
        self.check, self.error = check, error


def _plain(value: Any) -> Any:
    """Values as the constraint evaluator sees them: ints, Fractions, lists."""
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "p") and hasattr(value, "q"):  # sympy Rational
        return Fraction(int(value.p), int(value.q))
    return value
