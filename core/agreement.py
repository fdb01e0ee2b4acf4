"""Do two answers agree? ``solve`` and ``check`` reach every answer by different
routes, so equal values may be written differently: ``log(1 + 2 cosh 1)`` and
``-1 + log(1 + e + e^2)`` are the same number.

Numbers are compared exactly when that is decidable (integers, rationals,
identical expressions, polynomials that expand to the same thing); otherwise
both sides are evaluated with mpmath at 50 significant digits (symbols
replaced by a few fixed values), which no honest rounding difference passes
and no two different closed forms an exam prints fail.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy

#: Significant digits of the numeric comparison, and how many of them must agree.
DIGITS = 50
AGREE = 45
#: Values substituted for free symbols (by name): unlike each other and
#: irrational-looking, so different expressions rarely meet at all three.
SYMBOL_POINTS = (sympy.Rational(37, 11), sympy.Rational(53, 7), sympy.Rational(101, 13))


@dataclass(frozen=True)
class Verdict:
    """Whether two answers agree, and how that was decided ('exact' or '50 digits')."""

    equal: bool
    how: str


def agree(a: Any, b: Any) -> Verdict:
    """Compare two answer values of any shape genexam uses: numbers and sympy
    expressions, lists, tuples, matrices, dicts, bools, strings and None."""
    a, b = _plain(a), _plain(b)
    if isinstance(a, dict) or isinstance(b, dict):
        if not (isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys()):
            return Verdict(False, "exact")
        return _all(agree(a[k], b[k]) for k in a)
    if a is None or b is None:  # an answer that does not apply to this instance
        return Verdict(a is b, "exact")
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        if not (isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b)):
            return Verdict(False, "exact")
        return _all(agree(x, y) for x, y in zip(a, b))
    if isinstance(a, (bool, str)) or isinstance(b, (bool, str)):
        return Verdict(type(a) is type(b) and a == b, "exact")
    try:
        x, y = sympy.sympify(a), sympy.sympify(b)  # engine values only (ints, Fractions, sympy), never user text
    except (sympy.SympifyError, TypeError):
        return Verdict(a == b, "exact")
    return _numbers(x, y)


def _all(verdicts: Any) -> Verdict:
    how = "exact"
    for verdict in verdicts:
        if not verdict.equal:
            return verdict
        if verdict.how != "exact":
            how = verdict.how
    return Verdict(True, how)


def _plain(value: Any) -> Any:
    """Matrices as nested lists, sympy's booleans as bools."""
    if isinstance(value, sympy.MatrixBase):
        return value.tolist()
    if value is sympy.true or value is sympy.false:
        return bool(value)
    return value


def _numbers(x: sympy.Basic, y: sympy.Basic) -> Verdict:
    if x == y:
        return Verdict(True, "exact")
    if x.is_Rational and y.is_Rational:
        return Verdict(False, "exact")
    if not (isinstance(x, sympy.Expr) and isinstance(y, sympy.Expr)):
        return Verdict(False, "exact")
    names = sorted({s.name for s in (x.free_symbols | y.free_symbols)})
    if names:
        try:
            if sympy.expand(x - y) == 0:
                return Verdict(True, "exact")
        except (TypeError, ValueError):
            pass
        for shift, _ in enumerate(SYMBOL_POINTS):
            point = {name: SYMBOL_POINTS[(i + shift) % len(SYMBOL_POINTS)] for i, name in enumerate(names)}
            if not _close(_at(x, point), _at(y, point)):
                return Verdict(False, f"{DIGITS} digits")
        return Verdict(True, f"{DIGITS} digits")
    return Verdict(_close(x, y), f"{DIGITS} digits")


def _at(expr: sympy.Expr, point: dict[str, sympy.Rational]) -> sympy.Expr:
    return expr.subs({s: point[s.name] for s in expr.free_symbols})


def _close(x: sympy.Expr, y: sympy.Expr) -> bool:
    """Equal to ``AGREE`` significant digits at ``DIGITS``-digit precision
    (fewer when a side holds a float, which is only as precise as it is)."""
    try:
        xv, yv = sympy.N(x, DIGITS + 10), sympy.N(y, DIGITS + 10)
    except (TypeError, ValueError, ArithmeticError):
        return False
    if not (xv.is_number and yv.is_number) or xv.has(sympy.nan, sympy.zoo) or yv.has(sympy.nan, sympy.zoo):
        return xv == yv
    if xv.is_infinite or yv.is_infinite:
        return xv == yv
    digits = min([AGREE] + [f._prec * 3 // 10 - 2 for f in (x.atoms(sympy.Float) | y.atoms(sympy.Float))])
    scale = max(sympy.Integer(1), abs(xv), abs(yv))
    return bool(abs(xv - yv) <= scale * sympy.Rational(1, 10 ** max(digits, 1)))


def shown(value: Any) -> str:
    """A value for a message: exact form, and its decimal when it is not a plain number."""
    value = _plain(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(shown(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {shown(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (bool, str)) or value is None:
        return repr(value)
    try:
        expr = sympy.sympify(value)
    except (sympy.SympifyError, TypeError):
        return repr(value)
    if isinstance(expr, sympy.Expr) and expr.is_number and not expr.is_Rational:
        try:
            return f"{expr} (= {sympy.N(expr, 20)})"
        except (TypeError, ValueError):
            pass
    return str(expr)
