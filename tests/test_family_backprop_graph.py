"""backprop_graph: hand-worked graphs through the CLI, the kinks refused with a
clear message, the figure, and torch.autograd (float64) over 200 seeds."""

from __future__ import annotations

import json
import random

import mpmath
import pytest
import sympy

from answers_util import close
from conftest import require_torch, run_solve
from genexam.decimals import approx
from genexam.plugins.backprop_graph import GRAPHS, BackpropGraph
from genexam.sampling import draw_params


def solved(*sets: str) -> dict:
    run = run_solve("backprop_graph", *sets, json=True)
    assert run.code == 0, run.stderr
    return json.loads(run.stdout)["answers"]


def exact(d: dict) -> dict:
    return {k: sympy.sympify(v) for k, v in d.items()}


def assert_equal(got: dict, want: dict) -> None:
    assert got.keys() == want.keys()
    for k in want:
        assert sympy.simplify(sympy.sympify(got[k]) - want[k]) == 0, (k, got[k], want[k])


# -- hand-worked instances, through the CLI ---------------------------------------

def test_relu_max_routes_the_gradient_to_the_larger_input():
    # q = 2 * 3 = 6, r = max(-1, 1) = 1, s = 7, f = relu(7) = 7; df/dx = y = 3, df/dy = x = 2,
    # df/dz = 0 (z lost the max), df/dw = 1.
    answers = solved("graph=relu_max", "x=2", "y=3", "z=-1", "w=1")
    assert answers["values"] == {"x": 2, "y": 3, "z": -1, "w": 1, "q": 6, "r": 1, "s": 7, "f": 7}
    assert answers["grads"] == {"x": 3, "y": 2, "z": 0, "w": 1, "q": 1, "r": 1, "s": 1, "f": 1}


def test_a_dead_relu_blocks_every_gradient():
    answers = solved("graph=relu_max", "x=2", "y=-3", "z=4", "w=1")  # s = -6 + 4 = -2
    assert answers["values"]["f"] == 0
    assert answers["grads"] == {"x": 0, "y": 0, "z": 0, "w": 0, "q": 0, "r": 0, "s": 0, "f": 1}


def test_exp_log_chain():
    # a = 2, b = e^2, c = e^2 + 1, f = log(e^2 + 1); df/dc = 1/(1 + e^2), df/da = e^2/(1 + e^2)
    answers = solved("graph=exp_log", "x=1", "y=2", "z=1")
    e2 = sympy.exp(2)
    assert_equal(answers["values"], {"x": 1, "y": 2, "z": 1, "a": 2, "b": e2, "c": e2 + 1, "f": sympy.log(e2 + 1)})
    assert_equal(answers["grads"], {"x": 2 * e2 / (1 + e2), "y": e2 / (1 + e2), "z": 1 / (1 + e2),
                                    "a": e2 / (1 + e2), "b": 1 / (1 + e2), "c": 1 / (1 + e2), "f": 1})


def test_fan_out_sums_the_paths():
    # f = (x y + tanh x) y at x = 1, y = 2: df/dx = y * y + y (1 - tanh(1)^2), df/dy = c + x y... by hand:
    # df/dc = y = 2, df/da = df/db = 2, df/dx = 2 * y + 2 * (1 - tanh^2 1), df/dy = 2 * x + c = 4 + tanh 1.
    t = sympy.tanh(1)
    answers = solved("graph=fan_out", "x=1", "y=2")
    assert_equal(answers["values"], {"x": 1, "y": 2, "a": 2, "b": t, "c": 2 + t, "f": 4 + 2 * t})
    assert_equal(answers["grads"], {"x": 4 + 2 * (1 - t**2), "y": 4 + t, "a": 2, "b": 2, "c": 2, "f": 1})


def test_sigmoid_neuron_uses_sigma_one_minus_sigma():
    answers = solved("graph=sigmoid_neuron", "w=1", "x=2", "y=1/2", "z=-2")  # s = 2 - 1 = 1
    sig = 1 / (1 + sympy.exp(-1))
    got = exact(answers["grads"])
    assert sympy.simplify(got["s"] - sig * (1 - sig)) == 0
    assert sympy.simplify(got["y"] - (-2) * sig * (1 - sig)) == 0
    assert sympy.simplify(exact(answers["values"])["f"] - sig) == 0


@pytest.mark.parametrize("sets, message", [
    (("graph=relu_max", "x=1", "y=1", "z=-1", "w=-1"), "z != w"),
    (("graph=relu_max", "x=1", "y=-2", "z=2", "w=1"), "x * y + max(z, w) != 0"),
    (("graph=tanh_relu", "x=1", "y=-1", "z=1"), "x + y != 0"),
    (("graph=exp_log", "x=1", "y=1", "z=-1"), "z > 0"),
])
def test_kinks_and_a_negative_log_argument_are_refused(sets, message):
    run = run_solve("backprop_graph", *sets)
    assert run.code == 2 and "Traceback" not in run.stderr
    assert message in run.stderr, run.stderr


def test_every_template_has_five_to_eight_nodes_and_all_operations_appear():
    ops = set()
    for graph in GRAPHS.values():
        assert 5 <= len(graph.inputs) + len(graph.nodes) <= 8
        ops |= {node.op for node in graph.nodes}
    assert ops == {"add", "mul", "max", "exp", "log", "sigmoid", "tanh", "relu"}


def test_every_template_is_at_most_five_columns_deep():
    from genexam.graph_figure import GraphNode, layers

    for graph in GRAPHS.values():
        nodes = [GraphNode(n, n, "", "") for n in graph.inputs]
        nodes += [GraphNode(node.name, node.name, "", "", node.args) for node in graph.nodes]
        assert max(layers(nodes).values()) <= 4  # the figure fits the page at five columns


def test_figure_is_deterministic_and_names_every_node():
    p = {"graph": "fan_out", "x": 1, "y": 2, "z": None, "w": None}
    one = BackpropGraph().solve(p).figures["graph"]
    assert one == BackpropGraph().solve(p).figures["graph"]
    assert one.startswith("<?xml") and one.count("<rect") == 1 + 6  # background + one box per node
    for label in ("a = x \u00b7 y", "b = tanh(x)", "c = a + b", "f = c \u00b7 y"):
        assert f">{label}<" in one


# -- torch.autograd -----------------------------------------------------------------

def torch_graph(torch, p: dict) -> tuple[dict, dict]:
    """Values and gradients of every node by torch.autograd in float64."""
    graph = GRAPHS[p["graph"]]
    env = {name: torch.tensor(float(sympy.Rational(str(p[name]))), dtype=torch.float64, requires_grad=True)
           for name in graph.inputs}
    ops = {"add": torch.add, "mul": torch.mul, "max": torch.maximum, "relu": torch.relu, "exp": torch.exp,
           "log": torch.log, "sigmoid": torch.sigmoid, "tanh": torch.tanh}
    for node in graph.nodes:
        env[node.name] = ops[node.op](*(env[a] for a in node.args))
        env[node.name].retain_grad()
    env[graph.nodes[-1].name].backward()
    return ({k: v.item() for k, v in env.items()}, {k: v.grad.item() for k, v in env.items()})



def printed_digits_ok(exact_value) -> bool:
    """The key's decimal is the value correctly rounded to 4 digits (mpmath at 50 digits)."""
    if exact_value.is_Rational:
        return True
    with mpmath.workdps(50):
        reference = mpmath.mpf(sympy.N(exact_value, 50))
        want = mpmath.nstr(reference, 4, min_fixed=-30, max_fixed=30, strip_zeros=False)
    return sympy.Float(want, 4) == approx(exact_value, 4)


def sweep(seeds: range) -> None:
    torch = require_torch()
    family = BackpropGraph()
    for seed in seeds:
        p = draw_params(BackpropGraph, random.Random(seed))
        solution = family.solve(p)
        values, grads = torch_graph(torch, p)
        for name in values:
            assert close(solution.answers["values"][name], values[name]), (seed, p, name)
            assert close(solution.answers["grads"][name], grads[name]), (seed, p, name)
            assert printed_digits_ok(solution.answers["grads"][name]), (seed, name)
            assert printed_digits_ok(solution.answers["values"][name]), (seed, name)


def test_matches_torch_autograd_on_20_seeds():
    sweep(range(20))


@pytest.mark.sweep
def test_matches_torch_autograd_on_200_seeds():
    sweep(range(200))
