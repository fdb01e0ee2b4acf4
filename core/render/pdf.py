"""PDF engines: Typst in-process (default, fonts bundled, no TeX needed) and
latexmk on the LaTeX output when a TeX installation is present."""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from ..errors import EngineMissingError, RenderError

#: Debian packages that provide latexmk and the exam class.
TEX_PACKAGES = "latexmk texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended lmodern"


@dataclass(frozen=True)
class TypstResult:
    pdf: bytes
    warnings: tuple[str, ...]


def pdf_timestamp(date_text: str) -> int:
    """A fixed creation time so the same spec gives the same PDF bytes:
    SOURCE_DATE_EPOCH if set, else the spec's ISO date, else 0."""
    if os.environ.get("SOURCE_DATE_EPOCH", "").isdigit():
        return int(os.environ["SOURCE_DATE_EPOCH"])
    try:
        day = datetime.date.fromisoformat(date_text.strip())
    except ValueError:
        return 0
    return int(datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.timezone.utc).timestamp())


_local = threading.local()


def typst_pdfs(sources: Mapping[str, str], timestamp: int) -> dict[str, TypstResult]:
    """Compile many Typst documents (name -> source) to PDF, on every core:
    Typst releases the GIL, so threads run in parallel."""
    workers = min(len(sources), os.cpu_count() or 1) or 1
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = pool.map(lambda item: typst_pdf(item[1], item[0], timestamp), sources.items())
        return dict(zip(sources, results))


def typst_pdf(source: str, name: str, timestamp: int) -> TypstResult:
    """Compile Typst source to PDF in-process, with bundled fonts only (so
    the PDF is the same on every machine)."""
    import typst

    if not hasattr(_local, "compiler"):  # one per thread: its font book is reused
        _local.compiler = typst.Compiler(ignore_system_fonts=True)
    compiler = _local.compiler
    try:
        pdf, warnings = compiler.compile_with_warnings(source.encode("utf-8"), format="pdf", timestamp=timestamp)
    except typst.TypstError as exc:
        hints = "".join(f"\n  hint: {h}" for h in getattr(exc, "hints", []) or [])
        raise RenderError(f"Typst could not compile {name}: {exc.message}{hints}\n"
                          "This is a bug in a family template or layout; the .typ file shows the source.") from None
    return TypstResult(pdf, tuple(_warning_text(w) for w in warnings))


def _warning_text(warning: object) -> str:
    message = getattr(warning, "message", str(warning))
    hints = getattr(warning, "hints", []) or []
    return message + "".join(f" (hint: {h})" for h in hints)


def latex_available() -> bool:
    return shutil.which("latexmk") is not None and shutil.which("pdflatex") is not None


def latex_pdf(source: str, name: str, timestamp: int) -> bytes:
    """Run latexmk on LaTeX source in a scratch directory; return the PDF bytes."""
    if not latex_available():
        raise EngineMissingError(
            "--engine latex needs latexmk and pdflatex, which are not installed. On Debian or Ubuntu: "
            f"sudo apt-get install {TEX_PACKAGES} (the exam class is in texlive-latex-extra); "
            "or use the default --engine typst, which needs no TeX installation."
        )
    env = dict(os.environ, SOURCE_DATE_EPOCH=str(timestamp), FORCE_SOURCE_DATE="1")
    with tempfile.TemporaryDirectory(prefix="genexam-latex-") as tmp:
        tex = Path(tmp) / f"{name}.tex"
        tex.write_text(source, encoding="utf-8")
        result = subprocess.run(
            ["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error", tex.name],
            cwd=tmp, env=env, capture_output=True, text=True, errors="replace", timeout=300,
        )
        pdf = tex.with_suffix(".pdf")
        if result.returncode != 0 or not pdf.exists():
            log = tex.with_suffix(".log")
            detail = _latex_error(log.read_text(errors="replace") if log.exists() else result.stdout)
            if "exam.cls" in detail and "not found" in detail:
                raise EngineMissingError(
                    "the LaTeX exam class (exam.cls) is missing: sudo apt-get install texlive-latex-extra")
            raise RenderError(f"latexmk failed on {name}.tex: {detail}")
        return pdf.read_bytes()


def _latex_error(log: str) -> str:
    lines = [line for line in log.splitlines() if line.startswith("!") or ".tex:" in line]
    return " / ".join(lines[:4]) or "see the LaTeX log"
