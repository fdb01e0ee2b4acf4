"""rnn_recurrence: the a3 Q2 instance and the other memory regimes, through the CLI."""

from __future__ import annotations

import random

import sympy

from conftest import run_genexam
from test_cli import solve


def test_a3_q2_alternating_sum():
    # SOURCE_EXAMS.md, a3 Q2: h_t = x_t - h_{t-1}, y = sigmoid(500 h_T), x = (1, 2, 3, 4), h_0 = 0
    answers = solve("rnn_recurrence", "a=1", "b=-1", "k=500", "xs=[1,2,3,4]", "h0=0")["answers"]
    assert answers["h"] == [1, 1, 2, 2]
    assert answers["h_T"] == 2
    assert sympy.sympify(answers["closed_form"]) == sympy.sympify("x_4 - x_3 + x_2 - x_1 + h_0")
    assert sympy.sympify(answers["y"]) == 1 / (1 + sympy.exp(-1000))


def test_a3_q2_key_says_what_the_network_computes():
    run = run_genexam("show", "rnn_recurrence", "--set", "a=1", "--set", "b=-1", "--set", "k=500",
                      "--set", "xs=[1, 2, 3, 4]", "--set", "h0=0")
    assert run.code == 0, run.stderr
    assert "alternating sum" in run.stdout
    assert r"x_{4} - x_{3} + x_{2} - x_{1} + h_{0}" in run.stdout
    assert r"y \approx 1" in run.stdout


def test_running_sum_with_b_one():
    answers = solve("rnn_recurrence", "a=2", "b=1", "k=1", "xs=[3,-1,2]", "h0=-1")["answers"]
    assert answers["h"] == [5, 3, 7]  # 2*3 - 1, 2*(-1) + 5, 2*2 + 3
    assert sympy.sympify(answers["closed_form"]) == sympy.sympify("2*x_1 + 2*x_2 + 2*x_3 + h_0")
    assert sympy.sympify(answers["y"]) == 1 / (1 + sympy.exp(-7))


def test_decaying_memory_is_exact_in_fractions():
    answers = solve("rnn_recurrence", "a=1", "b=1/2", "k=10", "xs=[4,-3,3]", "h0=1")["answers"]
    assert answers["h"] == ["9/2", "-3/4", "21/8"]
    assert sympy.sympify(answers["closed_form"]) == sympy.sympify("x_3 + x_2/2 + x_1/4 + h_0/8")
    assert sympy.sympify(answers["y"]) == 1 / (1 + sympy.exp(-sympy.Rational(105, 4)))


def test_zero_final_state_gives_one_half():
    answers = solve("rnn_recurrence", "a=1", "b=-1", "k=500", "xs=[1,1]", "h0=0")["answers"]
    assert answers["h_T"] == 0
    assert sympy.sympify(answers["y"]) == sympy.Rational(1, 2)


def test_matches_a_float_simulation_on_random_instances():
    # A third route: run the recurrence in floating point and compare.
    rng = random.Random(7)
    for _ in range(5):
        a, b, h0, k = rng.choice([-2, -1, 1, 2]), rng.choice([-2, -1, 1, 2]), rng.randint(-2, 2), 1
        xs = [rng.randint(-3, 3) for _ in range(rng.randint(2, 6))]
        answers = solve("rnn_recurrence", f"a={a}", f"b={b}", f"h0={h0}", f"k={k}",
                        f"xs=[{','.join(map(str, xs))}]")["answers"]
        h, states = float(h0), []
        for x in xs:
            h = a * x + b * h
            states.append(h)
        assert [float(sympy.sympify(v)) for v in answers["h"]] == states
        symbols = {sympy.Symbol(f"x_{i + 1}"): x for i, x in enumerate(xs)} | {sympy.Symbol("h_0"): h0}
        assert float(sympy.sympify(answers["closed_form"]).subs(symbols)) == states[-1]


def test_impossible_parameters_give_a_clear_message():
    for setting, words in (("a=0", "a != 0"), ("k=0", "k > 0"), ("xs=[]", "a list of 1 to 10")):
        run = run_genexam("solve", "rnn_recurrence", "--set", setting)
        assert run.code != 0
        assert words in run.stderr, run.stderr
        assert "Traceback" not in run.stderr


def test_part_c_says_which_of_0_half_1_y_is_near_by_the_stated_rule():
    """|k h_T| < ln 3 (1/4 < y < 3/4): near 1/2; beyond it near 0 or 1 -- issue 11's
    k = 7 instance (y = 0.9991) must say 1, not merely "not saturated"."""
    import math

    from genexam.plugins.rnn_recurrence import nearest_level

    run = run_genexam("show", "rnn_recurrence", "--set", "a=1", "--set", "b=0", "--set", "h0=0",
                      "--set", "xs=[1]", "--set", "k=7")
    assert run.code == 0, run.stderr
    assert "0.9991" in run.stdout and r"**$y$ is close to $1$**" in run.stdout
    assert r"\ln 3 \approx 1.099" in run.stdout
    for z in [sympy.Rational(n, 8) for n in range(-80, 81)]:
        y = 1 / (1 + math.exp(-float(z)))
        nearest = min((0, 0.5, 1), key=lambda level: abs(y - level))
        assert nearest_level(z) == sympy.nsimplify(nearest), z
