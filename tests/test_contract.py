"""genexam.contract and genexam.agreement on families made to fail: each broken
promise is reported with the right message and the seed that reproduces it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import sympy

from genexam.agreement import agree
from genexam.contract import check_family

MODULE = '''
import sympy
from genexam import hookimpl
from genexam.distributions import RandInt
from genexam.family import Family, Part, Solution
from genexam.params import Int, Vector


class Neuron(Family):
    name = "NAME"
    title = "A ReLU neuron"
    params = (
        Vector("w", RandInt(-3, 3, size=2), low=-9, high=9, length=(2, 4)),
        Vector("x", RandInt(-3, 3, size=2), low=-9, high=9, length=(2, 4)),
        Int("b", RandInt(-3, 3), low=-9, high=9),
    )
    constraints = ("len(w) == len(x)",)
    parts = (Part("a", ("z", "y")),)

    def solve(self, p):
        z = sympy.Integer(sum(a * b for a, b in zip(p["w"], p["x"])) + p["b"])
        return Solution({"z": z, "y": max(z, sympy.Integer(0))})

    def check(self, p):
        z = (sympy.Matrix([p["w"]]) * sympy.Matrix(p["x"]))[0] + p["b"]
        return CHECK
'''
TEMPLATE = r'''{% block statement %}
Weights $\mathbf{w} = {{ w|rowvec }}$, bias $b = {{ b|tex }}$.
{% endblock %}
{% block part_a %}
For $\mathbf{x} = {{ x|rowvec }}$ give $z$ and $y = \max(0, z)$.
{% endblock %}
{% block solution_a %}
$z = FRAC{{ answers.z|tex }}$ and $y = {{ answers.y|tex }}$.
{% endblock %}
'''
GOOD_CHECK = '{"z": z, "y": (z + abs(z)) / 2}'


def make_family(tmp_path: Path, name: str, check: str = GOOD_CHECK, frac: str = "") -> type:
    """Write a family module and template under ``tmp_path`` and import it."""
    (tmp_path / f"{name}.py").write_text(MODULE.replace("NAME", name).replace("CHECK", check))
    (tmp_path / f"{name}.md.j2").write_text(TEMPLATE.replace("FRAC", frac))
    spec = importlib.util.spec_from_file_location(name, tmp_path / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module.Neuron


def test_agreement_of_equal_closed_forms():
    e = sympy.E
    assert agree(sympy.log(1 + 2 * sympy.cosh(1)), -1 + sympy.log(1 + e + e**2)).equal  # the case
    assert agree(sympy.Rational(1, 2), sympy.Integer(1) / 2).how == "exact"
    assert agree([1, sympy.sqrt(8)], (1, 2 * sympy.sqrt(2))).equal
    assert agree({"choice": "B"}, {"choice": "B"}).equal
    n = sympy.Symbol("n")
    assert agree(61 * n**2 + 9700 * n, n * (61 * n + 9700)).equal
    assert agree(sympy.Matrix([[1, 2]]), [[1, 2]]).equal


def test_agreement_tells_different_values_apart():
    assert not agree(sympy.sqrt(2), sympy.sqrt(2) + sympy.Rational(1, 10**30)).equal  # differ past float precision
    assert not agree(sympy.Rational(1, 3), sympy.Rational(1, 3) + sympy.Rational(1, 10**60)).equal  # exact
    assert not agree(None, 0).equal
    assert not agree(True, 1).equal
    assert not agree([1, 2], [1, 2, 3]).equal
    n = sympy.Symbol("n")
    assert not agree(n**2, n**2 + n).equal


def test_a_good_family_passes(tmp_path):
    report = check_family(make_family(tmp_path, "good_neuron"), seeds=40, converted=10)
    assert report.passed, report.failures()
    assert [o.check for o in report.outcomes] == ["declaration", "draws", "solve = check", "templates", "Typst"]


def test_check_missing_an_answer(tmp_path):
    report = check_family(make_family(tmp_path, "partial_neuron", check='{"z": z}'), seeds=20, compile_typst=False)
    (line,) = report.failures()
    assert line.startswith("solve = check: seed 0: check() does not recompute the answers 'y'"), line
    assert "reproduce: genexam show partial_neuron --seed 0" in line


def test_solve_disagreeing_with_check_names_the_seed(tmp_path):
    family = make_family(tmp_path, "wrong_neuron", check='{"z": z + (1 if p["b"] == 2 else 0), "y": (z + abs(z)) / 2}')
    report = check_family(family, seeds=40, compile_typst=False)
    lines = report.failures()
    assert lines and all("answer 'z': solve() gives" in line for line in lines), lines
    seed = int(lines[0].split("seed ")[1].split(":")[0])
    import random

    from genexam.sampling import draw_params

    assert draw_params(family, random.Random(seed))["b"] == 2  # the seed named reproduces it


def test_tex_that_typst_drops_is_named_with_its_replacement(tmp_path):
    report = check_family(make_family(tmp_path, "dfrac_neuron", frac=r"\dfrac{1}{1} "), seeds=10, converted=2)
    lines = report.failures()
    assert any("dfrac_neuron.md.j2:8: \\dfrac is dropped" in line and "write \\frac" in line for line in lines), lines


@pytest.mark.parametrize("name, check, expected", [
    ("raising_neuron", "1 // 0", "raising_neuron.py:26: ZeroDivisionError: integer division or modulo by zero"),
    ("extra_neuron", '{"z": z, "y": (z + abs(z)) / 2, "w": 1}', "check() returns 'w', which are not declared answers"),
])
def test_other_broken_checks(tmp_path, name, check, expected):
    report = check_family(make_family(tmp_path, name, check=check), seeds=5, compile_typst=False)
    assert any(expected in line for line in report.failures()), report.failures()


def test_answers_that_answers_json_cannot_hold(tmp_path):
    family = make_family(tmp_path, "float_neuron")
    original = family.solve
    family.solve = lambda self, p: type(original(self, p))({"z": object(), "y": 0})
    report = check_family(family, seeds=3, compile_typst=False)
    assert any("answer 'z' cannot be written to answers.json" in line for line in report.failures()), report.failures()


def test_the_pytest11_plugin_offers_the_contract_fixture(genexam_contract):
    """pytest loads genexam.testing through the pytest11 entry point (no import needed)."""
    with pytest.raises(pytest.fail.Exception, match="unknown family 'no_such_family'"):
        genexam_contract("no_such_family")
