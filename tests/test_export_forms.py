"""The decimals and written forms the LMS exports give for exact answers."""

from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction

import sympy

from conftest import PROBLEM_SETS, run_genexam
from genexam.decimals import approx
from genexam.export.forms import decimal_text, fraction_text, written_forms


def test_decimals_are_rounded_as_approx_rounds_them():
    values = [sympy.Rational(1, 3), sympy.Rational(-1, 6), sympy.Rational(5, 2), sympy.Rational(-5, 2),
              sympy.Rational(9995, 1000), sympy.exp(3) / (1 + 2 * sympy.exp(3)), sympy.Rational(1, 4) + 2 * sympy.log(2),
              1 / (1 + sympy.E), sympy.sqrt(2), -sympy.pi * 1000]
    rng = random.Random(7)
    values += [sympy.Rational(rng.randint(-10**6, 10**6), rng.randint(1, 10**4)) for _ in range(100)]
    for value in values:
        for digits in (2, 3, 4, 6, 15):
            assert Decimal(decimal_text(value, digits, strip=False)) == Decimal(str(approx(value, digits))), (value, digits)


def test_written_forms():
    assert written_forms(sympy.Integer(1070625), "integer") == ["1070625", "1,070,625"]
    assert written_forms(sympy.Rational(3, 4), "rational") == ["3/4", "0.75", ".75"]
    assert written_forms(sympy.Rational(-1, 6), "rational")[:3] == ["-1/6", "-0.17", "-0.167"]
    assert written_forms(sympy.Rational(1, 4) + 2 * sympy.log(2), "real")[:2] == ["1.6", "1.64"]
    assert written_forms(False, "boolean")[0] == "no" and written_forms("rnn", "word")[:2] == ["rnn", "RNN"]


def test_tolerances_are_rounded_up_never_narrowed():
    assert fraction_text(Fraction(1, 3000)) == "0.000334"
    assert fraction_text(Fraction(1, 1000)) == "0.001"
    assert Fraction(fraction_text(Fraction(2, 3) / 1000)) >= Fraction(2, 3) / 1000


def test_exports_are_byte_identical_across_builds(tmp_path):
    outputs = []
    for run in ("one", "two"):
        out = tmp_path / run
        result = run_genexam("build", str(PROBLEM_SETS / "test3.yaml"), "--format", "moodle,qti,html", "-o", str(out))
        assert result.code == 0, result.stderr
        outputs.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
    assert outputs[0] == outputs[1] and "test3-canvas.zip" in outputs[0]
