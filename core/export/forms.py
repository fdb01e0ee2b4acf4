"""How exact answers are written for an LMS that compares typed text or
decimals: a decimal with enough digits, a tolerance, and the written forms a
blank accepts (``1070625`` and ``1,070,625``; ``3/4`` and ``0.75``)."""

from __future__ import annotations

import functools
from decimal import Decimal
from fractions import Fraction
from typing import Any

import sympy

from ..decimals import approx

#: Significant digits of a decimal written for a non-integer answer: far
#: more than any tolerance, so the tolerance alone decides.
VALUE_DIGITS = 15
#: Significant digits of the decimals a Canvas blank accepts for a number that
#: is not whole (a student rounds to some digits; each rounding is listed).
BLANK_DIGITS = (2, 3, 4, 5, 6)


#: Digits of the one evaluation of an irrational value that every rounding
#: of it is made from (genexam.decimals.approx decides the rare near-ties).
REFERENCE_DIGITS = 40


def decimal_text(value: Any, digits: int = VALUE_DIGITS, strip: bool = True) -> str:
    """A number as a plain decimal (no exponent), correctly rounded to
    ``digits`` significant digits, as genexam.decimals.approx rounds; integers
    exactly. ``strip=False`` keeps the zeros that show a rounding (2.95 to
    two digits: ``3.0``)."""
    if isinstance(value, (int, sympy.Integer)) and not isinstance(value, bool):
        return str(int(value))
    text = format(_rounded(value, digits), "f")
    if "." in text and strip:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def reference(value: Any) -> tuple[Fraction, bool]:
    """(value as a Fraction, exact?): exact for rationals, else correctly
    rounded to REFERENCE_DIGITS digits -- evaluated once per value, as a
    build writes the same numbers many times (decimals, tolerances, forms)."""
    if isinstance(value, Fraction):
        return value, True
    return _reference(value)


@functools.lru_cache(maxsize=1 << 16)
def _reference(value: Any) -> tuple[Fraction, bool]:
    if isinstance(value, sympy.Rational):
        return Fraction(int(value.p), int(value.q)), True
    # evalf with 10 digits to spare (its result, a binary float, taken exactly);
    # a rounding that this cannot decide goes to approx (see _rounded)
    evaluated = sympy.sympify(value).evalf(REFERENCE_DIGITS + 10)
    if not evaluated.is_Number or not evaluated.is_real:
        return Fraction(str(approx(value, REFERENCE_DIGITS))), False  # approx says why it cannot
    return Fraction(*map(int, sympy.Rational(evaluated).as_numer_denom())), False


def _rounded(value: Any, digits: int) -> Decimal:
    """``value`` to ``digits`` significant digits: from its reference, half
    away from zero for exact values; a near-tie of an irrational value goes
    back to approx at the digits asked. Integer arithmetic throughout."""
    ref, exact = reference(value)
    if ref == 0:
        return Decimal(0)
    n, d = abs(ref.numerator), ref.denominator
    exponent = len(str(n)) - len(str(d))  # floor(log10(n / d)), or one more
    if (n * 10 ** -exponent if exponent < 0 else n) < (d * 10 ** exponent if exponent >= 0 else d):
        exponent -= 1
    shift = digits - 1 - exponent
    top, bottom = (n * 10 ** shift, d) if shift >= 0 else (n, d * 10 ** -shift)
    floor, rest = divmod(top, bottom)  # scaled value = floor + rest / bottom
    twice = 2 * rest
    if not exact and abs(twice - bottom) * 10 ** (REFERENCE_DIGITS - digits - 3) <= 2 * bottom:
        return Decimal(str(approx(value, digits)))
    mantissa = floor + (1 if twice >= bottom else 0)
    scale = exponent - (digits - 1)
    if mantissa == 10 ** digits:  # 9.995 -> 10.0: one more digit before the point
        mantissa //= 10
        scale += 1
    return Decimal(mantissa if ref > 0 else -mantissa).scaleb(scale)


def fraction_text(value: Fraction, digits: int = 3) -> str:
    """A tolerance as a short decimal, rounded up so it never narrows."""
    if value == 0:
        return "0"
    text = decimal_text(value, digits)
    if Fraction(text) < value:  # rounded down: step up by one unit in the last place
        exponent = Decimal(text).as_tuple().exponent
        text = format(Decimal(text) + Decimal(1).scaleb(exponent), "f")
    return text


def grouped(n: int) -> str:
    """1070625 -> 1,070,625."""
    return f"{n:,}"


def written_forms(value: Any, kind: str) -> list[str]:
    """The texts a fill-in blank accepts for an exact answer, most plain first."""
    if kind == "choice":
        return [value, value.lower()]
    if kind == "boolean":
        return ["yes", "Yes", "true", "True"] if bool(value) else ["no", "No", "false", "False"]
    if kind == "word":
        return list(dict.fromkeys([value, value.lower(), value.upper(), value.capitalize()]))
    forms: list[str] = []
    if isinstance(value, sympy.Integer):
        forms = [str(int(value)), grouped(int(value))]
    elif isinstance(value, sympy.Rational):
        forms = [f"{value.p}/{value.q}"]
        exact = Fraction(int(value.p), int(value.q))
        if _terminates(exact.denominator):
            plain = decimal_text(value, 30)
            forms += [plain, plain.replace("0.", ".", 1) if plain.startswith(("0.", "-0.")) else plain]
        else:
            forms += [decimal_text(value, d, strip=False) for d in BLANK_DIGITS]
    else:
        forms = [decimal_text(value, d, strip=False) for d in BLANK_DIGITS]
    return list(dict.fromkeys(forms))


def _terminates(denominator: int) -> bool:
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    return denominator == 1
