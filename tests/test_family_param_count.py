"""param_count: the source exams' known counts through the CLI, and torch.nn's
own counts (and Conv2d output shapes) over many argument combinations."""

from __future__ import annotations

import itertools
import random

import pytest

from conftest import require_torch, run_genexam
from test_cli import solve

from genexam.plugins.param_count import ARGS, LAYERS, ParamCount
from genexam.sampling import draw_params, family_constraints

NONE = {name: None for args in ARGS.values() for name in args} | {"stride": 1, "padding": 0, "dilation": 1}


def params(layer: str, **given) -> dict:
    """A full parameter set for ``layer``: unused arguments null, as the default draw leaves them."""
    return NONE | {"layer": layer} | given


def count(layer: str, **given) -> dict:
    return ParamCount().solve(params(layer, **given)).answers


# -- the source exams, through the CLI ----------------------------------------

def test_quiz1_q3_rnn_with_one_bias_vector_and_pytorchs_two():
    # SOURCE_EXAMS.md quiz1 Q3: 20,000 + 40,000 + 200 = 60,200; nn.RNN has 60,400
    one = solve("param_count", "layer=rnn", "input_size=100", "hidden_size=200", "biases=1")["answers"]
    two = solve("param_count", "layer=rnn", "input_size=100", "hidden_size=200", "biases=2")["answers"]
    assert one == {"params": 60_200, "out_height": None, "out_width": None}
    assert two["params"] == 60_400


def test_quiz1_q4_conv_64_filters_3x3_over_3_channels():
    answers = solve("param_count", "layer=conv2d", "in_channels=3", "out_channels=64", "kernel_size=3",
                    "bias=true")["answers"]
    assert answers == {"params": 1_792, "out_height": None, "out_width": None}


def test_test3_q2b_linear_without_bias_then_two_parameters_per_feature():
    linear = solve("param_count", "layer=linear", "in_features=10", "out_features=20", "bias=false")["answers"]
    norm = solve("param_count", "layer=layernorm", "normalized_shape=20")["answers"]
    assert linear["params"] == 200 and norm["params"] == 40
    assert linear["params"] + norm["params"] == 240


def test_fixed_arguments_choose_the_layer_and_a_fixed_height_gives_a_square_input():
    record = solve("param_count", "in_channels=3", "out_channels=64", "kernel_size=3", "bias=true",
                   "height=32", "padding=1")
    assert record["params"]["layer"] == "conv2d" and record["params"]["width"] == 32
    assert record["answers"] == {"params": 1_792, "out_height": 32, "out_width": 32}
    assert solve("param_count", "hidden_size=20", "input_size=10", "biases=2")["params"]["layer"] in ("rnn", "lstm", "gru")


def test_conv_output_size_with_stride_padding_dilation():
    # floor((32 + 2 - 2*2 - 1)/2) + 1 = 15; floor((28 + 2 - 4 - 1)/2) + 1 = 13
    answers = solve("param_count", "layer=conv2d", "in_channels=3", "out_channels=8", "kernel_size=3",
                    "bias=false", "height=32", "width=28", "stride=2", "padding=1", "dilation=2")["answers"]
    assert answers == {"params": 216, "out_height": 15, "out_width": 13}


def test_a_kernel_larger_than_the_padded_input_is_a_clear_error():
    run = run_genexam("solve", "param_count", "--set", "layer=conv2d", "--set", "kernel_size=5",
                      "--set", "height=3", "--set", "padding=0")
    assert run.code == 2 and "Traceback" not in run.stderr
    assert "height + 2 * padding >= dilation * (kernel_size - 1) + 1" in run.stderr


def test_a_missing_argument_is_named(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text("title: t\nproblems:\n  - family: param_count\n    points: 1\n    params: {layer: linear, in_features: null}\n")
    run = run_genexam("validate", str(spec))
    assert run.code == 2 and "Traceback" not in run.stderr
    assert "layer 'linear' needs in_features" in run.stderr


def test_half_an_input_size_is_refused():
    with pytest.raises(ValueError, match="both height and width"):
        count("conv2d", in_channels=1, out_channels=1, kernel_size=1, bias=True, height=5)


def test_json_writes_null_for_an_output_size_that_does_not_apply():
    answers = solve("param_count", "layer=embedding", "num_embeddings=1000", "embedding_dim=64")["answers"]
    assert answers == {"params": 64_000, "out_height": None, "out_width": None}


# -- default draws ---------------------------------------------------------------

def test_default_draws_fill_exactly_the_drawn_layers_arguments():
    layers = set()
    for seed in range(400):
        p = draw_params(ParamCount, random.Random(seed))
        layers.add(p["layer"])
        for name, value in p.items():
            if name in ("layer", "stride", "padding", "dilation"):
                continue
            used = name in ARGS[p["layer"]] and name not in ("height", "width")
            assert (value is not None) == used, (seed, name, p)
        assert ParamCount().solve(p).answers["params"] <= 30_000_000  # exam-sized
    assert layers == set(LAYERS)


# -- torch.nn ---------------------------------------------------------------------

def torch_count(module) -> int:
    return sum(t.numel() for t in module.parameters() if t.requires_grad)


def test_linear_conv_embedding_and_norms_match_torch():
    torch = require_torch()
    nn = torch.nn
    for i, o, bias in itertools.product((1, 3, 10, 64), (1, 7, 20), (True, False)):
        assert count("linear", in_features=i, out_features=o, bias=bias)["params"] == torch_count(nn.Linear(i, o, bias=bias))
    for n, d in itertools.product((1, 7, 1000), (1, 16, 300)):
        assert count("embedding", num_embeddings=n, embedding_dim=d)["params"] == torch_count(nn.Embedding(n, d))
    for w in (1, 20, 512):
        assert count("layernorm", normalized_shape=w)["params"] == torch_count(nn.LayerNorm(w))
        assert count("batchnorm2d", num_features=w)["params"] == torch_count(nn.BatchNorm2d(w))


def test_conv2d_count_and_output_shape_match_torch():
    torch = require_torch()
    checked = 0
    for c_in, c_out, k, s, pad, d, bias, (h, w) in itertools.product(
            (1, 3), (2, 5), (1, 2, 3, 5), (1, 2, 3), (0, 1, 2), (1, 2), (True, False), ((7, 7), (8, 11), (5, 16))):
        given = dict(in_channels=c_in, out_channels=c_out, kernel_size=k, stride=s, padding=pad, dilation=d,
                     bias=bias, height=h, width=w)
        p = params("conv2d", **given)
        fits = all(n + 2 * pad >= d * (k - 1) + 1 for n in (h, w))
        assert all(c.evaluate(p) for c in family_constraints(ParamCount)) == fits
        if not fits:
            continue
        answers = ParamCount().solve(p).answers
        conv = torch.nn.Conv2d(c_in, c_out, k, stride=s, padding=pad, dilation=d, bias=bias)
        assert answers["params"] == torch_count(conv), given
        out = conv(torch.zeros(1, c_in, h, w))
        assert (answers["out_height"], answers["out_width"]) == tuple(out.shape[2:]), given
        assert ParamCount().check(p) == {k2: v for k2, v in answers.items()}
        checked += 1
    assert checked > 500


@pytest.mark.parametrize("layer", ["rnn", "lstm", "gru"])
def test_recurrent_layers_with_two_biases_match_torch(layer):
    torch = require_torch()
    module = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[layer]
    for i, h in itertools.product((1, 3, 10, 100), (1, 4, 20, 200)):
        two = count(layer, input_size=i, hidden_size=h, biases=2)["params"]
        one = count(layer, input_size=i, hidden_size=h, biases=1)["params"]
        assert two == torch_count(module(i, h)), (i, h)
        gates = {"rnn": 1, "lstm": 4, "gru": 3}[layer]
        assert two - one == gates * h  # one bias vector fewer per gate


# -- rendering the paths the default draw does not reach ------------------------

def test_every_layer_and_conv_output_size_render_warning_free_with_answers_in_the_key(registry, tmp_path):
    """The default draw never gives an input size; build conv2d with one (and
    stride 1 and 2) and every recurrent bias convention, Typst-compile them
    and find each integer answer in the key PDF."""
    import json

    from answers_util import missing_integer_answers
    from conftest import require_tool
    from genexam.build import build
    from genexam.spec import parse_spec

    text = """\
title: param_count paths
seed: 3
versions: 6
problems:
  - family: param_count
    points: 1
    params: {layer: conv2d, height: {choice: [7, 28, 32]}, width: {choice: [9, 32]}, stride: {choice: [1, 2, 3]},
             padding: {randint: [0, 2]}, dilation: {choice: [1, 2]}}
  - family: param_count
    points: 1
    params: {layer: {choice: [rnn, lstm, gru]}, biases: {choice: [1, 2]}}
  - family: param_count
    points: 1
    params: {layer: {choice: [linear, embedding, layernorm, batchnorm2d]}}
"""
    spec = parse_spec(text, "<paths>", registry)
    result = build(spec, registry, tmp_path, write=True, warn=None)
    assert result.warnings == []
    doc = json.loads(result.files["answers.json"])
    conv = [v["problems"][0] for v in doc["versions"]]
    assert all(isinstance(p["answers"]["out_height"], int) for p in conv)
    assert {p["params"]["stride"] for p in conv} != {1}
    require_tool("pdftotext", "reads the key PDF's text")
    for version in doc["versions"]:
        pdf = tmp_path / f"key-{version['version']}.pdf"
        assert missing_integer_answers(pdf, version["problems"]) == [], pdf.name


@pytest.mark.parametrize("biases, shown", [(1, r"60\,400"), (2, r"60\,200")])
def test_key_gives_the_count_under_the_other_bias_convention(biases, shown):
    # quiz1 Q3: one bias vector gives 60,200; PyTorch's two give 60,400 (one
    # more vector of 200, not two) -- the key names the other convention's count.
    from conftest import run_genexam

    run = run_genexam("show", "param_count", "--set", "layer=rnn", "--set", "input_size=100",
                      "--set", "hidden_size=200", "--set", f"biases={biases}")
    assert run.code == 0, run.stderr
    assert shown in run.stdout, run.stdout
