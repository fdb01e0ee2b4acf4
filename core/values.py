"""Exact values: parsing user-written numbers and converting between the
engine's representation (int, sympy Rational, bool, str, lists) and the plain
forms used by constraints and answers.json."""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

from .limits import NUMBER_DIGITS, exceeded

_FRACTION = re.compile(r"^\s*([+-]?\d+)\s*/\s*([+-]?\d+)\s*$")
_INTEGER = re.compile(r"^\s*[+-]?\d+\s*$")
_DECIMAL = re.compile(r"^\s*[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?\s*$")


class NumberRefused(ValueError):
    """A number that reads as one but is refused (over the digit limit, or
    not exact as written): its message says why, and callers keep it."""


class SourceFloat(float):
    """A float read from YAML that remembers how it was written (``source``),
    so a number YAML would round (4.0000000000000000001 -> 4.0) is caught."""

    source: str

    def __new__(cls, value: float, source: str) -> "SourceFloat":
        self = super().__new__(cls, value)
        self.source = source
        return self


def parse_number(raw: Any) -> int | Fraction:
    """Read an exact number from YAML: an int, a decimal such as 0.25, or a
    string "1/2", "3" or "0.25". Raise ValueError for anything else, for a
    number with more digits than the limit, and for a decimal that YAML
    could not keep exactly as written."""
    if isinstance(raw, bool):
        raise ValueError(f"expected a number, found {raw!r}")
    if isinstance(raw, int):
        _check_digits(raw, raw)
        return raw
    if isinstance(raw, float):
        # The decimal as written (0.1 -> 1/10), not the binary float.
        if raw != raw or raw in (float("inf"), float("-inf")):
            raise ValueError(f"expected a finite number, found {raw!r}")
        value = Fraction(repr(raw))
        written = _written_decimal(getattr(raw, "source", None))
        if written is not None and written != value:
            text = raw.source.strip()
            raise NumberRefused(f"the number {text} cannot be kept exactly as written: YAML reads it as the binary "
                             f"float {raw!r}; write it in quotes, \"{text}\", or as a fraction such as "
                             f"\"{written.numerator}/{written.denominator}\", and genexam keeps it exact")
        _check_digits(value, raw)
        return normalize(value)
    if isinstance(raw, Fraction):
        _check_digits(raw, raw)
        return normalize(raw)
    if isinstance(raw, str):
        match = _FRACTION.match(raw)
        if _INTEGER.match(raw) or match or _DECIMAL.match(raw):
            if len(raw) > 3 * NUMBER_DIGITS.value:  # before int(), which is quadratic in the length
                raise NumberRefused(f"a number of {len(raw)} characters: {exceeded(NUMBER_DIGITS)}")
            if match:
                num, den = int(match.group(1)), int(match.group(2))
                if den == 0:
                    raise ValueError(f"{raw!r} divides by zero")
                return parse_number(Fraction(num, den))
            return parse_number(_decimal(raw))
    raise ValueError(f"expected a number such as 3, -2, 0.5 or \"1/3\", found {_short(raw)}")


def _written_decimal(source: str | None) -> Fraction | None:
    """The exact value of a YAML float as written, when it is a plain decimal."""
    if source is None:
        return None
    text = source.replace("_", "").strip()  # YAML 1.1 allows 1_000.5
    if not _DECIMAL.match(text) or len(text) > 3 * NUMBER_DIGITS.value:
        return None
    return _decimal(text)


def _decimal(text: str) -> Fraction:
    """A decimal such as 0.25 or 1e-3, exactly; an exponent so large that the
    number would pass the digit limit is refused before it is computed."""
    mantissa, _, exponent = text.strip().lower().partition("e")
    if exponent and abs(int(exponent)) > 2 * NUMBER_DIGITS.value:
        raise NumberRefused(f"the number {text.strip()} has the exponent {int(exponent)}: {exceeded(NUMBER_DIGITS)}")
    return Fraction(text.strip())


def _check_digits(value: int | Fraction, raw: Any) -> None:
    bound = 10 ** NUMBER_DIGITS.value
    if abs(value.numerator) >= bound or value.denominator >= bound:
        raise NumberRefused(f"the number {_short(raw)} is too long: {exceeded(NUMBER_DIGITS)}")


def _short(raw: Any) -> str:
    """A value for a message, cut short (a 5000-digit number is not repeated whole)."""
    if isinstance(raw, int) and abs(raw) >= 10**60:
        return f"with {len(str(raw)) if abs(raw).bit_length() < 14000 else 'thousands of'} digits"
    text = repr(raw)
    return text if len(text) <= 80 else text[:60] + f"... ({len(text)} characters)"


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

