"""regularized_objective (SOURCE_EXAMS.md, test3 Q4 (a), (b)): the gradient
(1/N) sum_i x_i + A theta and the minimiser theta* = -A^{-1} (1/N) sum_i x_i of
J(theta) = (1/N) sum_i (theta^T x_i + b y_i) + 1/2 theta^T A theta."""

from __future__ import annotations

import random

import pytest
import sympy

from conftest import require_torch, run_genexam, run_solve
from test_cli import solve

T1, T2, T3 = sympy.symbols("theta_1 theta_2 theta_3", real=True)


def test_hand_computed_diagonal_case():
    # mean x = (2, 3); theta* = -(2/2, 3/1) = (-1, -3);
    # J(theta*) = b mean(y) - 1/2 mean^T A^{-1} mean = 1 - (4/2 + 9/1)/2 = -9/2.
    answers = solve("regularized_objective", "A=[[2,0],[0,1]]", "xs=[[1,2],[3,4]]", "b=1", "ys=[1,1]")["answers"]
    assert [sympy.sympify(g, locals={"theta_1": T1, "theta_2": T2}) for g in answers["gradient"]] == [2 * T1 + 2, T2 + 3]
    assert answers["theta_star"] == [-1, -3]
    assert answers["min_value"] == "-9/2"


def test_hand_computed_coupled_case():
    # A = [[2,1],[1,2]], mean x = (1, 1), A^{-1} = 1/3 [[2,-1],[-1,2]]: theta* = (-1/3, -1/3);
    # mean^T A^{-1} mean = 2/3, mean(y) = 1, b = 2: J(theta*) = 2 - 1/3 = 5/3.
    answers = solve("regularized_objective", "A=[[2,1],[1,2]]", "xs=[[1,0],[0,1],[2,2]]", "b=2",
                    "ys=[0,1,2]")["answers"]
    assert [sympy.sympify(g, locals={"theta_1": T1, "theta_2": T2}) for g in answers["gradient"]] == [
        2 * T1 + T2 + 1, T1 + 2 * T2 + 1]
    assert answers["theta_star"] == ["-1/3", "-1/3"]
    assert answers["min_value"] == "5/3"


def test_source_exam_formulas_on_a_3d_instance():
    # test3 Q4: gradient = mean(x) + A theta, theta* = -A^{-1} mean(x), checked with plain sympy here.
    A = [[4, 0, 0], [0, 4, 1], [0, 1, 3]]
    xs = [[1, -2, 1], [-2, -1, -2], [3, -3, 1]]
    record = solve("regularized_objective", f"A={A}", f"xs={xs}", "b=3", "ys=[-1,1,2]")
    answers = record["answers"]
    mean = sympy.Matrix(xs).T * sympy.ones(3, 1) / 3
    theta = sympy.Matrix([T1, T2, T3])
    want = mean + sympy.Matrix(A) * theta
    got = [sympy.sympify(g, locals={"theta_1": T1, "theta_2": T2, "theta_3": T3}) for g in answers["gradient"]]
    assert got == list(want)
    theta_star = -sympy.Matrix(A).inv() * mean
    assert [sympy.Rational(t) for t in answers["theta_star"]] == list(theta_star)
    assert sympy.Rational(answers["min_value"]) == 3 * sympy.Rational(2, 3) - (mean.T * sympy.Matrix(A).inv() * mean)[0] / 2


def test_gradient_and_minimum_match_torch_autograd():
    torch = require_torch()
    A, xs, ys, b = [[3, -1], [-1, 2]], [[1, -1], [-1, 3], [-2, 3], [-3, -1]], [-3, 3, 2, 3], -2
    answers = solve("regularized_objective", f"A={A}", f"xs={xs}", f"b={b}", f"ys={ys}")["answers"]
    At, X, Y = (torch.tensor(v, dtype=torch.float64) for v in (A, xs, ys))

    def J(theta):
        return (X @ theta + b * Y).mean() + 0.5 * theta @ At @ theta

    point = torch.tensor([0.5, -1.5], dtype=torch.float64, requires_grad=True)
    J(point).backward()
    grad = [sympy.sympify(g, locals={"theta_1": T1, "theta_2": T2}).subs({T1: sympy.Rational(1, 2), T2: sympy.Rational(-3, 2)})
            for g in answers["gradient"]]
    assert torch.allclose(point.grad, torch.tensor([float(g) for g in grad], dtype=torch.float64))
    star = torch.tensor([float(sympy.Rational(t)) for t in answers["theta_star"]], dtype=torch.float64, requires_grad=True)
    value = J(star)
    value.backward()
    assert torch.allclose(star.grad, torch.zeros(2, dtype=torch.float64))
    assert abs(value.item() - float(sympy.Rational(answers["min_value"]))) < 1e-12


def test_default_draws_are_small_spd_instances():
    from genexam.plugins.regularized_objective import RegularizedObjective
    from genexam.sampling import draw_params

    dims = set()
    for seed in range(200):
        p = draw_params(RegularizedObjective, random.Random(seed))
        A = sympy.Matrix(p["A"])
        d = A.shape[0]
        dims.add(d)
        assert A == A.T and all(A[:k, :k].det() > 0 for k in range(1, d + 1))
        assert all(1 <= A[i, i] <= 4 for i in range(d))
        assert 2 <= len(p["xs"]) <= 4 and len(p["ys"]) == len(p["xs"])
        assert any(sum(column) for column in zip(*p["xs"]))  # theta* is never trivially 0
    assert dims == {2, 3}


@pytest.mark.parametrize("matrix, message", [
    ("[[2,1],[0,1]]", "A must be symmetric, but A[1][2] = 1 and A[2][1] = 0"),
    ("[[1,2],[2,1]]", "A must be positive definite, but its leading principal minor of order 2 is -3"),
    ("[[0,0],[0,1]]", "A must be positive definite, but its leading principal minor of order 1 is 0"),
    ("[[1,2,3],[2,1,3]]", "A must be a square matrix"),
])
def test_bad_A_is_refused_with_a_clear_message(matrix, message):
    run = run_genexam("solve", "regularized_objective", "--set", f"A={matrix}")
    assert run.code == 2
    assert message in run.stderr
    assert "Traceback" not in run.stderr + run.stdout


def test_bad_A_in_a_spec_names_the_place(tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text("title: t\nproblems:\n  - family: regularized_objective\n    points: [1, 1]\n"
                    "    params: {A: [[1, 2], [2, 1]]}\n")
    run = run_genexam("validate", str(spec))
    assert run.code == 2
    assert "positive definite" in run.stderr and "bad.yaml:5" in run.stderr
    assert "Traceback" not in run.stderr + run.stdout


@pytest.mark.parametrize("sets, constraint", [
    (["A=[[2,1],[1,1]]", "xs=[[1,2,3]]"], "len(A) == len(A[0]) == len(xs[0])"),
    (["xs=[[1,2],[3,4]]", "ys=[1,1,1]"], "len(ys) == len(xs)"),
])
def test_mismatched_shapes_are_refused(sets, constraint):
    run = run_solve("regularized_objective", *sets)
    assert run.code == 2 and constraint in run.stderr and "Traceback" not in run.stderr + run.stdout


def test_solve_validates_A_itself():
    from genexam.plugins.regularized_objective import RegularizedObjective

    with pytest.raises(ValueError, match="positive definite"):
        RegularizedObjective().solve({"A": [[1, 2], [2, 1]], "xs": [[1, 1]], "b": 0, "ys": [0]})
