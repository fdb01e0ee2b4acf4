"""Reading and judging what students write: equivalent forms, wrong answers,
and hostile text that must never execute or hang."""

from __future__ import annotations

import time

import pytest
import sympy

from genexam.gradable import decode_value as key
from genexam.grade.equal import judge
from genexam.grade.parse import Unreadable, parse_answer

n, L, t = sympy.symbols("n L t")


@pytest.mark.parametrize("text, value", [
    ("1,070,625", 1070625), ("1 070 625", 1070625), ("1070625", 1070625), ("0.75", sympy.Rational(3, 4)),
    ("3/4", sympy.Rational(3, 4)), ("75%", sympy.Rational(3, 4)), ("1.5e-3", sympy.Rational(3, 2000)),
    ("2n^2", 2 * n**2), ("2n**2", 2 * n**2), ("n(61n + 9700)", n * (61 * n + 9700)), ("L t n", L * t * n),
    ("Ltn", L * t * n), ("sqrt(2)/2", sympy.sqrt(2) / 2), ("e^-1", sympy.exp(-1)), ("ln 2", sympy.log(2)),
    ("-2^2", -4), ("2 × 3", 6), ("−5", -5), ("pi", sympy.pi),
])
def test_reads_the_forms_students_write(text, value):
    assert parse_answer(text, ["n", "L", "t"]).value == value


def test_vectors_tables_and_big_o():
    assert parse_answer("(1, 2, 3)").value == [1, 2, 3]
    assert parse_answer("[1,2,3]").value == [1, 2, 3]
    assert parse_answer("[[1, 2], [3, 4]]").value == [[1, 2], [3, 4]]
    parsed = parse_answer("O(Ltn(t+n))", ["L", "t", "n"])
    assert parsed.big_o and sympy.expand(parsed.value) == L * t**2 * n + L * t * n**2


@pytest.mark.parametrize("text", [
    "__import__('os').system('touch /tmp/pwned')", "lambda: 0", "9**9**9**9", "9^9^9^9", "x" * 10_000,
    "1\x002", "=HYPERLINK(\"http://x\", \"y\")", "(" * 200 + "1" + ")" * 200, "2^(10^10)", "exp(10^6)",
    "().__class__", "open('/etc/passwd')", "", "   ",
])
def test_hostile_text_is_unreadable_quickly(text):
    start = time.perf_counter()
    with pytest.raises(Unreadable):
        parse_answer(text, ["n"])
    assert time.perf_counter() - start < 1


@pytest.mark.parametrize("kind, answer, text, status", [
    ("integer", 1070625, "1,070,625", "correct"),
    ("integer", 1070625, "1070626", "wrong"),
    ("rational", "3/4", "0.75", "correct"),
    ("rational", "1/3", "0.3333", "correct"),  # rounded, within 1e-3 relative
    ("rational", "1/3", "0.3", "wrong"),
    ("expression", "61*n**2 + 9700*n", "n(61n + 9700)", "correct"),
    ("expression", "61*n**2 + 9700*n", "61n^2 + 9700", "wrong"),
    ("big_o", "L*n**2*t + L*n*t**2", "O(Ltn(t+n))", "correct"),
    ("big_o", "L*n**2*t + L*n*t**2", "O(L t^2 n + L t n^2 + L t n)", "correct"),
    ("big_o", "L*n**2*t + L*n*t**2", "O(L n^2 t)", "wrong"),
    ("real", "1/(1 + E)", "0.2689", "correct"),
    ("real", "1/(1 + E)", "e^-1/(1 + e^-1)", "correct"),
    ("real", "1/(1 + E)", "0.25", "wrong"),
    ("real", "1/4 + 2*log(2)", "1/4 + ln 4", "correct"),
    ("rational", "1/2", "50%", "correct"),
    ("integer", 3, "9**9**9**9", "unreadable"),
    ("integer", 3, "", "blank"),
])
def test_judging_numbers_and_formulas(kind, answer, text, status):
    (verdict,) = judge(kind, key(answer), text)
    assert verdict.status == status


def test_judging_letters_words_and_vectors():
    assert judge("choice", "C", "(c)")[0].status == "correct"
    assert judge("choice", "C", "B")[0].status == "wrong"
    assert judge("choice", "C", "C or D")[0].status == "unreadable"
    assert judge("boolean", True, "Yes")[0].status == "correct"
    assert judge("word", "rnn", "the RNN")[0].status == "correct"
    assert judge("explained", "model answer", "because ...")[0].status == "explained"
    statuses = [v.status for v in judge("rational", key(["1/4", "1/2", 1]), "(0.25, 1/3, 1)")]
    assert statuses == ["correct", "wrong", "correct"]
