"""The --engine latex route: the exam-class layout compiles cleanly with
latexmk, rebuilds byte for byte, prints spec text literally, and says what to
install when TeX is missing.

The TeX tests skip on a machine without TeX, and fail when
GENEXAM_REQUIRE_TOOLS=1 (CI installs TeX). latexmk costs about 2 s a document
(the exam class needs four pdflatex runs to settle its point tables), so the
documents are compiled in parallel and each build is made once per module.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from answers_util import missing_integer_answers
from conftest import PROBLEM_SETS, require_tool, run_genexam

NAMES = ("exam-A", "exam-B", "key-A", "key-B")
TITLE = r"Q&A 100% #1 $x$ \input{/etc/hostname} ~ ^ _ { }"
INSTRUCTIONS = r"Write $x$ as you like. \input{/etc/hostname} is text, and so is <b>html</b>."


def _need_tex() -> None:
    require_tool("latexmk", "--engine latex runs latexmk (apt-get install latexmk texlive-latex-extra)")
    require_tool("pdflatex", "--engine latex runs pdflatex (apt-get install texlive-latex-base)")


def _pdftotext(pdf: Path) -> str:
    require_tool("pdftotext", "reading the text of the PDFs (apt-get install poppler-utils)")
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def _words(text: str) -> str:
    return " ".join(text.split())


def _latexmk_log(tex: Path, scratch: Path) -> str:
    """Compile ``tex`` with latexmk as genexam does; return the final log."""
    scratch.mkdir(parents=True)
    shutil.copy(tex, scratch / tex.name)
    result = subprocess.run(
        ["latexmk", "-norc", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error", tex.name],
        cwd=scratch, capture_output=True, text=True, errors="replace", timeout=300,
        env={**os.environ, "max_print_line": "10000"},
    )
    log = (scratch / tex.with_suffix(".log").name).read_text(errors="replace")
    for _ in range(3):  # as genexam does: latexmk may stop before the exam class's point totals settle
        if result.returncode != 0 or "Rerun to get" not in log:
            break
        result = subprocess.run(
            ["latexmk", "-g", "-norc", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error",
             tex.name], cwd=scratch, capture_output=True, text=True, errors="replace", timeout=300,
            env={**os.environ, "max_print_line": "10000"})
        log = (scratch / tex.with_suffix(".log").name).read_text(errors="replace")
    assert result.returncode == 0, f"latexmk failed on {tex.name}:\n{log[-3000:]}"
    return log


def _layout_problems(log: str) -> list[str]:
    """Overfull boxes and warnings left in the last run's log. A page that runs
    a few points into the bottom margin (an overfull vbox under 10pt, where a
    long solution's display cannot move to the next page) is not visible and
    not counted; text running into the side margins always is."""
    def problem(line: str) -> bool:
        small_vbox = re.match(r"Overfull \\vbox \(([\d.]+)pt too high\)", line)
        if small_vbox and float(small_vbox.group(1)) < 10:
            return False
        return line.startswith("Overfull") or bool(re.search(r"\bWarning\b", line)) and "infwarerr" not in line

    return [line for line in log.splitlines() if problem(line)]


@pytest.fixture(scope="module")
def a5_latex(tmp_path_factory) -> Path:
    """a5.yaml built as a user would: LaTeX sources and their PDFs."""
    _need_tex()
    out = tmp_path_factory.mktemp("a5-latex") / "out"
    run = run_genexam(str(PROBLEM_SETS / "a5.yaml"), "--engine", "latex", "--format", "tex,pdf", "-o", str(out))
    assert run.code == 0, run.stderr
    return out


def test_a5_compiles_cleanly_with_latexmk(a5_latex, tmp_path):
    with ThreadPoolExecutor(max_workers=len(NAMES)) as pool:
        logs = dict(zip(NAMES, pool.map(lambda n: _latexmk_log(a5_latex / f"{n}.tex", tmp_path / n), NAMES)))
    for name, log in logs.items():
        assert _layout_problems(log) == [], f"{name}.tex"

    for name in NAMES:
        pdf = a5_latex / f"{name}.pdf"
        assert pdf.read_bytes().startswith(b"%PDF-")
        text = _words(_pdftotext(pdf))
        assert "Deep Learning for Vision" in text and "2026-12-04" in text
        assert f"Version {name[-1]}" in text
        assert "Question: 1 2 3 4 Total" in text and "Score:" in text  # the points table
        assert "(a) (4 points)" in text and "(d) (3 points)" in text  # question 1 continues from (c) to (f)
        if name.startswith("exam"):
            assert "Name:" in text and "Student ID:" in text
            assert "Answer key" not in text and "Solution." not in text
        else:
            assert "Answer key" in text and "Solution." in text
            assert "Name:" not in text


def test_every_integer_answer_is_printed_in_the_latex_key(a5_latex, tmp_path):
    out = tmp_path / "json"
    assert run_genexam(str(PROBLEM_SETS / "a5.yaml"), "--format", "json", "-o", str(out)).code == 0
    for version in json.loads((out / "answers.json").read_text())["versions"]:
        pdf = a5_latex / f"key-{version['version']}.pdf"
        assert missing_integer_answers(pdf, version["problems"]) == [], pdf.name


def test_exam_has_an_answer_box_per_part(a5_latex):
    tex = (a5_latex / "exam-A.tex").read_text()
    parts = len(re.findall(r"^\\part\b", tex, re.MULTILINE))
    assert parts == 6 + 3 + 3 + 3  # question 1 is two problems: (a)-(c) and (d)-(f)
    assert len(re.findall(r"^\\makeemptybox\{", tex, re.MULTILINE)) == parts
    assert "\\begin{solution}" not in tex
    key = (a5_latex / "key-A.tex").read_text()
    assert "\\makeemptybox" not in key
    assert len(re.findall(r"^\\begin\{solution\}", key, re.MULTILINE)) == parts


def test_latex_pdfs_are_byte_identical_on_a_rebuild(a5_latex):
    from genexam.render.pdf import latex_pdf, pdf_timestamp

    again = ("exam-A", "key-B")
    timestamp = pdf_timestamp("2026-12-04")  # a5.yaml's date
    with ThreadPoolExecutor(max_workers=len(again)) as pool:
        pdfs = dict(zip(again, pool.map(
            lambda n: latex_pdf((a5_latex / f"{n}.tex").read_text(), n, timestamp), again)))
    for name, pdf in pdfs.items():
        assert pdf == (a5_latex / f"{name}.pdf").read_bytes(), f"{name}.pdf differs on a rebuild"


@pytest.fixture(scope="module")
def odd_spec_build(tmp_path_factory) -> Path:
    """a5.yaml with TeX-special spec text, half points and a wide table."""
    _need_tex()
    spec = yaml.safe_load((PROBLEM_SETS / "a5.yaml").read_text())
    spec.update(title=TITLE, instructions=INSTRUCTIONS, course="C&C 50% \\relax", versions=1)
    spec["problems"] = [
        {"family": "gda_table", "points": [6, 2.5, 1.5],
         "params": {"mode": "simultaneous", "eta": 2, "p0": 20, "q0": -20, "steps": 12}},
        {"family": "attention_ops", "points": [7, 3]},
        {"family": "softmax_logistic", "parts": ["a"], "points": 6},  # one part, shown without "(a)"
    ]
    root = tmp_path_factory.mktemp("odd-spec")
    path = root / "odd.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    run = run_genexam(str(path), "--engine", "latex", "--format", "tex,pdf", "-o", str(root / "out"))
    assert run.code == 0, run.stderr
    return root / "out"


def test_spec_text_prints_literally(odd_spec_build):
    for name in ("exam-A", "key-A"):
        tex = (odd_spec_build / f"{name}.tex").read_text()
        assert not re.search(r"\\input\s*\{", tex), "spec text reached LaTeX as a live \\input"
        assert "<b>" not in tex  # HTML is text too: \textless b\textgreater
        text = _words(_pdftotext(odd_spec_build / f"{name}.pdf"))
        assert _words(TITLE) in text
        assert _words(INSTRUCTIONS) in text
        assert "C&C 50% \\relax" in text
        hostname = Path("/etc/hostname")
        if hostname.exists() and len(hostname.read_text().strip()) >= 8:
            assert hostname.read_text().strip() not in text


def test_half_points_wide_tables_and_one_part_questions(odd_spec_build, tmp_path):
    key = odd_spec_build / "key-A.tex"
    source = key.read_text()
    assert "\\part[2\\half]" in source and "\\part[1\\half]" in source
    assert "\\question[6]" in source  # the one-part question carries its points itself
    log = _latexmk_log(key, tmp_path / "key")
    assert _layout_problems(log) == []  # the 13-column table of large numbers stays in the line
    text = _words(_pdftotext(odd_spec_build / "key-A.pdf"))
    assert "(2½ points)" in text or "(21/2 points)" in text


def test_points_the_exam_class_cannot_count_give_a_clear_error(tmp_path):
    _need_tex()
    spec = yaml.safe_load((PROBLEM_SETS / "a5.yaml").read_text())
    spec["versions"] = 1
    spec["problems"][0]["points"] = [6, 2.25, 2]
    path = tmp_path / "quarter.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    out = tmp_path / "out"
    run = run_genexam(str(path), "--engine", "latex", "--no-key", "-o", str(out))
    assert run.code != 0
    assert "Question 1(b) is worth 2.25 points" in run.stderr
    assert "whole and half points" in run.stderr and "Traceback" not in run.stderr
    assert not out.exists()


def test_missing_tex_names_the_packages_and_writes_nothing(tmp_path):
    bin_dir = tmp_path / "bin"  # a PATH with Python and nothing else: no latexmk, no pdflatex
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys.executable)
    out = tmp_path / "out"
    run = run_genexam(str(PROBLEM_SETS / "a5.yaml"), "--engine", "latex", "-o", str(out),
                      env={"PATH": str(bin_dir)})
    assert run.code != 0
    assert "Traceback" not in run.stderr
    message = run.stderr
    assert "latexmk" in message and "pdflatex" in message
    assert "apt-get install" in message
    for package in ("latexmk", "texlive-latex-extra", "texlive-latex-recommended"):
        assert package in message
    assert "--engine typst" in message
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin"]  # no partial output beside it


def test_validate_reports_missing_tex_for_a_latex_spec(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys.executable)
    spec = tmp_path / "latex.yaml"
    spec.write_text((PROBLEM_SETS / "a5.yaml").read_text() + "engine: latex\n")
    run = run_genexam("validate", str(spec), env={"PATH": str(bin_dir)})
    assert run.code == 2 and "Traceback" not in run.stderr
    assert "texlive-latex-extra" in run.stderr
    # with TeX present (or the default engine) the same spec is valid
    assert run_genexam("validate", str(PROBLEM_SETS / "a5.yaml"), env={"PATH": str(bin_dir)}).code == 0
