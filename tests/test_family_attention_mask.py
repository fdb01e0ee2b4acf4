"""attention_mask: hand-worked cases through the CLI, pe(i) . pe(j) = cos(i - j),
and torch (the tutorial's sinusoidal table, a manual masked softmax and
torch.nn.functional.scaled_dot_product_attention, float64) over 200 seeds."""

from __future__ import annotations

import json
import math
import random

import pytest
import sympy

from answers_util import close, rounded
from conftest import require_torch, run_solve
from genexam.plugins.attention_mask import AttentionMask, cos_of_differences
from genexam.sampling import draw_params


def solved(*sets: str) -> dict:
    run = run_solve("attention_mask", *sets, json=True)
    assert run.code == 0, run.stderr
    return json.loads(run.stdout)["answers"]


def equal(got, want) -> bool:
    return sympy.simplify(sympy.sympify(got) - sympy.sympify(want)) == 0


def test_identity_queries_and_keys_without_mask():
    # S = I / sqrt(2); row 0: weights (e^a, 1) / (e^a + 1) with a = 1/sqrt(2); c_0 = (e^a (1, 2) + (3, 4)) / (e^a + 1)
    answers = solved("n=2", "q=[[1, 0], [0, 1]]", "k=[[1, 0], [0, 1]]", "v=[[1, 2], [3, 4]]", "causal=false",
                     "positional=false")
    a = 1 / sympy.sqrt(2)
    assert answers["pe"] is None
    assert [[sympy.sympify(x) for x in row] for row in answers["scores"]] == [[a, 0], [0, a]]
    ea = sympy.exp(a)
    assert equal(answers["weights"][0][0], ea / (ea + 1)) and equal(answers["weights"][0][1], 1 / (ea + 1))
    assert equal(answers["output"][0][0], (ea + 3) / (ea + 1))
    assert equal(answers["output"][1][1], (2 + 4 * ea) / (ea + 1))


def test_causal_first_token_copies_its_own_value():
    answers = solved("n=3", "q=[[1, 0], [0, 1], [1, 1]]", "k=[[2, 0], [0, 2], [1, -1]]", "v=[[1, 2], [3, 4], [5, 6]]",
                     "causal=true", "positional=false")
    assert answers["weights"][0] == [1, 0, 0] and answers["output"][0] == [1, 2]
    assert answers["weights"][1][2] == 0
    # row 1: scores (0, 2/sqrt 2) = (0, sqrt 2) on the two visible keys
    r = sympy.sqrt(2)
    assert equal(answers["weights"][1][1], sympy.exp(r) / (1 + sympy.exp(r)))


def test_positional_scores_are_the_cosine_of_the_offset():
    # q = k = 0: S_ij = pe(i) . pe(j) / sqrt(2) = cos(i - j) / sqrt(2)
    answers = solved("n=3", "q=[[0, 0], [0, 0], [0, 0]]", "k=[[0, 0], [0, 0], [0, 0]]", "v=[[1, 0], [0, 1], [1, 1]]",
                     "causal=false", "positional=true", "pe_to=qk")
    assert [[sympy.sympify(x) for x in row] for row in answers["pe"]] == [
        [0, 1], [sympy.sin(1), sympy.cos(1)], [sympy.sin(2), sympy.cos(2)]]
    for i in range(3):
        for j in range(3):
            assert equal(answers["scores"][i][j], sympy.cos(i - j) / sympy.sqrt(2)), (i, j)


def test_cos_of_differences_rewrites_only_matching_pairs():
    s, c = sympy.sin, sympy.cos
    assert cos_of_differences(s(1) * s(3) + c(1) * c(3) + 2 * s(1)) == c(2) + 2 * s(1)
    assert cos_of_differences(s(2) ** 2 + c(2) ** 2) == 1
    assert cos_of_differences(2 * s(1) * s(2) + c(1) * c(2)) == 2 * s(1) * s(2) + c(1) * c(2)  # coefficients differ


def test_a_matrix_of_the_wrong_height_is_a_clear_error():
    run = run_solve("attention_mask", "n=3", "q=[[1, 0], [0, 1]]")
    assert run.code == 2 and "Traceback" not in run.stderr
    assert "len(q) == n" in run.stderr


# -- torch -------------------------------------------------------------------------

def tutorial_pe(torch, n: int, d: int = 2):
    """The sinusoidal table as the PyTorch Transformer tutorial builds it."""
    position = torch.arange(n, dtype=torch.float64)[:, None]
    div_term = torch.exp(torch.arange(0, d, 2, dtype=torch.float64) * (-math.log(10000.0) / d))
    pe = torch.zeros(n, d, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term)
    return pe




def sweep(seeds: range) -> None:
    torch = require_torch()
    F = torch.nn.functional
    for seed in seeds:
        p = draw_params(AttentionMask, random.Random(seed))
        solution = AttentionMask().solve(p)
        answers, steps = solution.answers, solution.steps
        n = p["n"]
        tensor = {name: torch.tensor([[float(x) for x in row] for row in p[name]], dtype=torch.float64)
                  for name in ("q", "k", "v")}
        pe = tutorial_pe(torch, n)
        Q, K, V = tensor["q"], tensor["k"], tensor["v"]
        if p["positional"]:
            Q, K = Q + pe, K + pe
            if p["pe_to"] == "qkv":
                V = V + pe
            for i in range(n):
                for c in range(2):
                    assert close(answers["pe"][i][c], pe[i, c].item()), (seed, i, c)
        S = Q @ K.T / math.sqrt(2)
        mask = torch.triu(torch.full((n, n), float("-inf"), dtype=torch.float64), diagonal=1)
        A = torch.softmax(S + (mask if p["causal"] else 0), dim=-1)
        out = F.scaled_dot_product_attention(Q[None], K[None], V[None], is_causal=p["causal"])[0]
        assert torch.allclose(A @ V, out, rtol=1e-12, atol=1e-12)
        for i in range(n):
            for j in range(n):
                assert close(answers["scores"][i][j], S[i, j].item()), (seed, p, i, j)
                assert close(answers["weights"][i][j], A[i, j].item()), (seed, p, i, j)
                if not answers["weights"][i][j].is_Rational:
                    assert steps["weights_approx"][i][j] == rounded(answers["weights"][i][j]), (seed, i, j)
            for c in range(2):
                assert close(answers["output"][i][c], out[i, c].item()), (seed, p, i, c)
                if not answers["output"][i][c].is_Rational:
                    assert steps["output_approx"][i][c] == rounded(answers["output"][i][c]), (seed, i, c)


def test_matches_torch_on_20_seeds():
    sweep(range(20))


@pytest.mark.sweep
def test_matches_torch_on_200_seeds():
    sweep(range(200))
