"""regularized_objective: the gradient and the closed-form minimiser of
J(theta) = (1/N) sum_i (theta^T x_i + b y_i) + 1/2 theta^T A theta, A symmetric positive definite."""

from __future__ import annotations

import random
from typing import Any, Mapping

import sympy

from genexam import hookimpl
from genexam.distributions import Computed, RandInt
from genexam.family import Family, Part, Solution
from genexam.params import Param, Rat
from genexam.values import to_sympy


def check_spd(rows: list[list[Any]]) -> list[list[Any]]:
    """The matrix, if it is square, symmetric and positive definite (every
    leading principal minor > 0, exactly); else a ValueError saying what fails."""
    n = len(rows)
    if any(len(row) != n for row in rows):
        raise ValueError(f"A must be a square matrix, found {n} rows of {len(rows[0])} entries")
    A = sympy.Matrix(to_sympy(rows))
    for i in range(n):
        for j in range(i + 1, n):
            if A[i, j] != A[j, i]:
                raise ValueError(f"A must be symmetric, but A[{i + 1}][{j + 1}] = {A[i, j]} and "
                                 f"A[{j + 1}][{i + 1}] = {A[j, i]}")
    for k in range(1, n + 1):
        minor = A[:k, :k].det()
        if minor <= 0:
            raise ValueError(f"A must be positive definite, but its leading principal minor of order {k} "
                             f"is {minor} (every one must be > 0)")
    return rows


def _spd_block(rng: random.Random) -> list[list[int]]:
    """A 2x2 symmetric positive definite integer matrix: diagonal 1..4, off-diagonal -2..2."""
    while True:
        p, q, c = rng.randint(1, 4), rng.randint(1, 4), rng.randint(-2, 2)
        if p * q - c * c > 0:
            return [[p, c], [c, q]]


def _draw_A(rng: random.Random, drawn: Mapping[str, Any]) -> list[list[int]]:
    """d x d (d = the width of fixed xs; else 2, sometimes 3): one 2x2 SPD block
    on two random coordinates, the other diagonal entries 1..4."""
    d = len(drawn["xs"][0]) if drawn.get("xs") else rng.choice((2, 2, 2, 3))
    A = [[0] * d for _ in range(d)]
    for i in range(d):
        A[i][i] = rng.randint(1, 4)
    if d >= 2:
        i, j = sorted(rng.sample(range(d), 2))
        (A[i][i], A[i][j]), (A[j][i], A[j][j]) = _spd_block(rng)
    return A


def _draw_xs(rng: random.Random, drawn: Mapping[str, Any]) -> list[list[int]]:
    """N points (N = the length of fixed ys; else 2 to 4) of integers -3..3 in R^d, not summing to 0."""
    n = len(drawn["ys"]) if drawn.get("ys") else rng.randint(2, 4)
    d = len(drawn["A"])
    while True:
        xs = [[rng.randint(-3, 3) for _ in range(d)] for _ in range(n)]
        if any(sum(column) for column in zip(*xs)):
            return xs


def _draw_ys(rng: random.Random, drawn: Mapping[str, Any]) -> list[int]:
    return [rng.randint(-3, 3) for _ in drawn["xs"]]


def theta_symbols(d: int) -> list[sympy.Symbol]:
    return list(sympy.symbols(f"theta_1:{d + 1}", real=True))


class RegularizedObjective(Family):
    name = "regularized_objective"
    title = "Gradient and minimiser of a linear objective with a quadratic regulariser"
    params = (
        Param("A", "matrix", Computed(_draw_A, "2x2 (sometimes 3x3) symmetric positive definite, "
                                               "diagonal 1..4, one off-diagonal pair -2..2"),
              "the symmetric positive definite matrix of the regulariser 1/2 theta^T A theta",
              low=-20, high=20, element="rational", length=(1, 6), validator=check_spd),
        Param("xs", "matrix", Computed(_draw_xs, "2 to 4 points of integers -3..3 (as many as ys), width of A"),
              "the data points x_1..x_N as rows", low=-20, high=20, element="rational", length=(1, 6)),
        Rat("b", RandInt(-3, 3), low=-20, high=20, doc="the weight of the labels"),
        Param("ys", "vector", Computed(_draw_ys, "integers -3..3, one per point"),
              "the labels y_1..y_N", low=-20, high=20, element="rational", length=(1, 6)),
    )
    constraints = ("len(A) == len(A[0]) == len(xs[0])", "len(ys) == len(xs)")
    parts = (
        Part("a", ("gradient",), space="5cm"),
        Part("b", ("theta_star", "min_value"), space="7cm"),
    )

    def solve(self, p: Mapping[str, Any]) -> Solution:
        check_spd(p["A"])
        A = sympy.Matrix(to_sympy(p["A"]))
        X = sympy.Matrix(to_sympy(p["xs"]))
        ys = to_sympy(p["ys"])
        b = to_sympy(p["b"])
        n, d = X.shape
        if A.shape != (d, d) or len(ys) != n:
            raise ValueError(f"A must be {d}x{d} for points of dimension {d}, and ys must have one label per "
                             f"point ({n}); found A {A.shape[0]}x{A.shape[1]} and {len(ys)} labels")
        theta = sympy.Matrix(theta_symbols(d))
        total = X.T * sympy.ones(n, 1)
        mean = total / n
        y_mean = sum(ys) / sympy.Integer(n)
        gradient = mean + A * theta
        inverse = A.inv()
        theta_star = -inverse * mean
        inner = (mean.T * theta_star)[0]  # x_bar^T theta* = -x_bar^T A^{-1} x_bar
        min_value = inner / 2 + b * y_mean
        steps = {
            "N": n, "d": d, "theta": list(theta), "sum_x": list(total), "mean": list(mean),
            "sum_y": sum(ys), "y_mean": y_mean, "A_theta": list(A * theta),
            "det": A.det(), "adjugate": A.adjugate().tolist(), "inverse": inverse.tolist(),
            "inner": inner,
            "minors": [A[:k, :k].det() for k in range(1, d + 1)],
        }
        return Solution({"gradient": list(gradient), "theta_star": list(theta_star), "min_value": min_value}, steps)

    def check(self, p: Mapping[str, Any]) -> dict[str, Any]:
        # Second route: write J out term by term, differentiate it with sympy,
        # solve grad J = 0 as a linear system, and substitute into J.
        A = to_sympy(p["A"])
        xs, ys, b = to_sympy(p["xs"]), to_sympy(p["ys"]), to_sympy(p["b"])
        d, n = len(A), len(xs)
        theta = theta_symbols(d)
        data_term = sum(sum(t * x for t, x in zip(theta, xi)) + b * yi for xi, yi in zip(xs, ys)) / n
        penalty = sum(theta[j] * A[j][k] * theta[k] for j in range(d) for k in range(d)) / 2
        J = sympy.expand(data_term + penalty)
        gradient = [sympy.diff(J, t) for t in theta]
        (solution,) = sympy.linsolve(gradient, theta)
        theta_star = list(solution)
        return {
            "gradient": gradient,
            "theta_star": theta_star,
            "min_value": sympy.simplify(J.subs(dict(zip(theta, theta_star)))),
        }


@hookimpl
def genexam_families() -> list[type[Family]]:
    return [RegularizedObjective]
