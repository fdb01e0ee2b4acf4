"""transformer_budget: the parameter, compute and memory budget of a
Transformer language model -- exact parameters as torch.nn counts them, the
12 L d^2 rule, 6 N D training FLOPs, the KV cache and Adam's training memory."""

from __future__ import annotations

import random
from typing import Any, Mapping

import sympy

from genexam import hookimpl
from genexam.decimals import approx
from genexam.distributions import Choice, Computed
from genexam.family import Family, Part, Solution
from genexam.params import Bool, Int

UNITS = (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10))


def binary_unit(size: int) -> tuple[str, sympy.Rational]:
    """The largest binary unit in which ``size`` bytes is at least 1, and the exact size in it."""
    for name, scale in UNITS:
        if size >= scale:
            return name, sympy.Rational(size, scale)
    return "bytes", sympy.Integer(size)


def _heads(rng: random.Random, drawn: Mapping[str, Any]) -> int:
    """A head count that divides d_model, with heads of width 32 to 128."""
    options = [h for h in (2, 4, 8, 12, 16) if drawn["d_model"] % h == 0 and 32 <= drawn["d_model"] // h <= 128]
    return rng.choice(options or [1])


def layer_tensors(d: int, d_ff: int) -> dict[str, tuple[int, ...]]:
    """name -> shape of every parameter of torch.nn.TransformerEncoderLayer(d, heads, d_ff)
    (bias=True; the heads share the stacked in_proj matrices, so the count does not depend on them)."""
    return {
        "self_attn.in_proj_weight": (3 * d, d), "self_attn.in_proj_bias": (3 * d,),
        "self_attn.out_proj.weight": (d, d), "self_attn.out_proj.bias": (d,),
        "linear1.weight": (d_ff, d), "linear1.bias": (d_ff,),
        "linear2.weight": (d, d_ff), "linear2.bias": (d,),
        "norm1.weight": (d,), "norm1.bias": (d,), "norm2.weight": (d,), "norm2.bias": (d,),
    }


class TransformerBudget(Family):
    name = "transformer_budget"
    title = "Parameters, training compute and memory of a Transformer language model"
    params = (
        Int("layers", Choice((2, 4, 6, 12)), low=1, high=1000, doc="number of encoder layers L"),
        Int("d_model", Choice((128, 256, 512, 768)), low=1, high=100_000, doc="model width d"),
        Int("heads", Computed(_heads, "a divisor of d_model giving heads of width 32 to 128"), low=1, high=1024,
            doc="attention heads (d_model must be a multiple)"),
        Int("d_ff", Computed(lambda rng, drawn: 4 * drawn["d_model"], "4 d_model"), low=1, high=1_000_000,
            doc="feed-forward width"),
        Int("vocab", Choice((1000, 8000, 32_000, 50_000)), low=1, high=10_000_000, doc="vocabulary size"),
        Int("context", Choice((128, 256, 512, 1024, 2048)), low=1, high=10_000_000,
            doc="context length (learned positions, and the KV cache's length)"),
        Int("tokens", Choice((10**9, 2 * 10**9, 10**10, 3 * 10**10, 10**11)), low=1, high=10**15,
            doc="training tokens D"),
        Int("batch", Choice((1, 8, 16, 32)), low=1, high=1_000_000, doc="sequences decoded at once (KV cache)"),
        Int("bytes_per_value", Choice((2, 4)), low=1, high=16, doc="bytes per stored number (2: fp16/bf16, 4: fp32)"),
        Bool("tied", Choice((True, False)), doc="whether the output head reuses the token embedding matrix"),
    )
    constraints = ("d_model % heads == 0",)
    parts = (
        Part("a", ("params",), space="7cm"),
        Part("b", ("params_approx", "train_flops"), space="4cm"),
        Part("c", ("kv_cache_bytes",), space="4cm"),
        Part("d", ("adam_train_bytes",), space="4cm"),
    )

    def solve(self, p: Mapping[str, Any]) -> Solution:
        L, d, d_ff, V, T = p["layers"], p["d_model"], p["d_ff"], p["vocab"], p["context"]
        attention = 4 * d * d + 4 * d  # Q, K, V and output projections with their biases
        ffn = 2 * d * d_ff + d_ff + d  # two linear maps with biases
        norms = 4 * d  # two LayerNorms, a gain and a bias each
        per_layer = attention + ffn + norms
        embeddings = V * d + T * d
        head = 0 if p["tied"] else V * d
        final_norm = 2 * d
        params = embeddings + L * per_layer + final_norm + head
        params_approx = 12 * L * d * d
        flops = 6 * params * p["tokens"]
        kv = 2 * L * T * d * p["batch"] * p["bytes_per_value"]
        adam = 4 * params * p["bytes_per_value"]
        answers = {"params": params, "params_approx": params_approx, "train_flops": flops,
                   "kv_cache_bytes": kv, "adam_train_bytes": adam}
        non_embedding = L * per_layer
        steps = {
            "attention": attention, "ffn": ffn, "norms": norms, "per_layer": per_layer, "stack": L * per_layer,
            "token_embedding": V * d, "position_embedding": T * d, "final_norm": final_norm, "head": head,
            "d_head": d // p["heads"],
            "non_embedding": non_embedding,
            # how far the rule of thumb is from the layers it approximates (d_ff = 4 d: 12 d^2 + 13 d)
            "rule_ratio": sympy.Rational(params_approx, non_embedding),
            "rule_ratio_approx": approx(sympy.Rational(params_approx, non_embedding), 4),
            "params_millions": sympy.Rational(params, 10**6),
            "params_millions_approx": approx(sympy.Rational(params, 10**6), 4),
            "train_flops_approx": approx(flops, 4),
            "kv_cache_unit": binary_unit(kv)[0],
            "kv_cache_size": binary_unit(kv)[1],
            "kv_cache_size_approx": approx(binary_unit(kv)[1], 4),
            "adam_train_unit": binary_unit(adam)[0],
            "adam_train_size": binary_unit(adam)[1],
            "adam_train_size_approx": approx(binary_unit(adam)[1], 4),
            "per_token_kv": 2 * L * d * p["bytes_per_value"],
            "each_copy": params * p["bytes_per_value"],
        }
        return Solution(answers, steps)

    def check(self, p: Mapping[str, Any]) -> dict[str, Any]:
        # Second route: every tensor as torch.nn names it, multiplied out and
        # summed (a tied head shares the embedding's tensor and is not counted
        # again); the memories as tensors of shape (L, 2, batch, context, d).
        L, d, V, T = p["layers"], p["d_model"], p["vocab"], p["context"]
        shapes: dict[str, tuple[int, ...]] = {"tok_emb.weight": (V, d), "pos_emb.weight": (T, d),
                                              "norm.weight": (d,), "norm.bias": (d,)}
        for layer in range(L):
            shapes |= {f"layers.{layer}.{name}": shape for name, shape in layer_tensors(d, p["d_ff"]).items()}
        if not p["tied"]:
            shapes["head.weight"] = (V, d)
        params = sum(sympy.prod(shape) for shape in shapes.values())
        kv_shape = (L, 2, p["batch"], T, d)
        state = ("weights", "grads", "exp_avg", "exp_avg_sq")  # torch.optim.Adam's state names
        return {
            "params": int(params),
            "params_approx": 12 * L * d**2,
            "train_flops": 2 * 3 * int(params) * p["tokens"],  # forward 2 N D, backward 4 N D
            "kv_cache_bytes": int(sympy.prod(kv_shape)) * p["bytes_per_value"],
            "adam_train_bytes": len(state) * int(params) * p["bytes_per_value"],
        }


@hookimpl
def genexam_families() -> list[type[Family]]:
    return [TransformerBudget]
