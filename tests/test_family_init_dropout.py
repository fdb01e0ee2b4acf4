"""init_dropout: hand-worked values through the CLI, and torch.nn.init's own
gains and empirical statistics (fixed torch seed, float64), a stack of layers
run forward, and nn.Dropout in training mode, over 200 draws."""

from __future__ import annotations

import json
import math
import random

import pytest
import sympy

from conftest import require_torch, run_solve

from genexam.plugins.init_dropout import InitDropout
from genexam.sampling import draw_params


def solve(*sets: str) -> dict:
    run = run_solve("init_dropout", *sets, json=True)
    assert run.code == 0, run.stderr
    return json.loads(run.stdout)["answers"]


def test_kaiming_normal_relu_keeps_the_variance_through_depth():
    # std = sqrt(2 / 256) = sqrt(2)/16; Var(y_1) = 256 * 2/256 = 2, then x 2 x 1/2 per layer: 2
    answers = solve("init=kaiming_normal", "nonlinearity=relu", "fan_in=256", "fan_out=100", "layers=10",
                    "p=1/4", "x=3")
    assert sympy.sympify(answers["std"]) == sympy.sqrt(2) / 16 and answers["bound"] is None
    assert answers["activation_var"] == 2
    assert answers["scale"] == "4/3" and answers["expectation"] == 3


def test_xavier_uniform_with_relu_halves_the_variance_per_layer():
    # Var(w) = 2 / (100 + 300) = 1/200, bound sqrt(3/200); Var(y_1) = 100/200 = 1/2; x 1/4 per layer
    answers = solve("init=xavier_uniform", "nonlinearity=relu", "fan_in=100", "fan_out=300", "layers=5")
    assert sympy.sympify(answers["std"]) == sympy.sqrt(sympy.Rational(1, 200))
    assert sympy.sympify(answers["bound"]) == sympy.sqrt(sympy.Rational(3, 200))
    assert sympy.Rational(answers["activation_var"]) == sympy.Rational(1, 2) ** 5 * sympy.Rational(1, 2) ** 4


def test_kaiming_fan_out_mode_and_leaky_relu_gain():
    answers = solve("init=kaiming_uniform", "nonlinearity=leaky_relu", "a=1/5", "mode=fan_out", "fan_in=128",
                    "fan_out=512", "layers=3")
    gain2 = sympy.Rational(2) / (1 + sympy.Rational(1, 25))
    assert sympy.simplify(sympy.sympify(answers["bound"]) - sympy.sqrt(3 * gain2 / 512)) == 0
    per_layer = 128 * gain2 / 512
    assert sympy.Rational(answers["activation_var"]) == per_layer**3 * (sympy.Rational(26, 50)) ** 2


def torch_init(torch, p: dict, shape: tuple[int, int]):
    """A weight tensor initialised by torch.nn.init exactly as the statement calls it."""
    w = torch.empty(*shape, dtype=torch.float64)
    init = p["init"]
    if init.startswith("xavier"):
        getattr(torch.nn.init, init + "_")(w, gain=float(p["gain"]))
    else:
        getattr(torch.nn.init, init + "_")(w, a=float(p["a"]) if p["nonlinearity"] == "leaky_relu" else 0,
                                           mode=p["mode"], nonlinearity=p["nonlinearity"])
    return w


def check_depth(torch, p: dict, solution, std: float) -> None:
    """The variance through min(layers, 3) layers of width fan_in, run forward in float64. It is
    an expectation over the weights too: a ReLU's mean gives each unit an offset fixed by its
    weights, so average over many weight draws rather than one wide batch (the spread of 16
    draws at 200 seeds stayed under 7%; a wrong gain or ReLU factor is off by 2x or more)."""
    depth = min(p["layers"], 3)
    f = {"relu": torch.relu, "linear": lambda y: y,
         "leaky_relu": lambda y: torch.nn.functional.leaky_relu(y, float(p["a"]))}[p["nonlinearity"]]
    estimates = []
    for _ in range(16):
        y = torch.randn(200, p["fan_in"], dtype=torch.float64)
        for layer in range(depth):
            w = torch.empty(p["fan_in"], p["fan_in"], dtype=torch.float64).normal_(0, std)
            y = (f(y) if layer else y) @ w.T
        estimates.append(float(y.var()))
    steps = solution.steps
    want = float(solution.answers["activation_var"]) if depth == p["layers"] else \
        float(steps["per_layer"] ** depth * steps["c"] ** (depth - 1))
    assert abs(sum(estimates) / len(estimates) / want - 1) < 0.15, (p, estimates, want)


def compare_with_torch(seeds: range, depth_every: int) -> None:
    """Every check on every seed, but the forward run through a stack (the
    costly one) only on every ``depth_every``-th seed."""
    torch = require_torch()
    for seed in seeds:
        p = draw_params(InitDropout, random.Random(seed))
        solution = InitDropout().solve(p)
        answers = solution.answers
        torch.manual_seed(seed)
        if not p["init"].startswith("xavier"):
            a = float(p["a"]) if p["nonlinearity"] == "leaky_relu" else None
            assert math.isclose(torch.nn.init.calculate_gain(p["nonlinearity"], a), float(solution.steps["gain"]),
                                rel_tol=1e-12)
        # The std, from 400 000+ weights (tensors of the layer's own shape, so torch sees the same fans).
        shape = (p["fan_out"], p["fan_in"])
        reps = max(1, 400_000 // (shape[0] * shape[1]))
        weights = torch.cat([torch_init(torch, p, shape).flatten() for _ in range(reps)])
        std = float(answers["std"])
        assert abs(float(weights.std()) / std - 1) < 0.01, (seed, p, float(weights.std()), std)
        if answers["bound"] is not None:
            bound = float(answers["bound"])
            top = float(weights.abs().max())
            assert top <= bound and top > bound * (1 - 50 / weights.numel()), (seed, top, bound)
        # One layer from torch.nn.init, and the activation's second moment on a million samples.
        x = torch.randn(1000, p["fan_in"], dtype=torch.float64)
        one = float((x @ torch_init(torch, p, shape).T).var())
        assert abs(one / float(solution.steps["first"]) - 1) < 0.15, (seed, one)
        f = {"relu": torch.relu, "linear": lambda y: y,
             "leaky_relu": lambda y: torch.nn.functional.leaky_relu(y, float(p["a"]))}[p["nonlinearity"]]
        y = torch.randn(1_000_000, dtype=torch.float64)
        assert abs(float(f(y).pow(2).mean()) / float(solution.steps["c"]) - 1) < 0.01
        if seed % depth_every == 0:
            check_depth(torch, p, solution, std)
        # Inverted dropout, training mode: kept units are x * scale, the mean is x.
        value, prob = float(p["x"]), float(p["p"])
        dropout = torch.nn.Dropout(prob).train()
        out = dropout(torch.full((200_000,), value, dtype=torch.float64))
        kept = out[out != 0]
        assert torch.allclose(kept, torch.full_like(kept, value * float(answers["scale"])), rtol=1e-12)
        spread = abs(value) * math.sqrt(prob / (1 - prob) / out.numel())
        assert abs(float(out.mean()) - float(answers["expectation"])) < 5 * spread + 1e-12


def test_agrees_with_torch_on_20_draws():
    compare_with_torch(range(20), depth_every=4)


@pytest.mark.sweep
def test_agrees_with_torch_on_200_draws():
    compare_with_torch(range(200), depth_every=5)
