"""softmax_cross_entropy: softmax probabilities with a temperature, the
cross-entropy loss with label smoothing (as torch.nn.functional.cross_entropy
defines it), its gradient with respect to the logits, and why implementations
subtract the largest logit first."""

from __future__ import annotations

import random
from fractions import Fraction
from typing import Any, Mapping

import sympy

from genexam import hookimpl
from genexam.decimals import approx
from genexam.distributions import Choice, Computed
from genexam.family import Family, Part, Solution
from genexam.logsumexp import canonical
from genexam.params import Int, Rat, Vector
from genexam.values import to_sympy


def _logits(rng: random.Random, drawn: Mapping[str, Any]) -> list[int]:
    """3 or 4 integers from -2 to 3, not all equal (equal logits give the uniform distribution)."""
    while True:
        logits = [rng.randint(-2, 3) for _ in range(rng.randint(3, 4))]
        if len(set(logits)) > 1:
            return logits


def _target(rng: random.Random, drawn: Mapping[str, Any]) -> int:
    return rng.randrange(len(drawn["logits"]))


def smoothed_target(k: int, target: int, eps: sympy.Rational) -> list[sympy.Rational]:
    """PyTorch's label smoothing: q_i = (1 - eps) [i = target] + eps / K."""
    return [(1 - eps) * (1 if i == target else 0) + eps / k for i in range(k)]


def _validated(p: Mapping[str, Any]) -> tuple[list[Any], int, Any, Any]:
    logits = to_sympy(list(p["logits"]))
    target, temperature, eps = p["target"], to_sympy(p["temperature"]), to_sympy(p["label_smoothing"])
    if not 0 <= target < len(logits):
        raise ValueError(f"target = {target} is not a class index 0..{len(logits) - 1} (0-based, as PyTorch)")
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, found {temperature}")
    if not 0 <= eps <= 1:
        raise ValueError(f"label_smoothing must lie in [0, 1], found {eps}")
    return logits, target, temperature, eps


class SoftmaxCrossEntropy(Family):
    name = "softmax_cross_entropy"
    title = "Softmax with temperature, cross-entropy with label smoothing, and its gradient"
    params = (
        Vector("logits", Computed(_logits, "3 or 4 integers from -2 to 3, not all equal"), low=-20, high=20,
               element="rational", length=(2, 6), doc="the logits z_0, ..., z_{K-1}"),
        Int("target", Computed(_target, "a class index 0..K-1, uniformly"), low=0, high=5,
            doc="the true class, 0-based as PyTorch indexes classes"),
        Rat("temperature", Choice((1, 1, 2, Fraction(1, 2))), low=Fraction(1, 100), high=100,
            doc="T > 0: the probabilities are softmax(z / T)"),
        Rat("label_smoothing", Choice((0, 0, Fraction(1, 10), Fraction(1, 5))), low=0, high=1,
            doc="epsilon of torch.nn.functional.cross_entropy: target q_i = (1 - eps) [i = target] + eps / K"),
    )
    constraints = ("target < len(logits)", "temperature > 0")
    parts = (
        Part("a", ("probs",), space="5cm"),
        Part("b", ("loss",), space="4cm"),
        Part("c", ("grad_logits",), space="5cm"),
        Part("d", (), space="4cm"),
    )

    def solve(self, p: Mapping[str, Any]) -> Solution:
        z, target, temperature, eps = _validated(p)
        k = len(z)
        scaled = [zi / temperature for zi in z]
        top = max(scaled)
        shifted = [s - top for s in scaled]  # every exponent <= 0: nothing overflows
        exps = [sympy.exp(u) for u in shifted]
        denominator = sum(exps, sympy.Integer(0))
        probs = [e / denominator for e in exps]
        q = smoothed_target(k, target, eps)
        # loss = -sum q_i log p_i with log p_i = u_i - log D and sum q_i = 1.
        loss = sympy.log(denominator) - sum((qi * u for qi, u in zip(q, shifted)), sympy.Integer(0))
        grad = [(pi - qi) / temperature for pi, qi in zip(probs, q)]
        steps = {
            "k": k, "scaled": scaled, "top": top, "shifted": shifted, "exps": exps, "denominator": denominator,
            "q": q, "smoothed": eps != 0, "tempered": temperature != 1,
            "cross_term": sum((qi * u for qi, u in zip(q, shifted)), sympy.Integer(0)),
            "probs_approx": [approx(v, 4) for v in probs],
            "loss_approx": approx(loss, 4),
            "grad_approx": [approx(v, 4) for v in grad],
            "p_target": probs[target],
            # p_i as e^{u_i} over the sum, printed as one fraction (sympy would move e^{-3/2} below the bar).
            "overflow": [zi * 1000 for zi in z],
        }
        return Solution({"probs": probs, "loss": loss, "grad_logits": grad}, steps)

    def check(self, p: Mapping[str, Any]) -> dict[str, Any]:
        # Second route: no shift by the max. The loss as a sympy expression in
        # symbols z_i, -sum q_i (z_i / T - log sum_j exp(z_j / T)), differentiated
        # by sympy.diff and evaluated at the logits.
        z, target, temperature, eps = _validated(p)
        k = len(z)
        symbols = sympy.symbols(f"z0:{k}", real=True)
        exps = [sympy.exp(s / temperature) for s in symbols]
        log_partition = sympy.log(sum(exps))
        q = smoothed_target(k, target, eps)
        loss = -sum(qi * (s / temperature - log_partition) for qi, s in zip(q, symbols))
        at = dict(zip(symbols, z))
        probs = [(e / sum(exps)).subs(at) for e in exps]
        # Written with the largest exponent taken out of every sum of exponentials,
        # the form solve prints (sympy cannot show log(e^4 + 1) = 4 + log(1 + e^-4)).
        return {"probs": [canonical(v) for v in probs], "loss": canonical(loss.subs(at)),
                "grad_logits": [canonical(sympy.diff(loss, s).subs(at)) for s in symbols]}


@hookimpl
def genexam_families() -> list[type[Family]]:
    return [SoftmaxCrossEntropy]
