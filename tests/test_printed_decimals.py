"""Every decimal a key prints is its exact value correctly rounded.

The convention (README, "Writing a family"): a decimal lives in a solution's
steps under a key ending in ``_approx``, beside the exact value under the same
key without the suffix (in the same mapping, or among the answers); lists pair
up element by element, and None means "no decimal printed". Two variants are
read too: a mapping ``approx`` keyed like its siblings, and a list ``approx``
beside a list ``value``. Here every family's 200 default draws are solved, and each such
decimal is compared with the exact value re-rounded independently: mpmath at
50 digits through ``sympy.lambdify`` (not sympy's evalf, which
genexam.decimals uses), and exact rational arithmetic for rationals. A
sympy.Float anywhere else is an error: it would print without that check.
"""

from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction
from typing import Any, Iterator

import mpmath
import pytest
import sympy

from genexam.decimals import approx
from genexam.sampling import draw_params

SEEDS = 200
SUFFIX = "_approx"


def family_names() -> list[str]:
    from genexam.registry import build_registry

    return list(build_registry().families)


def printed_digits(value: sympy.Float) -> int:
    """The significant digits a Float prints (sympy keeps them as its precision)."""
    return mpmath.libmp.prec_to_dps(value._prec)


def reference(exact: Any, digits: int) -> Decimal:
    """``exact`` rounded half away from zero to ``digits`` significant digits,
    independently of genexam.decimals."""
    exact = sympy.sympify(exact)
    if exact.is_Rational:
        q = Fraction(int(exact.p), int(exact.q))
        if q == 0:
            return Decimal(0)
        sign, q = (-1 if q < 0 else 1), abs(q)
        exponent = len(str(q.numerator)) - len(str(q.denominator))
        while Fraction(10) ** exponent > q:
            exponent -= 1
        while Fraction(10) ** (exponent + 1) <= q:
            exponent += 1
        scaled = q * Fraction(10) ** (digits - 1 - exponent)
        mantissa = int(scaled + Fraction(1, 2))  # floor of a positive number: half away from zero
        return Decimal(sign * mantissa).scaleb(exponent - digits + 1)
    with mpmath.workdps(50):
        x = mpmath.mpf(sympy.lambdify((), exact, modules="mpmath")())
        text = mpmath.nstr(x, digits, min_fixed=1, max_fixed=0, strip_zeros=False)
    return Decimal(text)


def decimals_beside_exact(answers: dict, steps: dict) -> Iterator[tuple[str, Any, sympy.Float]]:
    """(where, exact value, printed decimal) for every ``*_approx`` entry, and
    a failure for a Float that is not one."""

    def walk(node: Any, where: str, in_steps: bool) -> Iterator[tuple[str, Any, Any]]:
        if isinstance(node, dict):
            for key, value in node.items():
                # Answer ids are public names (transformer_budget's params_approx is 12 L d^2,
                # an exact integer): the convention applies to the steps.
                if in_steps and key == "approx" and isinstance(value, dict):
                    for name, printed in value.items():  # {"theta": 1.390, ...} beside theta
                        assert name in node, f"{where}.approx.{name}: no exact value '{name}' beside it"
                        yield from pair(node[name], printed, f"{where}.approx.{name}")
                elif in_steps and key == "approx":
                    assert "value" in node, f"{where}.approx: no exact 'value' beside it"
                    yield from pair(node["value"], value, f"{where}.approx")
                elif in_steps and isinstance(key, str) and key.endswith(SUFFIX):
                    yield from pair(exact_beside(node, key[: -len(SUFFIX)], where), value, f"{where}.{key}")
                else:
                    yield from walk(value, f"{where}.{key}", in_steps)
        elif isinstance(node, (list, tuple)):
            for i, value in enumerate(node):
                yield from walk(value, f"{where}[{i}]", in_steps)
        elif isinstance(node, sympy.Float):
            pytest.fail(f"{where} = {node}: a decimal not under a '*{SUFFIX}' key beside its exact value")

    def exact_beside(node: dict, base: str, where: str) -> Any:
        """The exact value under ``base`` in the same mapping, else among the answers, else the
        one key there whose name begins with ``base_``."""
        if base in node:
            return node[base]
        if base in answers:
            return answers[base]
        for source in (node, answers):  # log_approx beside log_prob; final_approx for final_params
            starting = [k for k in source if isinstance(k, str) and k.startswith(base + "_")
                        and not k.endswith(SUFFIX)]
            if len(starting) == 1:
                return source[starting[0]]
        pytest.fail(f"{where}.{base}{SUFFIX}: no exact value '{base}' beside it")

    def pair(exact: Any, printed: Any, where: str) -> Iterator[tuple[str, Any, Any]]:
        if printed is None:
            return
        if isinstance(printed, dict):  # keyed like the exact mapping (backprop_graph's values per node)
            assert isinstance(exact, dict) and set(printed) <= set(exact), f"{where}: keys differ"
            for key, p in printed.items():
                yield from pair(exact[key], p, f"{where}.{key}")
            return
        if isinstance(printed, (list, tuple)):
            exact_list = list(exact) if isinstance(exact, (list, tuple, sympy.MatrixBase)) else None
            assert exact_list is not None and len(exact_list) == len(printed), f"{where}: shapes differ"
            for i, (e, p) in enumerate(zip(exact_list, printed)):
                yield from pair(e, p, f"{where}[{i}]")
            return
        if isinstance(printed, sympy.Rational) and printed == exact:
            return  # an exact entry kept as it is among the decimals (normalization's output_approx)
        assert isinstance(printed, sympy.Float), f"{where}: {printed!r} is not a sympy Float"
        yield where, exact, printed

    yield from walk(answers, "answers", False)
    yield from walk(steps, "steps", True)


def check_family(name: str, seeds: range) -> int:
    from genexam.registry import build_registry

    family = build_registry().get(name)
    checked = 0
    for seed in seeds:
        params = draw_params(family, random.Random(seed))
        solution = family().solve(params)
        for where, exact, printed in decimals_beside_exact(solution.answers, solution.steps):
            digits = printed_digits(printed)
            want = reference(exact, digits)
            got = Decimal(str(printed))
            assert got == want, \
                f"{name} seed {seed} {where}: printed {printed}, but {exact} rounds to {want}"
            checked += 1
    return checked


@pytest.mark.parametrize("name", family_names())
def test_printed_decimals_are_correctly_rounded_first_seeds(name):
    check_family(name, range(20))


@pytest.mark.sweep
@pytest.mark.parametrize("name", family_names())
def test_printed_decimals_are_correctly_rounded_200_seeds(name):
    check_family(name, range(SEEDS))


@pytest.mark.parametrize("value, digits, text", [
    (sympy.tanh(sympy.Rational(3, 2)), 4, "0.9051"),  # attention_query --seed 24 printed 0.9052
    (1 / (1 + sympy.exp(800)), 4, "3.668e-348"),  # softmax_logistic printed 1.085e-165
    (1 / (1 + sympy.exp(-800)), 4, "1.000"),
    (sympy.Rational(1, 80), 2, "0.013"),  # an exact tie, rounded half away from zero
    (sympy.Rational(-9995, 10000), 3, "-1.00"),
    (sympy.sqrt(2) * 10**6, 3, "1.41e+6"),
])
def test_approx_known_values(value, digits, text):
    assert str(approx(value, digits)) == text
    assert Decimal(str(approx(value, digits))) == reference(value, digits)


def test_the_reproductions_from_issue_11_print_the_right_digits():
    from conftest import run_genexam

    soft = run_genexam("show", "softmax_logistic", "--set", "w0=[20]", "--set", "w1=[-20]", "--set", "x=[20]")
    assert soft.code == 0 and r"3.668 \cdot 10^{-348}" in soft.stdout and "1.085" not in soft.stdout
    attention = run_genexam("show", "attention_query", "--seed", "24")
    assert attention.code == 0 and "0.9051" in attention.stdout and "0.9052" not in attention.stdout


def test_a_value_that_cancels_to_zero_prints_zero():
    import sympy

    from genexam.decimals import approx

    assert approx(sympy.sin(1) ** 2 + sympy.cos(1) ** 2 - 1, 4).is_zero
    assert str(approx(1 / (1 + sympy.exp(800)), 4)) == "3.668e-348"
