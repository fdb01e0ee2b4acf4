"""Jinja2 filters that print values as TeX for family templates.

Every number a template shows goes through one of these, so what the page
says is what sympy computed. Output stays within the TeX that pandoc's Typst
writer converts (no \\dfrac, \\displaystyle, vmatrix, array, \\!).
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any, Callable, Iterable

import sympy
from sympy.printing.latex import LatexPrinter

from .values import to_sympy


def _group(digits: str) -> str:
    """Thin spaces between groups of three digits, SI style; four digits stay whole."""
    if len(digits) <= 4:
        return digits
    return f"{int(digits):,}".replace(",", r"\,")


class ExamLatexPrinter(LatexPrinter):
    """sympy's LaTeX printer with long integers grouped by thin spaces, so a
    count reads the same inside a formula (12\\,800 n) as on its own."""

    def _print_Integer(self, expr: sympy.Integer) -> str:
        return ("-" if expr < 0 else "") + _group(str(abs(int(expr))))

    def _print_Rational(self, expr: sympy.Rational) -> str:
        return re.sub(r"\d{5,}", lambda m: _group(m.group()), super()._print_Rational(expr))


#: full_prec: a decimal from genexam.decimals.approx prints every digit it was
#: rounded to ("1.000", not sympy's default "1.0", which hides the precision).
_PRINTER = ExamLatexPrinter({"full_prec": True})


def tex(value: Any) -> str:
    """Any value as TeX: numbers and expressions through sympy's printer (long
    integers grouped by thin spaces: 1\\,070\\,625, not a comma, which Typst
    spaces like a list separator), lists as (a, b, c)."""
    if isinstance(value, bool):
        return r"\text{true}" if value else r"\text{false}"
    if isinstance(value, str):
        return r"\text{" + value + "}"
    if isinstance(value, (list, tuple)):
        return r"\left(" + ", ".join(tex(v) for v in value) + r"\right)"
    if isinstance(value, sympy.MatrixBase):
        return mat(value.tolist())
    return _PRINTER.doprint(to_sympy(value))


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
    "vec": vec,
    "rowvec": rowvec,
    "mat": mat,
    "signed": signed,
    "paren": paren,
}

#: TeX that pandoc's Typst writer drops or mangles without a word (measured
#: with pandoc 3.9; see DESIGN.md). `\;` and `\enspace` become zero space:
#: use `\:` or `\quad`.
UNSUPPORTED_TEX = (r"\dfrac", r"\tfrac", r"\displaystyle", r"\begin{align*}", r"\begin{align}",
                   r"\begin{vmatrix}", r"\begin{array}", r"\!", r"\;", r"\enspace")
