"""Building the ready problem sets end to end, as a user does."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import sympy

from answers_util import missing_integer_answers
from conftest import PROBLEM_SETS, REPO, require_tool, run_genexam
from genexam.texfilters import tex

A5 = PROBLEM_SETS / "a5.yaml"
SETS = ("a5", "test3", "a3", "quiz1")
KINDS, LABELS = ("exam", "key"), ("A", "B")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Each problem set's build, made once: name -> output directory."""
    cache: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in cache:
            out = tmp_path_factory.mktemp(name) / "out"
            run = run_genexam(str(PROBLEM_SETS / f"{name}.yaml"), "-o", str(out))
            assert run.code == 0, run.stderr
            assert "warning" not in run.stderr, run.stderr
            cache[name] = out
        return cache[name]

    return get


@pytest.fixture(scope="module")
def a5_build(built) -> Path:
    return built("a5")


def _files(out: Path) -> list[str]:
    return sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and not p.name.startswith("."))


def _answers(out: Path) -> dict:
    return json.loads((out / "answers.json").read_text())


def test_problem_sets_reproduce_the_source_exams_in_order():
    # SOURCE_EXAMS.md: each set asks the source exam's questions in order (the
    # question numbers of answers.json), through the families named there.
    expected = {
        "a5": [(1, "seq_model_complexity"), (1, "question_bank"), (2, "attention_query"), (3, "gaussian_kl"),
               (4, "gda_table")],
        "test3": [(1, "softmax_logistic"), (1, "question_bank"), (2, "precision_recall"), (2, "param_count"),
                  (2, "param_count"), (3, "attention_ops"), (3, "transformer_layer"), (4, "regularized_objective"),
                  (4, "question_bank")],
        "a3": [(1, "question_bank"), (2, "rnn_recurrence"), (3, "question_bank")],
        "quiz1": [(1, "question_bank"), (2, "question_bank"), (3, "param_count"), (4, "param_count"),
                  (5, "seq_model_complexity")],
    }
    from genexam.instances import make_version
    from genexam.registry import build_registry
    from genexam.spec import read_spec

    registry = build_registry()
    for name, questions in expected.items():
        spec = read_spec(PROBLEM_SETS / f"{name}.yaml", registry)
        assert spec.versions == 2 and spec.seed, name
        assert [(i.number, i.family.name) for i in make_version(spec, "A")] == questions, name


@pytest.mark.parametrize("name", SETS)
def test_writes_every_format_for_every_version(name, built):
    out = built(name)
    documents = [f for f in _files(out) if not f.startswith("figures/")]
    expected = sorted([f"{k}-{v}.{f}" for k in KINDS for v in LABELS for f in ("md", "tex", "typ", "pdf")]
                      + ["answers.json"])
    assert documents == expected
    for pdf in out.glob("*.pdf"):
        assert pdf.read_bytes().startswith(b"%PDF-")


@pytest.mark.parametrize("name", SETS)
def test_same_spec_and_seed_give_identical_bytes(name, built, tmp_path):
    first = built(name)
    again = tmp_path / "again"
    assert run_genexam(str(PROBLEM_SETS / f"{name}.yaml"), "-o", str(again)).code == 0
    assert _files(again) == _files(first)
    for file in _files(first):
        assert (again / file).read_bytes() == (first / file).read_bytes(), f"{name}: {file} differs on rebuild"


def test_another_seed_draws_other_parameters(a5_build, tmp_path):
    other = tmp_path / "other"
    assert run_genexam(str(A5), "-o", str(other), "--seed", "1", "--format", "json").code == 0
    params = lambda d: [p["params"] for v in _answers(d)["versions"] for p in v["problems"]]
    assert params(other) != params(a5_build)


def test_answers_json_records_family_params_seed_and_exact_answers(a5_build):
    doc = _answers(a5_build)
    assert [v["version"] for v in doc["versions"]] == list(LABELS)
    assert doc["seed"] == 5370 and doc["spec"] == "a5.yaml" and doc["total_points"] == 48
    for version in doc["versions"]:
        complexity, bank, query, vae, gda = version["problems"]
        assert sympy.sympify(complexity["answers"]["transformer_train_time"]) == sympy.sympify("L*n**2*t + L*n*t**2")
        assert isinstance(complexity["answers"]["rnn_mults"], int)  # integers stay numbers
        assert bank["number"] == 1 and bank["parts"] == ["a", "b", "c"] and bank["points"] == [3, 2, 2]
        # question 1 is two problems: the exam prints the bank's parts as (d)-(f)
        assert complexity["labels"] == ["a", "b", "c"] and bank["labels"] == ["d", "e", "f"]
        assert set(bank["answers"]) == {"a", "b", "c"} and all("answer" in a for a in bank["answers"].values())
        assert "exp" in str(sympy.sympify(query["answers"]["weights"][0]))  # exact, in sympy syntax
        assert not sympy.sympify(vae["answers"]["kl"]).has(sympy.Float)
        assert isinstance(gda["seed"], int) and gda["params"]["mode"] == "alternating"
        assert len(gda["answers"]["p"]) == 7 and gda["answers"]["converges"] is False
        assert gda["points"] == [6, 2, 2]


def test_labels_are_the_letters_the_exam_prints(built):
    out = built("quiz1")
    last = _answers(out)["versions"][0]["problems"][-1]
    assert last["parts"] == ["b"] and last["labels"] == [""]  # one part asked: printed without a letter
    for version in _answers(built("test3"))["versions"]:
        labels = {p["id"]: p["labels"] for p in version["problems"]}
        assert labels["softmax"] == ["a", "b"] and labels["short-questions"] == ["c", "d", "e", "f"]
        assert labels["ranking"] == ["a", "b"] and labels["linear-params"] == ["c"] and labels["norm-params"] == ["d"]
        key = built("test3") / f"key-{version['version']}.md"
        text = key.read_text()
        assert "**(f)** *(2 points)*" in text and "**(d)** *(1 point)*" in text


@pytest.mark.parametrize("name", SETS)
def test_versions_differ_from_each_other(name, built):
    a, b = ([p["params"] for p in v["problems"]] for v in _answers(built(name))["versions"])
    assert a != b


@pytest.mark.parametrize("name", SETS)
def test_every_integer_answer_is_printed_in_the_key_pdf(name, built):
    require_tool("pdftotext", "reads the key PDF's text")
    out = built(name)
    for version in _answers(out)["versions"]:
        pdf = out / f"key-{version['version']}.pdf"
        assert missing_integer_answers(pdf, version["problems"]) == [], pdf.name


def _shown(value) -> list[str] | None:
    """How the key prints an answer (TeX through the `tex` filter), or None
    for answers printed in words (booleans, names, question bank text) and
    irrational or symbolic values, whose form the template chooses (their
    values are compared through `genexam solve --json` in the family tests)."""
    if isinstance(value, (bool, dict, str)) or value is None:
        return None
    values = value if isinstance(value, list) else [value]
    if not all(not isinstance(v, list) and sympy.sympify(v).is_rational for v in values):
        return None  # e.g. (3 + e^3)/(1 + 2e^3): the key may factor a vector of these
    return [tex(v) for v in value] if isinstance(value, list) else [tex(value)]


@pytest.mark.parametrize("name", SETS)
def test_every_answer_is_printed_in_the_key_markdown_and_latex(name, built):
    from genexam.registry import build_registry
    from genexam.spec import read_spec
    from genexam.instances import make_version

    out = built(name)
    spec = read_spec(PROBLEM_SETS / f"{name}.yaml", build_registry())
    for label in LABELS:
        md = (out / f"key-{label}.md").read_text()
        latex = (out / f"key-{label}.tex").read_text()
        for instance in make_version(spec, label):
            asked = {a for part in instance.parts if part.id in instance.problem.parts for a in part.answers}
            for answer_id in sorted(asked):
                value = instance.solution.answers[answer_id]
                if isinstance(value, dict) and "choice" in value:  # question_bank: the letter, in bold
                    assert f"**({value['choice']})**" in md, (name, label, answer_id)
                if isinstance(value, str):  # a name, such as `cheaper: rnn`
                    assert value.lower() in md.lower(), (name, label, answer_id, value)
                shown = _shown(value)
                if shown is None:
                    continue
                for doc, fmt in ((md, "md"), (latex, "tex")):
                    found = all(s in doc for s in shown) if isinstance(value, list) else any(s in doc for s in shown)
                    assert found, (name, label, fmt, instance.family.name, answer_id, shown)


@pytest.mark.parametrize("name", SETS)
def test_exam_has_no_solutions_and_key_has_all(name, built):
    out = built(name)
    for version in _answers(out)["versions"]:
        label = version["version"]
        parts = sum(len(p["parts"]) for p in version["problems"])
        exam = (out / f"exam-{label}.md").read_text()
        key = (out / f"key-{label}.md").read_text()
        assert "Solution" not in exam and "Name:" in exam
        assert key.count("**Solution") == parts
        typ = (out / f"exam-{label}.typ").read_text()
        assert "#solution(" not in typ and "figures/" not in typ


def test_figures_are_written_for_keys_only(built, tmp_path):
    out = built("test3")  # precision_recall draws the precision-recall curve in the key
    figures = [f for f in _files(out) if f.startswith("figures/")]
    assert figures and {Path(f).suffix for f in figures} == {".svg", ".pdf"}
    for label in LABELS:
        assert "figures/" in (out / f"key-{label}.md").read_text()
        assert "figures/" not in (out / f"exam-{label}.md").read_text()
    latex = (out / "key-A.tex").read_text()
    assert "\\includegraphics" in latex and ".pdf}" in latex and "includesvg" not in latex
    exams = tmp_path / "exams"
    assert run_genexam(str(PROBLEM_SETS / "test3.yaml"), "-o", str(exams), "--no-key").code == 0
    assert not (exams / "figures").exists()  # a figure of the solution would give it away


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
