"""optimizer_steps: hand-worked steps through the CLI, the 0/0 of Adam with
eps = 0, the figure, and torch.optim itself in float64 over many seeds."""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from fractions import Fraction

import pytest
import sympy

from answers_util import close
from conftest import require_torch, run_solve
from test_cli import solve

from genexam.plugins.optimizer_steps import OptimizerSteps, STATE, STATE_IDS
from genexam.sampling import draw_params


def rationals(values):
    return [sympy.Rational(v) for v in values]


def test_sgd_halves_the_distance_with_lr_one_half():
    answers = solve("optimizer_steps", "optimizer=sgd", "theta0=[3]", "a=[1]", "c=[0]", "lr=1/2",
                    "weight_decay=0", "steps=2")["answers"]
    assert answers["params"] == [["3/2"], ["3/4"]]
    assert answers["final_params"] == ["3/4"] and answers["final_loss"] == "9/32"
    assert all(answers[k] is None for k in STATE_IDS)


def test_momentum_buffer_starts_as_the_first_gradient():
    # g1 = 1, b1 = 1, theta1 = 1/2; g2 = 1/2, b2 = 1/2 + 1/2 = 1, theta2 = 0; g3 = 0, b3 = 1/2, theta3 = -1/4
    answers = solve("optimizer_steps", "optimizer=momentum", "theta0=[1]", "a=[1]", "c=[0]", "lr=1/2",
                    "momentum=1/2", "weight_decay=0", "steps=3")["answers"]
    assert answers["velocity"] == [[1], [1], ["1/2"]]
    assert answers["params"] == [["1/2"], [0], ["-1/4"]]


def test_nesterov_steps_along_gradient_plus_mu_buffer():
    # theta1 = 1 - 1/2 (1 + 1/2) = 1/4; g2 = 1/4, b2 = 3/4, theta2 = 1/4 - 1/2 (1/4 + 3/8) = -1/16
    answers = solve("optimizer_steps", "optimizer=nesterov", "theta0=[1]", "a=[1]", "c=[0]", "lr=1/2",
                    "momentum=1/2", "weight_decay=0", "steps=2")["answers"]
    assert answers["params"] == [["1/4"], ["-1/16"]] and answers["velocity"] == [[1], ["3/4"]]


def test_dampening_scales_later_gradients_only():
    # b1 = g1 = 2 (no dampening on the first), theta1 = 2 - 1/2*2 = 1; g2 = 1, b2 = 1/2*2 + (1 - 1/2)*1 = 3/2
    answers = solve("optimizer_steps", "optimizer=momentum", "theta0=[2]", "a=[1]", "c=[0]", "lr=1/2",
                    "momentum=1/2", "dampening=1/2", "weight_decay=0", "steps=2")["answers"]
    assert answers["velocity"] == [[2], ["3/2"]] and answers["params"] == [[1], ["1/4"]]


def test_adam_first_step_is_lr_against_the_gradient_sign_and_second_has_a_root():
    answers = solve("optimizer_steps", "optimizer=adam", "theta0=[2, -1]", "a=[1, 3]", "c=[0, 0]", "lr=1/10",
                    "betas=[1/2, 3/4]", "eps=0", "weight_decay=0", "steps=2")["answers"]
    assert answers["params"][0] == ["19/10", "-9/10"]
    assert answers["m"][0] == [1, "-3/2"] and answers["v"][0] == [1, "9/4"]
    assert answers["m_hat"][0] == [2, -3] and answers["v_hat"][0] == [4, 9]
    # m2 = 1/2 + 19/20 = 29/20, v2 = 3/4 + 361/400 = 661/400, m_hat = 29/15, v_hat = 661/175
    assert answers["m_hat"][1][0] == "29/15" and answers["v_hat"][1][0] == "661/175"
    theta2 = sympy.Rational(19, 10) - sympy.Rational(1, 10) * sympy.Rational(29, 15) / sympy.sqrt(sympy.Rational(661, 175))
    assert sympy.simplify(sympy.sympify(answers["params"][1][0]) - theta2) == 0
    assert answers["velocity"] is None


def test_adamw_decays_the_parameter_before_the_adam_step():
    # theta' = 2 (1 - 1/10 * 1/2) = 19/10, then - 1/10 * sign(g) = 9/5; Adam with coupled decay differs
    adamw = solve("optimizer_steps", "optimizer=adamw", "theta0=[2]", "a=[1]", "c=[0]", "lr=1/10",
                  "weight_decay=1/2", "eps=0", "steps=1", "betas=[9/10, 999/1000]")["answers"]
    adam = solve("optimizer_steps", "optimizer=adam", "theta0=[2]", "a=[1]", "c=[0]", "lr=1/10",
                 "weight_decay=1/2", "eps=0", "steps=1", "betas=[9/10, 999/1000]")["answers"]
    assert adamw["params"] == [["9/5"]] and adamw["m"] == [["1/5"]]  # m from the loss gradient 2 alone
    assert adam["params"] == [["19/10"]] and adam["m"] == [["3/10"]]  # coupled: g = 2 + 1/2 * 2 = 3


def test_rmsprop_with_a_square_one_minus_alpha_is_exact():
    # v1 = 1/4 * 4 = 1, theta1 = 2 - 1/2 * 2 / 1 = 1
    answers = solve("optimizer_steps", "optimizer=rmsprop", "theta0=[2]", "a=[1]", "c=[0]", "lr=1/2",
                    "alpha=3/4", "eps=0", "weight_decay=0", "steps=1")["answers"]
    assert answers["v"] == [[1]] and answers["params"] == [[1]] and answers["m"] is None


def test_eps_zero_with_a_zero_first_gradient_is_a_clear_error():
    run = run_solve("optimizer_steps", "optimizer=adam", "theta0=[1, 0]", "a=[1, 1]", "c=[0, 0]", "eps=0")
    assert run.code == 2 and "Traceback" not in run.stderr
    assert "divides 0 by 0" in run.stderr and "eps > 0" in run.stderr
    ok = solve("optimizer_steps", "optimizer=adam", "theta0=[1, 0]", "a=[1, 1]", "c=[0, 0]", "eps=1/10",
               "weight_decay=0", "steps=1", "lr=1/10")["answers"]
    assert ok["params"] == [["10/11", 0]]  # 1 - 1/10 * 1 / (1 + 1/10)


def test_figure_is_an_svg_with_one_ellipse_per_level_or_a_curve():
    for theta0, a, c in (([2, -1], [1, 3], [0, 0]), ([2], [1], [0])):
        p = draw_params(OptimizerSteps, random.Random(0))
        p |= {"optimizer": "sgd", "theta0": theta0, "a": a, "c": c, "lr": Fraction(1, 4), "weight_decay": 0,
              "steps": 3}
        svg = OptimizerSteps().solve(p).figures["path"]
        root = ET.fromstring(svg.encode())
        ns = "{http://www.w3.org/2000/svg}"
        ellipses = root.findall(f".//{ns}ellipse")
        assert len(ellipses) == (4 if len(theta0) == 2 else 0)
        assert len(root.findall(f".//{ns}circle")) == 4  # theta_0..theta_3
        assert svg == OptimizerSteps().solve(p).figures["path"]  # deterministic


def test_default_draws_are_exam_sized():
    optimizers = set()
    for seed in range(60):
        p = draw_params(OptimizerSteps, random.Random(seed))
        optimizers.add(p["optimizer"])
        answers = OptimizerSteps().solve(p).answers
        for step in answers["params"]:
            for value in step:
                assert len(sympy.sstr(value)) < 80, (seed, value)
    assert optimizers == {"sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw"}


# -- torch.optim ------------------------------------------------------------------

def torch_run(torch, p):
    """Run torch.optim on the same loss in float64; per step: params and state."""
    theta = torch.tensor([float(Fraction(v)) for v in p["theta0"]], dtype=torch.float64, requires_grad=True)
    a = torch.tensor([float(Fraction(v)) for v in p["a"]], dtype=torch.float64)
    c = torch.tensor([float(Fraction(v)) for v in p["c"]], dtype=torch.float64)
    f = lambda name: float(Fraction(p[name]))  # noqa: E731
    opt = p["optimizer"]
    if opt in ("sgd", "momentum", "nesterov"):
        kwargs = {} if opt == "sgd" else {"momentum": f("momentum"), "dampening": f("dampening"),
                                          "nesterov": opt == "nesterov"}
        optimizer = torch.optim.SGD([theta], lr=f("lr"), weight_decay=f("weight_decay"), **kwargs)
    elif opt == "rmsprop":
        optimizer = torch.optim.RMSprop([theta], lr=f("lr"), alpha=f("alpha"), eps=f("eps"),
                                        weight_decay=f("weight_decay"))
    else:
        cls = torch.optim.Adam if opt == "adam" else torch.optim.AdamW
        betas = tuple(float(Fraction(b)) for b in p["betas"])
        optimizer = cls([theta], lr=f("lr"), betas=betas, eps=f("eps"), weight_decay=f("weight_decay"))
    out = {k: [] for k in ("params", *STATE_IDS)}
    for t in range(1, p["steps"] + 1):
        optimizer.zero_grad()
        loss = (a / 2 * (theta - c) ** 2).sum()
        loss.backward()
        optimizer.step()
        state = optimizer.state[theta]
        out["params"].append(theta.detach().tolist())
        if opt in ("momentum", "nesterov"):
            out["velocity"].append(state["momentum_buffer"].tolist())
        if opt == "rmsprop":
            out["v"].append(state["square_avg"].tolist())
        if opt in ("adam", "adamw"):
            b1, b2 = (float(Fraction(b)) for b in p["betas"])
            out["m"].append(state["exp_avg"].tolist())
            out["v"].append(state["exp_avg_sq"].tolist())
            out["m_hat"].append((state["exp_avg"] / (1 - b1**t)).tolist())
            out["v_hat"].append((state["exp_avg_sq"] / (1 - b2**t)).tolist())
    return out



def compare_with_torch(seeds):
    torch = require_torch()
    for seed in seeds:
        p = draw_params(OptimizerSteps, random.Random(seed))
        answers = OptimizerSteps().solve(p).answers
        ours = torch_run(torch, p)
        for key in ("params", *STATE[p["optimizer"]]):
            for t, (exact_step, torch_step) in enumerate(zip(answers[key], ours[key])):
                for exact, value in zip(exact_step, torch_step):
                    assert close(exact, value), (seed, p, key, t, exact, value)
        # the printed decimals are torch's values to the digits shown
        solution = OptimizerSteps().solve(p)
        for printed, value in zip(solution.steps["final_params_approx"], ours["params"][-1]):
            if not printed.is_Rational:
                last = 10.0 ** (sympy.floor(sympy.log(abs(printed), 10)) - 3)
                assert abs(float(str(printed)) - value) <= last / 2 * (1 + 1e-9), (seed, printed, value)


def test_matches_torch_optim_on_20_seeds():
    compare_with_torch(range(20))


@pytest.mark.sweep
def test_matches_torch_optim_on_200_seeds():
    compare_with_torch(range(200))


def compare_corners(optimizer, seeds, steps):
    """Non-default corners: eps > 0, coupled weight decay, dampening."""
    torch = require_torch()
    for seed in seeds:
        p = draw_params(OptimizerSteps, random.Random(seed))
        p |= {"optimizer": optimizer, "eps": Fraction(1, 10), "weight_decay": Fraction(1, 10), "steps": steps,
              "dampening": Fraction(1, 4) if optimizer == "momentum" else 0}
        answers = OptimizerSteps().solve(p).answers
        ours = torch_run(torch, p)
        for key in ("params", *STATE[optimizer]):
            for exact_step, torch_step in zip(answers[key], ours[key]):
                assert all(close(e, v) for e, v in zip(exact_step, torch_step)), (seed, key, p)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw"])
def test_every_optimizer_with_eps_and_weight_decay_matches_torch(optimizer):
    compare_corners(optimizer, range(3), 2 if optimizer in ("rmsprop", "adam", "adamw") else 4)


@pytest.mark.sweep
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw"])
def test_every_optimizer_with_eps_and_weight_decay_matches_torch_on_30_seeds(optimizer):
    compare_corners(optimizer, range(30), 2 if optimizer in ("rmsprop", "adam", "adamw") else 4)


@pytest.mark.sweep
@pytest.mark.parametrize("optimizer", ["rmsprop", "adam", "adamw"])
def test_three_adaptive_steps_with_eps_match_torch(optimizer):
    compare_corners(optimizer, range(20), 3)


def test_four_adaptive_steps_are_refused_with_the_reason():
    run = run_solve("optimizer_steps", "optimizer=adam", "steps=4")
    assert run.code == 2 and "steps <= 3" in run.stderr and "Traceback" not in run.stderr
