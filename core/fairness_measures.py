"""The default difficulty measures of an instance (see Family.difficulty)."""

from __future__ import annotations

from typing import Any, Iterator, Mapping

import sympy


def _values(value: Any) -> Iterator[Any]:
    if isinstance(value, (list, tuple)):
        for v in value:
            yield from _values(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _values(v)
    elif isinstance(value, sympy.MatrixBase):
        yield from value
    elif value is not None:
        yield value


def default_measures(answers: Mapping[str, Any]) -> dict[str, float]:
    """values: how many values the student writes; digits: the digits of the
    exact numbers among them; terms: the terms of the symbolic ones."""
    values = digits = terms = 0
    for value in _values(list(answers.values())):
        values += 1
        if isinstance(value, bool) or isinstance(value, str):
            continue
        if isinstance(value, int):
            digits += len(str(abs(value)))
            continue
        if isinstance(value, sympy.Rational):
            digits += len(str(abs(value.p))) + (len(str(value.q)) if value.q != 1 else 0)
        elif isinstance(value, sympy.Basic):
            terms += len(sympy.Add.make_args(sympy.expand(value))) if value.free_symbols else 1
            digits += sum(len(str(abs(a.p))) + (len(str(a.q)) if a.q != 1 else 0)
                          for a in value.atoms(sympy.Rational))
    return {"values": values, "digits": digits, "terms": terms}
