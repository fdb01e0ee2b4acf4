"""The family contract (genexam.contract, the same checks `genexam check` runs)
for genexam's BUILT-IN families: 200 seeds each drawn in range and within the
constraints, solved and agreeing with the independent check, rendered to
Markdown (all) and converted to LaTeX and Typst (50 of them; all 200 under
GENEXAM_SWEEPS=1), and exam and key compiled by Typst with no warnings.
Installed third-party families are `genexam check`'s, not these tests'."""

from __future__ import annotations

import os

import pytest

from genexam.contract import CONVERTED, SEEDS, check_family


def builtin_family_names() -> list[str]:
    from genexam.registry import build_registry

    registry = build_registry()
    return [name for name in registry.families if registry.is_builtin(name)]


@pytest.mark.parametrize("name", builtin_family_names())
def test_family_meets_the_contract(name, registry):
    converted = None if os.environ.get("GENEXAM_SWEEPS") == "1" else CONVERTED
    report = check_family(registry.get(name), registry, SEEDS, converted)
    assert report.passed, "\n".join(report.failures())
    checks = {o.check: o for o in report.outcomes}
    assert not any(o.skipped for o in report.outcomes), checks
    assert checks["draws"].detail.startswith(f"{SEEDS} seeds")
    assert checks["solve = check"].detail == f"{SEEDS} seeds agree"


def test_gda_convergence_agrees_with_brute_force_iteration():
    """A third route for `converges`: iterate the exact update 200 times."""
    import itertools

    import sympy

    from genexam.plugins.gda_table import GdaTable, update_matrix

    etas = [sympy.Rational(1, 2), 1, 2, sympy.Rational(5, 2), sympy.Rational(10, 3), 3]
    for mode, eta, a, p0, q0 in itertools.product(("alternating", "simultaneous"), etas, (1, -1),
                                                  (-2, -1, 1, 2), (-2, -1, 1, 2)):
        params = {"a": a, "eta": eta, "p0": p0, "q0": q0, "steps": 1, "mode": mode}
        converges = GdaTable().solve(params).answers["converges"]
        far = update_matrix(sympy.Integer(a), sympy.Rational(eta), mode) ** 200 * sympy.Matrix([p0, q0])
        assert converges == (max(abs(v) for v in far) < sympy.Rational(1, 10**6)), params


def test_softmax_default_draws_are_informative():
    """Default instances keep 1 <= |w.x| <= 4: no trivial 1/2, no 0.0000 or 1.0000."""
    import random

    from genexam.plugins.softmax_logistic import SoftmaxLogistic
    from genexam.sampling import draw_params

    for seed in range(300):
        p = draw_params(SoftmaxLogistic, random.Random(seed))
        z = sum((a - b) * x for a, b, x in zip(p["w0"], p["w1"], p["x"]))
        assert 1 <= abs(z) <= 4, (seed, p)
