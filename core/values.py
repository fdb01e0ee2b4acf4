"""Exact values: parsing user-written numbers and converting between the
engine's representation (int, sympy Rational, bool, str, lists) and the plain
forms used by constraints and answers.json."""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

_FRACTION = re.compile(r"^\s*([+-]?\d+)\s*/\s*([+-]?\d+)\s*$")
_INTEGER = re.compile(r"^\s*[+-]?\d+\s*$")


def parse_number(raw: Any) -> int | Fraction:
    """Read an exact number from YAML: an int, a decimal such as 0.25, or a
    string "1/2" or "3". Raise ValueError for anything else."""
    if isinstance(raw, bool):
        raise ValueError(f"expected a number, found {raw!r}")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        # The decimal as written (0.1 -> 1/10), not the binary float.
        if raw != raw or raw in (float("inf"), float("-inf")):
            raise ValueError(f"expected a finite number, found {raw!r}")
        return normalize(Fraction(repr(raw)))
    if isinstance(raw, Fraction):
        return normalize(raw)
    if isinstance(raw, str):
        if _INTEGER.match(raw):
            return int(raw)
        match = _FRACTION.match(raw)
        if match:
            num, den = int(match.group(1)), int(match.group(2))
            if den == 0:
                raise ValueError(f"{raw!r} divides by zero")
            return normalize(Fraction(num, den))
    raise ValueError(f"expected a number such as 3, -2, 0.5 or \"1/3\", found {raw!r}")


def normalize(value: Fraction) -> int | Fraction:
    """An integral Fraction becomes an int."""
    return value.numerator if value.denominator == 1 else value


def to_sympy(value: Any) -> Any:
    """Engine value -> sympy: numbers become Integer/Rational, lists stay lists."""
    import sympy

    if isinstance(value, bool) or isinstance(value, str):
        return value
    if isinstance(value, (int, Fraction)):
        return sympy.Rational(value.numerator, value.denominator) if isinstance(value, Fraction) else sympy.Integer(value)
    if isinstance(value, (list, tuple)):
        return [to_sympy(v) for v in value]
    return value

