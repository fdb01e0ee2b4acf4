"""beam_search: a hand-worked tree through the CLI, the length penalty, bad
trees, and over many seeds the family's check (brute force over every token
string and a second beam implementation), a beam as wide as the tree (which
must find the brute-force best), and torch.log for the log-probabilities.
No torch decoder is needed: the values are logarithms of exact rationals."""

from __future__ import annotations

import random

import pytest
import sympy

from answers_util import same
from conftest import require_torch, run_solve
from test_cli import solve

from genexam.plugins.beam_search import BeamSearch, decode
from genexam.sampling import draw_params

# start: a 0.6, b 0.4; after a: eos 0.5, a 0.3, b 0.2; after b: a 0.9 ... greedy takes a then eos (0.3);
# the best, b a <eos> = 0.4 * 0.9 * 1 = 0.36, needs a beam of 2
TREE = ('probs={"": {a: 0.6, b: 0.4, <eos>: 0}, a: {a: 0.3, b: 0.2, <eos>: 0.5}, b: {a: 0.9, b: 0.1, <eos>: 0},'
        ' a a: {a: 0.5, b: 0.5, <eos>: 0}, a b: {a: 0.5, b: 0.5, <eos>: 0}, b a: {a: 0, b: 0, <eos>: 1},'
        ' b b: {a: 0, b: 0, <eos>: 1}}')


def test_beam_finds_what_greedy_misses():
    answers = solve("beam_search", TREE, "max_len=3", "beam_width=2", "length_penalty=0")["answers"]
    assert answers["greedy"]["sequence"] == ["a", "<eos>"]
    assert sympy.sympify(answers["greedy"]["log_prob"]) == sympy.log(sympy.Rational(3, 10))
    assert answers["beam"]["best"] == ["b", "a", "<eos>"]
    assert sympy.sympify(answers["beam"]["log_prob"]) == sympy.log(sympy.Rational(9, 25))
    # step 1 keeps a (0.6), b (0.4); step 2: b a 0.36, a <eos> 0.3 (finished); step 3: b a <eos> 0.36
    assert [[h["sequence"] for h in step] for step in answers["beam"]["steps"]] == [
        [["a"], ["b"]], [["b", "a"], ["a", "<eos>"]], [["b", "a", "<eos>"]]]
    assert answers["differ"] is True
    assert answers["brute_force"]["sequence"] == ["b", "a", "<eos>"]


def test_width_one_is_greedy():
    answers = solve("beam_search", TREE, "max_len=3", "beam_width=1", "length_penalty=0")["answers"]
    assert answers["beam"]["best"] == answers["greedy"]["sequence"] == ["a", "<eos>"]
    assert answers["differ"] is False


def test_length_penalty_divides_by_length_to_the_alpha():
    # alpha = 1: b a <eos> scores log(0.36)/3 = -0.341, above a <eos> at log(0.3)/2 = -0.602
    answers = solve("beam_search", TREE, "max_len=3", "beam_width=2", "length_penalty=1")["answers"]
    score = sympy.sympify(answers["brute_force"]["score"])
    assert score == sympy.log(sympy.Rational(9, 25)) / 3
    # a short, likely sequence against a long one: with alpha = 0 the short one wins, with alpha = 2 the long one
    tree = ('probs={"": {a: 0.5, b: 0.5, <eos>: 0}, a: {a: 0, b: 0, <eos>: 1}, b: {a: 0.5, b: 0.5, <eos>: 0},'
            ' b a: {a: 0, b: 0, <eos>: 1}, b b: {a: 0, b: 0, <eos>: 1}, a a: {a: 0, b: 0, <eos>: 1},'
            ' a b: {a: 0, b: 0, <eos>: 1}}')
    plain = solve("beam_search", tree, "max_len=3", "beam_width=3", "length_penalty=0")["answers"]
    long = solve("beam_search", tree, "max_len=3", "beam_width=3", "length_penalty=2")["answers"]
    assert plain["brute_force"]["sequence"] == ["a", "<eos>"]  # log 0.5 against log 0.25
    assert long["brute_force"]["sequence"] == ["b", "a", "<eos>"]  # log(0.5)/4 < log(0.25)/9


def test_a_distribution_that_does_not_sum_to_one_is_named():
    bad = TREE.replace("a: {a: 0.3, b: 0.2, <eos>: 0.5}", "a: {a: 0.3, b: 0.2, <eos>: 0.4}")
    run = run_solve("beam_search", bad, "max_len=3")
    assert run.code == 2 and "Traceback" not in run.stderr
    assert "probs['a'] sums to 9/10, not 1" in run.stderr


def test_a_missing_prefix_is_named():
    short = TREE.replace(" b b: {a: 0, b: 0, <eos>: 1}", "").replace(",}", "}")
    run = run_solve("beam_search", short, "max_len=3")
    assert run.code == 2 and "Traceback" not in run.stderr
    assert "no next-token distribution for 'b b'" in run.stderr


def test_tokens_that_could_carry_markup_are_refused():
    run = run_solve("beam_search", "vocab=['a\\\\b', c]", TREE)
    assert run.code == 2 and "Traceback" not in run.stderr and "letters, digits" in run.stderr


def test_tree_figure_marks_beam_greedy_and_best():
    import xml.etree.ElementTree as ET

    p = draw_params(BeamSearch, random.Random(3))
    svg = BeamSearch().solve(p).figures["tree"]
    ET.fromstring(svg.encode())
    assert "best" in svg and "greedy path" in svg and "kept by beam search" in svg
    assert svg == BeamSearch().solve(p).figures["tree"]


# -- many seeds -------------------------------------------------------------------

def sweep(seeds):
    torch = require_torch()
    differ = 0
    for seed in seeds:
        p = draw_params(BeamSearch, random.Random(seed))
        answers = BeamSearch().solve(p).answers
        second = BeamSearch().check(p)
        assert all(same(answers[k], second[k]) for k in second), (seed, p)
        differ += answers["differ"]
        # a beam wider than the tree keeps every candidate: it must return the brute-force best
        wide = decode(p["vocab"], p["probs"], p["max_len"], 10**6, p["length_penalty"])
        assert list(wide["beam"][0]) == answers["brute_force"]["sequence"], (seed, p)
        # the brute-force best scores at least as high as beam's and greedy's answers
        assert float(sympy.N(answers["brute_force"]["score"])) >= float(sympy.N(answers["beam"]["score"])) - 1e-12
        # log-probabilities against torch.log in float64
        for hyp in [answers["greedy"], *(h for step in answers["beam"]["steps"] for h in step)]:
            prob = float(sympy.exp(hyp["log_prob"]))
            value = torch.log(torch.tensor(prob, dtype=torch.float64)).item()
            assert abs(float(sympy.N(hyp["log_prob"], 30)) - value) <= 1e-12 * max(1, abs(value)), (seed, hyp)
    return differ


def test_20_seeds():
    sweep(range(20))


@pytest.mark.sweep
def test_200_seeds_and_greedy_and_beam_differ_often():
    differ = sweep(range(200))
    assert 100 <= differ <= 170  # two draws in three by design


def test_explicit_probabilities_keep_fractions_exact():
    answers = solve("beam_search", 'probs={"": {a: 1/3, b: 2/3}, a: {<eos>: 1}, b: {a: 1/2, <eos>: 1/2}}',
                    "vocab=[a, b]", "max_len=2", "beam_width=2", "length_penalty=0")["answers"]
    assert answers["greedy"]["sequence"] == ["b", "a"]  # 1/2 ties with <eos>: the token listed first
    assert sympy.sympify(answers["greedy"]["log_prob"]) == sympy.log(sympy.Rational(1, 3))
    assert answers["brute_force"]["sequence"] == ["a", "<eos>"]  # all three have 1/3: the first in order
