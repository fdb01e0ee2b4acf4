"""transformer_layer: the source exam's FFN counts through the CLI, and
torch.nn.TransformerEncoderLayer's own parameter count over several shapes."""

from __future__ import annotations

import itertools
import random

from conftest import require_torch, run_genexam
from test_cli import solve

from genexam.plugins.transformer_layer import TransformerLayer
from genexam.sampling import draw_params


def test_test3_q3d_ffn_100_200_100():
    # SOURCE_EXAMS.md test3 Q3(d): 40,000 multiplications per token, 40,300 parameters
    record = solve("transformer_layer", "n=1", "d_model=100", "d_ff=200", "heads=4", "layers=4")
    answers = record["answers"]
    assert answers["ffn_params"] == 40_300
    assert answers["ffn_mults"] == 40_000
    assert answers["layernorm_params"] == 200  # 2 per feature
    # attention 4*100^2 + 4*100 = 40,400; FFN 40,300; two LayerNorms 400
    assert answers["layer_params"] == 81_100
    assert answers["stack_params"] == 4 * 81_100
    assert solve("transformer_layer", "n=75", "d_model=100", "d_ff=200")["answers"]["ffn_mults"] == 75 * 40_000


def test_heads_and_tokens_do_not_change_the_parameter_count():
    base = solve("transformer_layer", "n=10", "d_model=64", "d_ff=256", "heads=1")["answers"]
    other = solve("transformer_layer", "n=99", "d_model=64", "d_ff=256", "heads=8")["answers"]
    assert base["layer_params"] == other["layer_params"] == 4 * 64 * 64 + 4 * 64 + 2 * 64 * 256 + 256 + 64 + 4 * 64
    assert other["ffn_mults"] == 99 * 2 * 64 * 256


def test_heads_must_divide_d_model():
    run = run_genexam("solve", "transformer_layer", "--set", "d_model=100", "--set", "heads=3")
    assert run.code == 2 and "Traceback" not in run.stderr
    assert "d_model % heads == 0" in run.stderr


def test_default_draws_are_exam_sized():
    for seed in range(300):
        p = draw_params(TransformerLayer, random.Random(seed))
        assert p["d_model"] % p["heads"] == 0 and p["d_ff"] in (2 * p["d_model"], 4 * p["d_model"])
        assert TransformerLayer().solve(p).answers["layer_params"] <= 4_000_000


def test_matches_torch_transformer_encoder_layer():
    torch = require_torch()
    for d, heads, d_ff in itertools.product((8, 12, 64, 100), (1, 2, 4), (16, 200, 2048)):
        if d % heads:
            continue
        p = {"n": 7, "d_model": d, "heads": heads, "d_ff": d_ff, "layers": 3}
        answers = TransformerLayer().solve(p).answers
        layer = torch.nn.TransformerEncoderLayer(d, heads, d_ff)
        named = dict(layer.named_parameters())
        assert answers["layer_params"] == sum(t.numel() for t in named.values()), p
        assert answers["ffn_params"] == sum(named[f"linear{i}.{w}"].numel() for i in (1, 2) for w in ("weight", "bias"))
        assert answers["layernorm_params"] == sum(t.numel() for t in layer.norm1.parameters())
        stack = torch.nn.TransformerEncoder(layer, num_layers=3, enable_nested_tensor=False)
        assert answers["stack_params"] == sum(t.numel() for t in stack.parameters())
