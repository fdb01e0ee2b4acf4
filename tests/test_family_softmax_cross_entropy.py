"""softmax_cross_entropy: hand-worked cases through the CLI, the explained
part on subtracting the max, and torch.nn.functional.cross_entropy (float64,
with temperature and label smoothing) over 200 seeds."""

from __future__ import annotations

import json
import random

import pytest
import sympy

from answers_util import close, rounded
from conftest import require_torch, run_genexam, run_solve
from genexam.logsumexp import canonical, log_sum_exp
from genexam.plugins.softmax_cross_entropy import SoftmaxCrossEntropy
from genexam.sampling import draw_params


def solved(*sets: str) -> dict:
    run = run_solve("softmax_cross_entropy", *sets, json=True)
    assert run.code == 0, run.stderr
    return json.loads(run.stdout)["answers"]


def equal(got, want) -> bool:
    return sympy.simplify(sympy.sympify(got) - sympy.sympify(want)) == 0


def test_plain_softmax_and_cross_entropy():
    # z = (2, 1, 0), t = 0: p_i = e^{z_i - 2} / (1 + e^-1 + e^-2), L = log(1 + e^-1 + e^-2), dL/dz = p - e_0
    answers = solved("logits=[2, 1, 0]", "target=0", "temperature=1", "label_smoothing=0")
    d = 1 + sympy.exp(-1) + sympy.exp(-2)
    p = [1 / d, sympy.exp(-1) / d, sympy.exp(-2) / d]
    assert all(equal(g, w) for g, w in zip(answers["probs"], p))
    assert equal(answers["loss"], sympy.log(d))
    assert all(equal(g, w) for g, w in zip(answers["grad_logits"], [p[0] - 1, p[1], p[2]]))


def test_equal_logits_with_label_smoothing_are_rational_except_the_log():
    # K = 2, eps = 1/5: q = (9/10, 1/10); p = (1/2, 1/2); L = log 2; dL/dz = p - q = (-2/5, 2/5)
    answers = solved("logits=[0, 0]", "target=0", "temperature=1", "label_smoothing=1/5")
    assert answers["probs"] == ["1/2", "1/2"]
    assert equal(answers["loss"], sympy.log(2))
    assert answers["grad_logits"] == ["-2/5", "2/5"]


def test_temperature_divides_the_gradient():
    # z = (4, 0), T = 2, t = 1: softmax((2, 0)); dL/dz_i = (p_i - [i = t]) / 2, so dL/dz_1 = (p_1 - 1) / 2 = -p_0 / 2
    answers = solved("logits=[4, 0]", "target=1", "temperature=2", "label_smoothing=0")
    p0 = 1 / (1 + sympy.exp(-2))
    assert equal(answers["probs"][0], p0)
    assert equal(answers["loss"], sympy.log(1 + sympy.exp(2)))
    assert equal(answers["grad_logits"][0], p0 / 2) and equal(answers["grad_logits"][1], -p0 / 2)


def test_a_target_outside_the_classes_is_a_clear_error():
    run = run_solve("softmax_cross_entropy", "logits=[1, 2, 3]", "target=3")
    assert run.code == 2 and "Traceback" not in run.stderr
    assert "target < len(logits)" in run.stderr


def test_the_key_explains_why_the_max_is_subtracted():
    run = run_genexam("show", "softmax_cross_entropy", "--set", "logits=[3, 1, -2]", "--set", "target=2")
    assert run.code == 0, run.stderr
    assert "overflows" in run.stdout and r"e^{-c}" in run.stdout
    assert r"\left(3000, 1000, -2000\right)" in run.stdout  # the logits scaled by 1000
    assert SoftmaxCrossEntropy.parts[-1].answers == ()  # an explained part: no computed answer


def test_log_sum_exp_forms_agree():
    values = [sympy.Integer(4), sympy.Integer(0), sympy.Integer(-4)]
    direct = sympy.log(sum(sympy.exp(v) for v in values))
    assert canonical(direct) == log_sum_exp(values) == 4 + sympy.log(1 + sympy.exp(-4) + sympy.exp(-8))


# -- torch -------------------------------------------------------------------------



def sweep(seeds: range) -> None:
    torch = require_torch()
    F = torch.nn.functional
    family = SoftmaxCrossEntropy()
    for seed in seeds:
        p = draw_params(SoftmaxCrossEntropy, random.Random(seed))
        solution = family.solve(p)
        answers, steps = solution.answers, solution.steps
        z = torch.tensor([float(v) for v in p["logits"]], dtype=torch.float64, requires_grad=True)
        temperature = float(p["temperature"])
        loss = F.cross_entropy((z / temperature)[None], torch.tensor([p["target"]]),
                               label_smoothing=float(p["label_smoothing"]))
        loss.backward()
        probs = torch.softmax(z.detach() / temperature, dim=0)
        assert close(answers["loss"], loss.item()), (seed, p)
        for i in range(len(p["logits"])):
            assert close(answers["probs"][i], probs[i].item()), (seed, p, i)
            assert close(answers["grad_logits"][i], z.grad[i].item()), (seed, p, i)
        assert steps["loss_approx"] == rounded(answers["loss"]), seed
        for i in range(len(p["logits"])):
            assert steps["probs_approx"][i] == rounded(answers["probs"][i]), seed
            if answers["grad_logits"][i] != 0:
                assert steps["grad_approx"][i] == rounded(answers["grad_logits"][i]), seed


def test_matches_torch_cross_entropy_on_20_seeds():
    sweep(range(20))


@pytest.mark.sweep
def test_matches_torch_cross_entropy_on_200_seeds():
    sweep(range(200))
