"""Deciding whether a student's answer equals the key's.

Exact for integers and rationals; a decimal within the part's relative
tolerance for an irrational or rounded value; formulas compared first at
random points (a disagreement is proof of "wrong"), then by exact
simplification in a worker process with a time limit; big-O arguments equal
when their dominant terms agree. What cannot be decided -- a time-out, an
expression sympy cannot simplify to zero -- is "undecided" and goes to a person,
never to "wrong" (STACK's lesson: its tracker is a list of what hangs).
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import random
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Sequence

import sympy

from ..gradable import flatten
from .parse import Parsed, Unreadable, parse_answer

CORRECT, WRONG, BLANK, UNREADABLE, UNDECIDED, EXPLAINED = (
    "correct", "wrong", "blank", "unreadable", "undecided", "explained")
#: Statuses a person must look at (review.csv).
NEEDS_REVIEW = (UNREADABLE, UNDECIDED, EXPLAINED)

#: Seconds an exact simplification may take before the answer goes to review.
SIMPLIFY_SECONDS = 5.0
#: Random points at which formulas are compared before simplifying.
POINTS = 6
#: Digits at which expressions with exp/log/sqrt are compared numerically.
DIGITS = 40

_TRUE = {"yes", "y", "true", "t", "1", "converges", "it converges"}
_FALSE = {"no", "n", "false", "f", "0", "diverges", "does not converge", "it does not converge"}


@dataclass(frozen=True)
class Verdict:
    """One entry's outcome and, for a person, why."""

    status: str
    detail: str = ""

    @property
    def credit(self) -> bool:
        return self.status == CORRECT


def judge(kind: str, key: Any, text: str, tolerance: Fraction | None = None,
          symbols: Sequence[str] = ()) -> list[Verdict]:
    """Judge ``text`` against ``key`` (a gradable answer's kind and decoded
    value); one verdict per entry of the key (one for a scalar)."""
    entries = _entries(key)
    if text is None or not text.strip():
        return [Verdict(BLANK)] * len(entries)
    if kind == "explained":
        return [Verdict(EXPLAINED, "a written explanation: graded by a person")]
    if kind == "choice":
        return [_choice(key, text)]
    if kind == "boolean":
        return [_boolean(key, text)]
    if kind == "word":
        if isinstance(key, list):  # a sequence of tokens: a, b, <eos> -- entry by entry
            given = [t for t in re.split(r"[\s,()\[\]]+", text) if t]
            if len(given) != len(entries):
                return [Verdict(WRONG, f"expected {len(entries)} tokens, found {len(given)}")] * len(entries)
            return [_word(k, g) for k, g in zip(entries, given)]
        return [_word(key, text)]
    names = sorted({str(s) for v in entries for s in getattr(v, "free_symbols", ())} | set(symbols))
    try:
        parsed = parse_answer(text, names)
    except Unreadable as exc:
        return [Verdict(UNREADABLE, str(exc))] * len(entries)
    if isinstance(key, list):
        given = parsed.value if isinstance(parsed.value, list) else None
        if given is None:
            return [Verdict(WRONG, "expected a vector, e.g. (1, 2, 3)")] * len(entries)
        flat = list(flatten(given))
        if len(flat) != len(entries):
            return [Verdict(WRONG, f"expected {len(entries)} entries, found {len(flat)}")] * len(entries)
        return [_scalar(kind, k, Parsed(v, decimal=parsed.decimal), tolerance) for k, v in zip(entries, flat)]
    if isinstance(parsed.value, list):
        return [Verdict(WRONG, "expected one value, found a vector")]
    return [_scalar(kind, key, parsed, tolerance)]


def _entries(key: Any) -> list[Any]:
    return list(flatten(key)) if isinstance(key, list) else list(key.values()) if isinstance(key, dict) else [key]




# -- choice, boolean, word -------------------------------------------------------

def _choice(key: str, text: str) -> Verdict:
    letter = re.fullmatch(r"\s*\(?\s*([A-Za-z])\s*[).]?\s*", text)
    if not letter:
        return Verdict(UNREADABLE, "expected one letter, e.g. C")
    return Verdict(CORRECT if letter.group(1).upper() == key.upper() else WRONG)


def _boolean(key: Any, text: str) -> Verdict:
    said = " ".join(text.lower().replace(".", " ").split())
    if said in _TRUE:
        return Verdict(CORRECT if bool(key) else WRONG)
    if said in _FALSE:
        return Verdict(WRONG if bool(key) else CORRECT)
    return Verdict(UNREADABLE, "expected yes or no")


def _word(key: str, text: str) -> Verdict:
    def norm(s: str) -> str:
        words = re.sub(r"[^\w\s<>]", " ", s.lower()).split()
        return " ".join(w for w in words if w not in ("the", "a", "an"))

    return Verdict(CORRECT if norm(text) == norm(str(key)) else WRONG)


# -- numbers and formulas ---------------------------------------------------------

def _scalar(kind: str, key: Any, parsed: Parsed, tolerance: Fraction | None) -> Verdict:
    value = parsed.value
    if not isinstance(value, sympy.Basic):
        return Verdict(WRONG)
    if parsed.percent and not (key.is_number and 0 <= key <= 1):
        return Verdict(WRONG, "a percentage, but the answer is not a probability")
    if kind == "big_o" or parsed.big_o:
        return _big_o(key, value) if kind == "big_o" else Verdict(WRONG, "a big-O, but an exact value is asked")
    if kind == "expression" or value.free_symbols:
        return _formula(key, value)
    return _number(kind, key, value, parsed.decimal, tolerance)


def _number(kind: str, key: sympy.Expr, value: sympy.Expr, decimal: bool,
            tolerance: Fraction | None) -> Verdict:
    if key.is_Rational and value.is_Rational:
        if key == value:
            return Verdict(CORRECT)
        # a rounded decimal for a fraction such as 1/3: within the tolerance
        if decimal and kind != "integer" and _within(key, value, tolerance):
            return Verdict(CORRECT, "rounded, within the tolerance")
        return Verdict(WRONG)
    if decimal and value.is_Rational:  # a decimal for an irrational value
        return Verdict(CORRECT if _within(key, value, tolerance) else WRONG)
    return _formula(key, value)


def _within(key: sympy.Expr, value: sympy.Expr, tolerance: Fraction | None) -> bool:
    tol = sympy.Rational(tolerance if tolerance is not None else Fraction(1, 1000))
    exact = sympy.N(key, DIGITS)
    return abs(sympy.N(value, DIGITS) - exact) <= tol * abs(exact)


def _formula(key: sympy.Expr, value: sympy.Expr) -> Verdict:
    """Equal formulas (or exact numbers written differently): random points
    first, then exact simplification in a worker."""
    symbols = sorted(key.free_symbols | value.free_symbols, key=str)
    if value.free_symbols - key.free_symbols:
        extra = ", ".join(sorted(map(str, value.free_symbols - key.free_symbols)))
        return Verdict(WRONG, f"uses {extra}, which the answer does not")
    rng = random.Random(0)  # the same points every run: grades are deterministic
    for _ in range(POINTS if symbols else 1):
        point = {s: sympy.Rational(rng.randint(2, 97), rng.randint(1, 13)) for s in symbols}
        same = _same_at(key, value, point)
        if same is False:
            return Verdict(WRONG)
    return _simplify_in_worker(key, value)


def _same_at(key: sympy.Expr, value: sympy.Expr, point: dict) -> bool | None:
    a, b = key.subs(point), value.subs(point)
    if a.is_Rational and b.is_Rational:
        return a == b
    try:
        x, y = sympy.N(a, DIGITS), sympy.N(b, DIGITS)
    except (TypeError, ValueError):
        return None
    if not (x.is_number and y.is_number):
        return None
    scale = max(abs(x), abs(y), sympy.Integer(1))
    return bool(abs(x - y) <= scale * sympy.Rational(1, 10 ** (DIGITS - 8)))


def _big_o(key: sympy.Expr, value: sympy.Expr) -> Verdict:
    mine, theirs = _dominant(key), _dominant(value)
    if mine is None or theirs is None:
        return Verdict(UNDECIDED, "not a polynomial with positive terms: a person decides")
    return Verdict(CORRECT if mine == theirs else WRONG)


def _dominant(expr: sympy.Expr) -> frozenset | None:
    """The monomials of a polynomial that no other monomial dominates in every
    variable (all variables growing): the terms big-O keeps."""
    symbols = sorted(expr.free_symbols, key=str)
    if not symbols:
        return frozenset() if expr.is_number and expr > 0 else None
    try:
        poly = sympy.Poly(sympy.expand(expr), *symbols)
    except sympy.PolynomialError:
        return None
    terms = poly.terms()
    if any(not (c > 0) for _, c in terms):
        return None
    names = [str(s) for s in symbols]
    monomials = [m for m, _ in terms]
    kept = [m for m in monomials
            if not any(o != m and all(a >= b for a, b in zip(o, m)) for o in monomials)]
    return frozenset(tuple(sorted((n, e) for n, e in zip(names, m) if e)) for m in kept)


# -- the worker -------------------------------------------------------------------

_pool: concurrent.futures.ProcessPoolExecutor | None = None
_memo: dict[tuple[str, str], Verdict] = {}


def _difference_is_zero(key: sympy.Expr, value: sympy.Expr) -> bool | None:
    difference = sympy.simplify(key - value)
    if difference == 0:
        return True
    return None if difference.free_symbols or not difference.is_number else bool(difference == 0)


def _simplify_in_worker(key: sympy.Expr, value: sympy.Expr) -> Verdict:
    global _pool
    if sympy.expand(key - value) == 0:  # the common case, no worker needed
        return Verdict(CORRECT)
    memo_key = (sympy.srepr(key), sympy.srepr(value))
    if memo_key in _memo:
        return _memo[memo_key]
    if _pool is None:
        _pool = concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
    future = _pool.submit(_difference_is_zero, key, value)
    try:
        zero = future.result(timeout=SIMPLIFY_SECONDS)
    except concurrent.futures.TimeoutError:
        shutdown_worker(kill=True)
        zero = None
    except Exception:  # noqa: BLE001 -- sympy failing on an odd formula: a person decides
        zero = None
    verdict = Verdict(CORRECT) if zero else Verdict(UNDECIDED, "equal at every point tried; not proved")
    _memo[memo_key] = verdict
    return verdict


def shutdown_worker(kill: bool = False) -> None:
    """Stop the simplification worker (killing it when it is stuck)."""
    global _pool
    if _pool is None:
        return
    if kill:
        for process in list(getattr(_pool, "_processes", {}).values()):
            process.kill()
    _pool.shutdown(wait=not kill, cancel_futures=True)
    _pool = None
