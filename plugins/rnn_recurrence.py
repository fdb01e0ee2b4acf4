"""rnn_recurrence: a scalar linear RNN h_t = a x_t + b h_{t-1} read out by y = sigmoid(k h_T)."""

from __future__ import annotations

import random
from fractions import Fraction
from typing import Any, Mapping

import sympy

from genexam import hookimpl
from genexam.decimals import approx
from genexam.distributions import Choice, Computed, RandInt
from genexam.family import Family, Part, Solution
from genexam.params import Rat, Vector
from genexam.texfilters import tex
from genexam.values import to_sympy

H0 = sympy.Symbol("h_0")


def input_symbols(length: int) -> list[sympy.Symbol]:
    """x_1, ..., x_T: the symbols the closed form is written in."""
    return [sympy.Symbol(f"x_{i}") for i in range(1, length + 1)]


def _memory(rng: random.Random, drawn: Mapping[str, Any]) -> Any:
    """b = -1 or 1 two times in three (the alternating and the running sum);
    else a growing (+-2) or decaying (+-1/2) memory."""
    if rng.random() < 2 / 3:
        return rng.choice((-1, 1))
    return rng.choice((-2, 2, Fraction(1, 2), Fraction(-1, 2)))


def _inputs(rng: random.Random, drawn: Mapping[str, Any]) -> list[int]:
    """3 to 5 small nonzero integers."""
    return [rng.choice((-3, -2, -1, 1, 2, 3, 4)) for _ in range(rng.randint(3, 5))]


def combination_tex(terms: list[tuple[Any, str]]) -> str:
    """sum c_i s_i as TeX in the order given, e.g. 'x_4 - x_3 + \\frac{1}{2} h_0';
    zero terms are left out, and 0 if all are."""
    out = []
    for coef, symbol in terms:
        coef = sympy.nsimplify(coef)
        if coef == 0:
            continue
        sign = "-" if coef < 0 else "+"
        size = abs(coef)
        body = symbol if size == 1 else f"{tex(size)} {symbol}"
        out.append((sign, body))
    if not out:
        return "0"
    first_sign, first_body = out[0]
    text = ("-" if first_sign == "-" else "") + first_body
    return text + "".join(f" {sign} {body}" for sign, body in out[1:])


def memory_kind(b: sympy.Rational) -> str:
    """How the state remembers the past, by b."""
    if b == 1:
        return "running"
    if b == -1:
        return "alternating"
    if b == 0:
        return "none"
    return "decaying" if abs(b) < 1 else "growing"


def nearest_level(z: Any) -> sympy.Rational:
    """Which of 0, 1/2 and 1 sigma(z) is nearest to: 1/2 while 1/4 < sigma(z) < 3/4,
    that is |z| < ln 3 (never equal for a rational z, as ln 3 is irrational)."""
    z = sympy.Rational(z)
    if abs(z) < sympy.log(3):
        return sympy.Rational(1, 2)
    return sympy.Integer(1) if z > 0 else sympy.Integer(0)


class RnnRecurrence(Family):
    name = "rnn_recurrence"
    title = "Unrolling a scalar linear RNN"
    params = (
        Rat("a", Choice((-2, -1, 1, 2)), low=-10, high=10, doc="input weight: h_t = a x_t + b h_{t-1}"),
        Rat("b", Computed(_memory, "-1 or 1 two times in three, else one of -2, 2, 1/2, -1/2"), low=-10, high=10,
            doc="recurrent weight"),
        Rat("h0", RandInt(-2, 2), low=-100, high=100, doc="initial state h_0"),
        Vector("xs", Computed(_inputs, "3 to 5 nonzero integers from -3 to 4"), low=-100, high=100,
               element="rational", length=(1, 10), doc="the inputs x_1, ..., x_T"),
        Rat("k", Choice((1, 10, 100, 500)), low=0, high=10_000, doc="output gain: y = sigmoid(k h_T)"),
    )
    constraints = ("a != 0", "k > 0")
    parts = (
        Part("a", ("h", "h_T"), space="6cm"),
        Part("b", ("closed_form",), space="6cm"),
        Part("c", ("y",), space="4cm"),
    )

    def solve(self, p: Mapping[str, Any]) -> Solution:
        a, b, h0, k = (to_sympy(p[n]) for n in ("a", "b", "h0", "k"))
        xs = to_sympy(p["xs"])
        length = len(xs)
        # The iteration, step by step -- once on the numbers, once on symbols.
        hs, rows = [], []
        prev = h0
        for t, x in enumerate(xs, start=1):
            h = a * x + b * prev
            rows.append({"t": t, "x": x, "prev": prev, "h": h})
            hs.append(h)
            prev = h
        symbolic = H0
        for x in input_symbols(length):
            symbolic = sympy.expand(a * x + b * symbolic)
        h_T = hs[-1]
        z = k * h_T
        y = 1 / (1 + sympy.exp(-z))
        answers = {"h": hs, "h_T": h_T, "closed_form": symbolic, "y": y}
        weights = [a * b ** (length - i) for i in range(1, length + 1)]  # weight of x_i
        ordered = [(weights[i - 1], f"x_{{{i}}}") for i in range(length, 0, -1)] + [(b**length, "h_{0}")]
        inputs_only = [(b ** (length - i), f"x_{{{i}}}") for i in range(length, 0, -1)]
        # y's size in words: a decimal when it says something, else its distance from 0 or 1.
        y_approx = approx(y, 4) if abs(z) <= 8 else None
        steps = {
            "T": length,
            "rows": rows,
            "rule": combination_tex([(a, "x_t"), (b, "h_{t-1}")]),
            "closed_ordered": combination_tex(ordered),
            "inputs_sum": combination_tex(inputs_only),
            "memory": memory_kind(b),
            "weights": weights,
            "b_T": b**length,
            "z": z,
            "y_approx": y_approx,
            "near": nearest_level(z),
            "ln3": sympy.log(3), "ln3_approx": approx(sympy.log(3), 4),
            "a_positive": a > 0,
        }
        return Solution(answers, steps)

    def check(self, p: Mapping[str, Any]) -> dict[str, Any]:
        # Second route: the unrolled sum h_t = sum_{i<=t} a b^(t-i) x_i + b^t h_0,
        # evaluated for each prefix of the inputs, and y as the two-class softmax
        # e^z / (e^z + 1).
        a, b, h0, k = (sympy.Rational(p[n]) for n in ("a", "b", "h0", "k"))
        xs = [sympy.Rational(x) for x in p["xs"]]

        def unrolled(values: list[Any], start: Any) -> Any:
            t = len(values)
            return sum((a * b ** (t - i) * values[i - 1] for i in range(1, t + 1)), sympy.Integer(0)) + b**t * start

        hs = [unrolled(xs[:t], h0) for t in range(1, len(xs) + 1)]
        z = k * hs[-1]
        return {
            "h": hs,
            "h_T": hs[-1],
            "closed_form": unrolled(input_symbols(len(xs)), H0),
            "y": sympy.exp(z) / (sympy.exp(z) + 1),
        }


@hookimpl
def genexam_families() -> list[type[Family]]:
    return [RnnRecurrence]
