"""conv_stack: shapes, parameters, multiplications and the receptive field of a
stack of Conv2d / MaxPool2d / AvgPool2d / ConvTranspose2d layers, with
PyTorch's output-size formulas (ceil_mode=False, groups=1, square kernels)."""

from __future__ import annotations

import random
from typing import Any, Mapping

import sympy

from genexam import hookimpl
from genexam.block_figure import shape_diagram
from genexam.distributions import Choice, Computed
from genexam.errors import did_you_mean
from genexam.family import Family, Part, Solution
from genexam.params import Data, Int

KINDS = ("conv2d", "maxpool2d", "avgpool2d", "conv_transpose2d")
CONVS = ("conv2d", "conv_transpose2d")
TORCH_NAMES = {"conv2d": "Conv2d", "maxpool2d": "MaxPool2d", "avgpool2d": "AvgPool2d",
               "conv_transpose2d": "ConvTranspose2d"}
#: The keys a layer may have; which apply to which kind is checked in _layer.
KEYS = ("kind", "out_channels", "kernel_size", "stride", "padding", "dilation", "bias", "output_padding")
MAX_LAYERS = 6


def _int(layer: Mapping[str, Any], key: str, index: int, low: int, high: int) -> int:
    value = layer[key]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"layers[{index}].{key} must be an integer from {low} to {high}, found {value!r}")
    return value


def _layer(raw: Any, index: int) -> dict[str, Any]:
    """One layer with every key filled in (PyTorch's defaults; null where a key does not apply)."""
    if not isinstance(raw, Mapping):
        raise ValueError(f"layers[{index}] must be a mapping such as {{kind: conv2d, out_channels: 8, "
                         f"kernel_size: 3}}, found {raw!r}")
    raw = {key: value for key, value in raw.items() if value is not None}  # null: not given
    for key in raw:
        if key not in KEYS:
            raise ValueError(f"layers[{index}] has no key '{key}'{did_you_mean(str(key), KEYS)}; "
                             f"its keys are {', '.join(KEYS)}")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise ValueError(f"layers[{index}].kind must be one of {', '.join(KINDS)}, found {kind!r}"
                         f"{did_you_mean(str(kind), KINDS)}")
    if "kernel_size" not in raw:
        raise ValueError(f"layers[{index}] ({kind}) needs kernel_size")
    conv = kind in CONVS
    if conv and "out_channels" not in raw:
        raise ValueError(f"layers[{index}] ({kind}) needs out_channels")
    for key in ("out_channels", "bias", "output_padding"):
        if not conv and key in raw:
            raise ValueError(f"layers[{index}] ({kind}) has no {key}: only conv2d and conv_transpose2d do")
    if kind == "conv2d" and "output_padding" in raw:
        raise ValueError(f"layers[{index}] (conv2d) has no output_padding: only conv_transpose2d does")
    if kind == "avgpool2d" and raw.get("dilation", 1) != 1:
        raise ValueError(f"layers[{index}] (avgpool2d) has no dilation in PyTorch; leave it out")
    k = _int(raw, "kernel_size", index, 1, 15)
    layer: dict[str, Any] = {"kind": kind, "out_channels": None, "kernel_size": k,
                             # PyTorch: a pool's stride defaults to its kernel size, a conv's to 1
                             "stride": raw.get("stride", 1 if conv else k), "padding": raw.get("padding", 0),
                             "dilation": raw.get("dilation", 1), "bias": None, "output_padding": None}
    for key, low, high in (("stride", 1, 15), ("padding", 0, 15), ("dilation", 1, 8)):
        _int(layer, key, index, low, high)
    if conv:
        layer["out_channels"] = _int(raw, "out_channels", index, 1, 4096)
        layer["bias"] = raw.get("bias", True)
        if not isinstance(layer["bias"], bool):
            raise ValueError(f"layers[{index}].bias must be true or false, found {layer['bias']!r}")
    if kind == "conv_transpose2d":
        layer["output_padding"] = raw.get("output_padding", 0)
        _int(layer, "output_padding", index, 0, 15)
        if layer["output_padding"] >= max(layer["stride"], layer["dilation"]):
            raise ValueError(f"layers[{index}].output_padding must be smaller than the stride or the dilation "
                             f"(PyTorch's rule), found {layer['output_padding']}")
    elif not conv and 2 * layer["padding"] > k:
        raise ValueError(f"layers[{index}].padding must be at most half the kernel size for a pool "
                         f"(PyTorch's rule), found padding {layer['padding']} with kernel_size {k}")
    return layer


def validate_layers(raw: Any) -> list[dict[str, Any]]:
    """The layers as a list of complete dicts, or a ValueError saying what is wrong."""
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_LAYERS:
        raise ValueError(f"layers must be a list of 1 to {MAX_LAYERS} layers, found {raw!r}")
    return [_layer(item, i) for i, item in enumerate(raw)]


def out_size(layer: Mapping[str, Any], size: int) -> int:
    """PyTorch's output length along one axis (the formulas in its docs)."""
    k, s, p, d = layer["kernel_size"], layer["stride"], layer["padding"], layer["dilation"]
    if layer["kind"] == "conv_transpose2d":
        return (size - 1) * s - 2 * p + d * (k - 1) + layer["output_padding"] + 1
    if layer["kind"] == "avgpool2d":
        return (size + 2 * p - k) // s + 1
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def _draw_layers(rng: random.Random, drawn: Mapping[str, Any]) -> list[dict[str, Any]]:
    """2 to 4 layers of a small CNN: 3x3 or 5x5 convolutions (some strided or
    dilated), 2x2 pools, and now and then an upsampling transposed convolution,
    all with outputs of at least 2 x 2."""
    for _ in range(200):
        size = min(drawn["height"], drawn["width"])
        channels = rng.choice((4, 8, 16))
        layers = []
        for position in range(rng.randint(2, 4)):
            kind = rng.choice(("conv2d", "conv2d", "conv2d", "maxpool2d", "maxpool2d", "avgpool2d",
                               "conv_transpose2d") if position else ("conv2d",))
            if kind == "conv2d":
                k = rng.choice((3, 3, 5))
                layer = {"kind": kind, "out_channels": channels, "kernel_size": k,
                         "stride": rng.choice((1, 1, 2)), "padding": rng.choice((0, k // 2)),
                         "dilation": rng.choice((1, 1, 1, 2)), "bias": rng.choice((True, True, False))}
                channels = min(64, channels * rng.choice((1, 2)))
            elif kind == "conv_transpose2d":
                k, p = rng.choice(((2, 0), (3, 1), (4, 1)))
                layer = {"kind": kind, "out_channels": channels, "kernel_size": k, "stride": 2, "padding": p,
                         "output_padding": 1 if k == 3 else 0, "bias": rng.choice((True, False))}
            else:
                layer = {"kind": kind, "kernel_size": 2}
            layer = _layer(layer, position)
            size = out_size(layer, size)
            layers.append(layer)
        if size >= 2:
            return layers
    return layers


def receptive_field(layers: list[Mapping[str, Any]]) -> int | None:
    """r_L = 1 + sum_l (d_l (k_l - 1)) * prod_{i<l} s_i, in input pixels; None
    when a transposed convolution (an upsampling) is in the stack."""
    if any(layer["kind"] == "conv_transpose2d" for layer in layers):
        return None
    field, jump = 1, 1
    for layer in layers:
        field += layer["dilation"] * (layer["kernel_size"] - 1) * jump
        jump *= layer["stride"]
    return field


class ConvStack(Family):
    name = "conv_stack"
    title = "Shapes, parameters, multiplications and receptive field of a CNN"
    params = (
        Int("in_channels", Choice((1, 3)), low=1, high=4096, doc="channels of the input image"),
        Int("height", Choice((16, 28, 32)), low=1, high=4096, doc="input height"),
        Int("width", Computed(lambda rng, drawn: drawn["height"], "the height (a square input)"), low=1,
            high=4096, doc="input width"),
        Data("layers", Computed(_draw_layers, "2 to 4 layers: conv2d 3x3/5x5 (some strided or dilated), 2x2 "
                                              "pools, sometimes a conv_transpose2d with stride 2"),
             "a list of 1 to 6 layers: mappings with kind (conv2d, maxpool2d, avgpool2d, conv_transpose2d), "
             "kernel_size, and optionally out_channels (convs), stride, padding, dilation, bias, "
             "output_padding (conv_transpose2d)",
             doc="the layers, in order; PyTorch's argument names and defaults (a pool's stride is its kernel size)",
             validator=validate_layers, optional=False),
    )
    parts = (
        Part("a", ("shapes",), space="6cm"),
        Part("b", ("params", "total_params"), space="5cm"),
        Part("c", ("mults", "total_mults"), space="5cm"),
        Part("d", ("receptive_field",), space="4cm"),
    )

    def solve(self, p: Mapping[str, Any]) -> Solution:
        layers = validate_layers(p["layers"])
        channels, height, width = p["in_channels"], p["height"], p["width"]
        rows, shapes, params, mults = [], [], [], []
        for index, layer in enumerate(layers, start=1):
            k, s, pad, d = (layer[key] for key in ("kernel_size", "stride", "padding", "dilation"))
            out_h, out_w = out_size(layer, height), out_size(layer, width)
            if out_h < 1 or out_w < 1:
                raise ValueError(f"layer {index} ({layer['kind']}, kernel_size {k}) does not fit its "
                                 f"{height} x {width} input: the output would be {out_h} x {out_w}; "
                                 "use a larger input or more padding")
            kind = layer["kind"]
            out_c = layer["out_channels"] if kind in CONVS else channels
            row: dict[str, Any] = {"index": index, "kind": kind, "torch": TORCH_NAMES[kind], "k": k, "s": s,
                                   "p": pad, "d": d, "in": (channels, height, width), "out": (out_c, out_h, out_w),
                                   "reach": d * (k - 1) + 1, "output_padding": layer["output_padding"]}
            if kind == "conv_transpose2d":
                row["num"] = [(size - 1) * s - 2 * pad + d * (k - 1) + layer["output_padding"] + 1
                              for size in (height, width)]
            else:
                reach = k if kind == "avgpool2d" else d * (k - 1) + 1
                row["num"] = [size + 2 * pad - reach for size in (height, width)]
            if kind in CONVS:
                per_filter = channels * k * k
                weights, bias = out_c * per_filter, out_c if layer["bias"] else 0
                # One multiplication per weight per position: at each output pixel for a
                # convolution, at each input pixel (scattered) for a transposed one.
                positions = height * width if kind == "conv_transpose2d" else out_h * out_w
                layer_mults = positions * out_c * per_filter
                row.update(per_filter=per_filter, weights=weights, bias=bias, positions=positions)
            else:
                weights = bias = layer_mults = 0
            row.update(params=weights + bias, mults=layer_mults)
            rows.append(row)
            shapes.append([out_c, out_h, out_w])
            params.append(weights + bias)
            mults.append(layer_mults)
            channels, height, width = out_c, out_h, out_w
        field = receptive_field(layers)
        jumps, field_terms, jump = [], [], 1
        for layer in layers:
            jumps.append(jump)
            field_terms.append(layer["dilation"] * (layer["kernel_size"] - 1) * jump)
            jump *= layer["stride"]
        answers = {"shapes": shapes, "params": params, "total_params": sum(params), "mults": mults,
                   "total_mults": sum(mults), "receptive_field": field}
        labels = [[f"{TORCH_NAMES[r['kind']]} k{r['k']}", f"s{r['s']} p{r['p']}" + (f" d{r['d']}" if r['d'] != 1 else "")]
                  for r in rows]
        figure = shape_diagram([(p["in_channels"], p["height"], p["width"])] + [tuple(s) for s in shapes], labels)
        steps = {"rows": rows, "jumps": jumps, "field_terms": field_terms,
                 "has_transpose": field is None, "has_pool": any(r["kind"] not in CONVS for r in rows)}
        return Solution(answers, steps, {"shapes": figure})

    def check(self, p: Mapping[str, Any]) -> dict[str, Any]:
        # Second route, no size formulas: each output length counts the places
        # the (dilated) window fits in the padded input, one stride apart; a
        # transposed convolution's is the span its input pixels scatter to,
        # cropped by the padding. Parameters from the weight tensors' shapes;
        # multiplications as (output or input pixels) x weights; the receptive
        # field by following one output pixel's inputs back to the image.
        layers = validate_layers(p["layers"])
        c, h, w = p["in_channels"], p["height"], p["width"]
        shapes, params, mults = [], [], []
        for layer in layers:
            k, s, pad, d = (layer[key] for key in ("kernel_size", "stride", "padding", "dilation"))
            if layer["kind"] == "conv_transpose2d":
                span = lambda n: max(i * s + j * d for i in range(n) for j in range(k)) + 1  # noqa: E731
                oh, ow = (span(n) - 2 * pad + layer["output_padding"] for n in (h, w))
            else:
                last = k - 1 if layer["kind"] == "avgpool2d" else d * (k - 1)
                fits = lambda n: sum(1 for a in range(0, n + 2 * pad, s) if a + last < n + 2 * pad)  # noqa: E731
                oh, ow = fits(h), fits(w)
            if layer["kind"] in CONVS:
                oc = layer["out_channels"]
                shape = (c, oc, k, k) if layer["kind"] == "conv_transpose2d" else (oc, c, k, k)
                weights = shape[0] * shape[1] * shape[2] * shape[3]
                params.append(weights + (oc if layer["bias"] else 0))
                mults.append(weights * (h * w if layer["kind"] == "conv_transpose2d" else oh * ow))
            else:
                oc = c
                params.append(0)
                mults.append(0)
            shapes.append([oc, oh, ow])
            c, h, w = oc, oh, ow
        field = None
        if all(layer["kind"] != "conv_transpose2d" for layer in layers):
            reached = {0}
            for layer in reversed(layers):
                taps = range(layer["kernel_size"])
                step = 1 if layer["kind"] == "avgpool2d" else layer["dilation"]
                reached = {o * layer["stride"] - layer["padding"] + j * step for o in reached for j in taps}
            field = max(reached) - min(reached) + 1
        return {"shapes": shapes, "params": params, "total_params": sum(params), "mults": mults,
                "total_mults": sum(mults), "receptive_field": field}


@hookimpl
def genexam_families() -> list[type[Family]]:
    return [ConvStack]
