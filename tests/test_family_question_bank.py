"""question_bank: questions by id, by tag, from a bank file or inline; the
multiple-choice options shuffled per version with the key's letter following
them; and clear errors for every way a bank or a choice can be wrong."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from conftest import REPO, run_genexam
from test_cli import solve

BANK = yaml.safe_load((REPO / "plugins" / "question_bank.yaml").read_text())["questions"]
BY_ID = {q["id"]: q for q in BANK}


def test_builtin_bank_covers_the_source_exams_with_open_and_multiple_choice_questions():
    assert len(BY_ID) == len(BANK) >= 20
    multiple_choice = [q for q in BANK if "correct" in q]
    assert len(multiple_choice) >= 6
    for exam in ("a5", "a3", "test3", "quiz1"):
        assert any(exam in q["tags"] for q in BANK), exam
    for q in multiple_choice:
        assert len(q["distractors"]) >= 2 and q["correct"] not in q["distractors"]


def test_open_question_answer_is_the_model_answer():
    record = solve("question_bank", "ids=[gpt_vs_bert_generation]")
    assert record["answers"] == {"a": {"answer": BY_ID["gpt_vs_bert_generation"]["answer"].strip()}}
    assert record["params"]["picked"] == ["gpt_vs_bert_generation"] and record["params"]["orders"] == [[]]


def test_multiple_choice_letter_points_at_the_correct_option_as_printed():
    question = BY_ID["separable_condition"]
    options = [question["correct"], *question["distractors"]]
    letters = set()
    for seed in range(12):
        run = run_genexam("solve", "question_bank", "--set", "ids=[separable_condition]", "--seed", str(seed), "--json")
        record = json.loads(run.stdout)
        (order,) = record["params"]["orders"]
        printed = [options[i] for i in order]
        choice = record["answers"]["a"]["choice"]
        assert printed["ABCDEFGH".index(choice)] == question["correct"]
        assert record["answers"]["a"]["answer"] == question["correct"].strip()
        letters.add(choice)
    assert len(letters) >= 3  # the correct option moves between versions


def test_versions_shuffle_options_and_each_key_names_its_own_letter(tmp_path):
    spec = tmp_path / "mc.yaml"
    spec.write_text("title: MC\nseed: 7\nversions: 8\nformats: [md, json]\nproblems:\n"
                    "  - family: question_bank\n    points: 1\n    params: {ids: [separable_condition]}\n")
    assert run_genexam(str(spec), "-o", str(tmp_path / "out")).code == 0
    correct = BY_ID["separable_condition"]["correct"].strip()
    letters = set()
    for version in json.loads((tmp_path / "out" / "answers.json").read_text())["versions"]:
        label, (problem,) = version["version"], version["problems"]
        choice = problem["answers"]["a"]["choice"]
        exam = (tmp_path / "out" / f"exam-{label}.md").read_text()
        assert f"({choice}) {correct}" in exam  # the exam prints the correct option under that letter
        assert f"**({choice})**" in (tmp_path / "out" / f"key-{label}.md").read_text()
        letters.add(choice)
    assert len(letters) >= 2


def test_tags_draw_distinct_questions_that_carry_every_tag():
    seen = set()
    for seed in range(10):
        run = run_genexam("solve", "question_bank", "--set", "tags=[a5]", "--set", "n=3", "--seed", str(seed), "--json")
        picked = json.loads(run.stdout)["params"]["picked"]
        assert len(picked) == len(set(picked)) == 3
        assert all("a5" in BY_ID[q]["tags"] for q in picked)
        seen.update(picked)
    assert len(seen) > 3  # different versions draw different questions


def test_own_bank_file_is_read_relative_to_the_spec(tmp_path):
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "week3.yaml").write_text(
        "- id: relu\n  tags: [week3]\n  question: What is $\\max(0, -2)$?\n  answer: '$0$'\n"
        "- id: sign\n  tags: [week3]\n  question: The sign of $-3$ is\n  correct: negative\n"
        "  distractors: [positive, zero]\n")
    spec = tmp_path / "specs" / "quiz.yaml"
    spec.write_text("title: Week 3\nformats: [md, json]\nproblems:\n  - family: question_bank\n"
                    "    points: [1, 1]\n    params: {bank: week3.yaml, tags: [week3], n: 2}\n")
    run = run_genexam(str(spec), "-o", str(tmp_path / "out"), cwd=REPO)  # the spec's folder, not the cwd
    assert run.code == 0, run.stderr
    (problem,) = json.loads((tmp_path / "out" / "answers.json").read_text())["versions"][0]["problems"]
    assert sorted(problem["params"]["picked"]) == ["relu", "sign"]
    assert problem["params"]["bank"] == "week3.yaml"  # as written: answers.json does not depend on the folder
    answers = {problem["params"]["picked"][i]: problem["answers"][p] for i, p in enumerate(problem["parts"])}
    assert answers["relu"] == {"answer": "$0$"} and answers["sign"]["answer"] == "negative"


def test_inline_questions_are_all_asked_by_default(tmp_path):
    spec = tmp_path / "inline.yaml"
    spec.write_text("title: Inline\nformats: [md, json]\nproblems:\n  - family: question_bank\n    points: [1, 2]\n"
                    "    params:\n      questions:\n        - question: One?\n          answer: 'Yes.'\n"
                    "        - question: Two?\n          correct: 'Right'\n          distractors: [Wrong, Worse]\n")
    run = run_genexam(str(spec), "-o", str(tmp_path / "out"))
    assert run.code == 0, run.stderr
    (problem,) = json.loads((tmp_path / "out" / "answers.json").read_text())["versions"][0]["problems"]
    assert problem["params"]["picked"] == ["q1", "q2"] and problem["parts"] == ["a", "b"]
    assert problem["answers"]["a"] == {"answer": "Yes."} and problem["answers"]["b"]["answer"] == "Right"
    key = (tmp_path / "out" / "key-A.md").read_text()
    assert "One?" in key and "Two?" in key and f"**({problem['answers']['b']['choice']})** Right" in key


BAD = {
    "unknown-id": ("params: {ids: [gpt_vs_bert]}",
                   ["problems[0].params: ids: no question 'gpt_vs_bert'", "did you mean 'gpt_vs_bert_generation'"]),
    "too-few": ("params: {tags: [quiz1, gan], n: 2}", ["2 questions asked, but only 0 with the tags"]),
    "ids-and-tags": ("params: {ids: [separable_condition], tags: [test3]}", ["give either 'ids'"]),
    "drawn-n": ("params: {n: {randint: [1, 3]}}", ["problems[0].params.n: n takes a fixed value"]),
    "missing-bank": ("params: {bank: nowhere.yaml}", ["problems[0].params.bank: no question bank file"]),
    "points-per-question": ("params: {ids: [separable_condition, gpt_vs_bert_generation_mc, neuron_two_inputs]}",
                            ["3 parts (a, b, c)"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_choice_is_a_clear_error_naming_the_line(case, tmp_path):
    params, fragments = BAD[case]
    spec = tmp_path / "bad.yaml"
    spec.write_text(f"title: Bad\nproblems:\n  - family: question_bank\n    points: [1, 1]\n    {params}\n")
    run = run_genexam("validate", str(spec))
    assert run.code == 2 and "Traceback" not in run.stderr
    assert re.search(r"bad\.yaml:\d+:\d+: ", run.stderr), run.stderr
    for fragment in fragments:
        assert fragment in run.stderr, run.stderr


def test_mistakes_in_a_bank_file_name_its_line_and_key(tmp_path):
    (tmp_path / "bank.yaml").write_text(
        "questions:\n"
        "  - id: one\n    question: Q\n    anwser: A\n"                                  # misspelt key, no answer
        "  - id: two\n    question: Pick\n    correct: \"$w^\\top x$\"\n    distractors: [b, c]\n"  # \t in double quotes
        "  - id: one\n    question: Again\n    answer: A\n")                                # duplicate id
    spec = tmp_path / "spec.yaml"
    spec.write_text("title: Bank\nproblems:\n  - family: question_bank\n    points: 1\n    params: {bank: bank.yaml}\n")
    run = run_genexam("validate", str(spec))
    assert run.code == 2 and "Traceback" not in run.stderr
    err = run.stderr
    assert "spec.yaml:5:20: problems[0].params.bank: " in err
    assert "bank.yaml:4:13: questions[0].anwser: unknown key 'anwser' (did you mean 'answer'?)" in err
    assert "questions[0]: missing 'answer'" in err
    assert "bank.yaml:7:14: questions[1].correct: the text holds a control character where \\t" in err
    assert "single quotes" in err
    assert "questions[2].id: question id 'one' is used twice" in err


def test_show_renders_a_multiple_choice_question_and_its_key():
    run = run_genexam("show", "question_bank", "--set", "ids=[separable_condition]", "--seed", "3")
    assert run.code == 0, run.stderr
    assert re.search(r"^\(A\) ", run.stdout, re.MULTILINE) and "**Solution.**" in run.stdout
    assert Path(REPO / "plugins" / "question_bank.yaml").exists()
