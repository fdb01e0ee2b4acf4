"""recurrent_step: hand-worked cells through the CLI, PyTorch's gate order and
GRU candidate, and torch.nn.LSTMCell / GRUCell with the weights copied in
(float64) over many seeds."""

from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction

import pytest
import sympy

from answers_util import close
from conftest import require_torch, run_solve
from test_cli import solve

from genexam.plugins.recurrent_step import GATES, RecurrentStep
from genexam.sampling import draw_params

E = sympy.E


def test_lstm_by_hand():
    # pre-activations: i: 0, f: 1, g: 0 + 1 = 1, o: -1 ... with x = 1, h = 0, c = 2
    answers = solve("recurrent_step", "cell=lstm", "x=[1]", "h_prev=[0]", "c_prev=[2]",
                    "weight_ih=[[0], [1], [1], [-1]]", "weight_hh=[[5], [5], [5], [5]]",
                    "bias_ih=[0, 0, 0, 0]", "bias_hh=[0, 0, 0, 0]", "input_size=10", "hidden_size=20")["answers"]
    i, f, g, o = (sympy.sympify(answers[k][0]) for k in "ifgo")
    assert i == sympy.Rational(1, 2) and g == sympy.tanh(1)
    assert sympy.simplify(f - 1 / (1 + sympy.exp(-1))) == 0 and sympy.simplify(o - 1 / (1 + E)) == 0
    c_t = sympy.sympify(answers["c_t"][0])
    assert sympy.simplify(c_t - (2 * f + i * g)) == 0
    assert answers["r"] is None and answers["z"] is None and answers["n"] is None
    # LSTMCell(10, 20): 4 * (20*10 + 20*20 + 2*20) = 2560
    assert answers["params"] == 2560


def test_gru_reset_gate_scales_the_recurrent_bias_too():
    # r = sigma(0) = 1/2; z = sigma(0) = 1/2; n = tanh(0 + 1/2 * (1*1 + 2)) = tanh(3/2)
    answers = solve("recurrent_step", "cell=gru", "x=[1]", "h_prev=[1]", "weight_ih=[[0], [0], [0]]",
                    "weight_hh=[[0], [0], [1]]", "bias_ih=[0, 0, 0]", "bias_hh=[0, 0, 2]",
                    "input_size=3", "hidden_size=2")["answers"]
    assert answers["r"] == ["1/2"] and answers["z"] == ["1/2"]
    assert sympy.sympify(answers["n"][0]) == sympy.tanh(sympy.Rational(3, 2))
    assert sympy.sympify(answers["h_t"][0]) == sympy.tanh(sympy.Rational(3, 2)) / 2 + sympy.Rational(1, 2)
    assert answers["c_t"] is None and answers["i"] is None
    assert answers["params"] == 3 * (2 * 3 + 2 * 2 + 2 * 2)


def test_weights_of_the_wrong_shape_are_refused():
    run = run_solve("recurrent_step", "cell=gru", "x=[1]", "h_prev=[1]", "weight_ih=[[0], [0], [0], [0]]")
    assert run.code == 2 and "Traceback" not in run.stderr and "len(weight_ih)" in run.stderr


def test_default_draws_are_small():
    widths = set()
    for seed in range(100):
        p = draw_params(RecurrentStep, random.Random(seed))
        widths.add((len(p["x"]), len(p["h_prev"])))
        RecurrentStep().solve(p)
    assert widths == {(1, 1), (1, 2), (2, 1), (2, 2)}


# -- torch.nn ---------------------------------------------------------------------

def torch_step(torch, p):
    t = lambda v: torch.tensor([[float(Fraction(e)) for e in row] for row in v], dtype=torch.float64)  # noqa: E731
    vec = lambda v: torch.tensor([float(Fraction(e)) for e in v], dtype=torch.float64)  # noqa: E731
    I, H = len(p["x"]), len(p["h_prev"])
    cls = torch.nn.LSTMCell if p["cell"] == "lstm" else torch.nn.GRUCell
    cell = cls(I, H, dtype=torch.float64)
    with torch.no_grad():
        cell.weight_ih.copy_(t(p["weight_ih"]))
        cell.weight_hh.copy_(t(p["weight_hh"]))
        cell.bias_ih.copy_(vec(p["bias_ih"]))
        cell.bias_hh.copy_(vec(p["bias_hh"]))
    x, h = vec(p["x"]).unsqueeze(0), vec(p["h_prev"]).unsqueeze(0)
    # the gates, from torch's own stacked pre-activations in its gate order
    gi = x @ cell.weight_ih.T + cell.bias_ih
    gh = h @ cell.weight_hh.T + cell.bias_hh
    out = {}
    if p["cell"] == "lstm":
        c = vec(p["c_prev"]).unsqueeze(0)
        h_t, c_t = cell(x, (h, c))
        i, f, g, o = (gi + gh).chunk(4, dim=1)
        out |= {"i": torch.sigmoid(i), "f": torch.sigmoid(f), "g": torch.tanh(g), "o": torch.sigmoid(o), "c_t": c_t}
    else:
        h_t = cell(x, h)
        ir, iz, inn = gi.chunk(3, dim=1)
        hr, hz, hn = gh.chunk(3, dim=1)
        r = torch.sigmoid(ir + hr)
        out |= {"r": r, "z": torch.sigmoid(iz + hz), "n": torch.tanh(inn + r * hn)}
    out["h_t"] = h_t
    counted = cls(p["input_size"], p["hidden_size"], device="meta")
    out["params"] = sum(w.numel() for w in counted.parameters())
    return {k: (v if isinstance(v, int) else v.detach().squeeze(0).tolist()) for k, v in out.items()}



def compare_with_torch(seeds):
    torch = require_torch()
    for seed in seeds:
        p = draw_params(RecurrentStep, random.Random(seed))
        answers = RecurrentStep().solve(p).answers
        ours = torch_step(torch, p)
        assert answers["params"] == ours["params"], (seed, p)
        for key in (*GATES[p["cell"]], "h_t", *(("c_t",) if p["cell"] == "lstm" else ())):
            assert all(close(e, v) for e, v in zip(answers[key], ours[key])), (seed, key, p)
        # h_t from the cell itself agrees with our gates: torch's GRU n uses r * (W_hn h + b_hn)
        solution = RecurrentStep().solve(p)
        for printed, value in zip(solution.steps["h_t_approx"], ours["h_t"]):
            if printed == 0:
                assert value == 0
                continue
            shown = Decimal(str(printed))
            last = float(Decimal(1).scaleb(shown.adjusted() - 3))  # one unit in the 4th significant digit
            assert abs(float(shown) - value) <= last / 2 * (1 + 1e-9), (seed, printed, value)


def test_matches_torch_on_20_seeds():
    compare_with_torch(range(20))


@pytest.mark.sweep
def test_matches_torch_on_200_seeds():
    compare_with_torch(range(200))
