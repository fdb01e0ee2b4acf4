"""layout: fixed -- every copy has the same pages and every part's answer
box in the same place, read back from the PDFs (pdftotext -bbox-layout),
and layout.json says where."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import PROBLEM_SETS, REPO, require_tool, run_genexam
from stamped import page_count

TEST3 = PROBLEM_SETS / "test3.yaml"
_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="[\d.]+">([^<]*)</word>')


def anchors(pdf: Path) -> list[tuple[str, int, float]]:
    """Where each question number ("3.") and part label ("(b)") is printed:
    (text, page, top), in reading order. A part's answer box sits a fixed
    distance below its label in the fixed layout."""
    import subprocess

    xml = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout
    found = []
    for number, page in enumerate(xml.split("<page ")[1:], start=1):
        for x, y, text in _WORD.findall(page):
            if (re.fullmatch(r"\d+\.", text) and abs(float(x) - 62.36) < 1) or \
                    (re.fullmatch(r"\([a-z]\)", text) and abs(float(x) - 83.26) < 1):
                found.append((text, number, float(y)))
    return found


def check_same_layout(out: Path, exams: list[Path]) -> None:
    counts = {pdf.name: page_count(pdf) for pdf in exams}
    assert len(set(counts.values())) == 1, counts
    reference = anchors(exams[0])
    assert len(reference) >= 5, reference
    for pdf in exams[1:]:
        theirs = anchors(pdf)
        assert [(t, p) for t, p, _ in theirs] == [(t, p) for t, p, _ in reference], pdf.name
        assert all(abs(a[2] - b[2]) < 0.5 for a, b in zip(theirs, reference)), pdf.name
    layout = json.loads((out / "layout.json").read_text())
    assert layout["pages"] == counts[exams[0].name]
    parts = [(page["page"], block["y"]) for page in layout["boxes"] for block in page["blocks"]
             if block["kind"] == "part"]
    labels = [(page, y) for text, page, y in reference if text.startswith("(")]
    # Each part's block in layout.json starts where its label is printed.
    assert len(parts) == len(labels)
    assert all(p == q and abs(y - z) < 3 for (p, y), (q, z) in zip(parts, labels)), (parts, labels)
    answers = [block for page in layout["boxes"] for block in page["blocks"] if block["kind"] == "answer"]
    assert answers and all(block["height"] > 20 for block in answers)


@pytest.mark.parametrize("versions", [4, pytest.param(40, marks=pytest.mark.sweep)])
def test_every_version_of_test3_has_the_same_pages(tmp_path, versions):
    require_tool("pdftotext", "reading the pages")
    out = tmp_path / "out"
    run = run_genexam(str(TEST3), "--layout", "fixed", "--versions", str(versions), "--format", "pdf",
                      "--no-key", "-o", str(out), "-q")
    assert run.code == 0, run.stderr
    check_same_layout(out, sorted(out.glob("exam-*.pdf")))
    # Without the fixed layout, versions of test3 do differ (the problem this solves).
    if versions == 40:
        flowing = tmp_path / "flow"
        assert run_genexam(str(TEST3), "--versions", "40", "--format", "pdf", "--no-key", "-o", str(flowing),
                           "-q").code == 0
        assert len({tuple((t, p) for t, p, _ in anchors(pdf)) for pdf in flowing.glob("exam-*.pdf")}) > 1


def test_stamped_copies_of_a_roster_share_one_layout(tmp_path):
    require_tool("pdftotext", "reading the pages")
    out = tmp_path / "out"
    run = run_genexam(str(PROBLEM_SETS / "quiz1.yaml"), "--layout", "fixed", "--roster",
                      str(REPO / "tests" / "data" / "class.csv"), "--format", "pdf,json", "-o", str(out), "-q")
    assert run.code == 0, run.stderr
    check_same_layout(out, sorted(out.glob("exam-*.pdf"))[:12])


def test_a_part_too_tall_for_a_page_stops_the_build(tmp_path):
    (tmp_path / "bank.yaml").write_text(
        "questions:\n"
        "  - id: essay\n    tags: [t]\n    question: Write an essay on attention.\n    answer: Anything.\n"
        "    space: 30cm\n", encoding="utf-8")
    (tmp_path / "spec.yaml").write_text(
        "title: T\nversions: 2\nlayout: fixed\nproblems:\n"
        "  - id: essay-question\n    family: question_bank\n    points: [2, 3]\n"
        "    params: {bank: bank.yaml, ids: [essay, essay]}\n", encoding="utf-8")
    run = run_genexam(str(tmp_path / "spec.yaml"), "-o", str(tmp_path / "out"), "--format", "pdf")
    if "listed twice" in run.stderr or "twice" in run.stderr:  # a bank may not repeat a question: use one part
        (tmp_path / "spec.yaml").write_text(
            "title: T\nversions: 2\nlayout: fixed\nproblems:\n"
            "  - id: essay-question\n    family: question_bank\n    points: [2]\n"
            "    params: {bank: bank.yaml, ids: [essay]}\n", encoding="utf-8")
        run = run_genexam(str(tmp_path / "spec.yaml"), "-o", str(tmp_path / "out"), "--format", "pdf")
    assert run.code != 0, run.stdout
    assert "problem 'essay-question'" in run.stderr and "version A" in run.stderr, run.stderr
    assert "does not fit on one page" in run.stderr and "space" in run.stderr
    assert not (tmp_path / "out").exists()


def test_fixed_layout_with_latex_says_it_needs_typst(tmp_path):
    run = run_genexam(str(TEST3), "--layout", "fixed", "--engine", "latex", "-o", str(tmp_path / "out"))
    assert run.code != 0 and "layout: fixed needs the Typst engine" in run.stderr
    assert not (tmp_path / "out").exists()


def test_new_page_starts_a_question_on_a_page_of_its_own(tmp_path):
    """quiz1's question 2 shares page 1 with question 1, unless it asks for a new page."""
    spec = (PROBLEM_SETS / "quiz1.yaml").read_text(encoding="utf-8")
    assert "  - id: image-classification\n" in spec
    (tmp_path / "new.yaml").write_text(spec.replace("  - id: image-classification\n",
                                                    "  - id: image-classification\n    new_page: true\n", 1),
                                       encoding="utf-8")
    (tmp_path / "flow.yaml").write_text(spec, encoding="utf-8")
    where = {}
    for name in ("flow", "new"):
        out = tmp_path / name
        run = run_genexam(str(tmp_path / f"{name}.yaml"), "--format", "pdf", "--no-key", "--versions", "1",
                          "-o", str(out), "-q")
        assert run.code == 0, run.stderr
        where[name] = {text: (page, y) for text, page, y in anchors(out / "exam-A.pdf")}["2."]
    assert where["flow"][0] == 1
    assert where["new"][0] == 2 and where["new"][1] < 90, where  # at the top of page 2
