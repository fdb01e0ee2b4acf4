"""The CLI verbs, and the known answers of the source exams through `genexam solve --json`."""

from __future__ import annotations

import json

import pytest
import sympy

from conftest import require_torch, run_genexam, run_solve


def solve(family: str, *sets: str) -> dict:
    run = run_solve(family, *sets, json=True)
    assert run.code == 0, run.stderr
    return json.loads(run.stdout)


def test_attention_ops_source_exam_test3_q3():
    # SOURCE_EXAMS.md, test3 3(a)-(b): 61 n^2 + 9700 n = 1,070,625 at n = 75; 9,700 parameters
    record = solve("attention_ops", "n=75", "d_model=100", "d_k=36", "d_v=25")
    answers = record["answers"]
    assert answers["qkv_mults"] == 3600 * 75 + 3600 * 75 + 2500 * 75
    assert answers["score_mults"] == 36 * 75**2 and answers["weighted_sum_mults"] == 25 * 75**2
    assert answers["out_proj_mults"] == 0
    assert answers["total_mults"] == 1_070_625
    assert sympy.sympify(answers["total_mults_in_n"]) == sympy.sympify("61*n**2 + 9700*n")
    assert answers["params"] == 9_700
    # every parameter is reported, defaults filled in
    assert record["params"] == {"n": 75, "d_model": 100, "d_k": 36, "d_v": 25, "heads": 1,
                                "out_proj": False, "bias": False}


def test_attention_ops_matches_multihead_attention_count():
    # torch.nn.MultiheadAttention(d, h): in_proj 3 d^2 + 3 d, out_proj d^2 + d
    d, h = 64, 4
    answers = solve("attention_ops", f"d_model={d}", f"heads={h}", f"d_k={d // h}", f"d_v={d // h}",
                    "out_proj=true", "bias=true", "n=10")["answers"]
    assert answers["params"] == 4 * d * d + 4 * d
    torch = require_torch()
    module = torch.nn.MultiheadAttention(d, h, bias=True)
    assert answers["params"] == sum(p.numel() for p in module.parameters())


def test_gda_table_alternating_cycles_with_period_six():
    # SOURCE_EXAMS.md, a5 Q4 (the handwritten p_2 = -1 was wrong)
    answers = solve("gda_table", "a=1", "eta=1", "p0=1", "q0=1", "steps=6", "mode=alternating")["answers"]
    assert answers["p"] == [1, -1, -2, -1, 1, 2, 1]
    assert answers["q"] == [1, 2, 1, -1, -2, -1, 1]
    assert answers["converges"] is False
    assert answers["spectral_radius"] == 1
    assert answers["equilibrium"] == [0, 0]


def test_gda_table_simultaneous_spirals_out_by_sqrt2():
    answers = solve("gda_table", "a=1", "eta=1", "p0=1", "q0=1", "steps=6", "mode=simultaneous")["answers"]
    assert sympy.sympify(answers["spectral_radius"]) == sympy.sqrt(2)
    radii2 = [p * p + q * q for p, q in zip(answers["p"], answers["q"])]
    assert all(b == 2 * a for a, b in zip(radii2, radii2[1:]))  # |z|^2 doubles each step
    assert answers["converges"] is False


def test_gda_table_fractional_step():
    answers = solve("gda_table", "eta=1/2", "p0=2", "q0=0", "steps=2", "mode=alternating")["answers"]
    # q1 = 0 + 1/2*2 = 1, p1 = 2 - 1/2*1 = 3/2; q2 = 1 + 3/4 = 7/4, p2 = 3/2 - 7/8 = 5/8
    assert answers["q"] == [0, 1, "7/4"] and answers["p"] == [2, "3/2", "5/8"]


def test_softmax_logistic_known_instance():
    answers = solve("softmax_logistic", "w0=[1, 2]", "w1=[0, 1]", "x=[1, 1]")["answers"]
    assert answers["w"] == [1, 1]
    assert sympy.simplify(sympy.sympify(answers["p_y0"]) - 1 / (1 + sympy.exp(-2))) == 0
    assert sympy.simplify(sympy.sympify(answers["p_y0"]) + sympy.sympify(answers["p_y1"]) - 1) == 0


def test_softmax_accepts_exact_fractions():
    answers = solve("softmax_logistic", "w0=[1/2, 1]", "w1=[0, 1]", "x=[2, 3]")["answers"]
    assert answers["w"] == ["1/2", 0]


@pytest.mark.parametrize("verb", ["", "build", "list", "show", "solve", "validate"])
def test_help_on_every_verb(verb):
    run = run_genexam(*([verb] if verb else []), "--help")
    assert run.code == 0 and "usage: genexam" in run.stdout


def test_list_shows_every_family_with_parameters_and_answer_ids(registry):
    run = run_genexam("list")
    assert run.code == 0
    for name, family in registry.families.items():
        assert f"{name}: {family.title}" in run.stdout
        for param in family.param_names():
            assert f"    {param}:" in run.stdout
        for answer in family.answer_ids():
            assert answer in run.stdout


def test_show_prints_one_instance_with_its_solution():
    run = run_genexam("show", "gda_table", "--seed", "3", "--set", "steps=4")
    assert run.code == 0, run.stderr
    assert run.stdout.startswith("# ") and "**Solution.**" in run.stdout and "$t = 0, 1, \\ldots, 4$" in run.stdout


def test_solve_is_reproducible_and_seeded():
    first, second = solve("attention_ops"), solve("attention_ops")
    assert first == second
    other = json.loads(run_genexam("solve", "attention_ops", "--json", "--seed", "99").stdout)
    assert other["params"] != first["params"]


def test_solve_without_json_prints_readable_lines():
    run = run_genexam("solve", "attention_ops", "--set", "n=75", "--set", "d_model=100", "--set", "d_k=36",
                      "--set", "d_v=25")
    assert run.code == 0 and "total_mults = 1070625" in run.stdout


def test_gda_table_start_on_the_contracting_eigenvector_converges():
    # eta*a = 5/2 = 2 + 1/2: eigenvalues -4 and -1/4; (1, -2) is the eigenvector of -1/4
    answers = solve("gda_table", "eta=5/2", "p0=1", "q0=-2", "steps=4", "mode=alternating")["answers"]
    assert answers["p"] == [1, "-1/4", "1/16", "-1/64", "1/256"]
    assert answers["converges"] is True and answers["spectral_radius"] == 4
    run = run_genexam("show", "gda_table", "--set", "eta=5/2", "--set", "p0=1", "--set", "q0=-2")
    assert "**converge**" in run.stdout and "do not converge" not in run.stdout


def test_gda_table_double_eigenvalue_start_on_its_eigenvector_has_period_two():
    answers = solve("gda_table", "eta=2", "p0=1", "q0=-1", "steps=4", "mode=alternating")["answers"]
    assert answers["p"] == [1, -1, 1, -1, 1] and answers["converges"] is False
    run = run_genexam("show", "gda_table", "--set", "eta=2", "--set", "p0=1", "--set", "q0=-1")
    assert "period 2" in run.stdout and "double root" in run.stdout


def test_defaults_follow_a_fixed_vector_length():
    record = solve("softmax_logistic", "x=[1, 2, 3, 4]")
    assert len(record["params"]["w0"]) == len(record["params"]["w1"]) == 4
