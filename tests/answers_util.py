"""Comparing exact answers from two routes."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import sympy

from genexam.values import to_sympy


def same(a: Any, b: Any) -> bool:
    """Exact equality of answers: lists elementwise, expressions by simplifying their difference."""
    if isinstance(a, sympy.MatrixBase):
        a = a.tolist()
    if isinstance(b, sympy.MatrixBase):
        b = b.tolist()
    if isinstance(a, dict) or isinstance(b, dict):  # question_bank: {"choice": "B", "answer": "..."}
        return isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if a is None or b is None:  # an answer that does not apply to this instance
        return a is b
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return (isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b)
                and all(same(x, y) for x, y in zip(a, b)))
    if isinstance(a, (bool, str)) or isinstance(b, (bool, str)):
        return type(a) is type(b) and a == b
    a, b = to_sympy(a), to_sympy(b)
    if a == b:
        return True
    return sympy.simplify(sympy.sympify(a) - sympy.sympify(b)) == 0


def _in_order(values: list[str], tokens: list[str]) -> bool:
    """Whether ``values`` appear among ``tokens`` in order (a table column or row, a tuple)."""
    rest = iter(tokens)
    return all(any(token == value for token in rest) for value in values)


def _in_order_squashed(values: list[str], squashed: str) -> bool:
    """Whether ``values`` appear in order in the whitespace-free text: a list
    of large integers printed with digit-grouping spaces (169 344)."""
    position = 0
    for value in values:
        position = squashed.find(value, position)
        if position < 0:
            return False
        position += len(value)
    return True


def missing_integer_answers(pdf: Path, problems: list[dict]) -> list[tuple[str, Any]]:
    """The integer answers (from answers.json records) not found in the PDF's
    text: scalars as digits (grouping spaces ignored), integer lists in order."""
    raw = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout.replace("\u2212", "-")  # Typst's minus sign
    squashed = re.sub(r"\s+", "", raw)
    tokens = re.findall(r"-?\d+", raw)
    missing = []
    for problem in problems:
        for name, value in problem["answers"].items():
            if isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
                shown = [str(v) for v in value]
                if not (_in_order(shown, tokens) or _in_order_squashed(shown, squashed)):
                    missing.append((name, value))
            elif isinstance(value, int) and not isinstance(value, bool) and str(value) not in squashed:
                missing.append((name, value))
    return missing


def close(exact_value: Any, number: float) -> bool:
    """A float from torch (float64) equals an exact value to 1e-9 relative."""
    value = float(sympy.N(exact_value, 30))
    return abs(value - number) <= 1e-9 * max(1.0, abs(value))


def rounded(exact_value: Any) -> sympy.Float:
    """The value correctly rounded to 4 significant digits, by mpmath at 50
    digits (independently of genexam.decimals)."""
    import mpmath

    with mpmath.workdps(50):
        text = mpmath.nstr(mpmath.mpf(sympy.N(exact_value, 50)), 4, min_fixed=-30, max_fixed=30, strip_zeros=False)
    return sympy.Float(text, 4)
