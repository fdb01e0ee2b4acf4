"""sequence_likelihood: hand-worked sequences through the CLI, and PyTorch's
cross-entropy loss (float64) over 200 draws."""

from __future__ import annotations

import json
import math
import random

import pytest
import sympy

from conftest import require_torch, run_genexam, run_solve

from genexam.plugins.sequence_likelihood import SequenceLikelihood, log_tex
from genexam.sampling import draw_params


def solve(*sets: str) -> dict:
    run = run_solve("sequence_likelihood", *sets, json=True)
    assert run.code == 0, run.stderr
    return json.loads(run.stdout)["answers"]


def test_powers_of_two_give_whole_bits():
    # -log2: 1, 2, 3, 2 -> 8 bits over 4 tokens: 2 bits, perplexity 4; "ab" "cd" "e" "fgh": 8 chars -> 1 bit/char
    answers = solve("tokens=[ab, cd, e, fgh]", "probs=[1/2, 1/4, 1/8, 1/4]")
    assert answers["cross_entropy_bits"] == 2 and answers["perplexity"] == 4 and answers["bits_per_char"] == 1
    assert sympy.sympify(answers["cross_entropy"]) == 2 * sympy.log(2)


def test_thirds_and_no_characters(tmp_path):
    # p = 1/3 three times: H = ln 3, PPL = 3; no tokens: no bits per character
    answers = SequenceLikelihood().solve({"tokens": None, "probs": [sympy.Rational(1, 3)] * 3}).answers
    assert answers["cross_entropy"] == sympy.log(3)
    assert answers["perplexity"] == 3 and answers["bits_per_char"] is None
    spec = tmp_path / "s.yaml"
    spec.write_text("title: t\nproblems:\n  - family: sequence_likelihood\n    points: 3\n"
                    "    params: {tokens: null, probs: [1/3, 1/3, 1/3]}\n")
    run = run_genexam(str(spec), "-o", str(tmp_path / "out"), "--format", "md")
    assert run.code == 0, run.stderr
    assert "cannot be computed (**null**)" in (tmp_path / "out" / "key-A.md").read_text()


def test_log_tex_writes_logs_of_primes():
    nats = sympy.log(2) - 2 * sympy.log(3) + sympy.log(5)  # -ln(9/10)
    assert log_tex(nats) == r"\ln 2 - 2 \ln 3 + \ln 5"
    assert log_tex(nats, bits=True) == r"1 - 2 \log_{2} 3 + \log_{2} 5"


def test_a_zero_probability_or_mismatched_lengths_are_errors():
    zero = run_solve("sequence_likelihood", "tokens=[a, b]", "probs=[1/2, 0]")
    assert zero.code != 0 and "Traceback" not in zero.stderr and "min(probs) > 0" in zero.stderr
    mismatch = run_solve("sequence_likelihood", "tokens=[a, b]", "probs=[1/2]")
    assert mismatch.code != 0 and "len(tokens) == len(probs)" in mismatch.stderr


def compare_with_torch(seeds: range) -> None:
    """Each token as a 3-way classification whose target has probability p_t
    (the rest split between two other classes): torch's cross_entropy on the
    log-probabilities as logits is the mean negative log-likelihood."""
    torch = require_torch()
    F = torch.nn.functional
    for seed in seeds:
        p = draw_params(SequenceLikelihood, random.Random(seed))
        answers = SequenceLikelihood().solve(p).answers
        probs = torch.tensor([float(q) for q in p["probs"]], dtype=torch.float64)
        rest = (1 - probs) / 2
        dist = torch.stack([probs, rest, rest], dim=1)
        logits = torch.log(dist.clamp_min(1e-300))
        loss = F.cross_entropy(logits, torch.zeros(len(probs), dtype=torch.long))
        nats = float(loss)
        assert math.isclose(float(answers["cross_entropy"]), nats, rel_tol=1e-12), (seed, p)
        assert math.isclose(float(answers["cross_entropy_bits"]), nats / math.log(2), rel_tol=1e-12)
        assert math.isclose(float(answers["perplexity"]), float(torch.exp(loss)), rel_tol=1e-12)
        chars = sum(len(t) for t in p["tokens"])
        assert math.isclose(float(answers["bits_per_char"]), nats * len(probs) / math.log(2) / chars,
                            rel_tol=1e-12)


def test_agrees_with_torch_on_200_draws():
    compare_with_torch(range(200))


def test_the_surprisal_chart_is_deterministic_svg_with_a_bar_per_token():
    from xml.etree import ElementTree

    p = {"tokens": ["The", " cat", " sat"], "probs": [sympy.Rational(1, 2), sympy.Rational(1, 8), sympy.Rational(1, 3)]}
    first, second = (SequenceLikelihood().solve(p) for _ in range(2))
    svg = first.figures["surprisal"]
    assert svg == second.figures["surprisal"]
    root = ElementTree.fromstring(svg.split("\n", 1)[1])
    bars = [r for r in root.iter("{http://www.w3.org/2000/svg}rect") if r.get("fill") != "#ffffff"]
    assert len(bars) == 3
    heights = [float(r.get("height")) for r in bars]
    assert heights[1] == pytest.approx(3 * heights[0], rel=1e-3)  # 3 bits against 1 bit
