"""softmax_logistic: a two-class softmax is logistic regression with w = w0 - w1."""

from __future__ import annotations

import random
from typing import Any, Mapping

import sympy

from genexam import hookimpl
from genexam.decimals import approx
from genexam.distributions import Computed
from genexam.family import Family, Part, Solution
from genexam.params import Vector
from genexam.values import to_sympy


def _first_vector(rng: random.Random, drawn: Mapping[str, Any]) -> list[int]:
    # As long as a vector fixed by the spec, if there is one; else 2 or 3.
    given = [drawn[k] for k in ("w1", "x") if k in drawn]
    length = len(given[0]) if given else rng.randint(2, 3)
    return [rng.randint(-3, 3) for _ in range(length)]


def _same_length(rng: random.Random, drawn: Mapping[str, Any]) -> list[int]:
    return [rng.randint(-3, 3) for _ in drawn["w0"]]


def _near_first(rng: random.Random, drawn: Mapping[str, Any]) -> list[Any]:
    """w1 = w0 - d with d in -2..2, not all zero: a small w = w0 - w1 keeps
    w.x small enough for an informative instance (see _telling_input)."""
    d = [0] * len(drawn["w0"])
    while not any(d):
        d = [rng.randint(-2, 2) for _ in d]
    return [a - b for a, b in zip(drawn["w0"], d)]


def _telling_input(rng: random.Random, drawn: Mapping[str, Any]) -> list[int]:
    """An x with 1 <= |(w0 - w1).x| <= 4: not the trivial 1/2, and away from 0
    and 1, where the probabilities would print as 0.0000 and 1.0000. This is
    the default draw's taste, not a constraint: values a spec fixes are kept."""
    w = [a - b for a, b in zip(drawn["w0"], drawn["w1"])]

    def telling(x: list[int]) -> bool:
        return 1 <= abs(sum(a * b for a, b in zip(w, x))) <= 4

    for _ in range(100):
        x = _same_length(rng, drawn)
        if telling(x):
            return x
    # A unit vector on a small nonzero entry of w always works for the default w1.
    units = [[int(i == j) for j in range(len(w))] for i, wi in enumerate(w) if 1 <= abs(wi) <= 4]
    return units[0] if units else x


class SoftmaxLogistic(Family):
    name = "softmax_logistic"
    title = "A two-class softmax is logistic regression"
    params = (
        Vector("w0", Computed(_first_vector, "2 or 3 integers from -3 to 3 (as many as a fixed w1 or x)"),
               low=-20, high=20,
               element="rational", doc="weights of class 0"),
        Vector("w1", Computed(_near_first, "w0 minus a nonzero vector of integers from -2 to 2"), low=-20, high=20,
               element="rational", doc="weights of class 1"),
        Vector("x", Computed(_telling_input, "integers from -3 to 3, as many as w0, with 1 <= |(w0 - w1).x| <= 4"),
               low=-20, high=20,
               element="rational", doc="the input"),
    )
    constraints = ("len(w0) == len(w1) == len(x)", "w0 != w1")
    parts = (
        Part("a", ("w",), space="6cm"),
        Part("b", ("p_y0", "p_y1"), space="4cm"),
    )

    def solve(self, p: Mapping[str, Any]) -> Solution:
        w0, w1, x = (sympy.Matrix(to_sympy(p[k])) for k in ("w0", "w1", "x"))
        w = w0 - w1
        z = (w.T * x)[0]
        p_y0 = 1 / (1 + sympy.exp(-z))
        answers = {"w": list(w), "p_y0": p_y0, "p_y1": 1 / (1 + sympy.exp(z))}
        steps = {
            "s0": (w0.T * x)[0], "s1": (w1.T * x)[0], "z": z,
            # Each probability rounded from its own exact value: 1 - p_y0 evaluated at a
            # fixed precision loses every digit once p_y0 is within 1e-30 of 1.
            "p_y0_approx": approx(p_y0, 4), "p_y1_approx": approx(answers["p_y1"], 4),
        }
        return Solution(answers, steps)

    def check(self, p: Mapping[str, Any]) -> dict[str, Any]:
        # Second route: the softmax itself, class by class, with no algebra.
        scores = [sum(sympy.Rational(a) * sympy.Rational(b) for a, b in zip(p[k], p["x"])) for k in ("w0", "w1")]
        exps = [sympy.exp(s) for s in scores]
        return {
            "w": [sympy.Rational(a) - sympy.Rational(b) for a, b in zip(p["w0"], p["w1"])],
            "p_y0": exps[0] / (exps[0] + exps[1]),
            "p_y1": exps[1] / (exps[0] + exps[1]),
        }


@hookimpl
def genexam_families() -> list[type[Family]]:
    return [SoftmaxLogistic]
