"""transformer_layer: parameters and FFN multiplications of a Transformer encoder layer."""

from __future__ import annotations

import math
import random
from typing import Any, Mapping

import sympy

from genexam import hookimpl
from genexam.distributions import Choice, Computed
from genexam.family import Family, Part, Solution
from genexam.params import Int

WIDTHS = (32, 64, 100, 128, 256)


def _heads(rng: random.Random, drawn: Mapping[str, Any]) -> int:
    """1, 2, 4 or 8 heads -- one that divides d_model."""
    options = [h for h in (1, 2, 4, 8) if drawn["d_model"] % h == 0]
    return options[rng.randrange(len(options))]


def _d_ff(rng: random.Random, drawn: Mapping[str, Any]) -> int:
    return (2, 4)[rng.randrange(2)] * drawn["d_model"]


class TransformerLayer(Family):
    name = "transformer_layer"
    title = "Parameters and multiplications of a Transformer encoder layer"
    params = (
        Int("n", Choice((10, 16, 20, 32, 50, 64, 100, 128)), low=1, high=1_000_000, doc="number of tokens"),
        Int("d_model", Choice(WIDTHS), low=1, high=65_536, doc="token width"),
        Int("heads", Computed(_heads, "1, 2, 4 or 8, a divisor of d_model"), low=1, high=1024,
            doc="attention heads (each of width d_model / heads)"),
        Int("d_ff", Computed(_d_ff, "2 or 4 times d_model"), low=1, high=1_048_576,
            doc="width of the feed-forward network's hidden layer"),
        Int("layers", Choice((2, 4, 6, 8, 12)), low=1, high=1000, doc="layers in the stack of part (d)"),
    )
    constraints = ("d_model % heads == 0",)
    parts = (
        Part("a", ("ffn_params", "ffn_mults"), space="5cm"),
        Part("b", ("layernorm_params",), space="2cm"),
        Part("c", ("layer_params",), space="5cm"),
        Part("d", ("stack_params",), space="2cm"),
    )

    def solve(self, p: Mapping[str, Any]) -> Solution:
        d, f, n = sympy.Integer(p["d_model"]), sympy.Integer(p["d_ff"]), sympy.Integer(p["n"])
        # Multi-head attention: W_Q, W_K, W_V, W_O are all d x d whatever the
        # number of heads (h heads of width d/h side by side), each with a bias.
        attn_weights, attn_biases = 4 * d**2, 4 * d
        ffn_weights, ffn_biases = 2 * d * f, f + d
        layernorm = 2 * d  # gain and bias per feature
        layer = attn_weights + attn_biases + ffn_weights + ffn_biases + 2 * layernorm
        answers = {
            "ffn_params": ffn_weights + ffn_biases,
            "ffn_mults": n * 2 * d * f,
            "layernorm_params": layernorm,
            "layer_params": layer,
            "stack_params": p["layers"] * layer,
        }
        steps = {
            "head_width": d / p["heads"], "attn_weights": attn_weights, "attn_biases": attn_biases,
            "attn_params": attn_weights + attn_biases, "ffn_weights": ffn_weights, "ffn_biases": ffn_biases,
            "mults_per_token": 2 * d * f, "norms": 2 * layernorm,
        }
        return Solution(answers, steps)

    def check(self, p: Mapping[str, Any]) -> dict[str, Any]:
        # Second route: the layer's tensors by shape, named as in
        # torch.nn.TransformerEncoderLayer, and the FFN's two matrix products
        # for the n x d_model token matrix, counted as (a x b)(b x c) -> abc.
        d, f, n = p["d_model"], p["d_ff"], p["n"]
        tensors = {
            "self_attn.in_proj_weight": (3 * d, d), "self_attn.in_proj_bias": (3 * d,),
            "self_attn.out_proj.weight": (d, d), "self_attn.out_proj.bias": (d,),
            "linear1.weight": (f, d), "linear1.bias": (f,),
            "linear2.weight": (d, f), "linear2.bias": (d,),
            "norm1.weight": (d,), "norm1.bias": (d,),
            "norm2.weight": (d,), "norm2.bias": (d,),
        }
        size = {name: math.prod(shape) for name, shape in tensors.items()}

        def mults(a: tuple[int, int], b: tuple[int, int]) -> int:
            assert a[1] == b[0], "shapes must chain"
            return a[0] * a[1] * b[1]

        layer = sum(size.values())
        return {
            "ffn_params": sum(v for k, v in size.items() if k.startswith("linear")),
            "ffn_mults": mults((n, d), (d, f)) + mults((n, f), (f, d)),
            "layernorm_params": size["norm1.weight"] + size["norm1.bias"],
            "layer_params": layer,
            "stack_params": sum(layer for _ in range(p["layers"])),
        }


@hookimpl
def genexam_families() -> list[type[Family]]:
    return [TransformerLayer]
