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

#: What a LaTeX log says while cross-references or point totals are still settling.
RERUN = "Rerun to get"

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


def typst_pdfs(sources: Mapping[str, str], timestamp: int,
               files: Mapping[str, bytes] | None = None) -> dict[str, TypstResult]:
    """Compile many Typst documents (name -> source) to PDF, on every core:
    Typst releases the GIL, so threads run in parallel. ``files`` (path ->
    bytes) are what the documents may read, such as figures."""
    workers = min(len(sources), os.cpu_count() or 1) or 1
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = pool.map(lambda item: typst_pdf(item[1], item[0], timestamp, files), sources.items())
        return dict(zip(sources, results))


def typst_pdf(source: str, name: str, timestamp: int, files: Mapping[str, bytes] | None = None) -> TypstResult:
    """Compile Typst source to PDF in-process, with bundled fonts only (so
    the PDF is the same on every machine). ``files``: path -> bytes the
    source may read (a figure's SVG); nothing is read from disk."""
    import typst

    if not hasattr(_local, "compiler"):  # one per thread: its font book is reused
        # CJK fonts (when installed) for names in a roster: Typst's own lack those scripts.
        from .stamp import font_folders

        _local.compiler = typst.Compiler(ignore_system_fonts=True, font_paths=font_folders())
    compiler = _local.compiler
    main = source.encode("utf-8")
    project: bytes | dict[str, bytes] = {"main.typ": main, **files} if files else main
    try:
        pdf, warnings = compiler.compile_with_warnings(project, format="pdf", timestamp=timestamp)
    except typst.TypstError as exc:
        hints = "".join(f"\n  hint: {h}" for h in getattr(exc, "hints", []) or [])
        raise RenderError(f"Typst could not compile {name}: {exc.message}{hints}\n"
                          "This is a bug in a family template or layout; the .typ file shows the source.") from None
    return TypstResult(pdf, tuple(_warning_text(w) for w in warnings))


def svg_to_pdf(svg: str, timestamp: int) -> bytes:
    """A figure's SVG as a one-page PDF of the same size, for LaTeX (which
    cannot read SVG without Inkscape); Typst draws it."""
    page = '#set page(width: auto, height: auto, margin: 0pt)\n#image("figure.svg")\n'
    result = typst_pdf(page, "a figure", timestamp, {"figure.svg": svg.encode("utf-8")})
    if result.warnings:
        raise RenderError(f"Typst could not convert a figure to PDF: {'; '.join(result.warnings)}")
    return result.pdf


def _warning_text(warning: object) -> str:
    message = getattr(warning, "message", str(warning))
    hints = getattr(warning, "hints", []) or []
    return message + "".join(f" (hint: {h})" for h in hints)


def require_latex() -> None:
    """Raise EngineMissingError, naming the Debian packages, unless latexmk and
    pdflatex are installed. Called before a build starts, so it fails at once."""
    missing = [program for program in ("latexmk", "pdflatex") if shutil.which(program) is None]
    if missing:
        raise EngineMissingError(
            f"--engine latex needs {' and '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} "
            f"not installed. On Debian or Ubuntu: sudo apt-get install {TEX_PACKAGES} "
            "(the exam class is in texlive-latex-extra); "
            "or use the default --engine typst, which needs no TeX installation."
        )


def latex_pdf(source: str, name: str, timestamp: int, files: Mapping[str, bytes] | None = None) -> bytes:
    """Run latexmk (pdflatex) on LaTeX source in a scratch directory, beside
    ``files`` (path -> bytes, such as figure PDFs); return the PDF bytes, the
    same for the same source and timestamp."""
    import re

    require_latex()
    env = dict(
        os.environ,
        # The PDF's dates (pdfTeX reads both).
        SOURCE_DATE_EPOCH=str(timestamp), FORCE_SOURCE_DATE="1",
        # Unwrapped log lines, so an error message is read whole.
        max_print_line="10000",
        # The source is generated, and spec text is escaped; still, TeX may
        # not read files outside its own trees, write outside the scratch
        # directory, or run programs.
        openin_any="p", openout_any="p", shell_escape="f",
    )
    command = ["latexmk", "-norc", "-pdf", "-interaction=nonstopmode", "-halt-on-error",
               "-file-line-error", f"{name}.tex"]
    with tempfile.TemporaryDirectory(prefix="genexam-latex-") as tmp:
        tex = Path(tmp) / f"{name}.tex"
        tex.write_text(source, encoding="utf-8")
        for path, data in (files or {}).items():
            (Path(tmp) / path).parent.mkdir(parents=True, exist_ok=True)
            (Path(tmp) / path).write_bytes(data)
        try:
            result = subprocess.run(command, cwd=tmp, env=env, stdin=subprocess.DEVNULL,
                                    capture_output=True, text=True, errors="replace", timeout=300)
            # latexmk can stop while the exam class still asks for a rerun
            # (points per page move as page breaks settle): the grade table
            # would show stale totals. Force runs until the log is quiet.
            log_file = tex.with_suffix(".log")
            for _ in range(3):
                if result.returncode != 0 or not log_file.exists() or RERUN not in log_file.read_text(errors="replace"):
                    break
                result = subprocess.run(command[:1] + ["-g"] + command[1:], cwd=tmp, env=env, stdin=subprocess.DEVNULL,
                                        capture_output=True, text=True, errors="replace", timeout=300)
        except subprocess.TimeoutExpired:
            raise RenderError(f"latexmk did not finish {name}.tex in 300 s; "
                              "build with --format tex to see the LaTeX source") from None
        pdf = tex.with_suffix(".pdf")
        if result.returncode != 0 or not pdf.exists():
            log = tex.with_suffix(".log")
            detail = _latex_error(log.read_text(errors="replace") if log.exists() else result.stdout + result.stderr)
            missing_file = re.search(r"File `([^']+)' not found", detail)
            if missing_file and missing_file.group(1) == "exam.cls":
                raise EngineMissingError(
                    "the LaTeX exam class (exam.cls) is not installed; on Debian or Ubuntu: "
                    "sudo apt-get install texlive-latex-extra")
            if missing_file:
                raise EngineMissingError(
                    f"the LaTeX file {missing_file.group(1)} is not installed; on Debian or Ubuntu: "
                    f"sudo apt-get install {TEX_PACKAGES}")
            raise RenderError(f"latexmk failed on {name}.tex: {detail}; "
                              "build with --format tex to see the LaTeX source")
        return pdf.read_bytes()


def _latex_error(log: str) -> str:
    """The first error in a LaTeX log (written with -file-line-error and a
    long max_print_line), with the source line TeX stopped at."""
    import re

    lines = log.splitlines()
    for i, line in enumerate(lines):
        found = re.match(r"(?:\S*\.(?:tex|cls|sty):\d+:|!)\s*(.*)", line)
        if not found or "==> Fatal error occurred" in line or not found.group(1):
            continue
        message = found.group(1).strip()
        for follow in lines[i + 1:i + 15]:
            at = re.match(r"l\.(\d+) (.*)", follow)
            if at:
                # "LaTeX Error: ..." and package errors explain themselves;
                # for TeX's own ("Undefined control sequence") show the text.
                context = at.group(2).strip()
                context = context if len(context) <= 60 else "..." + context[-57:]
                message += f" (line {at.group(1)})" if " Error: " in message else f" (line {at.group(1)}: {context})"
                break
        return message
    return "see the LaTeX log (latexmk gave no error message)"
