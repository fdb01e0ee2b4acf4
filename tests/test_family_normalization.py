"""normalization: hand-worked batches through the CLI, the zero-variance error,
and torch.nn.BatchNorm1d / LayerNorm in training mode (float64) over many seeds."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest
import sympy

from answers_util import close
from conftest import require_torch, run_solve
from test_cli import solve

from genexam.plugins.normalization import Normalization
from genexam.sampling import draw_params


def test_batchnorm_by_hand():
    # columns (1, 3) and (0, 4): means 2 and 2, biased variances 1 and 4, outputs -1, 1;
    # running mean 1/10 * 2 = 1/5; unbiased variances 2 and 8: 9/10 + 2/10 = 11/10, 9/10 + 8/10 = 17/10
    answers = solve("normalization", "kind=batchnorm", "x=[[1, 0], [3, 4]]", "gain=[1, 2]", "bias=[0, 1]",
                    "momentum=1/10", "eps=0")["answers"]
    assert answers["mean"] == [2, 2] and answers["var"] == [1, 4]
    assert answers["output"] == [[-1, -1], [1, 3]]
    assert answers["running_mean"] == ["1/5", "1/5"] and answers["running_var"] == ["11/10", "17/10"]
    assert answers["params"] == 4


def test_layernorm_by_hand_has_no_running_statistics():
    # row (0, 2, 4, 6): mean 3, variance (9 + 1 + 1 + 9)/4 = 5; row (1, 1, 3, 3): mean 2, variance 1
    answers = solve("normalization", "kind=layernorm", "x=[[0, 2, 4, 6], [1, 1, 3, 3]]", "gain=[1, 1, 1, 1]",
                    "bias=[0, 0, 0, 0]", "eps=0")["answers"]
    assert answers["mean"] == [3, 2] and answers["var"] == [5, 1]
    assert answers["output"][1] == [-1, -1, 1, 1]
    assert sympy.sympify(answers["output"][0][0]) == -3 / sympy.sqrt(5)
    assert answers["running_mean"] is None and answers["running_var"] is None and answers["params"] == 8


def test_eps_enters_under_the_root():
    answers = solve("normalization", "kind=batchnorm", "x=[[1], [2]]", "gain=[1]", "bias=[0]",
                    "eps=3/4")["answers"]
    assert answers["output"] == [["-1/2"], ["1/2"]]  # (1 - 3/2) / sqrt(1/4 + 3/4)


def test_zero_variance_without_eps_is_a_clear_error():
    run = run_solve("normalization", "kind=batchnorm", "x=[[1, 0], [1, 4]]", "gain=[1, 1]", "bias=[0, 0]",
                    "eps=0")
    assert run.code == 2 and "Traceback" not in run.stderr
    assert "feature 1 has variance 0" in run.stderr and "eps > 0" in run.stderr


def test_one_example_cannot_be_batch_normalised():
    run = run_solve("normalization", "kind=batchnorm", "x=[[1, 2]]", "gain=[1, 1]", "bias=[0, 0]")
    assert run.code == 2 and "len(x) >= 2" in run.stderr


def test_default_draws_give_exact_rational_outputs():
    for seed in range(100):
        p = draw_params(Normalization, random.Random(seed))
        answers = Normalization().solve(p).answers
        assert all(v.is_Rational for row in answers["output"] for v in row), (seed, p)


# -- torch.nn ---------------------------------------------------------------------

def torch_normalise(torch, p):
    x = torch.tensor([[float(Fraction(v)) for v in row] for row in p["x"]], dtype=torch.float64)
    d = x.shape[1]
    # torch refuses eps = 0 for batch norm in training; 1e-300 is 0 next to any variance here in float64
    eps = float(Fraction(p["eps"])) or 1e-300
    if p["kind"] == "batchnorm":
        layer = torch.nn.BatchNorm1d(d, eps=eps, momentum=float(Fraction(p["momentum"])), dtype=torch.float64)
    else:
        layer = torch.nn.LayerNorm(d, eps=eps, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([float(Fraction(g)) for g in p["gain"]], dtype=torch.float64))
        layer.bias.copy_(torch.tensor([float(Fraction(b)) for b in p["bias"]], dtype=torch.float64))
    layer.train()
    y = layer(x)
    dim = 0 if p["kind"] == "batchnorm" else 1
    out = {"output": y.tolist(), "mean": x.mean(dim=dim).tolist(), "var": x.var(dim=dim, unbiased=False).tolist(),
           "params": sum(t.numel() for t in layer.parameters() if t.requires_grad)}
    if p["kind"] == "batchnorm":
        out["running_mean"] = layer.running_mean.tolist()
        out["running_var"] = layer.running_var.tolist()
    return out



def compare_with_torch(seeds, eps=None):
    torch = require_torch()
    for seed in seeds:
        p = draw_params(Normalization, random.Random(seed))
        if eps is not None:
            p = p | {"eps": eps}
        answers = Normalization().solve(p).answers
        ours = torch_normalise(torch, p)
        assert answers["params"] == ours["params"]
        for key in ("mean", "var", "running_mean", "running_var"):
            if key in ours:
                assert all(close(e, v) for e, v in zip(answers[key], ours[key])), (seed, key, p)
            else:
                assert answers[key] is None
        for row_e, row_t in zip(answers["output"], ours["output"]):
            assert all(close(e, v) for e, v in zip(row_e, row_t)), (seed, p)


def test_matches_torch_on_20_seeds():
    compare_with_torch(range(20))
    compare_with_torch(range(20), eps=Fraction(1, 10))


@pytest.mark.sweep
def test_matches_torch_on_200_seeds():
    compare_with_torch(range(200))
    compare_with_torch(range(200), eps=Fraction(1, 100))
