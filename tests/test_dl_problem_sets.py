"""The two deep-learning course exams (dl_midterm, dl_final): they validate,
build without warnings, ask the questions their headers promise, print every
integer answer in the key PDF and rebuild byte for byte."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from answers_util import missing_integer_answers
from conftest import PROBLEM_SETS, require_tool, run_genexam

# Each set's problems in order: (id, family), as its header comments describe.
SETS = {
    "dl_midterm": [
        ("cnn-shapes", "conv_stack"), ("backprop", "backprop_graph"), ("mlp", "mlp_backprop"),
        ("softmax-ce", "softmax_cross_entropy"), ("optimizer", "optimizer_steps"),
        ("batchnorm", "normalization"), ("batchnorm-eval", "question_bank"),
        ("init-dropout", "init_dropout"), ("dropout-eval", "question_bank"),
    ],
    "dl_final": [
        ("recurrent-cell", "recurrent_step"), ("likelihood", "sequence_likelihood"),
        ("decoding", "beam_search"), ("masked-attention", "attention_mask"),
        ("attention-cost", "attention_ops"), ("cross-token", "question_bank"),
        ("complexity", "seq_model_complexity"), ("local-attention", "question_bank"),
        ("budget", "transformer_budget"), ("vae", "gaussian_kl"),
    ],
}
# Printed question numbers (a `continues: true` problem adds parts to the one before) and total points.
QUESTIONS = {"dl_midterm": (7, 60), "dl_final": (8, 100)}


def _spec(name: str) -> str:
    return str(PROBLEM_SETS / f"{name}.yaml")


def _build(name: str, out: Path, *formats: str) -> Path:
    args = [_spec(name), "-o", str(out)] + (["--format", ",".join(formats)] if formats else [])
    run = run_genexam(*args)
    assert run.code == 0, run.stderr
    assert "warning" not in run.stderr.lower(), run.stderr
    return out


def _files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def text_builds(tmp_path_factory):
    """Each set built once to json, md and typ: name -> output directory."""
    return {name: _build(name, tmp_path_factory.mktemp(name) / "out", "json", "md", "typ") for name in SETS}


@pytest.mark.parametrize("name", SETS)
def test_validates(name):
    run = run_genexam("validate", _spec(name))
    assert run.code == 0, run.stderr
    assert "warning" not in run.stderr.lower(), run.stderr


@pytest.mark.parametrize("name", SETS)
def test_problems_are_the_promised_families_in_order(name, text_builds):
    versions = json.loads((text_builds[name] / "answers.json").read_text())["versions"]
    assert [v["version"] for v in versions] == ["A", "B"]
    for version in versions:
        assert [(p["id"], p["family"]) for p in version["problems"]] == SETS[name]


@pytest.mark.parametrize("name", SETS)
def test_question_numbers_and_points(name, text_builds):
    questions, points = QUESTIONS[name]
    for label in ("A", "B"):
        exam = (text_builds[name] / f"exam-{label}.md").read_text()
        headings = [(int(n), int(p)) for n, p in re.findall(r"^## Question (\d+) \((\d+) points?\)$", exam, re.M)]
        assert [n for n, _ in headings] == list(range(1, questions + 1)), headings
        assert sum(p for _, p in headings) == points


@pytest.mark.parametrize("name", SETS)
def test_versions_differ(name, text_builds):
    a, b = ([p["params"] for p in v["problems"]]
            for v in json.loads((text_builds[name] / "answers.json").read_text())["versions"])
    assert a != b


@pytest.mark.parametrize("name", SETS)
def test_rebuild_is_byte_identical(name, text_builds, tmp_path):
    again = _build(name, tmp_path / "again", "json", "md", "typ")
    assert _files(again) == _files(text_builds[name])


@pytest.mark.parametrize("name", SETS)
def test_every_integer_answer_is_printed_in_the_key_pdf(name, tmp_path):
    require_tool("pdftotext", "reads the key PDF's text")
    out = _build(name, tmp_path / "out")
    for version in json.loads((out / "answers.json").read_text())["versions"]:
        pdf = out / f"key-{version['version']}.pdf"
        assert missing_integer_answers(pdf, version["problems"]) == [], pdf.name


@pytest.mark.parametrize("name", SETS)
def test_twelve_versions_are_fair_and_export(name, tmp_path):
    """Twelve versions (validate has no --versions flag: a copy of the spec
    asks for them) show no fairness outlier, and every export format builds."""
    spec = (PROBLEM_SETS / f"{name}.yaml").read_text()
    assert "\nversions: 2\n" in spec
    twelve = tmp_path / f"{name}.yaml"
    twelve.write_text(spec.replace("\nversions: 2\n", "\nversions: 12\n"))
    run = run_genexam("validate", "--fairness", str(twelve))
    assert run.code == 0, run.stderr
    assert "12 versions" in run.stderr + run.stdout
    assert " 0 outliers" in run.stderr + run.stdout, run.stderr + run.stdout
    out = _build(name, tmp_path / "x", "json", "moodle", "qti", "html")
    assert any(out.rglob("*.xml")) and any(out.rglob("*.html")), sorted(_files(out))
