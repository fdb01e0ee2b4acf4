"""seq_model_complexity: the source exams' canonical complexities (a5 Q1 a-b,
quiz1 Q5), hand-counted multiplications, and torch's own operation count."""

from __future__ import annotations

import random

import pytest
import sympy

from conftest import require_torch, run_genexam
from test_cli import solve

t, n, L = sympy.symbols("t n L")

CANONICAL = {
    # SOURCE_EXAMS.md a5 Q1: RNN time O(L t n^2) train and test; Transformer
    # time O(L(t^2 n + t n^2)) (quiz1 Q5); Transformer training space O(L(t^2 + t n)).
    "rnn_train_time": L * n**2 * t,
    "rnn_train_space": L * n * t,
    "rnn_test_time": L * n**2 * t,
    "rnn_test_space": L * n,
    "transformer_train_time": L * n**2 * t + L * n * t**2,
    "transformer_train_space": L * t**2 + L * n * t,
    "transformer_test_time": L * n**2 * t + L * n * t**2,  # with the KV cache
    "transformer_test_space": L * n * t,  # the KV cache
}


def big_o(answers: dict, key: str) -> sympy.Expr:
    return sympy.sympify(answers[key])


def test_canonical_complexities_with_kv_cache():
    record = solve("seq_model_complexity", "t=100", "n=64", "L=6")
    assert record["params"] == {"t": 100, "n": 64, "L": 6, "ffn_mult": 4, "kv_cache": True}
    answers = record["answers"]
    for key, expected in CANONICAL.items():
        assert sympy.expand(big_o(answers, key) - expected) == 0, (key, answers[key])
    # answers.json writes the big-O argument as a sympy string
    assert answers["transformer_train_time"] == "L*n**2*t + L*n*t**2"


def test_without_kv_cache_decoding_pays_a_factor_t_in_time_and_drops_the_factor_L_in_space():
    answers = solve("seq_model_complexity", "t=100", "n=64", "L=6", "kv_cache=false")["answers"]
    assert sympy.expand(big_o(answers, "transformer_test_time") - (L * n**2 * t**2 + L * n * t**3)) == 0
    assert sympy.expand(big_o(answers, "transformer_test_space") - (t**2 + n * t)) == 0
    for key in CANONICAL:
        if key not in ("transformer_test_time", "transformer_test_space"):
            assert sympy.expand(big_o(answers, key) - CANONICAL[key]) == 0, key


def test_big_o_does_not_depend_on_the_ffn_width():
    answers = solve("seq_model_complexity", "t=10", "n=16", "L=2", "ffn_mult=1")["answers"]
    for key, expected in CANONICAL.items():
        assert sympy.expand(big_o(answers, key) - expected) == 0, key


def test_hand_counted_multiplications():
    # t = 2 tokens, n = 3, L = 1, FFN 3 -> 12 -> 3.
    # RNN: 2 steps x (W_xh x + W_hh h) = 2 x 2 x 9 = 36.
    # Transformer: Q, K, V 3 x (2x3)(3x3) = 54; scores (2x3)(3x2) = 12; softmax 4;
    # A V (2x2)(2x3) = 12; W_O 18; layer norm 3 x 6 = 18; W_1 (2x3)(3x12) = 72;
    # W_2 (2x12)(12x3) = 72; layer norm 18: 280.
    answers = solve("seq_model_complexity", "t=2", "n=3", "L=1")["answers"]
    assert answers["rnn_mults"] == 36
    assert answers["transformer_mults"] == 54 + 12 + 4 + 12 + 18 + 18 + 72 + 72 + 18 == 280
    assert answers["cheaper"] == "rnn"
    # two layers double both; a narrower FFN (3 -> 3 -> 3) saves 2 x (72 - 18) per layer
    answers = solve("seq_model_complexity", "t=2", "n=3", "L=2", "ffn_mult=1")["answers"]
    assert answers["rnn_mults"] == 72
    assert answers["transformer_mults"] == 2 * (280 - 2 * 54)


def test_exam_sized_counts():
    # t = 100, n = 64, L = 6: 2 L t n^2 and L(12 t n^2 + 2 t^2 n + t^2 + 6 t n)
    answers = solve("seq_model_complexity", "t=100", "n=64", "L=6")["answers"]
    assert answers["rnn_mults"] == 2 * 6 * 100 * 64**2 == 4_915_200
    assert answers["transformer_mults"] == 6 * (12 * 100 * 64**2 + 2 * 100**2 * 64 + 100**2 + 6 * 100 * 64)


@pytest.mark.parametrize("t_, n_", [(1000, 16), (500, 64), (10, 512), (20, 256), (64, 64)])
def test_whole_pass_always_favours_the_rnn(t_, n_):
    """The Transformer's projections and FFN alone cost (4 + 2 ffn_mult) t n^2
    per layer, more than the RNN's 2 t n^2, so the RNN needs fewer
    multiplications whether n < t or n > t; what changes is the ratio, above
    t/n when n < t and close to 2 + ffn_mult when n > t."""
    answers = solve("seq_model_complexity", f"t={t_}", f"n={n_}", "L=4")["answers"]
    assert answers["transformer_mults"] > answers["rnn_mults"]
    ratio = sympy.Rational(answers["transformer_mults"], answers["rnn_mults"])
    assert ratio > 6 + sympy.Rational(t_, n_)
    if n_ > t_:
        assert ratio < 7


@pytest.mark.parametrize("t_, n_, cheaper", [
    (1000, 16, "rnn"), (500, 64, "rnn"), (10, 512, "transformer"), (20, 256, "transformer"), (64, 64, "rnn"),
    (10, 32, "transformer"), (10, 16, "rnn"),
])
def test_cheaper_compares_the_token_mixing_steps(t_, n_, cheaper):
    """cheaper: the recurrence L t n^2 against attention L(2 t^2 n + t^2),
    counted by hand here; attention wins exactly when 2 t + t/n < n."""
    answers = solve("seq_model_complexity", f"t={t_}", f"n={n_}", "L=3")["answers"]
    assert answers["recurrence_mults"] == 3 * t_ * n_**2
    assert answers["attention_mults"] == 3 * (2 * t_**2 * n_ + t_**2)
    assert answers["cheaper"] == cheaper


def test_cheaper_depends_on_the_default_draw():
    from genexam.plugins.seq_model_complexity import SeqModelComplexity
    from genexam.sampling import draw_params

    seen = {}
    for seed in range(40):
        p = draw_params(SeqModelComplexity, random.Random(seed))
        seen.setdefault(SeqModelComplexity().solve(p).answers["cheaper"], seed)
    assert set(seen) == {"rnn", "transformer"}, seen


def test_polynomials_of_both_routes_agree():
    """check()'s polynomials, interpolated from the machine's counts, equal
    solve()'s exact counts term by term -- not only their dominant terms."""
    from genexam.plugins import seq_model_complexity as module

    for f in (1, 4):
        for cache in (True, False):
            exact = module.SeqModelComplexity().solve(
                {"t": 5, "n": 3, "L": 2, "ffn_mult": f, "kv_cache": cache}).steps["exact_counts"]
            for name, poly, _ in module.fitted_counts(f, cache):
                assert sympy.expand(poly - exact[name]) == 0, (f, cache, name)


def test_dominance_helper():
    from genexam.plugins.seq_model_complexity import L as L_, N as N_, T as T_, dominant_terms

    assert dominant_terms(3 * T_ * N_ + T_**2 * N_ + 5 * T_**2 + N_ * L_) == T_**2 * N_ + N_ * L_
    assert dominant_terms(T_ * N_ + T_ * N_ * L_ + L_ * N_) == T_ * N_ * L_
    with pytest.raises(ValueError):
        dominant_terms(T_**2 - T_)


def test_impossible_parameters_give_a_clean_error():
    run = run_genexam("solve", "seq_model_complexity", "--set", "t=0", "--json")
    assert run.code == 2 and "Traceback" not in run.stderr + run.stdout
    assert "t" in run.stderr


def test_rnn_count_matches_torch():
    torch = require_torch()
    from torch.utils.flop_counter import FlopCounterMode

    t_, n_, layers = 7, 12, 3
    rnn = torch.nn.RNN(n_, n_, num_layers=layers)
    with FlopCounterMode(display=False) as counter:
        rnn(torch.randn(t_, 1, n_))
    # the flop counter counts a multiply and an add per product term
    answers = solve("seq_model_complexity", f"t={t_}", f"n={n_}", f"L={layers}")["answers"]
    assert counter.get_total_flops() // 2 == answers["rnn_mults"]


def test_transformer_count_matches_torch():
    """torch.nn.TransformerEncoder's linear layers (Q, K, V, output
    projection, FFN) plus the two attention products, counted by torch, are
    the family's count without the softmax's t^2 and the layer norms' 6 t n."""
    torch = require_torch()
    from torch.utils.flop_counter import FlopCounterMode

    t_, n_, layers, f = 7, 12, 3, 2
    layer = torch.nn.TransformerEncoderLayer(n_, 1, dim_feedforward=f * n_, dropout=0.0, batch_first=True)
    stack = torch.nn.TransformerEncoder(layer, layers, enable_nested_tensor=False).train()
    with FlopCounterMode(display=False) as linear:
        stack(torch.randn(1, t_, n_), mask=torch.nn.Transformer.generate_square_subsequent_mask(t_), is_causal=True)
    # the linear layers only: torch's CPU attention kernel may or may not be reported
    linear_flops = sum(v for op, v in linear.get_flop_counts()["Global"].items() if str(op) == "aten.addmm")
    with FlopCounterMode(display=False) as attention:
        for _ in range(layers):
            q, k, v = (torch.randn(t_, n_) for _ in range(3))
            torch.softmax(q @ k.T, dim=-1) @ v
    answers = solve("seq_model_complexity", f"t={t_}", f"n={n_}", f"L={layers}", f"ffn_mult={f}")["answers"]
    assert linear_flops // 2 == layers * (4 + 2 * f) * t_ * n_**2
    assert (linear_flops + attention.get_total_flops()) // 2 == (
        answers["transformer_mults"] - layers * (t_**2 + 6 * t_ * n_))
