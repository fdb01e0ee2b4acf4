"""Long tables break between rows, with their header row repeated at the top
of each page; short tables never split (they move whole to the next page).
Both engines, exams and keys, read from the PDFs (pdftotext, and
tests/pagecheck.py with LaTeX's log): every row printed once, in order, the
header on top of each continuation page, at least three rows on a page,
nothing in the margins or the footer, no overfull box over 1 pt.

The tables come from question-bank text (Markdown pipe tables that pandoc
converts), written inline in a spec in tmp_path."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from conftest import require_tool, run_genexam
from pagecheck import problems, read_pages


@dataclass(frozen=True)
class Table:
    """A Markdown table whose rows are (i, value(i), i * 13 mod 97), so a line
    of pdftotext says which table and row it is."""

    header: tuple[str, str, str]
    rows: int
    value: Callable[[int], int]

    def markdown(self) -> str:
        lines = ["| " + " | ".join(self.header) + " |", "|---:|---:|---:|"]
        lines += [f"| {i} | {self.value(i)} | {i * 13 % 97} |" for i in range(1, self.rows + 1)]
        return "\n".join(lines)

    def row(self, line: str) -> int | None:
        """The row number ``line`` prints, or None when it is not one of this table's rows."""
        match = re.fullmatch(r"\s*(\d+)\s+(\d+)\s+(\d+)\s*", line)
        if match and int(match[2]) == self.value(int(match[1])) and int(match[3]) == int(match[1]) * 13 % 97:
            return int(match[1])
        return None

    def is_header(self, line: str) -> bool:
        return line.split() == " ".join(self.header).split()


LOG = Table(("Step", "Loss", "Accuracy"), 70, lambda i: 1000 - 7 * i)  # question 1(a)
EPOCHS = Table(("Epoch", "Error", "Recall"), 70, lambda i: 2000 + 3 * i)  # question 2's text
BATCHES = Table(("Batch", "Norm", "Scale"), 45, lambda i: 5000 - 11 * i)  # question 2's answer (key only)
LAYERS = Table(("Layer", "Width", "Depth"), 4, lambda i: 64 * i)  # short: question 1(b), and in 1(a)'s answer


def long_table_spec(folder: Path) -> Path:
    """Question 1: bank questions as parts, (a) with a 70-row table, (b) with
    a 4-row one; question 2: one bank question (no parts) with a 70-row
    table, whose answer holds a 45-row table."""
    first = [
        {"question": f"The training log has one row per step.\n\n{LOG.markdown()}\n\n"
                     "At which step does the loss first fall below 700?",
         "answer": f"The loss falls by 7 a step: step 43 (loss 699). The layers, for reference:\n\n{LAYERS.markdown()}"},
        {"question": f"A short table:\n\n{LAYERS.markdown()}\n\nWhat is the width of layer 2?", "answer": "Width 128."},
    ]
    second = [{"question": f"The validation record:\n\n{EPOCHS.markdown()}\n\nWhen does the error pass 2100?",
               "answer": f"At epoch 34 (2102). The batch statistics:\n\n{BATCHES.markdown()}"}]
    spec = {"title": "Long tables", "seed": 1, "problems": [
        {"family": "question_bank", "points": [2, 3], "params": {"questions": first}},
        {"family": "question_bank", "points": 2, "params": {"questions": second}},
    ]}
    path = folder / "long.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False, width=1000))
    return path


def short_table_spec(folder: Path, lines: range) -> Path:
    """One problem per count of filler lines, each on a page of its own: its
    text is that many one-line paragraphs, then a 4-row table, so some table
    meets the foot of its page."""
    problems_ = [{"family": "question_bank", "points": 1, "new_page": True, "params": {"questions": [{
        "question": "\n\n".join(f"Filler line {k} of {n}." for k in range(1, n + 1)) + f"\n\n{LAYERS.markdown()}",
        "answer": "None."}]}} for n in lines]
    path = folder / "short.yaml"
    path.write_text(yaml.safe_dump({"title": "Short tables", "seed": 1, "problems": problems_},
                                   sort_keys=False, width=1000))
    return path


def build(spec: Path, engine: str, out: Path) -> dict[str, tuple[Path, str | None]]:
    """Every PDF of a one-version build and, with LaTeX, its log (latexmk is
    run here on the .tex files, as in test_pagebreaks)."""
    if engine == "typst":
        run = run_genexam(str(spec), "--format", "pdf", "-o", str(out), "-q")
        assert run.code == 0, run.stderr
        return {pdf.stem: (pdf, None) for pdf in sorted(out.glob("*.pdf"))}
    run = run_genexam(str(spec), "--engine", "latex", "--format", "tex", "-o", str(out), "-q")
    assert run.code == 0, run.stderr
    built = {}
    for tex in sorted(out.glob("*.tex")):
        done = subprocess.run(["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", tex.name],
                              cwd=out, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout[-2000:]
        built[tex.stem] = (tex.with_suffix(".pdf"), tex.with_suffix(".log").read_text(errors="replace"))
    return built


def page_lines(pdf: Path) -> list[list[str]]:
    """Each page's non-empty text lines, top to bottom (pdftotext -layout)."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [[line for line in page.splitlines() if line.strip()] for page in text.split("\f")[:-1]]


def check_long_table(table: Table, pages: list[list[str]], where: str) -> list[str]:
    """What is wrong with how ``table`` is spread over ``pages`` (empty when nothing)."""
    rows = {number: [r for r in map(table.row, lines) if r is not None] for number, lines in enumerate(pages, 1)}
    rows = {number: found for number, found in rows.items() if found}
    wrong = []
    printed = [r for found in rows.values() for r in found]
    if printed != list(range(1, table.rows + 1)):
        wrong.append(f"{where}: {table.header[0]} table prints rows {printed}, not 1..{table.rows} once each")
    if len(rows) < 2:
        wrong.append(f"{where}: the {table.rows}-row {table.header[0]} table is on one page ({list(rows)})")
    for number, found in rows.items():
        if len(found) < 3:
            wrong.append(f"{where} page {number}: only {len(found)} row(s) of the {table.header[0]} table")
    for number in list(rows)[1:]:
        top = pages[number - 1][1]  # the line under the running header
        if not table.is_header(top):
            wrong.append(f"{where} page {number}: the {table.header[0]} table continues under {top.strip()!r}, "
                         "not under its header row")
    return wrong


def check_short_table(pages: list[list[str]], where: str) -> list[str]:
    """Every copy of the 4-row table: its header and rows on one page."""
    wrong = []
    for number, lines in enumerate(pages, 1):
        for index, line in enumerate(lines):
            if LAYERS.is_header(line):
                following = [LAYERS.row(next_line) for next_line in lines[index + 1:index + 5]]
                if following != [1, 2, 3, 4]:
                    wrong.append(f"{where} page {number}: the 4-row table is split (under its header: {following})")
    return wrong


@pytest.mark.parametrize("engine", ["typst", pytest.param("latex", marks=pytest.mark.sweep)])
def test_long_tables_break_between_rows_repeating_their_header(tmp_path, engine):
    require_tool("pdftotext", "reading the pages")
    if engine == "latex":
        require_tool("latexmk", "the LaTeX engine")
    built = build(long_table_spec(tmp_path), engine, tmp_path / "out")
    assert set(built) == {"exam-A", "key-A"}
    wrong = []
    for name, (pdf, log) in built.items():
        pages = page_lines(pdf)
        for table in (LOG, EPOCHS) + ((BATCHES,) if name.startswith("key") else ()):
            wrong += check_long_table(table, pages, f"{engine} {name}")
        wrong += check_short_table(pages, f"{engine} {name}")
        wrong += [f"{engine}: {p}" for p in problems(pdf, log)]
        # The exam prints question 1(b)'s short table once; the key twice more (1(a)'s answer).
        copies = sum(LAYERS.is_header(line) for lines in pages for line in lines)
        assert copies == (2 if name.startswith("key") else 1), f"{engine} {name}: {copies} short tables"
    assert wrong == [], "\n".join(wrong)


@pytest.mark.parametrize("engine", ["typst", pytest.param("latex", marks=pytest.mark.sweep)])
def test_a_short_table_at_the_foot_of_a_page_moves_whole(tmp_path, engine):
    """Questions of 33, 34, ..., 41 filler lines, then a 4-row table, each
    starting a page: some table does not fit under its filler and goes whole
    to the next page, though its header and a row or two would have fitted
    (more than 50 pt left above the footer)."""
    require_tool("pdftotext", "reading the pages")
    if engine == "latex":
        require_tool("latexmk", "the LaTeX engine")
    built = build(short_table_spec(tmp_path, range(33, 42)), engine, tmp_path / "out")
    for name, (pdf, log) in built.items():
        pages = page_lines(pdf)
        wrong = check_short_table(pages, f"{engine} {name}") + [f"{engine}: {p}" for p in problems(pdf, log)]
        assert wrong == [], "\n".join(wrong)
        room_left = []
        for page, following in zip(read_pages(pdf), pages[1:]):
            last = page.body[-1] if page.body else None
            # LaTeX keeps the line before a table with it; Typst moves the table alone.
            if last and re.fullmatch(r"Filler line \d+ of \d+\.", last.text.strip()) and any(
                    LAYERS.is_header(line) for line in following[1:3]):
                room_left.append(page.footer_top - last.y1)
        assert any(room > 50 for room in room_left), \
            f"{engine} {name}: no short table moved to the next page from a page with room left ({room_left})"
