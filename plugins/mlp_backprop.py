"""mlp_backprop: one forward and backward pass of a 2-layer MLP on one example
(PyTorch's conventions: W of shape (out, in), MSE averaged over the outputs,
cross-entropy on the logits, relu'(0) = 0)."""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import sympy

from genexam import hookimpl
from genexam.decimals import approx
from genexam.distributions import Choice, Computed
from genexam.family import Family, Part, Solution
from genexam.logsumexp import canonical, log_sum_exp, shifted_exp, vanishes
from genexam.params import Int, OneOf, Param
from genexam.values import to_sympy

ACTIVATIONS = ("relu", "sigmoid", "tanh")
LOSSES = ("mse", "softmax_ce")


def normal(value: Any) -> Any:
    """One form for an exact answer reached by either route: multiplied out
    (e^{a + b} kept whole), exponential sums with their largest term taken
    out, and 0 where the terms cancel (a gradient through equal weights)."""
    value = canonical(sympy.expand(value, power_exp=False, log=False))
    return sympy.Integer(0) if vanishes(value) else value


def sigmoid(z: Any) -> Any:
    return 1 / (1 + sympy.exp(-z))


def activate(name: str, z: Any) -> Any:
    if name == "relu":
        return z if z > 0 else sympy.Integer(0)
    if name == "sigmoid":
        return sigmoid(z)
    return sympy.tanh(z)


def activation_slope(name: str, z: Any) -> Any:
    """The activation's derivative at z: relu'(0) = 0 as PyTorch takes it;
    sigma' = e^{-z} / (1 + e^{-z})^2 (= sigma (1 - sigma)); tanh' = 1 - tanh^2."""
    if name == "relu":
        return sympy.Integer(1 if z > 0 else 0)
    if name == "sigmoid":
        return sympy.exp(-z) / (1 + sympy.exp(-z)) ** 2
    return 1 - sympy.tanh(z) ** 2


# -- default draws ------------------------------------------------------------------

def _given_len(drawn: Mapping[str, Any], *sources: tuple[str, Callable[[Any], int]]) -> int | None:
    for name, length in sources:
        if drawn.get(name) is not None:
            return length(drawn[name])
    return None


def _n_in(rng: random.Random, drawn: Mapping[str, Any]) -> int:
    return _given_len(drawn, ("x", len), ("W1", lambda m: len(m[0]))) or 2


def _n_hidden(rng: random.Random, drawn: Mapping[str, Any]) -> int:
    return _given_len(drawn, ("W1", len), ("b1", len), ("W2", lambda m: len(m[0]))) or rng.choice((2, 2, 3))


def _n_out(rng: random.Random, drawn: Mapping[str, Any]) -> int:
    given = _given_len(drawn, ("W2", len), ("b2", len), ("y", len))
    if given:
        return given
    return rng.choice((2, 2, 3)) if drawn["loss"] == "softmax_ce" else rng.choice((1, 2, 2))


def _ints(count: int, rng: random.Random, lo: int = -2, hi: int = 2) -> list[int]:
    return [rng.randint(lo, hi) for _ in range(count)]


def _x(rng: random.Random, drawn: Mapping[str, Any]) -> list[int]:
    while True:
        x = _ints(drawn["n_in"], rng)
        if any(x):
            return x


def _w1(rng: random.Random, drawn: Mapping[str, Any]) -> list[list[int]]:
    """Rows whose pre-activations W1 x are small (at most 3 in size) and not all
    negative, so that a bias from -1 to 1 can keep a ReLU unit alive."""
    for _ in range(100):
        w1 = [_ints(drawn["n_in"], rng) for _ in range(drawn["n_hidden"])]
        pre = [sum(w * x for w, x in zip(row, drawn["x"])) for row in w1]
        if max(pre) >= 0 and max(map(abs, pre)) <= 3:
            break
    return w1


def _b1(rng: random.Random, drawn: Mapping[str, Any]) -> list[int]:
    """Biases that keep every pre-activation off 0 (relu's kink) and, for relu,
    at least one unit active -- the default draw's taste, not a constraint."""
    pre = [sum(w * x for w, x in zip(row, drawn["x"])) for row in drawn["W1"]]
    for _ in range(200):
        b1 = _ints(drawn["n_hidden"], rng, -1, 1)
        z = [a + b for a, b in zip(pre, b1)]
        if all(z) and (drawn["activation"] != "relu" or any(v > 0 for v in z)):
            break
    return b1


def _w2(rng: random.Random, drawn: Mapping[str, Any]) -> list[list[int]]:
    return [_ints(drawn["n_hidden"], rng) for _ in range(drawn["n_out"])]


def _b2(rng: random.Random, drawn: Mapping[str, Any]) -> list[int]:
    return _ints(drawn["n_out"], rng, -1, 1)


def _y(rng: random.Random, drawn: Mapping[str, Any]) -> list[int] | None:
    return _ints(drawn["n_out"], rng) if drawn["loss"] == "mse" else None


def _target(rng: random.Random, drawn: Mapping[str, Any]) -> int | None:
    return rng.randrange(drawn["n_out"]) if drawn["loss"] == "softmax_ce" else None


def _matrix(name: str, default: Computed, doc: str) -> Param:
    return Param(name, "matrix", default, doc, low=-9, high=9, element="rational", length=(1, 4))


def _vector(name: str, default: Computed, doc: str, optional: bool = False) -> Param:
    return Param(name, "vector", default, doc, low=-9, high=9, element="rational", length=(1, 4), optional=optional)


def _flat(values: Any) -> list[Any]:
    return [v for item in values for v in _flat(item)] if isinstance(values, list) else [values]


def _validated(p: Mapping[str, Any]) -> dict[str, Any]:
    """The instance's arrays as sympy numbers, once their shapes agree."""
    n_in, n_hidden, n_out = p["n_in"], p["n_hidden"], p["n_out"]
    shapes = {"x": (n_in,), "W1": (n_hidden, n_in), "b1": (n_hidden,), "W2": (n_out, n_hidden), "b2": (n_out,)}
    for name, shape in shapes.items():
        value = p[name]
        found = (len(value),) if len(shape) == 1 else (len(value), len(value[0]))
        if found != shape:
            raise ValueError(f"{name} must have shape {shape} (PyTorch's (out, in) for a weight), found {found}")
    if p["loss"] == "mse" and (p["y"] is None or len(p["y"]) != n_out):
        raise ValueError(f"the mse loss needs a target vector y of length n_out = {n_out}")
    if p["loss"] == "softmax_ce":
        if n_out < 2:
            raise ValueError("softmax_ce needs n_out >= 2 classes")
        if p["target"] is None or not 0 <= p["target"] < n_out:
            raise ValueError(f"softmax_ce needs a target class 0..{n_out - 1} (0-based, as PyTorch)")
    return {name: to_sympy(p[name]) for name in shapes} | {"y": to_sympy(p["y"]) if p["y"] is not None else None}


class MlpBackprop(Family):
    name = "mlp_backprop"
    title = "Forward and backward pass of a two-layer MLP on one example"
    params = (
        OneOf("activation", ACTIVATIONS, Choice(ACTIVATIONS), doc="the hidden layer's activation"),
        OneOf("loss", LOSSES, Choice(LOSSES),
              doc="mse: F.mse_loss (mean over the outputs); softmax_ce: F.cross_entropy on the output logits"),
        Int("n_in", Computed(_n_in, "2 (the length of a fixed x)"), low=1, high=4, doc="input width"),
        Int("n_hidden", Computed(_n_hidden, "2 or 3 (from a fixed W1)"), low=1, high=4, doc="hidden width"),
        Int("n_out", Computed(_n_out, "1 or 2 for mse, 2 or 3 for softmax_ce (from a fixed W2)"), low=1, high=4,
            doc="output width (classes for softmax_ce)"),
        _vector("x", Computed(_x, "n_in integers from -2 to 2, not all 0"), "the input"),
        _matrix("W1", Computed(_w1, "n_hidden x n_in integers from -2 to 2"),
                "first layer's weight, shape (n_hidden, n_in) as torch.nn.Linear stores it"),
        _vector("b1", Computed(_b1, "integers from -1 to 1 that keep every pre-activation off 0"),
                "first layer's bias"),
        _matrix("W2", Computed(_w2, "n_out x n_hidden integers from -2 to 2"),
                "second layer's weight, shape (n_out, n_hidden)"),
        _vector("b2", Computed(_b2, "n_out integers from -1 to 1"), "second layer's bias"),
        _vector("y", Computed(_y, "n_out integers from -2 to 2 for mse; null for softmax_ce"),
                "the regression target (mse)", optional=True),
        Int("target", Computed(_target, "a class 0..n_out-1 for softmax_ce; null for mse"), low=0, high=3,
            optional=True, doc="the true class, 0-based (softmax_ce)"),
    )
    constraints = (
        "len(x) == n_in",
        "len(W1) == n_hidden and len(W1[0]) == n_in",
        "len(b1) == n_hidden",
        "len(W2) == n_out and len(W2[0]) == n_hidden",
        "len(b2) == n_out",
        "loss != 'mse' or (y != None and len(y) == n_out)",
        "loss != 'softmax_ce' or (n_out >= 2 and target != None and target < n_out)",
    )
    parts = (
        Part("a", ("hidden", "output", "loss"), space="6cm"),
        Part("b", ("grad_W2", "grad_b2"), space="5cm"),
        Part("c", ("grad_W1", "grad_b1"), space="6cm"),
    )

    def solve(self, p: Mapping[str, Any]) -> Solution:
        a = _validated(p)
        act = p["activation"]
        x, W1, b1, W2, b2 = a["x"], a["W1"], a["b1"], a["W2"], a["b2"]
        n_hidden, n_out = p["n_hidden"], p["n_out"]
        # Compact forms first (their decimals evaluate fast); the answers are
        # their normal forms, which the second route reaches too.
        z1 = [sum(w * xi for w, xi in zip(row, x)) + b for row, b in zip(W1, b1)]
        h = [activate(act, z) for z in z1]
        o = [sum(w * hj for w, hj in zip(row, h)) + b for row, b in zip(W2, b2)]
        steps: dict[str, Any] = {"z1": z1, "zero_pre": any(z == 0 for z in z1)}
        if p["loss"] == "mse":
            residual = [oi - yi for oi, yi in zip(o, a["y"])]
            loss = sum(r ** 2 for r in residual) / n_out
            delta2 = [2 * r / n_out for r in residual]  # dL/do
            steps["residual_approx"] = [r if r.is_Rational else approx(r, 4) for r in residual]
        else:
            top = max(o, key=lambda v: sympy.N(v, 50))
            exps = [shifted_exp(oi, top) for oi in o]
            probs = [e / sympy.Add(*exps) for e in exps]
            loss = log_sum_exp(o) - o[p["target"]]
            delta2 = [pi - (1 if k == p["target"] else 0) for k, pi in enumerate(probs)]
            steps.update(probs=[normal(v) for v in probs], probs_approx=[approx(v, 4) for v in probs])
        grad_W2 = [[d * hj for hj in h] for d in delta2]
        delta_h = [sum(W2[k][j] * delta2[k] for k in range(n_out)) for j in range(n_hidden)]
        slopes = [activation_slope(act, z) for z in z1]
        delta1 = [dh * s for dh, s in zip(delta_h, slopes)]
        grad_W1 = [[d * xi for xi in x] for d in delta1]

        def exact(values: Any) -> Any:
            return [exact(v) for v in values] if isinstance(values, list) else normal(values)

        def dec(raw: Any, value: Any) -> Any:
            """Decimals from the compact forms, which evaluate fast; exact where rational (0 included)."""
            if isinstance(raw, list):
                return [dec(r, v) for r, v in zip(raw, value)]
            return value if value.is_Rational else approx(raw, 4)

        raw = {"h": h, "o": o, "loss": loss, "delta2": delta2, "delta_h": delta_h, "slopes": slopes,
               "delta1": delta1, "grad_W2": grad_W2, "grad_W1": grad_W1}
        # h stays as the activation wrote it (1/(1 + e^2), tanh(1)), which the second route gives too.
        ex = {name: (value if name == "h" else exact(value)) for name, value in raw.items()}
        for name in raw:
            steps[f"{name}_approx"] = dec(raw[name], ex[name])
        steps.update(delta2=ex["delta2"], delta_h=ex["delta_h"], slopes=ex["slopes"], delta1=ex["delta1"],
                     exact_shown=all(v.is_Rational for v in h))
        named = {"h": h, "o": ex["o"], "loss": [ex["loss"]], "delta2": ex["delta2"], "delta_h": ex["delta_h"],
                 "slopes": ex["slopes"], "grad_W2": ex["grad_W2"], "grad_W1": ex["grad_W1"]}
        steps["rational"] = {name: all(v.is_Rational for v in _flat(value)) for name, value in named.items()}
        o, loss, delta2, grad_W2, delta1, grad_W1 = (ex[k] for k in ("o", "loss", "delta2", "grad_W2", "delta1",
                                                                    "grad_W1"))
        answers = {"hidden": h, "output": o, "loss": loss, "grad_W1": grad_W1, "grad_b1": delta1,
                   "grad_W2": grad_W2, "grad_b2": delta2}
        return Solution(answers, steps)

    def check(self, p: Mapping[str, Any]) -> dict[str, Any]:
        # Second route: the network and its loss written once per architecture
        # as a sympy expression in a symbol per input, weight, bias and target
        # entry, differentiated by sympy.diff (no chain rule by hand), then
        # evaluated at this instance. relu is a Piecewise whose derivative at 0
        # is 0, as PyTorch takes it; the cross-entropy is log sum_k e^{o_k} - o_t,
        # without the max subtracted.
        a = _validated(p)
        net = _symbolic_network(p["activation"], p["loss"], p["n_in"], p["n_hidden"], p["n_out"], p["target"])
        values: dict[sympy.Symbol, Any] = {}
        for name in ("x", "W1", "b1", "W2", "b2", "y"):
            if name in net.symbols:
                given = a[name] if name in ("W1", "W2") else [[v] for v in a[name]]
                symbols = net.symbols[name]
                values.update({symbols[i, j]: given[i][j] for i in range(symbols.rows) for j in range(symbols.cols)})

        def at(expr: Any) -> Any:
            return normal(expr.xreplace(values))

        def grads(name: str) -> list[list[Any]]:
            return [[at(g) for g in row] for row in net.grads[name]]

        return {"hidden": [v.xreplace(values) for v in net.hidden], "output": [at(v) for v in net.output], "loss": at(net.loss),
                "grad_W1": grads("W1"), "grad_b1": [row[0] for row in grads("b1")],
                "grad_W2": grads("W2"), "grad_b2": [row[0] for row in grads("b2")]}


@dataclass(frozen=True)
class SymbolicNetwork:
    symbols: dict[str, sympy.Matrix]
    hidden: list[Any]
    output: list[Any]
    loss: Any
    grads: dict[str, list[list[Any]]]


@functools.lru_cache(maxsize=64)
def _symbolic_network(activation: str, loss_name: str, n_in: int, n_hidden: int, n_out: int,
                      target: int | None) -> SymbolicNetwork:
    """The network in symbols, with d loss / d every weight and bias by sympy.diff."""
    def matrix(name: str, rows: int, cols: int) -> sympy.Matrix:
        return sympy.Matrix(rows, cols, lambda i, j: sympy.Symbol(f"{name}_{i}_{j}", real=True))

    symbols = {"x": matrix("x", n_in, 1), "W1": matrix("W1", n_hidden, n_in), "b1": matrix("b1", n_hidden, 1),
               "W2": matrix("W2", n_out, n_hidden), "b2": matrix("b2", n_out, 1)}
    functions = {"relu": lambda z: sympy.Piecewise((z, z > 0), (0, True)),
                 "sigmoid": lambda z: 1 / (1 + sympy.exp(-z)), "tanh": sympy.tanh}
    h = (symbols["W1"] * symbols["x"] + symbols["b1"]).applyfunc(functions[activation])
    o = symbols["W2"] * h + symbols["b2"]
    if loss_name == "mse":
        symbols["y"] = matrix("y", n_out, 1)
        loss = sum(((o[k] - symbols["y"][k]) ** 2 for k in range(n_out)), sympy.Integer(0)) / n_out
    else:  # -log softmax(o)_t, as torch's log_softmax + nll_loss
        loss = sympy.log(sum(sympy.exp(o[k]) for k in range(n_out))) - o[target]
    grads = {name: [[sympy.diff(loss, symbols[name][i, j]) for j in range(symbols[name].cols)]
                    for i in range(symbols[name].rows)] for name in ("W1", "b1", "W2", "b2")}
    return SymbolicNetwork(symbols, list(h), list(o), loss, grads)


@hookimpl
def genexam_families() -> list[type[Family]]:
    return [MlpBackprop]
