"""Hostile or unlucky input (issue 7, the input side): every limit refuses
before the work, with a located message naming the limit; no traceback.

The reproductions are the issue's own. Most cases run the CLI in-process
(genexam.cli.main with argv, as the console script does) to stay fast; the
output checks build real files.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from fractions import Fraction
from pathlib import Path

import pytest

from conftest import REPO, require_tool
from genexam import limits
from genexam.cli import main
from genexam.distributions import Range
from genexam.params import Int, Rat
from genexam.render.spec_text import latex_as_written, markdown_as_written
from genexam.values import parse_number

HEAD = """\
title: Limits
formats: [json]
problems:
  - family: gda_table
    points: [6, 2, 2]
"""


@pytest.fixture
def cli(tmp_path, monkeypatch, capsys):
    """Run genexam in-process in ``tmp_path``: (exit code, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err, err
        return code, out, err

    return run


def spec(tmp_path: Path, text: str, name: str = "s.yaml") -> str:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return name


def refused(cli, tmp_path, text: str, *expect: str) -> str:
    """validate and build both refuse ``text`` with the same message holding ``expect``; nothing is written."""
    name = spec(tmp_path, text)
    code, _, err = cli("validate", name)
    assert code == 2, err
    for fragment in expect:
        assert fragment in err, f"{fragment!r} not in:\n{err}"
    build_code, _, build_err = cli(name, "-o", "out")
    assert (build_code, build_err) == (2, err)
    assert not (tmp_path / "out").exists()
    return err


# -- 1. distributions: a range is drawn by index ------------------------------------

def test_a_huge_range_is_drawn_by_index_without_listing_it():
    dist = Int("n", 1).distribution_of({"range": [1, 100_000_000_000, 1]})
    start = time.perf_counter()
    values = [dist.sample(random.Random(seed), {}) for seed in range(100)]
    assert time.perf_counter() - start < 5  # listing the grid would take minutes and ~4 GB
    assert all(1 <= v <= 100_000_000_000 for v in values) and len(set(values)) == 100


@pytest.mark.parametrize("lo, hi, step", [(1, 1000, 1), (-7, 40, 3), ("1/4", 2, "1/4"), (0, "7/3", "1/3")])
def test_drawing_by_index_draws_what_the_listed_grid_drew(lo, hi, step):
    """Existing problem sets keep their values: the old code listed the grid and
    indexed it with rng.randrange(len(grid)), consuming the same random numbers."""
    dist = Rat("x", 1).distribution_of({"range": [lo, hi, step]})
    lo_, hi_, step_ = (Fraction(parse_number(v)) for v in (lo, hi, step))
    grid = [lo_ + k * step_ for k in range(int((hi_ - lo_) // step_) + 1)]
    for seed in range(50):
        old, new = random.Random(seed), random.Random(seed)
        assert [grid[old.randrange(len(grid))] for _ in range(5)] == [dist.sample(new, {}) for _ in range(5)]


def test_a_huge_range_is_checked_against_the_bounds_without_listing(cli, tmp_path):
    refused(cli, tmp_path, HEAD.replace("gda_table", "attention_ops").replace("[6, 2, 2]", "1")
            + "    params: {n: {range: [1, 100000000000, 1]}}\n",
            "s.yaml:6:17: problems[0].params.n: 100000000000 is outside the allowed range from 1 to 100000")


def test_size_of_a_drawn_list_is_bounded():
    with pytest.raises(ValueError, match="over the limit on values drawn by one distribution"):
        Int("n", 1).distribution_of({"randint": [1, 5], "size": 10**9})


def ranges_spec(versions: int, form: str) -> str:
    draw = "{range: [1, %d, 1]}" if form == "range" else "{randint: [1, %d]}"
    return (f"title: Ranges\nseed: 3\nversions: {versions}\nformats: [json]\nproblems:\n"
            f"  - family: attention_ops\n    points: 1\n    params:\n"
            f"      n: {draw % 100000}\n      d_k: {draw % 65536}\n      d_v: {draw % 65536}\n"
            f"    where: [\"n % 50 == 0\"]\n")


@pytest.mark.parametrize("versions", [
    pytest.param(20, id="20-versions"), pytest.param(702, id="702-versions", marks=pytest.mark.sweep)])
def test_wide_ranges_build_and_draw_exactly_what_randint_draws(cli, tmp_path, versions):
    """The issue's valid-but-slow spec: three wide ranges and a `where` (its
    timing against randint is in bench/ranges.py)."""
    for form in ("range", "randint"):
        name = spec(tmp_path, ranges_spec(versions, form), f"{form}.yaml")
        code, _, err = cli(name, "-o", form)
        assert code == 0, err
    drawn = {form: [[p["params"] for p in v["problems"]]
                    for v in json.loads((tmp_path / form / "answers.json").read_text())["versions"]]
             for form in ("range", "randint")}
    assert drawn["range"] == drawn["randint"] and len(drawn["range"]) == versions


# -- 1. where expressions --------------------------------------------------------------

@pytest.mark.parametrize("condition, limit", [
    ("((((10**64)**64)**64)**64)**64 > 0", limits.EXPR_BITS),
    ("len([0]*1000*1000*1000) > 0", limits.EXPR_LENGTH),
    ("len(sum([[0]*1000]*1000, [])) < 0", limits.EXPR_STEPS),
    ("'a'*10**12 > 'b'", limits.EXPR_LENGTH),
    ("max([[0]*1000]*1000) == [1]", limits.EXPR_STEPS),
    ("p0 ** 100 > 0", limits.EXPR_EXPONENT),
    ("-" * 900 + "p0 < 0", limits.EXPR_DEPTH),  # a RecursionError before
    ("not " * 200 + "p0", limits.EXPR_DEPTH),
    ("(" * 300 + "p0" + ")" * 300 + " > 0", None),  # Python's parser: too many nested parentheses
    ("p0 + " * 300 + "1 > 0", limits.EXPR_CHARS),
])
def test_where_work_is_bounded_and_refused_at_the_condition(cli, tmp_path, condition, limit):
    err = refused(cli, tmp_path, HEAD + f'    where: ["{condition}"]\n', "s.yaml:6:13: problems[0].where[0]: ")
    if limit is not None:
        assert f"over the limit on {limit.name}: at most {limit.value}" in err


def test_constraints_within_the_limits_still_evaluate():
    from genexam import expr

    assert expr.parse("len(sum([[0] * 10] * 10, [])) == 100 and 2 ** 64 > 10 ** 19", ()).evaluate({}) is True
    with pytest.raises(expr.BudgetExceeded, match="steps"):
        expr.parse("[[0] * 10000] * 10 == [[0] * 10000] * 10", ()).evaluate({})


# -- 1. text: length and nesting, the same in validate and build ----------------------

@pytest.mark.parametrize("field, text, limit", [
    ("title", "x" * 300_000, limits.SHORT_TEXT),
    ("instructions", "y" * 30_000, limits.LONG_TEXT),
    ("instructions", "[" * 14 + "x" + "]" * 14, limits.BRACKET_DEPTH),
    ("instructions", "$" + "x^{" * 25 + "x" + "}" * 25 + "$", limits.SCRIPT_DEPTH),
    ("course", "(" * 30 + ")" * 30, limits.NESTING),
])
def test_spec_text_over_a_limit_is_refused_at_its_key(cli, tmp_path, field, text, limit):
    body = HEAD.replace("title: Limits\n", "") if field == "title" else HEAD
    err = refused(cli, tmp_path, f"{field}: '{text}'\n" + body, f"s.yaml:1:{len(field) + 3}: {field}: ",
                  f"over the limit on {limit.name}: at most {limit.value}")
    assert len(err) < 2000  # the text is not echoed


def bank_question(text: str) -> str:
    return f"questions:\n  - id: deep\n    question: '{text}'\n    answer: 'Fine.'\n"


def test_a_deep_frac_in_a_bank_question_is_refused_at_its_line(cli, tmp_path):
    """850 nested \\frac crashed Typst (exit 139, no message)."""
    (tmp_path / "bank.yaml").write_text(bank_question("$" + "\\frac{1}{" * 850 + "x" + "}" * 850 + "$"))
    refused(cli, tmp_path, HEAD.replace("gda_table", "question_bank").replace("[6, 2, 2]", "1")
            + "    params: {bank: bank.yaml}\n",
            "s.yaml:6:20: problems[0].params.bank: ", "bank.yaml:3:15: questions[0].question: ",
            f"over the limit on {limits.NESTING.name}")


def test_inline_questions_meet_the_same_text_limits(cli, tmp_path):
    refused(cli, tmp_path, HEAD.replace("gda_table", "question_bank").replace("[6, 2, 2]", "1")
            + "    params:\n      questions:\n        - question: '" + "[" * 9 + "]" * 9 + "'\n          answer: A\n",
            "questions[0].question: ", f"over the limit on {limits.BRACKET_DEPTH.name}")


def test_every_text_limit_admits_real_text():
    """The built-in bank, a long formula and ordinary brackets pass."""
    assert limits.text_problems("$\\frac{\\partial L}{\\partial \\theta_{i}} = x^{2^{k}}$ [see [1](a)] (a (b))", True) == []
    assert limits.text_problems("1) first, 2) second: unbalanced closers are fine", False) == []


# -- 1. bank files ---------------------------------------------------------------------

BANK_SPEC = HEAD.replace("gda_table", "question_bank").replace("[6, 2, 2]", "1") + "    params: {bank: 'BANK'}\n"
GOOD_BANK = "questions:\n  - id: q\n    question: Why?\n    answer: Because.\n"


@pytest.mark.parametrize("bank, expect", [
    ("/dev/zero", "it is an absolute path"),
    ("../../etc/passwd", "it leads outside the spec's folder"),
    ("~/.bashrc", "it starts with ~"),
    ("link.yaml", "it leads outside the spec's folder"),  # a symlink to a bank outside
    ("fifo", "is a FIFO (named pipe), not a regular file"),
    ("folder", "is a directory, not a regular file"),
    ("huge.yaml", "over the limit on question bank file size"),
])
def test_bank_files_are_regular_files_inside_the_spec_folder(cli, tmp_path, bank, expect):
    work = tmp_path / "work"
    work.mkdir()
    (tmp_path / "outside.yaml").write_text(GOOD_BANK)
    (work / "link.yaml").symlink_to(tmp_path / "outside.yaml")
    os.mkfifo(work / "fifo")
    (work / "folder").mkdir()
    (work / "huge.yaml").write_text(GOOD_BANK + "#" * (limits.BANK_BYTES.value + 1))
    name = spec(work, BANK_SPEC.replace("BANK", bank))
    os.chdir(work)
    start = time.perf_counter()
    code, _, err = cli("validate", name)
    assert time.perf_counter() - start < 30  # a FIFO with no writer would block forever
    assert code == 2 and "s.yaml:6:20: problems[0].params.bank: " in err and expect in err, err


def test_the_flag_allows_files_outside_and_they_are_still_checked(cli, tmp_path):
    (tmp_path / "outside.yaml").write_text(GOOD_BANK)
    work = tmp_path / "work"
    work.mkdir()
    name = spec(work, BANK_SPEC.replace("BANK", str(tmp_path / "outside.yaml")))
    os.chdir(work)
    assert cli("validate", name)[0] == 2
    code, out, err = cli("validate", name, "--allow-outside-files")
    assert code == 0, err
    assert cli(name, "--allow-outside-files", "-o", "out")[0] == 0
    name = spec(work, BANK_SPEC.replace("BANK", "/dev/zero"))
    code, _, err = cli("validate", name, "--allow-outside-files")
    assert code == 2 and "/dev/zero is a device, not a regular file" in err


@pytest.mark.parametrize("content", [
    "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n",
    "- root:x:0:0:root\n- secret: hunter2\n",
    "password: hunter2\n\troot:x:0:0\n",  # not YAML
    "key: [unclosed 'hunter2'\n",
    "{password: hunter2, token: !secret 'root:x:0:0'}\n",
])
def test_messages_never_quote_a_file_that_is_not_a_bank(cli, tmp_path, content):
    (tmp_path / "passwd").write_text(content)
    name = spec(tmp_path, BANK_SPEC.replace("BANK", "passwd"))
    code, _, err = cli("validate", name)
    assert code == 2 and "passwd" in err, err
    for secret in ("root:x", "hunter2", "secret", "daemon"):
        assert secret not in err, err


# -- 2. tracebacks -----------------------------------------------------------------------

def test_a_lone_surrogate_is_an_error_at_its_key(cli, tmp_path):
    refused(cli, tmp_path, 'title: "\\ud800"\n' + HEAD.replace("title: Limits\n", ""),
            "s.yaml:1:8: title: character 1 is U+D800, half of a UTF-16 surrogate pair")
    code, _, err = cli("solve", "question_bank", "--set", 'tags=["\\udfff"]')
    assert code == 2 and "U+DFFF" in err


def test_bad_orders_for_question_bank_are_located(cli, tmp_path):
    refused(cli, tmp_path, HEAD.replace("gda_table", "question_bank").replace("[6, 2, 2]", "1")
            + '    params: {ids: [separable_condition], orders: [[0, "a"]]}\n',
            "s.yaml:6:50: problems[0].params.orders: orders must be a list with one list of option positions")
    code, _, err = cli("solve", "question_bank", "--set", "ids=[separable_condition]", "--set", "orders=[[0, 1]]")
    assert code == 2 and "is not an order of the 4 options" in err, err


def test_a_5000_digit_integer_names_the_digit_limit_not_a_date(cli, tmp_path):
    err = refused(cli, tmp_path, "seed: 1" + "0" * 5000 + "\n" + HEAD, "s.yaml:1:7: seed: a number of 5001 digits",
                  f"over the limit on {limits.NUMBER_DIGITS.name}")
    assert "date" not in err


def test_recursion_and_memory_errors_are_internal_errors_without_a_traceback(cli, tmp_path, monkeypatch):
    """The last resort: a limit genexam failed to check is reported as a bug, not as the user's mistake."""
    import genexam.spec

    name = spec(tmp_path, HEAD)
    for error in (RecursionError, MemoryError):
        def boom(*args, error=error, **kw):
            raise error()

        monkeypatch.setattr(genexam.spec, "parse_spec", boom)
        code, _, err = cli("validate", name)
        assert code == 1 and err.startswith("genexam: internal error: ") and "report this as a genexam bug" in err


# -- 3. numbers ----------------------------------------------------------------------------

def test_a_decimal_yaml_would_round_is_refused_with_the_exact_spellings(cli, tmp_path):
    refused(cli, tmp_path, HEAD + "    params: {eta: 4.0000000000000000001}\n",
            "s.yaml:6:19: problems[0].params.eta: the number 4.0000000000000000001 cannot be kept exactly",
            '"4.0000000000000000001"', '"40000000000000000001/10000000000000000000"')
    code, _, err = cli("solve", "gda_table", "--set", "eta=4.0000000000000000001")
    assert code == 2 and "cannot be kept exactly as written" in err


def test_quoted_decimals_and_exact_floats_keep_their_value(cli):
    code, out, err = cli("solve", "gda_table", "--set", 'eta="3.9999999999999999999"', "--json")
    assert code == 0, err
    assert json.loads(out)["params"]["eta"] == "39999999999999999999/10000000000000000000"
    code, out, _ = cli("solve", "gda_table", "--set", "eta=0.1", "--json")
    assert json.loads(out)["params"]["eta"] == "1/10"


@pytest.mark.parametrize("raw", ["1e-999999999", "1" * 400, 10**100, "1/" + "3" * 101])
def test_numbers_over_the_digit_limit_are_refused_before_arithmetic(raw):
    with pytest.raises(ValueError, match="over the limit on digits"):
        parse_number(raw)


# -- 4. LaTeX ligatures ------------------------------------------------------------------------

ODD = "<<a>> ``b'' ,,c,, d--e f---g"


def test_ligature_pairs_are_broken_in_the_spec_fields():
    assert latex_as_written(r"\textless\textless{} ,,'' ``") == r"\textless{}\textless{} ,{},{}'{}' \textasciigrave{}\textasciigrave{}"


def test_latex_pdf_prints_quotes_and_guillemet_pairs_as_written(cli, tmp_path):
    require_tool("latexmk", "--engine latex runs latexmk (apt-get install latexmk texlive-latex-extra)")
    require_tool("pdftotext", "reading the PDF's text (apt-get install poppler-utils)")
    name = spec(tmp_path, f"title: '{ODD.replace(chr(39), chr(39) * 2)}'\n"
                          f"instructions: 'Keep {ODD.replace(chr(39), chr(39) * 2)} as typed.'\n"
                          + HEAD.replace("title: Limits\n", "").replace("[json]", "[pdf]") + "engine: latex\n")
    code, _, err = cli(name, "-o", "out", "--no-key")
    assert code == 0, err
    import subprocess

    text = subprocess.run(["pdftotext", "out/exam-A.pdf", "-"], capture_output=True, text=True, check=True).stdout
    assert ODD in text.splitlines()[0], text[:300]
    assert f"Keep {ODD} as typed." in text, text[:600]


# -- 5. Markdown: the instructions' raw HTML and math print as written ---------------------------

def test_markdown_output_escapes_raw_html_and_math_in_the_instructions(cli, tmp_path):
    name = spec(tmp_path, "instructions: 'Use <b>bold</b>, $x^2$ and `<i>$y$</i>` and <https://example.org>.'\n"
                + HEAD.replace("[json]", "[md]"))
    code, _, err = cli(name, "-o", "out", "--no-key")
    assert code == 0, err
    md = (tmp_path / "out" / "exam-A.md").read_text()
    assert r"Use \<b>bold\</b>, \$x^2\$ and `<i>$y$</i>` and <https://example.org>." in md


def test_markdown_as_written_leaves_code_and_escapes_alone():
    text = "a \\$ b \\\\$c$ <!-- x -->\n```\n<b>$z$</b>\n```\n~~~~\n$q$\n~~~~\n`` a`$`b ``"
    assert markdown_as_written(text) == (
        "a \\$ b \\\\\\$c\\$ \\<!-- x -->\n```\n<b>$z$</b>\n```\n~~~~\n$q$\n~~~~\n`` a`$`b ``")


# -- documentation ----------------------------------------------------------------------------

def test_every_limit_is_in_the_readme_table_with_its_value():
    readme = (REPO / "README.md").read_text()
    start = readme.index("## Limits")
    section = readme[start:readme.index("\n## ", start + 1)]  # up to the next section, wherever it is
    for limit in limits.LIMITS:
        row = f"| {limit.name} | {limit.default:,} |"
        assert row in section and f"`{limit.key}` |" in section, f"README's Limits table lacks {row!r}"
    assert len(re.findall(r"^\| (?!limit |---)", section, re.MULTILINE)) == len(limits.LIMITS)


def test_a_limit_can_be_raised_from_the_environment(tmp_path):
    """For trusted input (and for tests that must reach pandoc's own time-out)."""
    import subprocess
    import sys

    code = "from genexam import limits; print(limits.BRACKET_DEPTH.value, limits.text_problems('[' * 9 + ']' * 9, True))"
    env = {**os.environ, "GENEXAM_LIMIT_BRACKET_DEPTH": "12"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["12", "[]"]
