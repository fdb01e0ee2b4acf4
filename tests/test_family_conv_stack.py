"""conv_stack: hand-worked stacks through the CLI, bad layers, and torch.nn's
own shapes, parameter counts and FLOP counts (meta tensors) over 200 draws."""

from __future__ import annotations

import json
import random

import pytest

from conftest import require_torch, run_genexam, run_solve

from genexam.plugins.conv_stack import ConvStack
from genexam.sampling import draw_params


def solve(*sets: str) -> dict:
    run = run_solve("conv_stack", *sets, json=True)
    assert run.code == 0, run.stderr
    return json.loads(run.stdout)["answers"]


def test_lenet_like_stack_by_hand():
    # 1x32x32 -> conv 5x5 (6) -> 6x28x28 -> maxpool 2 -> 6x14x14 -> conv 5x5 (16) -> 16x10x10
    # params 6*25+6 = 156, 0, 16*6*25+16 = 2416; mults 28*28*6*25 = 117600, 10*10*16*150 = 240000
    # receptive field 1 + 4 + 1*1 + 4*2 = 14
    answers = solve("in_channels=1", "height=32",
                    "layers=[{kind: conv2d, out_channels: 6, kernel_size: 5}, {kind: maxpool2d, kernel_size: 2},"
                    " {kind: conv2d, out_channels: 16, kernel_size: 5}]")
    assert answers == {"shapes": [[6, 28, 28], [6, 14, 14], [16, 10, 10]], "params": [156, 0, 2416],
                       "total_params": 2572, "mults": [117_600, 0, 240_000], "total_mults": 357_600,
                       "receptive_field": 14}


def test_dilation_stride_avgpool_and_a_transposed_convolution():
    # 3x20x16: conv k3 s2 p1 d2 -> floor((20+2-4-1)/2)+1 = 9, floor((16+2-4-1)/2)+1 = 7
    # avgpool k3 s1 p1 -> (9+2-3)/1+1 = 9, 7
    # conv_transpose k3 s2 p1 op1 -> (9-1)*2-2+2+1+1 = 18, (7-1)*2-2+2+1+1 = 14
    answers = solve("in_channels=3", "height=20", "width=16",
                    "layers=[{kind: conv2d, out_channels: 4, kernel_size: 3, stride: 2, padding: 1, dilation: 2,"
                    " bias: false}, {kind: avgpool2d, kernel_size: 3, stride: 1, padding: 1},"
                    " {kind: conv_transpose2d, out_channels: 2, kernel_size: 3, stride: 2, padding: 1,"
                    " output_padding: 1}]")
    assert answers["shapes"] == [[4, 9, 7], [4, 9, 7], [2, 18, 14]]
    assert answers["params"] == [108, 0, 4 * 2 * 9 + 2]
    assert answers["mults"] == [9 * 7 * 108, 0, 9 * 7 * 4 * 2 * 9]  # the transposed conv: per input pixel
    assert answers["receptive_field"] is None


@pytest.mark.parametrize("layers, message", [
    ("[{kind: conv3d, kernel_size: 3}]", "kind must be one of"),
    ("[{kind: conv2d, kernel_size: 3}]", "needs out_channels"),
    ("[{kind: maxpool2d, kernel_size: 2, out_channels: 3}]", "has no out_channels"),
    ("[{kind: conv2d, out_channels: 3, kernel_size: 3, strid: 2}]", "did you mean 'stride'"),
    ("[{kind: maxpool2d, kernel_size: 2, padding: 2}]", "at most half the kernel size"),
    ("[{kind: conv_transpose2d, out_channels: 2, kernel_size: 2, stride: 2, output_padding: 2}]",
     "output_padding must be smaller"),
    ("[{kind: conv2d, out_channels: 3, kernel_size: 9}]", "does not fit"),
])
def test_bad_layers_are_named_without_a_traceback(layers, message):
    run = run_genexam("solve", "conv_stack", "--set", "height=8", "--set", f"layers={layers}")
    assert run.code != 0 and "Traceback" not in run.stderr
    assert message in run.stderr, run.stderr


def torch_answers(torch, p: dict) -> dict:
    """Build the stack from torch.nn on the meta device: shapes from a forward
    pass, parameters from numel, multiplications from torch's FLOP counter / 2."""
    from torch.utils.flop_counter import FlopCounterMode

    nn = torch.nn
    channels = p["in_channels"]
    modules = []
    for layer in p["layers"]:
        k, s, pad, d = (layer[key] for key in ("kernel_size", "stride", "padding", "dilation"))
        if layer["kind"] == "conv2d":
            module = nn.Conv2d(channels, layer["out_channels"], k, stride=s, padding=pad, dilation=d,
                               bias=layer["bias"], device="meta")
        elif layer["kind"] == "conv_transpose2d":
            module = nn.ConvTranspose2d(channels, layer["out_channels"], k, stride=s, padding=pad, dilation=d,
                                        output_padding=layer["output_padding"], bias=layer["bias"], device="meta")
        elif layer["kind"] == "maxpool2d":
            module = nn.MaxPool2d(k, stride=s, padding=pad, dilation=d)
        else:
            module = nn.AvgPool2d(k, stride=s, padding=pad)
        channels = layer["out_channels"] or channels
        modules.append(module)
    x = torch.empty(1, p["in_channels"], p["height"], p["width"], device="meta")
    shapes, params, mults = [], [], []
    for module in modules:
        with FlopCounterMode(display=False) as counter:
            x = module(x)
        shapes.append(list(x.shape[1:]))
        params.append(sum(t.numel() for t in module.parameters()))
        mults.append(counter.get_total_flops() // 2)
    return {"shapes": shapes, "params": params, "mults": mults}


def receptive_field_by_gradient(torch, p: dict) -> int:
    """The input pixels whose gradient reaches the centre output value, with
    all-ones weights in float64 and padding given room (a large zero frame)."""
    nn = torch.nn
    frame = 64
    x = torch.zeros(1, 1, p["height"] + 2 * frame, p["width"] + 2 * frame, dtype=torch.float64, requires_grad=True)
    y = x
    for layer in p["layers"]:
        k, s, pad, d = (layer[key] for key in ("kernel_size", "stride", "padding", "dilation"))
        if layer["kind"] == "conv2d":
            conv = nn.Conv2d(1, 1, k, stride=s, padding=pad, dilation=d, bias=False, dtype=torch.float64)
            nn.init.ones_(conv.weight)
            y = conv(y)  # positive weights: no gradient cancels
        elif layer["kind"] == "maxpool2d":
            # a max passes the gradient to one input of its window; the window is what counts
            y = _dilated_window_sum(torch, y, k, s, pad, d)
        else:
            y = nn.functional.avg_pool2d(y, k, stride=s, padding=pad)
    h, w = y.shape[2] // 2, y.shape[3] // 2
    y[0, 0, h, w].backward()
    rows = (x.grad[0, 0].abs().sum(dim=1) > 0).nonzero()
    return int(rows.max() - rows.min() + 1)


def _dilated_window_sum(torch, y, k, s, pad, d):
    """A max pool's window as a sum: a conv with a ones kernel of the same geometry."""
    weight = torch.ones(1, 1, k, k, dtype=torch.float64)
    return torch.nn.functional.conv2d(y, weight, stride=s, padding=pad, dilation=d)


def compare_with_torch(seeds: range) -> int:
    torch = require_torch()
    transposed = 0
    for seed in seeds:
        p = draw_params(ConvStack, random.Random(seed))
        answers = ConvStack().solve(p).answers
        reference = torch_answers(torch, p)
        for key in ("shapes", "params", "mults"):
            assert answers[key] == reference[key], (seed, key, p)
        assert answers["total_params"] == sum(reference["params"])
        assert answers["total_mults"] == sum(reference["mults"])
        if answers["receptive_field"] is None:
            transposed += 1
        else:
            assert answers["receptive_field"] == receptive_field_by_gradient(torch, p), (seed, p)
    return transposed


def test_agrees_with_torch_on_20_draws():
    compare_with_torch(range(20))


@pytest.mark.sweep
def test_agrees_with_torch_on_200_draws():
    transposed = compare_with_torch(range(200))
    assert 10 <= transposed <= 120, "the default draws should sometimes include a transposed convolution"


def test_the_shape_diagram_is_deterministic_svg_naming_every_shape():
    from xml.etree import ElementTree

    p = draw_params(ConvStack, random.Random(3))
    first, second = (ConvStack().solve(p) for _ in range(2))
    svg = first.figures["shapes"]
    assert svg == second.figures["shapes"]
    texts = [t.text for t in ElementTree.fromstring(svg.split("\n", 1)[1]).iter("{http://www.w3.org/2000/svg}text")]
    for c, h, w in first.answers["shapes"]:
        assert f"{c}×{h}×{w}" in texts
