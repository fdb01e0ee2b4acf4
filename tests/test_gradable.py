"""genexam.gradable: the one definition of a gradable answer that the LMS
exports and `grade` share, read from answers.json."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
import sympy

from conftest import PROBLEM_SETS, run_genexam
from genexam.gradable import DecodeError, decode_value, gradable_answers


@pytest.fixture(scope="module")
def documents(tmp_path_factory):
    out = {}
    for name in ("a5", "test3", "a3", "quiz1"):
        folder = tmp_path_factory.mktemp(name)
        run = run_genexam("build", str(PROBLEM_SETS / f"{name}.yaml"), "--format", "json", "-o", str(folder / "out"))
        assert run.code == 0, run.stderr
        out[name] = json.loads((folder / "out" / "answers.json").read_text())
    return out


def test_points_of_every_version_add_up_to_the_total(documents):
    for name, doc in documents.items():
        answers = gradable_answers(doc)
        for version in doc["versions"]:
            mine = [a for a in answers if a.version == version["version"]]
            assert sum(a.points for a in mine) == Fraction(str(doc["total_points"])), name
            # entries of a vector share their answer's points
            for a in mine:
                assert sum(points for _, _, points in a.entries()) == a.points


def test_kinds_come_from_values_and_family_declarations(documents):
    by_column = {a.column: a for a in gradable_answers(documents["a5"]) if a.version == "A"}
    assert by_column["1a.rnn_train_time"].kind == "big_o"  # declared by seq_model_complexity
    assert by_column["1c.cheaper"].kind == "word" and by_column["1c.cheaper"].value in ("rnn", "transformer")
    assert by_column["1c.rnn_mults"].kind == "integer"
    assert by_column["1d"].kind == "explained" and by_column["1d"].value  # the model answer, for a person
    assert by_column["3c"].kind == "real" and by_column["3c"].tolerance == Fraction(1, 1000)
    test3 = [a for a in gradable_answers(documents["test3"]) if a.kind == "choice"]
    assert test3 and all(a.value in "ABCDEFGH" and len(a.value) == 1 for a in test3)


def test_decoding_is_exact_and_never_evaluates():
    assert decode_value("3/4") == sympy.Rational(3, 4)
    assert decode_value("61*n**2 + 9700*n") == 61 * sympy.Symbol("n") ** 2 + 9700 * sympy.Symbol("n")
    assert decode_value("1/(1 + E)") == 1 / (1 + sympy.E)
    assert decode_value(["1/2", 3, True]) == [sympy.Rational(1, 2), 3, True]
    for hostile in ("__import__('os').system('true')", "(lambda: 0)()", "().__class__", "n.__class__",
                    "x[0]", "2**10**10", "(10**10000)**10000"):
        with pytest.raises(DecodeError):
            decode_value(hostile)


def test_weights_and_tolerance_a_family_declares():
    record = {"number": 2, "id": "p", "parts": ["a"], "labels": [""], "points": 6,
              "part_answers": {"a": ["x", "y"]}, "answers": {"x": 1, "y": "sqrt(2)"},
              "weights": {"x": 2}, "tolerance": "1/100"}
    from genexam.gradable import problem_answers

    x, y = problem_answers("A", record)
    assert (x.points, y.points) == (4, 2) and x.column == "2.x"
    assert y.kind == "real" and y.tolerance == Fraction(1, 100)
