"""Comparing exact answers from two routes."""

from __future__ import annotations

from typing import Any

import sympy

from genexam.values import to_sympy


def same(a: Any, b: Any) -> bool:
    """Exact equality of answers: lists elementwise, expressions by simplifying their difference."""
    if isinstance(a, sympy.MatrixBase):
        a = a.tolist()
    if isinstance(b, sympy.MatrixBase):
        b = b.tolist()
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return (isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b)
                and all(same(x, y) for x, y in zip(a, b)))
    if isinstance(a, (bool, str)) or isinstance(b, (bool, str)):
        return type(a) is type(b) and a == b
    a, b = to_sympy(a), to_sympy(b)
    if a == b:
        return True
    return sympy.simplify(sympy.sympify(a) - sympy.sympify(b)) == 0
