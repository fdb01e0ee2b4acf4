"""Decimals printed beside exact answers, correctly rounded.

A key prints "≈ 0.9051" beside tanh(3/2); that decimal must be the exact value
rounded once, to the digits shown. Rounding a 30-digit float that was itself
rounded (or a machine float, which underflows past 1e-308) is not that: it can
be off in the last digit, or print a wrong exponent. :func:`approx` evaluates
at increasing precision until the rounding is decided, and decides exact ties
of rationals exactly (half away from zero, as rounding by hand does).
"""

from __future__ import annotations

from typing import Any

import mpmath
import sympy
from sympy.core.evalf import PrecisionExhausted

#: Precision (decimal digits beyond those shown) at which evaluation starts,
#: and the most it is raised to before an undecided value is an error.
_START_GUARD = 15
_MAX_GUARD = 2000


def approx(value: Any, digits: int) -> sympy.Float:
    """``value`` (a real sympy expression or number) rounded to ``digits``
    significant digits, as a sympy Float that prints exactly those digits."""
    if digits < 1:
        raise ValueError(f"digits must be >= 1, not {digits}")
    value = sympy.sympify(value)
    if _is_zero(value):
        return sympy.Float(0, digits)
    if value.is_Rational:
        return _float(*_round_rational(sympy.Rational(value), digits), digits)
    guard = _START_GUARD
    while guard <= _MAX_GUARD:
        decided = _round_numeric(value, digits, guard)
        if decided is not None:
            return _float(*decided, digits)
        guard *= 2
    raise ValueError(f"cannot round {value} to {digits} digits: it is too close to a rounding boundary")


def _is_zero(value: sympy.Expr) -> bool:
    """Whether ``value`` is exactly 0. A strict evaluation that comes out
    nonzero proves it is not, quickly; only otherwise ask sympy's assumptions,
    which take seconds on a large sum of exponentials."""
    try:
        if value.evalf(15, strict=True) != 0:
            return False
    except (PrecisionExhausted, TypeError, ValueError):
        pass
    return bool(value.is_zero)


def _float(mantissa: int, exponent: int, digits: int) -> sympy.Float:
    """mantissa * 10**exponent as a Float printing ``digits`` significant digits."""
    return sympy.Float(f"{mantissa}e{exponent}", digits)


def _round_rational(value: sympy.Rational, digits: int) -> tuple[int, int]:
    """(mantissa, exponent) of an exact rational, rounded half away from zero."""
    sign = -1 if value < 0 else 1
    magnitude = abs(value)
    exponent = _decimal_exponent(magnitude)
    scale = digits - 1 - exponent
    scaled = magnitude * sympy.Integer(10) ** scale
    mantissa = int(sympy.floor(scaled + sympy.Rational(1, 2)))
    if mantissa == 10 ** digits:  # 9.995 -> 10.0: one more digit before the point
        mantissa //= 10
        scale -= 1
    return sign * mantissa, -scale


def _decimal_exponent(magnitude: sympy.Rational) -> int:
    """floor(log10(magnitude)) for a positive rational, exactly."""
    exponent = int(sympy.floor(sympy.log(magnitude, 10).evalf(30)))
    # The float estimate may be off by one at exact powers of ten: correct it exactly.
    while sympy.Integer(10) ** exponent > magnitude:
        exponent -= 1
    while sympy.Integer(10) ** (exponent + 1) <= magnitude:
        exponent += 1
    return exponent


def _round_numeric(value: sympy.Expr, digits: int, guard: int) -> tuple[int, int] | None:
    """(mantissa, exponent) when ``guard`` extra digits decide the rounding, else None."""
    evaluated = value.evalf(digits + guard)
    if not evaluated.is_Number or not evaluated.is_real:
        raise ValueError(f"cannot print {value} as a decimal: it is not a real number")
    with mpmath.workdps(digits + guard + 10):
        x = mpmath.mpf(evaluated)
        sign = -1 if x < 0 else 1
        x = abs(x)
        exponent = int(mpmath.floor(mpmath.log10(x)))
        scaled = x * mpmath.mpf(10) ** (digits - 1 - exponent)
        if scaled >= mpmath.mpf(10) ** digits:  # log10 rounded up at a power of ten
            exponent += 1
            scaled /= 10
        elif scaled < mpmath.mpf(10) ** (digits - 1):
            exponent -= 1
            scaled *= 10
        floor = int(mpmath.floor(scaled))
        distance = abs(scaled - floor - mpmath.mpf(0.5))
        # evalf is accurate to about 10**-(digits + guard) relative; leave a margin.
        if distance <= mpmath.mpf(10) ** (digits - guard + 5):
            return None
        mantissa = floor + 1 if scaled - floor > mpmath.mpf(0.5) else floor
    scale = digits - 1 - exponent
    if mantissa == 10 ** digits:
        mantissa //= 10
        scale -= 1
    return sign * mantissa, -scale
