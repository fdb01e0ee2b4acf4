"""param_count: trainable parameters of one torch.nn layer (and a conv's output size)."""

from __future__ import annotations

import math
import random
from typing import Any, Callable, Mapping

import sympy

from genexam import hookimpl
from genexam.distributions import Computed
from genexam.family import Family, Part, Solution
from genexam.params import Int, Param

LAYERS = ("linear", "conv2d", "rnn", "lstm", "gru", "embedding", "layernorm", "batchnorm2d")
RECURRENT = ("rnn", "lstm", "gru")
#: Gates of a recurrent layer: each has its own input matrix, recurrent matrix and bias(es).
GATES = {"rnn": 1, "lstm": 4, "gru": 3}
GATE_NAMES = {"rnn": ("hidden state",), "lstm": ("input", "forget", "cell candidate", "output"),
              "gru": ("reset", "update", "candidate")}

#: The arguments each layer reads (PyTorch's names), in its constructor's order.
ARGS = {
    "linear": ("in_features", "out_features", "bias"),
    "conv2d": ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "bias",
               "height", "width"),
    "rnn": ("input_size", "hidden_size", "biases"),
    "lstm": ("input_size", "hidden_size", "biases"),
    "gru": ("input_size", "hidden_size", "biases"),
    "embedding": ("num_embeddings", "embedding_dim"),
    "layernorm": ("normalized_shape",),
    "batchnorm2d": ("num_features",),
}
#: Arguments a layer cannot do without (conv2d's stride, padding, dilation and input size have defaults).
REQUIRED = {layer: tuple(a for a in args if a not in ("stride", "padding", "dilation", "height", "width"))
            for layer, args in ARGS.items()}

# Exam-sized choices for the default draws: round numbers a student multiplies by hand.
FEATURES = (8, 10, 16, 20, 32, 50, 64, 100, 128, 200, 256, 500, 512)
IN_CHANNELS = (1, 3, 8, 16, 32, 64)
OUT_CHANNELS = (8, 16, 32, 64, 128)
KERNELS = (1, 3, 5, 7)
RNN_SIZES = (10, 16, 20, 32, 50, 64, 100, 128, 200, 256)
VOCABULARIES = (100, 1000, 5000, 10_000, 30_000, 50_000)
EMBEDDING_DIMS = (16, 32, 50, 64, 100, 128, 300, 512)
NORM_WIDTHS = (10, 20, 64, 100, 128, 256, 512, 768)
CHANNELS = (3, 16, 32, 64, 128, 256)


def _layer(rng: random.Random, drawn: Mapping[str, Any]) -> str:
    """Uniform over the layers -- only those that read every layer argument a
    spec or --set fixes, so fixing in_channels alone gives a conv2d."""
    fixed = {name for name in drawn if name != "layer" and drawn[name] is not None}
    fixed &= {a for args in ARGS.values() for a in args}
    candidates = [layer for layer in LAYERS if fixed <= set(ARGS[layer])] or list(LAYERS)
    return candidates[rng.randrange(len(candidates))]


def _size_for(layers: tuple[str, ...], options: tuple[Any, ...]) -> Callable[[random.Random, Mapping[str, Any]], Any]:
    """A default that draws from ``options`` when the drawn layer reads the argument, else None."""

    def draw(rng: random.Random, drawn: Mapping[str, Any]) -> Any:
        return options[rng.randrange(len(options))] if drawn["layer"] in layers else None

    return draw


def _size(name: str, layers: tuple[str, ...], options: tuple[int, ...], doc: str, low: int = 1) -> Param:
    where = ", ".join(layers)
    text = f"one of {', '.join(map(str, options))} for {where}; null otherwise"
    return Int(name, Computed(_size_for(layers, options), text), low=low, high=1_000_000,
               doc=f"{doc} ({where}; unused otherwise)", optional=True)


def _height(rng: random.Random, drawn: Mapping[str, Any]) -> Any:
    return drawn.get("width")  # a fixed width alone gives a square input; else no input size


def _width(rng: random.Random, drawn: Mapping[str, Any]) -> Any:
    return drawn["height"]  # square unless fixed otherwise


def conv_out(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """PyTorch's Conv2d output length along one axis."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


class ParamCount(Family):
    name = "param_count"
    title = "Trainable parameters of a layer"
    params = (
        Param("layer", "choice", Computed(_layer, "one of the eight layers, uniformly (only those that read the "
                                                  "layer arguments a spec fixes)"),
              "the layer (torch.nn.Linear, Conv2d, RNN, LSTM, GRU, Embedding, LayerNorm, BatchNorm2d)",
              options=LAYERS),
        _size("in_features", ("linear",), FEATURES, "input width"),
        _size("out_features", ("linear",), FEATURES, "output width"),
        Param("bias", "bool", Computed(_size_for(("linear", "conv2d"), (True, False)),
                                       "true or false for linear and conv2d; null otherwise"),
              "whether the layer adds a bias vector (linear, conv2d; unused otherwise)", optional=True),
        _size("in_channels", ("conv2d",), IN_CHANNELS, "input channels"),
        _size("out_channels", ("conv2d",), OUT_CHANNELS, "output channels (number of filters)"),
        _size("kernel_size", ("conv2d",), KERNELS, "side of the square kernel"),
        Int("stride", 1, low=1, high=1000, doc="stride (conv2d)"),
        Int("padding", 0, low=0, high=1000, doc="zero padding on each side (conv2d)"),
        Int("dilation", 1, low=1, high=1000, doc="dilation (conv2d)"),
        Int("height", Computed(_height, "null (a fixed width alone gives a square input)"), low=1, high=1_000_000,
            optional=True, doc="input height (conv2d; with it the question asks for the output size)"),
        Int("width", Computed(_width, "the height (a square input)"), low=1, high=1_000_000, optional=True,
            doc="input width (conv2d)"),
        _size("input_size", RECURRENT, RNN_SIZES, "input width"),
        _size("hidden_size", RECURRENT, RNN_SIZES, "hidden-state width"),
        Param("biases", "choice", Computed(_size_for(RECURRENT, (1, 2)), "1 or 2 for rnn, lstm, gru; null otherwise"),
              "bias vectors per gate: 1 as textbooks write it, 2 as PyTorch's b_ih and b_hh (rnn, lstm, gru)",
              options=(1, 2), optional=True),
        _size("num_embeddings", ("embedding",), VOCABULARIES, "vocabulary size"),
        _size("embedding_dim", ("embedding",), EMBEDDING_DIMS, "embedding width"),
        _size("normalized_shape", ("layernorm",), NORM_WIDTHS, "width of the normalised last dimension"),
        _size("num_features", ("batchnorm2d",), CHANNELS, "channels"),
    )
    constraints = (
        "layer != 'conv2d' or height == None or height + 2 * padding >= dilation * (kernel_size - 1) + 1",
        "layer != 'conv2d' or width == None or width + 2 * padding >= dilation * (kernel_size - 1) + 1",
    )
    parts = (Part("a", ("params", "out_height", "out_width"), space="5cm"),)

    @classmethod
    def parts_for(cls, params: Mapping[str, Any]) -> tuple[Part, ...]:
        """The one part; fixed arguments the fixed layer does not read are an
        error here, where the spec or --set names them (not silently ignored)."""
        layer = params.get("layer")
        if layer in ARGS:
            unused = _unused(layer, params)
            if unused:
                raise ValueError(_unused_message(layer, unused))
        return cls.parts

    def solve(self, p: Mapping[str, Any]) -> Solution:
        layer = _validated(p)
        steps: dict[str, Any] = {"layer": layer}
        out_height = out_width = None
        if layer == "linear":
            weight, bias = p["out_features"] * p["in_features"], p["out_features"] if p["bias"] else 0
            steps.update(weight=weight, bias=bias)
            total = weight + bias
        elif layer == "conv2d":
            k = p["kernel_size"]
            per_filter = p["in_channels"] * k * k
            weight, bias = p["out_channels"] * per_filter, p["out_channels"] if p["bias"] else 0
            steps.update(per_filter=per_filter, weight=weight, bias=bias)
            total = weight + bias
            if p["height"] is not None:
                s, pad, d = p["stride"], p["padding"], p["dilation"]
                reach = d * (k - 1) + 1  # the dilated kernel's extent
                for axis, size in (("h", p["height"]), ("w", p["width"])):
                    numerator = size + 2 * pad - d * (k - 1) - 1
                    out = sympy.floor(sympy.Rational(numerator, s)) + 1
                    steps[f"num_{axis}"], steps[f"out_{axis}"] = numerator, int(out)
                steps["reach"] = reach
                out_height, out_width = steps["out_h"], steps["out_w"]
        elif layer in RECURRENT:
            g, i, h = GATES[layer], p["input_size"], p["hidden_size"]
            per_gate = {"w": h * i, "u": h * h, "b": p["biases"] * h}
            steps.update(gates=g, gate_names=GATE_NAMES[layer], per_gate=per_gate,
                         gate_total=sum(per_gate.values()),
                         other_biases=h * g)  # the other convention has one bias vector per gate more or fewer
            total = g * sum(per_gate.values())
            steps["other_total"] = total + (1 if p["biases"] == 1 else -1) * steps["other_biases"]
        elif layer == "embedding":
            total = p["num_embeddings"] * p["embedding_dim"]
        elif layer == "layernorm":
            total = 2 * p["normalized_shape"]
        else:
            total = 2 * p["num_features"]
        answers = {"params": sympy.Integer(total), "out_height": out_height, "out_width": out_width}
        return Solution(answers, steps)

    def check(self, p: Mapping[str, Any]) -> dict[str, Any]:
        # Second route: the layer's weight tensors as PyTorch names them, each
        # multiplied out; a conv's output length by counting the positions the
        # dilated kernel fits into the padded input.
        layer = _validated(p)
        out_height = out_width = None
        tensors = _tensors(layer, p)
        if layer == "conv2d" and p["height"] is not None:
            out_height, out_width = (_positions(size, p) for size in (p["height"], p["width"]))
        return {"params": sum(math.prod(shape) for shape in tensors.values()),
                "out_height": out_height, "out_width": out_width}


def _tensors(layer: str, p: Mapping[str, Any]) -> dict[str, tuple[int, ...]]:
    """name -> shape of every trainable tensor, as torch.nn names them."""
    if layer == "linear":
        shapes = {"weight": (p["out_features"], p["in_features"])}
        return shapes | ({"bias": (p["out_features"],)} if p["bias"] else {})
    if layer == "conv2d":
        k = p["kernel_size"]
        shapes = {"weight": (p["out_channels"], p["in_channels"], k, k)}
        return shapes | ({"bias": (p["out_channels"],)} if p["bias"] else {})
    if layer in RECURRENT:
        stacked = {"rnn": 1, "lstm": 4, "gru": 3}[layer] * p["hidden_size"]  # gates stacked along dim 0
        shapes = {"weight_ih_l0": (stacked, p["input_size"]), "weight_hh_l0": (stacked, p["hidden_size"])}
        if p["biases"] == 2:
            return shapes | {"bias_ih_l0": (stacked,), "bias_hh_l0": (stacked,)}
        return shapes | {"bias_l0": (stacked,)}
    if layer == "embedding":
        return {"weight": (p["num_embeddings"], p["embedding_dim"])}
    if layer == "layernorm":
        return {"weight": (p["normalized_shape"],), "bias": (p["normalized_shape"],)}
    return {"weight": (p["num_features"],), "bias": (p["num_features"],)}


def _positions(size: int, p: Mapping[str, Any]) -> int:
    """Start positions of the dilated kernel inside the padded input, one stride apart."""
    padded, last_tap = size + 2 * p["padding"], p["dilation"] * (p["kernel_size"] - 1)
    return sum(1 for start in range(0, padded, p["stride"]) if start + last_tap < padded)


#: Arguments whose default is a value, not null: set to that value, they say nothing about the layer.
NEUTRAL = {"stride": 1, "padding": 0, "dilation": 1}


def _unused(layer: str, p: Mapping[str, Any]) -> list[str]:
    """Arguments given a value that ``layer`` does not read (kernel_size for a linear layer)."""
    every = dict.fromkeys(a for args in ARGS.values() for a in args)
    return [a for a in every if a not in ARGS[layer] and a in p and p[a] is not None and p[a] != NEUTRAL.get(a)]


def _unused_message(layer: str, unused: list[str]) -> str:
    readers = sorted({other for other, args in ARGS.items() if unused[0] in args})
    return (f"layer '{layer}' does not read {', '.join(unused)}; remove {'it' if len(unused) == 1 else 'them'}, "
            f"or choose a layer that does ({unused[0]}: {', '.join(readers)})")


def _validated(p: Mapping[str, Any]) -> str:
    """The layer, once every argument it needs is present and none it ignores is set."""
    layer = p["layer"]
    unused = _unused(layer, p)
    if unused:
        raise ValueError(_unused_message(layer, unused))
    missing = [a for a in REQUIRED[layer] if p[a] is None]
    if missing:
        raise ValueError(f"layer '{layer}' needs {', '.join(missing)} (set {missing[0]} to a value, not null)")
    if layer == "conv2d" and (p["height"] is None) != (p["width"] is None):
        raise ValueError("give both height and width of the conv2d input, or neither")
    return layer


@hookimpl
def genexam_families() -> list[type[Family]]:
    return [ParamCount]
