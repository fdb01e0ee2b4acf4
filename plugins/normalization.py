"""normalization: batch normalisation or layer normalisation of a small batch, in training mode.

BatchNorm normalises each feature (column) over the batch; LayerNorm each
example (row) over its features. Both use the biased variance to normalise,
then scale by the gain and shift by the bias, as torch.nn.BatchNorm1d and
torch.nn.LayerNorm do in training mode; BatchNorm also updates its running
statistics from the initial 0 (mean) and 1 (variance), with the unbiased
batch variance.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction
from typing import Any, Mapping

import sympy

from genexam import hookimpl
from genexam.decimals import approx
from genexam.distributions import Choice, Computed
from genexam.family import Family, Part, Solution
from genexam.params import Matrix, OneOf, Rat, Vector
from genexam.values import to_sympy

F = Fraction
KINDS = ("batchnorm", "layernorm")


def _is_square(value: Fraction) -> bool:
    """Whether a non-negative rational is the square of a rational."""
    return all(math.isqrt(part) ** 2 == part for part in (value.numerator, value.denominator))


def _group(rng: random.Random, size: int) -> list[int]:
    """``size`` integers from -3 to 4, not all equal, redrawn (a bounded
    number of times) until their biased variance is a rational square: then
    the normalised values are exact fractions a student can work by hand."""
    for _ in range(200):
        values = [rng.randint(-3, 4) for _ in range(size)]
        mean = F(sum(values), size)
        var = sum((F(v) - mean) ** 2 for v in values) / size
        if var and _is_square(var):
            return values
    return values


def _x(rng: random.Random, drawn: Mapping[str, Any]) -> list[list[int]]:
    if drawn["kind"] == "batchnorm":  # each column is normalised over the batch
        n, d = 4, rng.choice((2, 3))
        columns = [_group(rng, n) for _ in range(d)]
        return [[columns[j][i] for j in range(d)] for i in range(n)]
    n, d = rng.choice((2, 3)), 4  # each row is normalised over its features
    return [_group(rng, d) for _ in range(n)]


def _gain(rng: random.Random, drawn: Mapping[str, Any]) -> list[Any]:
    return [rng.choice((1, 1, 2, F(1, 2), 3)) for _ in drawn["x"][0]]


def _bias(rng: random.Random, drawn: Mapping[str, Any]) -> list[int]:
    return [rng.choice((0, 0, 1, -1, 2)) for _ in drawn["x"][0]]


def statistics(groups: list[list[Any]]) -> tuple[list[Any], list[Any]]:
    """Mean and biased variance (the mean squared deviation) of each group."""
    means = [sum(g, sympy.Integer(0)) / len(g) for g in groups]
    variances = [sum(((v - m) ** 2 for v in g), sympy.Integer(0)) / len(g) for g, m in zip(groups, means)]
    return means, variances


class Normalization(Family):
    name = "normalization"
    title = "Batch normalisation or layer normalisation of a small batch (training mode, as torch.nn)"
    params = (
        OneOf("kind", KINDS, Choice(KINDS), doc="batchnorm (each feature over the batch) or layernorm "
                                                "(each example over its features)"),
        Matrix("x", Computed(_x, "batchnorm: 4 examples x 2-3 features; layernorm: 2-3 examples x 4 features; "
                                 "integers from -3 to 4 whose normalised groups have a rational standard deviation"),
               low=-100, high=100, element="rational", length=(1, 6),
               doc="the batch: one row per example, one column per feature"),
        Vector("gain", Computed(_gain, "1, 2, 1/2 or 3 per feature"), low=-10, high=10, element="rational",
               length=(1, 6), doc="gain gamma (torch: weight), one per feature"),
        Vector("bias", Computed(_bias, "0, 1, -1 or 2 per feature"), low=-10, high=10, element="rational",
               length=(1, 6), doc="bias beta, one per feature"),
        Rat("momentum", Choice((F(1, 10), F(1, 2))), low=0, high=1,
            doc="batchnorm's running-average momentum: new = (1 - momentum) old + momentum batch"),
        Rat("eps", 0, low=0, high=1, doc="added to the variance under the square root"),
    )
    constraints = (
        "len(gain) == len(x[0]) and len(bias) == len(x[0])",
        "kind != 'batchnorm' or len(x) >= 2",
        "kind != 'layernorm' or len(x[0]) >= 2",
    )
    parts = (
        Part("a", ("mean", "var"), space="5cm"),
        Part("b", ("output",), space="6cm"),
        Part("c", ("running_mean", "running_var", "params"), space="4cm"),
    )

    def solve(self, p: Mapping[str, Any]) -> Solution:
        x = sympy.Matrix(to_sympy(p["x"]))
        gain, bias = to_sympy(p["gain"]), to_sympy(p["bias"])
        eps, momentum = to_sympy(p["eps"]), to_sympy(p["momentum"])
        n, d = x.shape
        batch = p["kind"] == "batchnorm"
        groups = [list(x[:, j]) for j in range(d)] if batch else [list(x[i, :]) for i in range(n)]
        means, variances = statistics(groups)
        for k, var in enumerate(variances):
            if var + eps == 0:
                what = f"feature {k + 1}" if batch else f"example {k + 1}"
                raise ValueError(f"{what} has variance 0 and eps = 0, so normalising divides by 0; "
                                 "set eps > 0 or give it values that differ")
        scales = [1 / sympy.sqrt(var + eps) for var in variances]
        out = sympy.zeros(n, d)
        normalised = sympy.zeros(n, d)
        for i in range(n):
            for j in range(d):
                k = j if batch else i
                normalised[i, j] = sympy.radsimp((x[i, j] - means[k]) * scales[k])
                out[i, j] = sympy.radsimp(gain[j] * normalised[i, j] + bias[j])
        running_mean = running_var = None
        unbiased = []
        if batch:
            unbiased = [var * n / (n - 1) for var in variances]
            running_mean = [momentum * m for m in means]
            running_var = [(1 - momentum) + momentum * u for u in unbiased]
        exact = all(v.is_Rational for v in out)
        steps = {
            "n": n, "d": d, "groups": groups, "deviations": [[v - m for v in g] for g, m in zip(groups, means)],
            "roots": [sympy.sqrt(var + eps) for var in variances], "normalised": normalised.tolist(),
            "unbiased": unbiased, "exact": exact, "keep": 1 - momentum,
            "output_approx": None if exact else [[v if v.is_Rational else approx(v, 4) for v in row]
                                                 for row in out.tolist()],
        }
        answers = {"mean": means, "var": variances, "output": out.tolist(), "running_mean": running_mean,
                   "running_var": running_var, "params": sympy.Integer(2 * d)}
        return Solution(answers, steps)

    def check(self, p: Mapping[str, Any]) -> dict[str, Any]:
        # Second route: stdlib Fractions; the variance as E[x^2] - E[x]^2;
        # layer norm as batch norm of the transposed batch (it normalises
        # rows where batch norm normalises columns); the parameters counted
        # from the affine tensors' shapes.
        x = [[F(v) for v in row] for row in p["x"]]
        batch = p["kind"] == "batchnorm"
        columns = [list(col) for col in zip(*x)] if batch else x
        means = [sum(col) / len(col) for col in columns]
        variances = [sum(v * v for v in col) / len(col) - m * m for col, m in zip(columns, means)]
        eps = F(p["eps"])
        std = [sympy.sqrt(sympy.Rational(var + eps)) for var in variances]
        table = [[(v - means[k]) for v in col] for k, col in enumerate(columns)]
        by_group = [[sympy.Rational(dev) / std[k] for dev in devs] for k, devs in enumerate(table)]
        rows = [list(r) for r in zip(*by_group)] if batch else by_group
        gain, bias = [sympy.Rational(F(g)) for g in p["gain"]], [sympy.Rational(F(b)) for b in p["bias"]]
        output = [[sympy.radsimp(gain[j] * v + bias[j]) for j, v in enumerate(r)] for r in rows]
        n = len(x)
        running = {"running_mean": None, "running_var": None}
        if batch:
            m = F(p["momentum"])
            sample_var = [sum((v - mu) ** 2 for v in col) / (n - 1) for col, mu in zip(columns, means)]
            running = {"running_mean": [(1 - m) * 0 + m * mu for mu in means],
                       "running_var": [(1 - m) * 1 + m * s for s in sample_var]}
        shapes = {"weight": (len(x[0]),), "bias": (len(x[0]),)}
        return {"mean": means, "var": variances, "output": output, **running,
                "params": sum(s[0] for s in shapes.values())}


@hookimpl
def genexam_families() -> list[type[Family]]:
    return [Normalization]
