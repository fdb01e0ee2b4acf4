"""attention_ops: multiplications and parameters of a self-attention layer."""

from __future__ import annotations

from typing import Any, Mapping

import sympy

from genexam import hookimpl
from genexam.distributions import Choice, RandInt
from genexam.family import Family, Part, Solution
from genexam.params import Bool, Int

N = sympy.Symbol("n", positive=True, integer=True)


class AttentionOps(Family):
    name = "attention_ops"
    title = "Multiplications and parameters of a self-attention layer"
    params = (
        Int("n", RandInt(20, 100), low=1, high=100_000, doc="number of tokens"),
        Int("d_model", Choice((64, 100, 128, 256)), low=1, high=65_536, doc="token width"),
        Int("d_k", RandInt(8, 64), low=1, high=65_536, doc="query/key width per head"),
        Int("d_v", RandInt(8, 64), low=1, high=65_536, doc="value width per head"),
        Int("heads", 1, low=1, high=128, doc="number of heads"),
        Bool("out_proj", False, doc="whether the heads' outputs are projected back to d_model"),
        Bool("bias", False, doc="whether the projections have bias vectors"),
    )
    parts = (
        Part("a", ("qkv_mults", "score_mults", "weighted_sum_mults", "out_proj_mults",
                   "total_mults", "total_mults_in_n"), space="7cm"),
        Part("b", ("params",), space="3cm"),
    )

    def solve(self, p: Mapping[str, Any]) -> Solution:
        h, d, dk, dv = p["heads"], p["d_model"], p["d_k"], p["d_v"]
        # Each count as a polynomial in n first, so the key can show the formula.
        per_n = {
            "qkv_mults": h * N * d * (2 * dk + dv),
            "score_mults": h * N**2 * dk,
            "weighted_sum_mults": h * N**2 * dv,
            "out_proj_mults": h * dv * d * N if p["out_proj"] else sympy.Integer(0),
        }
        total_in_n = sympy.expand(sum(per_n.values()))
        answers: dict[str, Any] = {k: int(v.subs(N, p["n"])) for k, v in per_n.items()}
        answers["total_mults"] = int(total_in_n.subs(N, p["n"]))
        answers["total_mults_in_n"] = total_in_n
        weights = h * d * (2 * dk + dv) + (h * dv * d if p["out_proj"] else 0)
        biases = (h * (2 * dk + dv) + (d if p["out_proj"] else 0)) if p["bias"] else 0
        answers["params"] = weights + biases
        rows = {"q": h * N * d * dk, "k": h * N * d * dk, "v": h * N * d * dv}
        steps = {"per_n": per_n, "rows": rows, "weights": weights, "biases": biases}
        return Solution(answers, steps)

    def check(self, p: Mapping[str, Any]) -> dict[str, Any]:
        # Second route: list every matrix product and weight tensor by shape,
        # and recover the polynomial in n from the counts at n = 1 and n = 2.
        h, d, dk, dv = p["heads"], p["d_model"], p["d_k"], p["d_v"]

        def mults(a: tuple[int, int], b: tuple[int, int]) -> int:
            assert a[1] == b[0], "shapes must chain"
            return a[0] * a[1] * b[1]

        def count(n: int) -> dict[str, int]:
            totals = {"qkv_mults": 0, "score_mults": 0, "weighted_sum_mults": 0, "out_proj_mults": 0}
            for _ in range(h):
                for width in (dk, dk, dv):
                    totals["qkv_mults"] += mults((n, d), (d, width))  # X @ W
                totals["score_mults"] += mults((n, dk), (dk, n))  # Q @ K^T
                totals["weighted_sum_mults"] += mults((n, n), (n, dv))  # A @ V
            if p["out_proj"]:
                totals["out_proj_mults"] += mults((n, h * dv), (h * dv, d))
            totals["total_mults"] = sum(totals.values())
            return totals

        tensors = []
        for _ in range(h):
            for width in (dk, dk, dv):
                tensors += [d * width] + ([width] if p["bias"] else [])
        if p["out_proj"]:
            tensors += [h * dv * d] + ([d] if p["bias"] else [])
        at1, at2 = count(1)["total_mults"], count(2)["total_mults"]
        quadratic = sympy.Rational(at2 - 2 * at1, 2)  # c(n) = A n^2 + B n
        answers: dict[str, Any] = count(p["n"])
        answers["total_mults_in_n"] = quadratic * N**2 + (at1 - quadratic) * N
        answers["params"] = sum(tensors)
        return answers


@hookimpl
def genexam_families() -> list[type[Family]]:
    return [AttentionOps]
