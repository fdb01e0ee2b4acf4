"""Jinja2 filters that print values as TeX for family templates.

Every number a template shows goes through one of these, so what the page
says is what sympy computed. Output stays within the TeX that pandoc's Typst
writer converts (no \\dfrac, \\displaystyle, vmatrix, array, \\!).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Callable, Iterable

import sympy

from .values import to_sympy


def tex(value: Any) -> str:
    """Any value as TeX: numbers and expressions via sympy.latex, lists as (a, b, c)."""
    if isinstance(value, bool):
        return r"\text{true}" if value else r"\text{false}"
    if isinstance(value, str):
        return r"\text{" + value + "}"
    if isinstance(value, (list, tuple)):
        return r"\left(" + ", ".join(tex(v) for v in value) + r"\right)"
    if isinstance(value, sympy.MatrixBase):
        return mat(value.tolist())
    value = to_sympy(value)
    if isinstance(value, sympy.Integer):
        return num(value)
    text = sympy.latex(value)
    return text


def num(value: Any) -> str:
    """An integer with thousands grouped by thin spaces, SI style (1\\,070\\,625;
    four digits stay whole); other numbers as tex(). A comma would read as a
    list separator in Typst, which spaces it like one."""
    value = to_sympy(value)
    if isinstance(value, sympy.Integer):
        sign = "-" if value < 0 else ""
        digits = str(abs(int(value)))
        if len(digits) > 4:
            digits = f"{int(digits):,}".replace(",", r"\,")
        return sign + digits
    return tex(value)


def vec(values: Iterable[Any]) -> str:
    """A column vector."""
    return r"\begin{pmatrix}" + r" \\ ".join(tex(v) for v in values) + r"\end{pmatrix}"


def rowvec(values: Iterable[Any]) -> str:
    """A row vector written as a tuple, e.g. (1, -2, 3)."""
    return r"\left(" + ", ".join(tex(v) for v in values) + r"\right)"


def mat(rows: Iterable[Iterable[Any]]) -> str:
    """A matrix in round brackets."""
    body = r" \\ ".join(" & ".join(tex(v) for v in row) for row in rows)
    return r"\begin{pmatrix}" + body + r"\end{pmatrix}"


def signed(value: Any) -> str:
    """A term to follow another: '+ 3', '- 3', '- \\frac{1}{2}'."""
    value = to_sympy(value)
    if value.could_extract_minus_sign():
        return "- " + tex(-value)
    return "+ " + tex(value)


def paren(value: Any) -> str:
    """tex(), wrapped in parentheses when negative (for products: 2 \\cdot (-3))."""
    value = to_sympy(value)
    text = tex(value)
    return rf"\left({text}\right)" if value.could_extract_minus_sign() or (
        isinstance(value, sympy.Basic) and value.is_Add) else text


def points(value: Fraction | None) -> str:
    """Points as printed: 10, 2.5."""
    if value is None:
        return ""
    if value.denominator == 1:
        return str(value.numerator)
    return f"{float(value):g}"


FILTERS: dict[str, Callable[..., str]] = {
    "tex": tex,
    "num": num,
    "vec": vec,
    "rowvec": rowvec,
    "mat": mat,
    "signed": signed,
    "paren": paren,
}

#: TeX that pandoc's Typst writer drops or mangles (measured; see DESIGN.md).
UNSUPPORTED_TEX = (r"\dfrac", r"\tfrac", r"\displaystyle", r"\begin{align*}", r"\begin{align}",
                   r"\begin{vmatrix}", r"\begin{array}", r"\!")
