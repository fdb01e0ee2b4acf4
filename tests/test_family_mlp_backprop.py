"""mlp_backprop: a hand-worked network through the CLI, relu'(0) = 0 as PyTorch
takes it, shapes refused with a message, and torch.nn.Linear + autograd
(float64, F.mse_loss / F.cross_entropy) over 200 seeds."""

from __future__ import annotations

import json
import random

import pytest
import sympy

from answers_util import close, rounded
from conftest import require_torch, run_solve
from genexam.plugins.mlp_backprop import MlpBackprop
from genexam.sampling import draw_params

NET = ("n_in=2", "n_hidden=2", "x=[1, 1]", "W1=[[1, 1], [-1, -2]]", "b1=[0, -1]")


def solved(*sets: str) -> dict:
    run = run_solve("mlp_backprop", *sets, json=True)
    assert run.code == 0, run.stderr
    return json.loads(run.stdout)["answers"]


def test_relu_mse_by_hand():
    # z = (2, -4), h = (2, 0), o = 2 + 0 + 1 = 3, L = (3 - (-2))^2 = 25; dL/do = 2 * 5 = 10,
    # dW2 = 10 h^T = (20, 0); dh = W2^T 10 = (10, 10); relu' = (1, 0); db1 = (10, 0), dW1 = db1 x^T.
    answers = solved("activation=relu", "loss=mse", *NET, "n_out=1", "W2=[[1, 1]]", "b2=[1]", "y=[-2]")
    assert answers == {"hidden": [2, 0], "output": [3], "loss": 25, "grad_W2": [[20, 0]], "grad_b2": [10],
                       "grad_W1": [[10, 10], [0, 0]], "grad_b1": [10, 0]}


def test_mse_is_the_mean_over_the_outputs():
    # two outputs: o = (3, 2 - 0) with W2 = [[1, 1], [1, 0]], b2 = (1, 0); y = (0, 0): L = (9 + 4) / 2
    answers = solved("activation=relu", "loss=mse", *NET, "n_out=2", "W2=[[1, 1], [1, 0]]", "b2=[1, 0]",
                     "y=[0, 0]")
    assert answers["output"] == [3, 2] and answers["loss"] == "13/2"
    assert answers["grad_b2"] == [3, 2]  # 2/2 * (o - y)


def test_relu_gradient_at_exactly_zero_is_zero_as_in_torch():
    torch = require_torch()
    # z_1 = 1 + 1 - 2 = 0 exactly: PyTorch's relu passes no gradient there.
    sets = ("activation=relu", "loss=mse", "n_in=2", "n_hidden=2", "x=[1, 1]", "W1=[[1, 1], [1, 1]]",
            "b1=[0, -2]", "n_out=1", "W2=[[1, 1]]", "b2=[0]", "y=[1]")
    answers = solved(*sets)
    assert answers["grad_b1"][1] == 0 and answers["grad_W1"][1] == [0, 0]
    z = torch.tensor([0.0], dtype=torch.float64, requires_grad=True)
    torch.relu(z).sum().backward()
    assert z.grad.item() == 0.0


def test_softmax_ce_by_hand():
    # h = (2, 0), o = W2 h + b2 = (2, 0) with W2 = [[1, 0], [0, 1]], b2 = 0; t = 1:
    # p = (1, e^-2) / (1 + e^-2), L = log(1 + e^-2) + 2, dL/do = p - e_1
    answers = solved("activation=relu", "loss=softmax_ce", *NET, "n_out=2", "W2=[[1, 0], [0, 1]]", "b2=[0, 0]",
                     "target=1")
    e = sympy.exp(-2)
    assert sympy.simplify(sympy.sympify(answers["loss"]) - (2 + sympy.log(1 + e))) == 0
    assert sympy.simplify(sympy.sympify(answers["grad_b2"][1]) - (e / (1 + e) - 1)) == 0
    assert sympy.simplify(sympy.sympify(answers["grad_W2"][0][0]) - 2 / (1 + e)) == 0


def test_shapes_that_do_not_match_are_named():
    run = run_solve("mlp_backprop", "n_in=2", "n_hidden=2", "W1=[[1, 1, 1], [1, 1, 1]]")
    assert run.code == 2 and "Traceback" not in run.stderr
    assert "len(W1) == n_hidden and len(W1[0]) == n_in" in run.stderr


def test_default_draws_avoid_the_relu_kink():
    for seed in range(100):
        p = draw_params(MlpBackprop, random.Random(seed))
        z = [sum(w * x for w, x in zip(row, p["x"])) + b for row, b in zip(p["W1"], p["b1"])]
        assert all(z), (seed, p)


# -- torch ---------------------------------------------------------------------------



def torch_network(torch, p: dict):
    """nn.Linear layers holding the instance's weights; loss and gradients by autograd."""
    F = torch.nn.functional

    def tensor(rows):
        return torch.tensor([[float(v) for v in row] for row in rows], dtype=torch.float64)

    first = torch.nn.Linear(p["n_in"], p["n_hidden"]).double()
    second = torch.nn.Linear(p["n_hidden"], p["n_out"]).double()
    with torch.no_grad():
        first.weight.copy_(tensor(p["W1"]))
        first.bias.copy_(tensor([p["b1"]])[0])
        second.weight.copy_(tensor(p["W2"]))
        second.bias.copy_(tensor([p["b2"]])[0])
    act = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh}[p["activation"]]
    h = act(first(tensor([p["x"]])))
    o = second(h)
    if p["loss"] == "mse":
        loss = F.mse_loss(o, tensor([p["y"]]))
    else:
        loss = F.cross_entropy(o, torch.tensor([p["target"]]))
    loss.backward()
    return h[0], o[0], loss, first, second


def sweep(seeds: range) -> None:
    torch = require_torch()
    family = MlpBackprop()
    for seed in seeds:
        p = draw_params(MlpBackprop, random.Random(seed))
        solution = family.solve(p)
        answers, steps = solution.answers, solution.steps
        h, o, loss, first, second = torch_network(torch, p)
        assert close(answers["loss"], loss.item()), (seed, p)
        if not answers["loss"].is_Rational:
            assert steps["loss_approx"] == rounded(answers["loss"]), seed
        for j in range(p["n_hidden"]):
            assert close(answers["hidden"][j], h[j].item()), (seed, j)
        for k in range(p["n_out"]):
            assert close(answers["output"][k], o[k].item()), (seed, k)
        for name, module, grad_w, grad_b in (("first", first, "grad_W1", "grad_b1"),
                                             ("second", second, "grad_W2", "grad_b2")):
            for i, row in enumerate(answers[grad_w]):
                assert close(answers[grad_b][i], module.bias.grad[i].item()), (seed, p, name, i)
                for j, value in enumerate(row):
                    assert close(value, module.weight.grad[i, j].item()), (seed, p, name, i, j)
        for i, row in enumerate(answers["grad_W1"]):
            for j, value in enumerate(row):
                if not value.is_Rational:
                    assert steps["grad_W1_approx"][i][j] == rounded(value), (seed, i, j)


def test_matches_torch_autograd_on_20_seeds():
    sweep(range(20))


@pytest.mark.sweep
def test_matches_torch_autograd_on_200_seeds():
    sweep(range(200))
