"""Page breaks of the shipped problem sets, read from the PDFs (and LaTeX's
log) by tests/pagecheck.py: no page ends with a bare question number or a
heading, nothing runs into the margins or the footer, no overfull box over
1 pt, no option list split over two pages."""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import PROBLEM_SETS, require_tool, run_genexam
from pagecheck import problems

SETS = ("a3", "a5", "quiz1", "test3")


def typst_findings(spec: str, versions: int, out: Path) -> list[str]:
    run = run_genexam(str(PROBLEM_SETS / f"{spec}.yaml"), "--versions", str(versions), "--format", "pdf",
                      "-o", str(out), "-q")
    assert run.code == 0, run.stderr
    return [f"{spec}: {p}" for pdf in sorted(out.glob("*.pdf")) for p in problems(pdf)]


def latex_findings(spec: str, versions: int, out: Path) -> list[str]:
    """Build the LaTeX sources, then run latexmk on each here, to read its log too."""
    run = run_genexam(str(PROBLEM_SETS / f"{spec}.yaml"), "--versions", str(versions), "--engine", "latex",
                      "--format", "tex", "-o", str(out), "-q")
    assert run.code == 0, run.stderr

    def compile_one(tex: Path) -> list[str]:
        done = subprocess.run(["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", tex.name],
                              cwd=out, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout[-2000:]
        log = tex.with_suffix(".log").read_text(errors="replace")
        return [f"{spec}: {p}" for p in problems(tex.with_suffix(".pdf"), log)]

    with ThreadPoolExecutor(max_workers=2) as pool:
        return [p for found in pool.map(compile_one, sorted(out.glob("*.tex"))) for p in found]


@pytest.mark.parametrize("spec", SETS)
def test_typst_page_breaks(tmp_path, spec):
    require_tool("pdftotext", "reading the pages")
    assert typst_findings(spec, 2, tmp_path / "out") == []


def test_latex_page_breaks(tmp_path):
    require_tool("latexmk", "the LaTeX engine")
    require_tool("pdftotext", "reading the pages")
    assert latex_findings("a3", 2, tmp_path / "out") == []


@pytest.mark.sweep
@pytest.mark.parametrize("engine", ["typst", "latex"])
@pytest.mark.parametrize("spec", SETS)
def test_page_breaks_sweep(tmp_path, spec, engine):
    require_tool("pdftotext", "reading the pages")
    if engine == "latex":
        require_tool("latexmk", "the LaTeX engine")
    findings = (typst_findings if engine == "typst" else latex_findings)(spec, 20, tmp_path / "out")
    assert findings == [], "\n".join(findings[:40])


def test_the_checker_finds_what_it_looks_for(tmp_path):
    """A page ending with a bare number, text in the margin and a split
    option list are each reported (the checker can fail)."""
    import typst

    source = """#set page(paper: "a4", margin: (x: 2.2cm, top: 2.4cm, bottom: 2.2cm),
  footer: context align(center)[Page #counter(page).display() of #counter(page).final().first()])
#lorem(20)
#v(1fr)
*3.*
#pagebreak()
#place(dx: -2cm)[Margin text]
#v(2cm)
#v(1fr)
(A) first option

(B) second option
#pagebreak()
(C) third option
"""
    pdf = tmp_path / "bad.pdf"
    pdf.write_bytes(typst.Compiler(ignore_system_fonts=True).compile(source.encode(), format="pdf"))
    found = "\n".join(problems(pdf, "Overfull \\hbox (3.5pt too wide) in paragraph"))
    assert "ends with a bare question number '3.'" in found
    assert "'Margin text' runs into the side margin" in found
    assert "options (B) and (C) are split" in found
    assert "overfull \\hbox, 3.5 pt" in found
