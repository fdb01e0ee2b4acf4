"""The small things issue 12's review found: --set NAME=null, question_bank's
ids and --list, param_count's unread arguments, `show`'s header, every
impossible constraint at once with the right advice, plurals, and an unknown
command."""

from __future__ import annotations

import json

from conftest import run_genexam


def test_set_null_is_a_value():
    run = run_genexam("solve", "attention_query", "--set", "keys=null", "--set", "values=null", "--json")
    assert run.code == 0, run.stderr
    empty = run_genexam("solve", "attention_query", "--set", "keys=")
    assert empty.code == 2 and "give a value after '=' (null for none)" in empty.stderr


def test_question_bank_empty_ids_and_conflicting_picked(tmp_path):
    run = run_genexam("show", "question_bank", "--set", "ids=[]")
    assert run.code == 2 and "ids is empty" in run.stderr, run.stderr
    spec = tmp_path / "qb.yaml"
    spec.write_text("title: Q\nproblems:\n  - family: question_bank\n    points: 2\n"
                    "    params: {ids: [gpt_vs_bert_generation], picked: [separable_condition]}\n")
    run = run_genexam("validate", str(spec))
    assert run.code == 2, run.stderr
    assert f"{spec}:5:13: problems[0].params: picked ['separable_condition'] differs from ids" in run.stderr


def test_question_bank_lists_its_questions_with_tags():
    run = run_genexam("show", "question_bank", "--list")
    assert run.code == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("25 questions in ") and lines[-1].startswith("tags: ")
    assert any(line.split()[0] == "separable_condition" and "test3" in line for line in lines[1:-1])
    typo = run_genexam("show", "question_bank", "--set", "ids=[separable_conditon]")
    assert "(did you mean 'separable_condition'?)" in typo.stderr
    assert "`genexam show question_bank --list` lists its ids and tags" in typo.stderr
    other = run_genexam("show", "gda_table", "--list")
    assert other.code == 2 and "has nothing to list" in other.stderr


def test_param_count_refuses_arguments_the_layer_does_not_read(tmp_path):
    run = run_genexam("solve", "param_count", "--set", "layer=linear", "--set", "kernel_size=3")
    assert run.code == 2, run.stderr
    assert "layer 'linear' does not read kernel_size; remove it, or choose a layer that does (kernel_size: conv2d)" \
        in run.stderr
    fine = run_genexam("solve", "param_count", "--set", "layer=linear", "--set", "in_features=4",
                       "--set", "out_features=2", "--set", "bias=true", "--set", "stride=1", "--json")
    assert fine.code == 0 and json.loads(fine.stdout)["answers"]["params"] == 10, fine.stderr


def test_show_header_prints_values_as_a_spec_writes_them():
    run = run_genexam("show", "gda_table", "--set", "eta=1/2")
    assert run.code == 0, run.stderr
    header = run.stdout.splitlines()[2]
    assert "eta = 1/2" in header and "Fraction" not in run.stdout, header


def test_impossible_constraints_all_at_once_with_their_own_advice(tmp_path):
    spec = tmp_path / "w.yaml"
    spec.write_text("title: W\nproblems:\n  - family: gda_table\n    points: [1, 1, 1]\n"
                    "    params: {p0: {randint: [0, 3]}, q0: 2}\n    where: [p0 > 5, q0 > 3, mode > 1]\n"
                    "  - family: gda_table\n    id: second\n    points: [1, 1, 1]\n    where: [p0 > 50]\n")
    run = run_genexam("validate", str(spec))
    assert run.code == 2 and "Traceback" not in run.stderr, run.stderr
    text = run.stderr
    assert "2 problems cannot be drawn" in text
    assert "satisfy these 3 constraints" in text
    assert '"p0 > 5" (it held in none of 200 draws); widen the ranges' in text
    assert '"q0 > 3": it is false for the fixed values q0 = 2, and no redraw changes them; change those values' in text
    assert '"mode > 1": evaluating it raised TypeError' in text and "rewrite it" in text
    assert "problems[1].where (problem 2, version A)" in text and '"p0 > 50"' in text


def test_plurals(tmp_path):
    spec = tmp_path / "one.yaml"
    spec.write_text("title: One\nproblems:\n  - family: gaussian_kl\n    points: [2]\n")
    run = run_genexam("validate", str(spec))
    assert "2 points" not in run.stderr and "1 point given for 3 parts" in run.stderr, run.stderr
    spec.write_text("title: One\nproblems:\n  - family: softmax_logistic\n    points: 2\n    parts: [a]\n")
    run = run_genexam("validate", str(spec))
    assert run.code == 0 and "1 problem, 1 version (A)" in run.stdout, run.stdout + run.stderr
    run = run_genexam(str(spec), "-o", str(tmp_path / "out"), "--format", "md")
    assert run.code == 0 and "(1 version, exams and keys: md)" in run.stdout, run.stdout


def test_an_unknown_first_word_names_the_commands(tmp_path):
    run = run_genexam("lsit", cwd=tmp_path)
    assert run.code == 2 and "unknown command 'lsit' (did you mean 'list'?); the commands are build, list" \
        in run.stderr, run.stderr
    missing = run_genexam("nothere.yaml", cwd=tmp_path)
    assert missing.code == 2 and "no such spec file" in missing.stderr
