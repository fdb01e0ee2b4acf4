"""gaussian_kl: KL(N(mu, diag sigma^2) || N(0, I)) exactly, checked by hand, by quadrature and by torch."""

from __future__ import annotations

import json
import math

import sympy

from conftest import require_torch, run_genexam, run_solve
from test_cli import solve

LOG2, LOG3 = sympy.log(2), sympy.log(3)


def kl(mu: str, sigma: str) -> sympy.Expr:
    return sympy.sympify(solve("gaussian_kl", f"mu={mu}", f"sigma={sigma}")["answers"]["kl"])


def test_the_prior_itself_has_zero_divergence():
    assert kl("[0,0]", "[1,1]") == 0


def test_hand_computed_cases():
    # 1/2 [(1 + 1/4 - 1 - log(1/4)) + (0 + 4 - 1 - log 4)] = 1/2 (1/4 + 3) = 13/8: the logs cancel
    assert kl("[1,0]", "[1/2,2]") == sympy.Rational(13, 8)
    # 1/2 [(1/4 + 2 log 2) + (5/4 - 2 log 3 + 2 log 2)] = 3/4 + 2 log 2 - log 3
    assert sympy.simplify(kl("[1,0]", "[1/2,3/2]") - (sympy.Rational(3, 4) + 2 * LOG2 - LOG3)) == 0
    # one dimension, mean only: mu^2 / 2
    assert kl("[3]", "[1]") == sympy.Rational(9, 2)
    # log 6 is split into primes: 1/2 (36 - 1 - 2 log 6)
    assert sympy.expand(kl("[0]", "[6]")) == sympy.Rational(35, 2) - LOG2 - LOG3


def _quadrature_kl(mu: float, sigma: float, steps: int = 4000) -> float:
    """E_q[log q - log p] in one dimension by Simpson's rule over mu +- 12 sigma."""
    def log_q(z: float) -> float:
        return -0.5 * ((z - mu) / sigma) ** 2 - math.log(sigma) - 0.5 * math.log(2 * math.pi)

    def log_p(z: float) -> float:
        return -0.5 * z * z - 0.5 * math.log(2 * math.pi)

    lo, hi = mu - 12 * sigma, mu + 12 * sigma
    width = (hi - lo) / steps
    total = 0.0
    for i in range(steps + 1):
        z = lo + i * width
        weight = 1 if i in (0, steps) else (4 if i % 2 else 2)
        total += weight * math.exp(log_q(z)) * (log_q(z) - log_p(z))
    return total * width / 3


def test_agrees_with_numerical_integration():
    for mu, sigma in (([1, -2], ["1/2", "2"]), ([0, 2, -1], ["3/2", "1/3", "1"]), ([-3], ["5/4"])):
        exact = kl(json.dumps(mu), "[" + ",".join(sigma) + "]")
        numeric = sum(_quadrature_kl(m, float(sympy.Rational(s))) for m, s in zip(mu, sigma))
        assert abs(float(exact) - numeric) < 1e-9, (mu, sigma, exact, numeric)


def test_agrees_with_torch_kl_divergence():
    mu, sigma = [1, -2, 0], ["1/2", "2", "3/2"]
    exact = kl(json.dumps(mu), "[" + ",".join(sigma) + "]")
    torch = require_torch()
    q = torch.distributions.Normal(torch.tensor(mu, dtype=torch.float64),
                                   torch.tensor([float(sympy.Rational(s)) for s in sigma], dtype=torch.float64))
    p = torch.distributions.Normal(torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64))
    assert abs(torch.distributions.kl_divergence(q, p).sum().item() - float(exact)) < 1e-12


def test_derivation_parts_have_no_answers_and_build(tmp_path):
    spec = tmp_path / "vae.yaml"
    spec.write_text("title: VAE\nseed: 1\nversions: 2\nproblems:\n  - family: gaussian_kl\n    points: [4, 2, 4]\n")
    run = run_genexam("build", str(spec), "-o", str(tmp_path / "out"), "--format", "md,json")
    assert run.code == 0, run.stderr
    record = json.loads((tmp_path / "out" / "answers.json").read_text())["versions"][0]["problems"][0]
    assert record["parts"] == ["a", "b", "c"]
    assert list(record["answers"]) == ["kl"]
    key = (tmp_path / "out" / "key-A.md").read_text()
    assert "reconstruction term" in key and "regularisation term" in key and "Jensen" in key


def test_impossible_parameters_give_a_clear_message():
    for sets, words in ((["sigma=[0, 1]"], "min(sigma) > 0"), (["sigma=[-1, 1]"], "outside the allowed range"),
                        (["mu=[1, 2, 3]", "sigma=[1, 1]"], "len(mu) == len(sigma)")):
        run = run_solve("gaussian_kl", *sets)
        assert run.code != 0
        assert words in run.stderr, run.stderr
        assert "Traceback" not in run.stderr
