"""backprop_graph: the forward values and the backward gradients of a small
computational graph (5-8 nodes of + * max exp log sigmoid tanh relu)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Mapping

import sympy

from genexam import hookimpl
from genexam.decimals import approx
from genexam.distributions import Choice, Computed
from genexam.family import Family, Part, Solution
from genexam.graph_figure import GraphNode, computation_graph
from genexam.params import OneOf, Param
from genexam.values import to_sympy

INPUT_NAMES = ("x", "y", "z", "w")


@dataclass(frozen=True)
class Node:
    """An operation node: ``name = op(args)``."""

    name: str
    op: str
    args: tuple[str, ...]


@dataclass(frozen=True)
class Graph:
    """A graph template: its inputs, its operations in topological order (the
    last is the output f), and f written as one formula (TeX, names only)."""

    inputs: tuple[str, ...]
    nodes: tuple[Node, ...]
    formula: str
    #: f in plain text, for `genexam list`.
    plain: str
    #: What the graph teaches, said in the solution.
    lesson: str


GRAPHS: dict[str, Graph] = {
    "relu_max": Graph(
        ("x", "y", "z", "w"),
        (Node("q", "mul", ("x", "y")), Node("r", "max", ("z", "w")), Node("s", "add", ("q", "r")),
         Node("f", "relu", ("s",))),
        r"\mathrm{relu}\left(x y + \max(z, w)\right)",
        "relu(x y + max(z, w))",
        "a max routes the whole gradient to the larger input and none to the other; a ReLU passes it "
        "on where its input is positive and blocks it where it is negative"),
    "sigmoid_neuron": Graph(
        ("w", "x", "y", "z"),
        (Node("a", "mul", ("w", "x")), Node("b", "mul", ("y", "z")), Node("s", "add", ("a", "b")),
         Node("f", "sigmoid", ("s",))),
        r"\sigma\left(w x + y z\right)",
        "sigmoid(w x + y z)",
        "a sum hands its gradient to both inputs unchanged, and a product hands each factor the "
        "gradient times the other factor"),
    "exp_log": Graph(
        ("x", "y", "z"),
        (Node("a", "mul", ("x", "y")), Node("b", "exp", ("a",)), Node("c", "add", ("b", "z")),
         Node("f", "log", ("c",))),
        r"\log\left(\exp(x y) + z\right)",
        "log(exp(x y) + z)",
        "the local derivative of exp is its own output, and that of log is one over its input"),
    "tanh_relu": Graph(
        ("x", "y", "z"),
        (Node("a", "add", ("x", "y")), Node("b", "relu", ("a",)), Node("c", "tanh", ("z",)),
         Node("f", "mul", ("b", "c"))),
        r"\mathrm{relu}(x + y) \cdot \tanh(z)",
        "relu(x + y) tanh(z)",
        "a product gates each branch by the other branch's value; tanh's local derivative is "
        "1 minus its output squared"),
    "fan_out": Graph(
        ("x", "y"),
        (Node("a", "mul", ("x", "y")), Node("b", "tanh", ("x",)), Node("c", "add", ("a", "b")),
         Node("f", "mul", ("c", "y"))),
        r"\left(x y + \tanh(x)\right) \cdot y",
        "(x y + tanh(x)) y",
        "x and y are each read twice, so their gradients are sums over every path to f (the "
        "multivariate chain rule)"),
}

#: The default input values: small integers and a few halves, never 0 (a 0 input kills every gradient through a product).
INPUT_CHOICES = (-3, -2, -1, 1, 2, 3, -2, -1, 1, 2, Fraction(1, 2), Fraction(-1, 2), Fraction(3, 2))


def sigmoid(v: Any) -> Any:
    """sigma(v) written with a positive exponent: e^v / (1 + e^v) for v > 0, else 1 / (1 + e^-v)."""
    if v > 0:
        return sympy.exp(v) / (1 + sympy.exp(v))
    return 1 / (1 + sympy.exp(-v))


def forward(op: str, args: list[Any]) -> Any:
    """The exact value of ``op`` at ``args``."""
    if op == "add":
        return args[0] + args[1]
    if op == "mul":
        return args[0] * args[1]
    if op == "max":
        return args[0] if args[0] > args[1] else args[1]
    if op == "relu":
        return args[0] if args[0] > 0 else sympy.Integer(0)
    if op == "exp":
        return sympy.exp(args[0])
    if op == "log":
        return sympy.log(args[0])
    if op == "sigmoid":
        return sigmoid(args[0])
    if op == "tanh":
        return sympy.tanh(args[0])
    raise ValueError(f"unknown operation {op!r}")


def local_derivative(op: str, position: int, args: list[Any], out: Any) -> Any:
    """d op / d args[position] at ``args`` (``out`` = op(args)), written in its textbook closed form."""
    if op == "add":
        return sympy.Integer(1)
    if op == "mul":
        return args[1 - position]
    if op == "max":  # the constraints keep the two apart: no tie
        return sympy.Integer(1 if args[position] > args[1 - position] else 0)
    if op == "relu":  # the constraints keep the input away from the kink at 0
        return sympy.Integer(1 if args[0] > 0 else 0)
    if op == "exp":
        return out
    if op == "log":
        return 1 / args[0]
    if op == "sigmoid":
        grows = sympy.exp(abs(args[0]))  # sigma (1 - sigma) = e^v / (1 + e^v)^2 = e^-v / (1 + e^-v)^2
        return grows / (1 + grows) ** 2
    if op == "tanh":
        return 1 - out ** 2
    raise ValueError(f"unknown operation {op!r}")


#: Each operation as TeX, with %s for its arguments (names or printed values).
OP_TEX = {"add": "%s + %s", "mul": r"%s \cdot %s", "max": r"\max\left(%s, %s\right)",
          "relu": r"\mathrm{relu}\left(%s\right)", "exp": r"\exp\left(%s\right)", "log": r"\log\left(%s\right)",
          "sigmoid": r"\sigma\left(%s\right)", "tanh": r"\tanh\left(%s\right)"}


def local_formula(node: Node, position: int) -> str:
    """d node / d (its argument at ``position``) as a TeX formula in the node names."""
    arg = node.args[position]
    if node.op == "add":
        return "1"
    if node.op == "mul":
        return node.args[1 - position]
    if node.op == "max":
        return rf"\left[{arg} > {node.args[1 - position]}\right]"
    if node.op == "relu":
        return rf"\left[{arg} > 0\right]"
    if node.op == "exp":
        return node.name
    if node.op == "log":
        return rf"\frac{{1}}{{{arg}}}"
    if node.op == "sigmoid":
        return rf"{node.name} \left(1 - {node.name}\right)"
    return rf"\left(1 - {node.name}^{{2}}\right)"


def _graph_uses(name: str) -> tuple[str, ...]:
    return tuple(g for g, graph in GRAPHS.items() if name in graph.inputs)


def _input(name: str) -> Callable[[random.Random, Mapping[str, Any]], Any]:
    def draw(rng: random.Random, drawn: Mapping[str, Any]) -> Any:
        return INPUT_CHOICES[rng.randrange(len(INPUT_CHOICES))] if name in GRAPHS[drawn["graph"]].inputs else None

    return draw


def _input_param(name: str) -> Param:
    readers = _graph_uses(name)
    users = "every graph" if len(readers) == len(GRAPHS) else ", ".join(readers) + "; unused otherwise"
    return Param(name, "rational", Computed(_input(name), f"one of -3..3 (not 0), -1/2, 1/2, 3/2 when the graph "
                                                          f"reads {name}; null otherwise"),
                 f"input {name} (read by {users})", low=-10, high=10, element="rational",
                 optional=True)


def inputs_of(p: Mapping[str, Any]) -> dict[str, Any]:
    """The graph's inputs as sympy numbers, once each one it reads is given."""
    graph = GRAPHS[p["graph"]]
    missing = [name for name in graph.inputs if p[name] is None]
    if missing:
        raise ValueError(f"graph '{p['graph']}' reads {', '.join(missing)}: set {missing[0]} to a number, not null")
    return {name: to_sympy(p[name]) for name in graph.inputs}


def decimal(value: Any) -> Any:
    """The 4-digit decimal printed beside an irrational value; None for a rational one."""
    return None if value.is_Rational else approx(value, 4)


def short(value: Any) -> str:
    """A value as the figure prints it: exact when rational, else 4 significant digits."""
    shown = value if value.is_Rational else approx(value, 4)
    return str(shown).replace("-", "\u2212")


class BackpropGraph(Family):
    name = "backprop_graph"
    title = "Forward values and backpropagated gradients of a computational graph"
    params = (
        OneOf("graph", tuple(GRAPHS), Choice(tuple(GRAPHS)), doc="the graph: " + "; ".join(
            f"{name}: f = {graph.plain}" for name, graph in GRAPHS.items())),
        _input_param("x"),
        _input_param("y"),
        _input_param("z"),
        _input_param("w"),
    )
    constraints = (
        "graph != 'relu_max' or z != w",
        "graph != 'relu_max' or x * y + max(z, w) != 0",
        "graph != 'tanh_relu' or x + y != 0",
        "graph != 'exp_log' or z > 0",
    )
    parts = (
        Part("a", ("values",), space="5cm"),
        Part("b", ("grads",), space="8cm"),
    )

    def solve(self, p: Mapping[str, Any]) -> Solution:
        graph = GRAPHS[p["graph"]]
        values: dict[str, Any] = inputs_of(p)
        _check_kinks(p["graph"], values)
        for node in graph.nodes:
            values[node.name] = forward(node.op, [values[a] for a in node.args])
        # Reverse mode: visit the nodes from the output back; each hands its
        # gradient times the local derivative to every input it reads.
        output = graph.nodes[-1].name
        grads: dict[str, Any] = {name: sympy.Integer(0) for name in values}
        grads[output] = sympy.Integer(1)
        terms: dict[str, list[dict[str, Any]]] = {name: [] for name in values}
        for node in reversed(graph.nodes):
            args = [values[a] for a in node.args]
            for position, arg in enumerate(node.args):
                local = local_derivative(node.op, position, args, values[node.name])
                grads[arg] += grads[node.name] * local
                terms[arg].append({"consumer": node.name, "formula": local_formula(node, position),
                                   "upstream": grads[node.name], "local": local})
        order = [*graph.inputs, *(node.name for node in graph.nodes)]
        backward = [name for name in reversed(order) if name != output]
        steps = {
            "graph": graph, "op_tex": OP_TEX, "output": output, "ops": {node.op for node in graph.nodes},
            "order": order,
            "forward": [{"node": node, "args": [values[a] for a in node.args], "value": values[node.name],
                         "approx": decimal(values[node.name])} for node in graph.nodes],
            "backward": [{"name": name, "terms": list(reversed(terms[name])), "grad": grads[name],
                          "approx": decimal(grads[name])} for name in backward],
            "approx_values": {name: decimal(values[name]) for name in order},
            "approx_grads": {name: decimal(grads[name]) for name in order},
            "irrational": any(not v.is_Rational for v in [*values.values(), *grads.values()]),
        }
        answers = {"values": {name: values[name] for name in order},
                   "grads": {name: grads[name] for name in order}}
        return Solution(answers, steps, figures={"graph": _figure(graph, values, grads)})

    def check(self, p: Mapping[str, Any]) -> dict[str, Any]:
        # Second route: symbolic differentiation. For each node n, write f as
        # a sympy expression in which n is a free symbol t (the nodes before n
        # computed from the inputs as usual), differentiate with sympy.diff
        # and put t back to n's value. No chain rule is written by hand.
        graph = GRAPHS[p["graph"]]
        given = inputs_of(p)
        functions = {"add": lambda a, b: a + b, "mul": lambda a, b: a * b, "max": sympy.Max,
                     "relu": lambda a: sympy.Max(0, a), "exp": sympy.exp, "log": sympy.log,
                     "sigmoid": lambda a: 1 / (1 + sympy.exp(-a)), "tanh": sympy.tanh}

        def evaluate(cut: str | None, t: sympy.Symbol) -> dict[str, Any]:
            env = {name: (t if name == cut else value) for name, value in given.items()}
            for node in graph.nodes:
                env[node.name] = t if node.name == cut else functions[node.op](*(env[a] for a in node.args))
            return env

        t = sympy.Symbol("t", real=True)
        plain = evaluate(None, t)
        order = [*graph.inputs, *(node.name for node in graph.nodes)]
        output = graph.nodes[-1].name
        grads = {}
        for name in order:
            f = evaluate(name, t)[output]
            grads[name] = sympy.diff(f, t).subs(t, plain[name])
        return {"values": {name: plain[name] for name in order}, "grads": grads}


def _check_kinks(name: str, v: Mapping[str, Any]) -> None:
    """The places where max and relu have no derivative, named for a fixed instance that hits one."""
    if name == "relu_max":
        if v["z"] == v["w"]:
            raise ValueError("z = w: max(z, w) has no derivative at a tie; choose z != w")
        if v["x"] * v["y"] + max(v["z"], v["w"]) == 0:
            raise ValueError("x y + max(z, w) = 0 is relu's kink; choose inputs that make it nonzero")
    if name == "tanh_relu" and v["x"] + v["y"] == 0:
        raise ValueError("x + y = 0 is relu's kink; choose inputs that make it nonzero")
    if name == "exp_log" and not v["z"] > 0:
        raise ValueError("log(exp(x y) + z) needs z > 0 here, so that the log's argument is positive")


#: How the figure labels each operation.
_FIGURE_OPS = {"add": "{} + {}", "mul": "{} \u00b7 {}", "max": "max({}, {})", "relu": "relu({})",
               "exp": "exp({})", "log": "log({})", "sigmoid": "\u03c3({})", "tanh": "tanh({})"}


def _figure(graph: Graph, values: Mapping[str, Any], grads: Mapping[str, Any]) -> str:
    nodes = [GraphNode(name, name, short(values[name]), short(grads[name])) for name in graph.inputs]
    nodes += [GraphNode(node.name, f"{node.name} = {_FIGURE_OPS[node.op].format(*node.args)}",
                        short(values[node.name]), short(grads[node.name]), node.args) for node in graph.nodes]
    return computation_graph(nodes, value_name="forward value", grad_name="gradient df/d(node)")


@hookimpl
def genexam_families() -> list[type[Family]]:
    return [BackpropGraph]
