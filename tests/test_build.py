"""Building problem_sets/a5.yaml end to end, as a user does."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import sympy

from answers_util import missing_integer_answers
from conftest import PROBLEM_SETS, REPO, require_tool, run_genexam
from genexam.texfilters import tex

A5 = PROBLEM_SETS / "a5.yaml"
KINDS, LABELS = ("exam", "key"), ("A", "B")


@pytest.fixture(scope="module")
def a5_build(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("a5") / "out"
    run = run_genexam(str(A5), "-o", str(out))
    assert run.code == 0, run.stderr
    assert "warning" not in run.stderr
    return out


def test_writes_every_format_for_every_version(a5_build):
    names = sorted(p.name for p in a5_build.iterdir() if not p.name.startswith("."))
    expected = sorted([f"{k}-{v}.{f}" for k in KINDS for v in LABELS for f in ("md", "tex", "typ", "pdf")]
                      + ["answers.json"])
    assert names == expected
    for pdf in a5_build.glob("*.pdf"):
        assert pdf.read_bytes().startswith(b"%PDF-")


def test_same_spec_and_seed_give_identical_bytes(a5_build, tmp_path):
    again = tmp_path / "again"
    assert run_genexam(str(A5), "-o", str(again)).code == 0
    for first in a5_build.iterdir():
        assert (again / first.name).read_bytes() == first.read_bytes(), f"{first.name} differs on rebuild"


def test_another_seed_draws_other_parameters(a5_build, tmp_path):
    other = tmp_path / "other"
    assert run_genexam(str(A5), "-o", str(other), "--seed", "1", "--format", "json").code == 0
    params = lambda d: [p["params"] for v in json.loads((d / "answers.json").read_text())["versions"] for p in v["problems"]]
    assert params(other) != params(a5_build)


def test_answers_json_records_family_params_seed_and_exact_answers(a5_build):
    doc = json.loads((a5_build / "answers.json").read_text())
    assert [v["version"] for v in doc["versions"]] == list(LABELS)
    assert doc["seed"] == 5370 and doc["spec"] == "a5.yaml" and doc["total_points"] == 30
    families = [p["family"] for p in doc["versions"][0]["problems"]]
    assert families == ["gda_table", "attention_ops", "softmax_logistic"]
    for version in doc["versions"]:
        gda, attention, softmax = version["problems"]
        assert isinstance(gda["seed"], int) and gda["params"]["mode"] == "alternating"
        assert len(gda["answers"]["p"]) == 7 and gda["answers"]["converges"] is False
        assert isinstance(attention["answers"]["total_mults"], int)  # integers stay numbers
        assert re.fullmatch(r"\d+\*n\*\*2 \+ \d+\*n", attention["answers"]["total_mults_in_n"])
        p_y0 = sympy.sympify(softmax["answers"]["p_y0"])  # exact, in sympy syntax
        assert "exp" in str(p_y0) and not p_y0.has(sympy.Float)
        assert gda["points"] == [6, 2, 2]


def test_versions_differ_from_each_other(a5_build):
    doc = json.loads((a5_build / "answers.json").read_text())
    a, b = ([p["params"] for p in v["problems"]] for v in doc["versions"])
    assert a != b


def _answer_values(problem: dict) -> list:
    """Every scalar answer of a problem from answers.json (lists flattened)."""
    out = []
    for value in problem["answers"].values():
        out.extend(value if isinstance(value, list) else [value])
    return out


def test_every_integer_answer_is_printed_in_the_key_pdf(a5_build):
    require_tool("pdftotext", "reads the key PDF's text")
    doc = json.loads((a5_build / "answers.json").read_text())
    for version in doc["versions"]:
        pdf = a5_build / f"key-{version['version']}.pdf"
        assert missing_integer_answers(pdf, version["problems"]) == [], pdf.name


def test_every_answer_is_printed_in_the_key_markdown_and_latex(a5_build):
    from genexam.registry import build_registry
    from genexam.spec import read_spec
    from genexam.instances import make_version

    spec = read_spec(A5, build_registry())
    for label in LABELS:
        md = (a5_build / f"key-{label}.md").read_text()
        latex = (a5_build / f"key-{label}.tex").read_text()
        for instance in make_version(spec, label):
            for name, value in instance.solution.answers.items():
                if isinstance(value, bool):
                    continue  # printed as words ("do not converge")
                shown = [tex(v) for v in value] if isinstance(value, list) else [tex(value)]
                for doc, fmt in ((md, "md"), (latex, "tex")):
                    if isinstance(value, list):
                        assert all(s in doc for s in shown), (label, fmt, name, shown)
                    else:
                        assert any(s in doc for s in shown), (label, fmt, name, shown)


def test_exam_has_no_solutions_and_key_has_all(a5_build):
    for label in LABELS:
        exam = (a5_build / f"exam-{label}.md").read_text()
        key = (a5_build / f"key-{label}.md").read_text()
        assert "Solution" not in exam and "Name:" in exam
        assert key.count("**Solution") == 7  # 3 + 2 + 2 parts
        typ = (a5_build / f"exam-{label}.typ").read_text()
        assert "#solution(" not in typ and typ.count("#with-space(") == 7


def test_spec_text_prints_literally_in_typst_and_markdown(tmp_path):
    title = r"Q&A 100% #1 $x$ \input{/etc/hostname} *bold* <b>"
    original = A5.read_text()
    assert "title: Deep Learning for Vision – Assignment 5" in original
    spec = original.replace("title: Deep Learning for Vision – Assignment 5", f"title: '{title}'")
    assert "  Answer every question" in spec
    spec = spec.replace("  Answer every question", "  Use $x$, \\input{/etc/hostname}, #emph[x] and <b>html</b>.\n  Answer every question")
    path = tmp_path / "weird.yaml"
    path.write_text(spec)
    out = tmp_path / "out"
    run = run_genexam(str(path), "-o", str(out), "--format", "md,typ,pdf", "--versions", "1")
    assert run.code == 0, run.stderr
    typ = (out / "exam-A.typ").read_text()
    assert "#emph[x]" not in typ  # escaped, not live Typst
    require_tool("pdftotext", "reads the exam PDF's text")
    text = subprocess.run(["pdftotext", str(out / "exam-A.pdf"), "-"], capture_output=True, text=True).stdout
    assert title in text.replace("\n", " ")
    assert "$x$" in text and r"\input{/etc/hostname}" in text and "<b>html</b>" in text and "#emph[x]" in text


def test_adding_a_problem_leaves_the_others_unchanged(tmp_path):
    base = A5.read_text()
    extra = base.replace("problems:\n", "problems:\n  - family: softmax_logistic\n    id: warmup\n    points: [1, 1]\n", 1)
    (tmp_path / "base.yaml").write_text(base)
    (tmp_path / "extra.yaml").write_text(extra)
    for name in ("base", "extra"):
        assert run_genexam(str(tmp_path / f"{name}.yaml"), "-o", str(tmp_path / name), "--format", "json").code == 0
    load = lambda n: {p["id"]: p["params"] for v in json.loads((tmp_path / n / "answers.json").read_text())["versions"]
                      for p in v["problems"]}
    base_params, extra_params = load("base"), load("extra")
    assert "warmup" in extra_params
    assert {k: extra_params[k] for k in base_params} == base_params


def test_cli_flags_no_key_formats_versions_and_default_output(tmp_path):
    spec = tmp_path / "quiz.yaml"
    spec.write_text(A5.read_text())
    run = run_genexam(str(spec), "--no-key", "--format", "md,json", "--versions", "3", cwd=tmp_path)
    assert run.code == 0, run.stderr
    out = tmp_path / "out" / "quiz"
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "exam-A.md", "exam-B.md", "exam-C.md"]  # answers.json would give the key away
    # a rebuild replaces the previous output as a whole
    assert run_genexam(str(spec), "--format", "json", cwd=tmp_path).code == 0
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["answers.json"]


def test_build_verb_and_bare_spec_are_the_same(tmp_path):
    assert run_genexam("build", str(A5), "-o", str(tmp_path / "a"), "--format", "json").code == 0
    assert run_genexam(str(A5), "-o", str(tmp_path / "b"), "--format", "json").code == 0
    assert (tmp_path / "a" / "answers.json").read_bytes() == (tmp_path / "b" / "answers.json").read_bytes()


def test_validate_a_good_spec(tmp_path):
    run = run_genexam("validate", str(A5))
    assert run.code == 0 and "valid" in run.stdout
    assert not (REPO / "out" / "validate").exists()


def test_points_follow_the_parts_in_the_order_the_spec_lists_them(tmp_path):
    spec = tmp_path / "order.yaml"
    spec.write_text("title: Order\nproblems:\n  - family: softmax_logistic\n    parts: [b, a]\n    points: [1, 2]\n")
    assert run_genexam(str(spec), "-o", str(tmp_path / "out"), "--format", "json,md").code == 0
    (problem,) = json.loads((tmp_path / "out" / "answers.json").read_text())["versions"][0]["problems"]
    assert problem["parts"] == ["a", "b"] and problem["points"] == [2, 1]
    exam = (tmp_path / "out" / "exam-A.md").read_text()
    assert "**(a)** *(2 points)*" in exam and "**(b)** *(1 point)*" in exam
