"""attention_query (SOURCE_EXAMS.md, a5 Q2): attention as copying; a query
q = beta (k_a + k_b) makes c approach (v_a + v_b) / 2."""

from __future__ import annotations

import random

import pytest
import sympy

from conftest import require_torch, run_genexam, run_solve
from test_cli import solve

E = sympy.E


def exact(values):
    return [sympy.sympify(v) for v in values]


def test_standard_basis_keys_known_case():
    # m = d = 3, k_i = e_i, a = 1, b = 2, beta = 5:
    # scores (5, 5, 0), alpha = (e^5, e^5, 1) / (2 e^5 + 1),
    # c = (e^5 (v_1 + v_2) + v_3) / (2 e^5 + 1), limit (v_1 + v_2) / 2.
    record = solve("attention_query", "m=3", "d=3", "a=1", "b=2", "beta=5",
                   "keys=[[1,0,0],[0,1,0],[0,0,1]]", "values=[[1,0,2],[0,3,1],[4,4,4]]")
    answers = record["answers"]
    assert answers["query"] == [5, 5, 0]
    weights = exact(answers["weights"])
    total = 2 * E**5 + 1
    for got, want in zip(weights, [E**5 / total, E**5 / total, 1 / total]):
        assert sympy.simplify(got - want) == 0
    assert sympy.simplify(sum(weights) - 1) == 0  # exactly 1, not approximately
    want_output = [(E**5 * 1 + 4) / total, (E**5 * 3 + 4) / total, (E**5 * 3 + 4) / total]
    for got, want in zip(exact(answers["output"]), want_output):
        assert sympy.simplify(got - want) == 0
    assert exact(answers["limit_output"]) == [sympy.Rational(1, 2), sympy.Rational(3, 2), sympy.Rational(3, 2)]


@pytest.mark.parametrize("m", [3, 4, 5])
def test_weights_follow_the_source_exam_formula(m):
    # a5 Q2(b): alpha_a = alpha_b = e^beta / (2 e^beta + m - 2), the others 1 / (2 e^beta + m - 2)
    answers = solve("attention_query", f"m={m}", f"d={m}", "a=2", "b=3", "beta=10")["answers"]
    total = 2 * sympy.exp(10) + m - 2
    want = [sympy.exp(10) / total if i in (2, 3) else 1 / total for i in range(1, m + 1)]
    got = exact(answers["weights"])
    assert len(got) == m
    assert all(sympy.simplify(g - w) == 0 for g, w in zip(got, want))


def test_signed_and_rational_keys():
    # Orthonormal keys need not be the standard basis: a rotation by (3/5, 4/5).
    record = solve("attention_query", "keys=[[3/5,4/5],[-4/5,3/5]]", "values=[[1,2],[3,4]]", "a=1", "b=2", "beta=2")
    assert record["params"]["m"] == 2 and record["params"]["d"] == 2  # derived from the keys
    answers = record["answers"]
    assert answers["query"] == ["-2/5", "14/5"]  # 2 (k_1 + k_2)
    assert answers["weights"] == ["1/2", "1/2"]  # two keys with equal scores: exactly 1/2 for every beta
    assert answers["output"] == [2, 3] and answers["limit_output"] == [2, 3]


def test_large_beta_output_approaches_the_average():
    answers = solve("attention_query", "m=4", "d=5", "a=4", "b=1", "beta=40",
                    "values=[[1,2,3,4,5],[-3,0,1,1,2],[2,2,2,2,2],[0,-1,-1,3,1]]")["answers"]
    limit = exact(answers["limit_output"])
    assert limit == [sympy.Rational(v) for v in ("1/2", "1/2", "1", "7/2", "3")]
    for c, l in zip(exact(answers["output"]), limit):
        assert abs(sympy.N(c - l, 50)) < 1e-15
        assert c != l  # the exact output is not yet the limit


def test_matches_torch_softmax_attention():
    torch = require_torch()
    record = solve("attention_query", "m=4", "d=4", "a=2", "b=4", "beta=3", "keys=[[0,-1,0,0],[1,0,0,0],[0,0,0,1],[0,0,-1,0]]",
                   "values=[[1,-2,0,3],[2,2,1,-1],[0,1,-3,2],[-1,0,2,2]]")
    params, answers = record["params"], record["answers"]
    K = torch.tensor(params["keys"], dtype=torch.float64)
    V = torch.tensor(params["values"], dtype=torch.float64)
    q = torch.tensor([float(sympy.sympify(v)) for v in answers["query"]], dtype=torch.float64)
    alpha = torch.softmax(K @ q, dim=0)
    c = alpha @ V
    assert torch.allclose(alpha, torch.tensor([float(sympy.sympify(w)) for w in answers["weights"]], dtype=torch.float64))
    assert torch.allclose(c, torch.tensor([float(sympy.sympify(v)) for v in answers["output"]], dtype=torch.float64))


def test_null_keys_and_values_are_the_standard_basis():
    # In a spec, keys: null and values: null mean e_1..e_m; c is then alpha itself.
    from genexam.plugins.attention_query import AttentionQuery

    params = {"m": 3, "d": 4, "a": 3, "b": 1, "beta": 4, "keys": None, "values": None}
    answers = AttentionQuery().solve(params).answers
    assert answers["query"] == [4, 0, 4, 0]
    assert all(sympy.simplify(c - w) == 0 for c, w in zip(answers["output"], answers["weights"]))
    assert answers["limit_output"] == [sympy.Rational(1, 2), 0, sympy.Rational(1, 2)]


def test_default_draws_are_orthonormal_signed_basis_vectors_and_honour_fixed_m_d():
    from genexam.distributions import Fixed
    from genexam.plugins.attention_query import AttentionQuery
    from genexam.sampling import draw_params

    for seed in range(100):
        p = draw_params(AttentionQuery, random.Random(seed))
        K = sympy.Matrix(p["keys"])
        assert K.shape == (p["m"], p["d"]) and K * K.T == sympy.eye(p["m"])
        assert all(abs(v) in (0, 1) for v in K)
        assert p["a"] != p["b"] and len(p["values"]) == p["m"]
        assert len({tuple(v) for v in p["values"]}) == p["m"]  # distinct values
    for seed in range(20):
        p = draw_params(AttentionQuery, random.Random(seed), {"m": Fixed(2), "d": Fixed(5)})
        assert sympy.Matrix(p["keys"]).shape == (2, 5) and len(p["values"]) == 2


@pytest.mark.parametrize("setting, message", [
    ("keys=[[1,1],[0,1]]", "orthonormal"),
    ("keys=[[1,0],[1,0]]", "orthonormal"),
])
def test_keys_that_are_not_orthonormal_are_refused(setting, message):
    run = run_genexam("solve", "attention_query", "--set", setting)
    assert run.code == 2
    assert message in run.stderr and "Traceback" not in run.stderr + run.stdout


@pytest.mark.parametrize("sets, names", [
    (["keys=[[1,0,0],[0,1,0]]", "m=3"], "len(keys) == m"),
    (["m=4", "d=3"], "m <= d"),
    (["a=2", "b=2"], "a != b"),
    (["m=3", "a=4"], "a <= m"),
    (["values=[[1,2],[3,4]]", "m=3"], "len(values) == m"),
])
def test_inconsistent_shapes_are_refused(sets, names):
    run = run_solve("attention_query", *sets)
    assert run.code == 2
    assert names in run.stderr and "Traceback" not in run.stderr + run.stdout


def test_solve_refuses_inconsistent_params_directly():
    # Called without the constraints (a plugin author's mistake): a clear ValueError, not a wrong answer.
    from genexam.plugins.attention_query import AttentionQuery

    with pytest.raises(ValueError, match="orthonormal"):
        AttentionQuery().solve({"m": 2, "d": 2, "a": 1, "b": 2, "beta": 1, "keys": [[1, 0], [1, 0]], "values": None})
    with pytest.raises(ValueError, match="dimension"):
        AttentionQuery().solve({"m": 2, "d": 3, "a": 1, "b": 2, "beta": 1, "keys": [[1, 0], [0, 1]], "values": None})
