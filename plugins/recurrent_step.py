"""recurrent_step: one time step of an LSTM or GRU cell with small given weights.

The weights are laid out as torch.nn.LSTMCell / GRUCell store them: the gates'
rows stacked in PyTorch's order (i, f, g, o for the LSTM; r, z, n for the
GRU) in ``weight_ih`` (G*H x I) and ``weight_hh`` (G*H x H), with two bias
vectors ``bias_ih`` and ``bias_hh``. The GRU's candidate applies the reset
gate to the recurrent term including its bias, as PyTorch does:
n = tanh(W_in x + b_in + r * (W_hn h + b_hn)).
"""

from __future__ import annotations

import random
from typing import Any, Mapping

import sympy

from genexam import hookimpl
from genexam.decimals import approx
from genexam.distributions import Choice, Computed
from genexam.family import Family, Part, Solution
from genexam.params import Int, Matrix, OneOf, Vector
from genexam.values import to_sympy

CELLS = ("lstm", "gru")
GATES = {"lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}
ALL_GATES = ("i", "f", "g", "o", "r", "z", "n")
GATE_NAMES = {"i": "input gate", "f": "forget gate", "g": "cell candidate", "o": "output gate",
              "r": "reset gate", "z": "update gate", "n": "candidate state"}
SIZES = (8, 10, 16, 20, 32, 50, 64, 100, 128, 256)


def sigmoid(z: Any) -> Any:
    """The logistic function, exactly: 1/(1 + e^{-z})."""
    return 1 / (1 + sympy.exp(-z))


def _small(rng: random.Random) -> int:
    return rng.choice((-1, 0, 0, 1, 1, 2))


def _x(rng: random.Random, drawn: Mapping[str, Any]) -> list[int]:
    return [rng.choice((-1, 1, 2)) for _ in range(rng.choice((1, 1, 2)))]


def _h(rng: random.Random, drawn: Mapping[str, Any]) -> list[int]:
    return [rng.choice((-1, 0, 1)) for _ in range(rng.choice((1, 1, 2)))]


def _c(rng: random.Random, drawn: Mapping[str, Any]) -> list[int] | None:
    return [rng.choice((-1, 0, 1, 2)) for _ in drawn["h_prev"]] if drawn["cell"] == "lstm" else None


def _rows(drawn: Mapping[str, Any]) -> int:
    return len(GATES[drawn["cell"]]) * len(drawn["h_prev"])


def _weight_ih(rng: random.Random, drawn: Mapping[str, Any]) -> list[list[int]]:
    return [[_small(rng) for _ in drawn["x"]] for _ in range(_rows(drawn))]


def _weight_hh(rng: random.Random, drawn: Mapping[str, Any]) -> list[list[int]]:
    return [[_small(rng) for _ in drawn["h_prev"]] for _ in range(_rows(drawn))]


def _bias_ih(rng: random.Random, drawn: Mapping[str, Any]) -> list[int]:
    return [rng.choice((-1, 0, 0, 1)) for _ in range(_rows(drawn))]


def _bias_hh(rng: random.Random, drawn: Mapping[str, Any]) -> list[int]:
    return [rng.choice((0, 0, 0, 1, -1)) for _ in range(_rows(drawn))]


def gate_blocks(p: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Each gate's slice of the stacked weights: W (H x I), U (H x H), b_i, b_h."""
    hidden = len(p["h_prev"])
    blocks = {}
    for k, gate in enumerate(GATES[p["cell"]]):
        rows = slice(k * hidden, (k + 1) * hidden)
        blocks[gate] = {"W": to_sympy(p["weight_ih"][rows]), "U": to_sympy(p["weight_hh"][rows]),
                        "b_i": to_sympy(p["bias_ih"][rows]), "b_h": to_sympy(p["bias_hh"][rows])}
    return blocks


def _dot(row: list[Any], vector: list[Any]) -> Any:
    return sum((w * v for w, v in zip(row, vector)), sympy.Integer(0))


def cell_params(cell: str, input_size: int, hidden_size: int) -> int:
    """Parameters of torch.nn.LSTMCell / GRUCell: G gates, each H x I + H x H weights and two biases of H."""
    gates = len(GATES[cell])
    return gates * (hidden_size * input_size + hidden_size * hidden_size + 2 * hidden_size)


class RecurrentStep(Family):
    name = "recurrent_step"
    title = "One time step of an LSTM or GRU cell (as torch.nn.LSTMCell / GRUCell)"
    params = (
        OneOf("cell", CELLS, Choice(CELLS), doc="lstm or gru"),
        Vector("x", Computed(_x, "1 (or 2) of -1, 1, 2"), low=-10, high=10, element="rational", length=(1, 2),
               doc="the input x_t (width I)"),
        Vector("h_prev", Computed(_h, "1 (or 2) of -1, 0, 1"), low=-10, high=10, element="rational",
               length=(1, 2), doc="the previous hidden state h_{t-1} (width H)"),
        Vector("c_prev", Computed(_c, "H of -1, 0, 1, 2 for lstm; null for gru"), low=-10, high=10,
               element="rational", length=(1, 2), optional=True, doc="the previous cell state c_{t-1} (lstm)"),
        Matrix("weight_ih", Computed(_weight_ih, "G*H x I of -1, 0, 1, 2"), low=-10, high=10, element="rational",
               length=(1, 8), doc="input weights, gates stacked in torch's order (i, f, g, o or r, z, n): G*H x I"),
        Matrix("weight_hh", Computed(_weight_hh, "G*H x H of -1, 0, 1, 2"), low=-10, high=10, element="rational",
               length=(1, 8), doc="recurrent weights, stacked likewise: G*H x H"),
        Vector("bias_ih", Computed(_bias_ih, "G*H of -1, 0, 1"), low=-10, high=10, element="rational",
               length=(1, 8), doc="input bias b_ih (G*H)"),
        Vector("bias_hh", Computed(_bias_hh, "G*H of -1, 0, 1, mostly 0"), low=-10, high=10, element="rational",
               length=(1, 8), doc="recurrent bias b_hh (G*H)"),
        Int("input_size", Choice(SIZES), low=1, high=100_000, doc="input size of the cell whose parameters are counted"),
        Int("hidden_size", Choice(SIZES), low=1, high=100_000, doc="hidden size of the cell whose parameters are counted"),
    )
    constraints = (
        "cell != 'lstm' or (c_prev != None and len(c_prev) == len(h_prev))",
        "(cell == 'lstm' and len(weight_ih) == 4 * len(h_prev)) or (cell == 'gru' and len(weight_ih) == 3 * len(h_prev))",
        "len(weight_hh) == len(weight_ih) and len(bias_ih) == len(weight_ih) and len(bias_hh) == len(weight_ih)",
        "len(weight_ih[0]) == len(x) and len(weight_hh[0]) == len(h_prev)",
    )
    parts = (
        Part("a", ALL_GATES, space="6cm"),
        Part("b", ("c_t", "h_t"), space="4cm"),
        Part("c", ("params",), space="3cm"),
    )

    def solve(self, p: Mapping[str, Any]) -> Solution:
        cell = p["cell"]
        x, h = to_sympy(p["x"]), to_sympy(p["h_prev"])
        blocks = gate_blocks(p)
        hidden = len(h)
        rows = []
        gates: dict[str, list[Any]] = {}
        pre: dict[str, list[Any]] = {}
        for gate, blk in blocks.items():
            input_part = [_dot(blk["W"][k], x) + blk["b_i"][k] for k in range(hidden)]
            recurrent = [_dot(blk["U"][k], h) + blk["b_h"][k] for k in range(hidden)]
            if gate == "n":  # the reset gate scales the whole recurrent term, bias included
                pre[gate] = [a + r * b for a, r, b in zip(input_part, gates["r"], recurrent)]
            else:
                pre[gate] = [a + b for a, b in zip(input_part, recurrent)]
            squash = sympy.tanh if gate in ("g", "n") else sigmoid
            gates[gate] = [squash(z) for z in pre[gate]]
            rows.append({"gate": gate, "name": GATE_NAMES[gate], "input_part": input_part, "recurrent": recurrent,
                         "pre": pre[gate], "value": gates[gate], "squash": "tanh" if squash is sympy.tanh else "sigma",
                         "approx": [approx(v, 4) for v in gates[gate]], **blk})
        if cell == "lstm":
            c = to_sympy(p["c_prev"])
            c_t = [f * cp + i * g for f, cp, i, g in zip(gates["f"], c, gates["i"], gates["g"])]
            h_t = [o * sympy.tanh(ct) for o, ct in zip(gates["o"], c_t)]
        else:
            c_t = None
            h_t = [(1 - z) * n + z * hp for z, n, hp in zip(gates["z"], gates["n"], h)]
        answers = {g: gates.get(g) for g in ALL_GATES}
        answers |= {"c_t": c_t, "h_t": h_t,
                    "params": sympy.Integer(cell_params(cell, p["input_size"], p["hidden_size"]))}
        gates_n = len(GATES[cell])
        I, H = p["input_size"], p["hidden_size"]
        steps = {
            "rows": rows, "hidden": hidden, "width": len(x), "gates": GATES[cell], "stacked": gates_n * hidden,
            "c_t_approx": [approx(v, 4) for v in c_t] if c_t else None,
            "h_t_approx": [approx(v, 4) for v in h_t],
            "count": {"weights_ih": gates_n * H * I, "weights_hh": gates_n * H * H, "biases": 2 * gates_n * H,
                      "G": gates_n},
        }
        return Solution(answers, steps)

    def check(self, p: Mapping[str, Any]) -> dict[str, Any]:
        # Second route: torch's layout -- one matrix product for all gates,
        # W_ih x + b_ih and W_hh h + b_hh, cut into G chunks of H rows; the
        # parameter count from the tensors' shapes as LSTMCell/GRUCell hold them.
        cell = p["cell"]
        x, h = sympy.Matrix(to_sympy(p["x"])), sympy.Matrix(to_sympy(p["h_prev"]))
        gi = sympy.Matrix(to_sympy(p["weight_ih"])) * x + sympy.Matrix(to_sympy(p["bias_ih"]))
        gh = sympy.Matrix(to_sympy(p["weight_hh"])) * h + sympy.Matrix(to_sympy(p["bias_hh"]))
        H = h.rows
        chunk = lambda m, k: m[k * H:(k + 1) * H, 0]  # noqa: E731
        out: dict[str, Any] = {g: None for g in ALL_GATES}
        if cell == "lstm":
            acts = gi + gh
            i, f, o = (chunk(acts, k).applyfunc(sigmoid) for k in (0, 1, 3))
            g = chunk(acts, 2).applyfunc(sympy.tanh)
            c = sympy.Matrix(to_sympy(p["c_prev"]))
            c_t = f.multiply_elementwise(c) + i.multiply_elementwise(g)
            h_t = o.multiply_elementwise(c_t.applyfunc(sympy.tanh))
            out |= {"i": list(i), "f": list(f), "g": list(g), "o": list(o), "c_t": list(c_t), "h_t": list(h_t)}
        else:
            r = (chunk(gi, 0) + chunk(gh, 0)).applyfunc(sigmoid)
            z = (chunk(gi, 1) + chunk(gh, 1)).applyfunc(sigmoid)
            n = (chunk(gi, 2) + r.multiply_elementwise(chunk(gh, 2))).applyfunc(sympy.tanh)
            h_t = (sympy.ones(H, 1) - z).multiply_elementwise(n) + z.multiply_elementwise(h)
            out |= {"r": list(r), "z": list(z), "n": list(n), "c_t": None, "h_t": list(h_t)}
        G, I, Hs = len(GATES[cell]), p["input_size"], p["hidden_size"]
        shapes = {"weight_ih": (G * Hs, I), "weight_hh": (G * Hs, Hs), "bias_ih": (G * Hs,), "bias_hh": (G * Hs,)}
        out["params"] = sum(sympy.prod(s) for s in shapes.values())
        return out


@hookimpl
def genexam_families() -> list[type[Family]]:
    return [RecurrentStep]
