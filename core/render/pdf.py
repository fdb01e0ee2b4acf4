"""PDF engines: Typst in worker processes (default, fonts bundled, no TeX
needed) and latexmk on the LaTeX output when a TeX installation is present.
Both are bounded: see :mod:`genexam.processes` and :mod:`genexam.render.workers`."""

from __future__ import annotations

import datetime
import os
import re
import shutil
from pathlib import Path
from typing import Mapping

from .. import processes
from ..errors import EngineMissingError, GenexamError, RenderError
from .workers import TypstCrashed, TypstFailed, TypstJob, TypstPool, TypstResult

__all__ = ["TypstResult", "pdf_timestamp", "typst_pdfs", "figure_pdfs", "svg_to_pdf", "latex_pdf", "require_latex"]

#: What a LaTeX log says while cross-references or point totals are still settling.
RERUN = "Rerun to get"

#: Debian packages that provide latexmk and the exam class.
TEX_PACKAGES = "latexmk texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended lmodern"

#: The last second of the year 9999: PDF dates have four-digit years.
MAX_TIMESTAMP = 253402300799


def pdf_timestamp(date_text: str) -> int:
    """A fixed creation time so the same spec gives the same PDF bytes:
    SOURCE_DATE_EPOCH if set, else the spec's ISO date, else 0."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        if not (epoch.isascii() and epoch.isdigit() and len(epoch) <= 12 and int(epoch) <= MAX_TIMESTAMP):
            shown = epoch if len(epoch) <= 30 else epoch[:27] + "..."
            raise GenexamError(f"SOURCE_DATE_EPOCH={shown}: expected whole seconds since 1970 between 0 and "
                               f"{MAX_TIMESTAMP} (the end of year 9999); unset it or give such a number")
        return int(epoch)
    try:
        day = datetime.date.fromisoformat(date_text.strip())
    except ValueError:
        return 0
    return int(datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.timezone.utc).timestamp())


def typst_pdfs(sources: Mapping[str, str], timestamp: int, files: Mapping[str, bytes] | None = None,
               texts: Mapping[str, str] | None = None, *, pool: TypstPool | None = None,
               doc_files: Mapping[str, Mapping[str, bytes]] | None = None) -> dict[str, TypstResult]:
    """Compile many Typst documents (name -> source) to PDF in ``pool``'s
    worker processes. ``files`` (path -> bytes) are all the documents may read,
    such as figures; fonts are Typst's bundled ones plus installed fonts for
    characters those lack (:mod:`genexam.render.fonts`). ``texts`` (Typst
    text -> where it comes from) lets a crash name the text at fault.
    ``doc_files`` (name -> path -> bytes) adds files of one document only,
    such as a student's QR code. Without ``pool``, a pool is started for this call."""
    if pool is None:
        with TypstPool(min(len(sources), os.cpu_count() or 1)) as own:
            return typst_pdfs(sources, timestamp, files, texts, pool=own, doc_files=doc_files)
    from .fonts import font_dirs_for

    font_dirs = font_dirs_for(pool, sources)
    jobs = [TypstJob(name, source, (doc_files or {}).get(name, {})) for name, source in sources.items()]
    try:
        results = pool.compile(jobs, timestamp, files, font_dirs)
    except TypstCrashed as exc:
        culprit = _crashing_text(pool, sources[exc.document], texts or {}, timestamp, files)
        if culprit:
            raise RenderError(f"{exc}\nThe text at fault: {culprit}.") from None
        raise
    except TypstFailed as exc:
        culprit = _text_at_line(sources[exc.document], exc.line, texts or {})
        if culprit:
            raise RenderError(f"{exc}\nThe text at fault: {culprit}; change it.") from None
        raise RenderError(f"{exc}\nThe {exc.document}.typ file (--format typ) shows the source; when the text "
                          "at fault is your spec's or bank's, change it, else this is a bug in genexam's "
                          "family templates or layout.") from None
    return dict(zip(sources, results))


def svg_to_pdf(svg: str, timestamp: int, *, pool: TypstPool | None = None) -> bytes:
    """One figure's SVG as a one-page PDF (see :func:`figure_pdfs`)."""
    return figure_pdfs({"figure.svg": svg}, timestamp, pool=pool)["figure.svg"]


def _text_at_line(document: str, line: int | None, texts: Mapping[str, str]) -> str | None:
    """Where the text comes from that holds ``line`` of ``document``, if one does."""
    lines = document.splitlines()
    if not line or line > len(lines) or not lines[line - 1].strip():
        return None
    wanted = lines[line - 1].strip()
    return next((origin for text, origin in texts.items() if wanted in text and text in document), None)


def _crashing_text(pool: TypstPool, document: str, texts: Mapping[str, str], timestamp: int,
                   files: Mapping[str, bytes] | None) -> str | None:
    """Where the text comes from that crashes Typst (or runs past its
    time-out) on its own, among the texts ``document`` shows; None if none does."""
    for text, origin in texts.items():
        if not text.strip() or text not in document:
            continue
        try:
            pool.compile([TypstJob(origin, text)], timestamp, files)
        except TypstCrashed:
            return origin
        except RenderError:
            continue
    return None


def figure_pdfs(figures: Mapping[str, str], timestamp: int, *, pool: TypstPool | None = None) -> dict[str, bytes]:
    """Each figure's SVG (path -> SVG) as a one-page PDF of the same size, for
    LaTeX (which cannot read SVG without Inkscape); Typst draws them."""
    if pool is None:
        with TypstPool(1) as own:
            return figure_pdfs(figures, timestamp, pool=own)
    page = '#set page(width: auto, height: auto, margin: 0pt)\n#image("figure.svg")\n'
    jobs = [TypstJob(f"the figure {path}", page, {"figure.svg": svg.encode("utf-8")}) for path, svg in figures.items()]
    results = pool.compile(jobs, timestamp)
    for path, result in zip(figures, results):
        if result.warnings:
            raise RenderError(f"Typst could not convert the figure {path} to PDF: {'; '.join(result.warnings)}")
    return {path: result.pdf for path, result in zip(figures, results)}


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
    same for the same source and timestamp. latexmk and its pdflatex run in
    one process group, killed as a whole at the time-out (GENEXAM_TIMEOUT_LATEX
    seconds for the document) or on an interrupt; the scratch folder goes too."""
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
    timeout = processes.timeout_seconds("latex")
    with processes.scratch_dir("genexam-latex-") as tmp:
        tex = Path(tmp) / f"{name}.tex"
        tex.write_text(source, encoding="utf-8")
        for path, data in (files or {}).items():
            (Path(tmp) / path).parent.mkdir(parents=True, exist_ok=True)
            (Path(tmp) / path).write_bytes(data)
        what = f"latexmk (pdflatex) on {name}.tex"
        try:
            result = processes.run(command, cwd=tmp, env=env, timeout=timeout, what=what)
            # latexmk can stop while the exam class still asks for a rerun
            # (points per page move as page breaks settle): the grade table
            # would show stale totals. Force runs until the log is quiet.
            log_file = tex.with_suffix(".log")
            for _ in range(3):
                if result.returncode != 0 or not log_file.exists() or RERUN not in log_file.read_text(errors="replace"):
                    break
                result = processes.run(command[:1] + ["-g"] + command[1:], cwd=tmp, env=env, timeout=timeout,
                                       what=what)
        except processes.ToolTimeout as exc:
            raise processes.ToolTimeout(f"{exc}; a macro that never ends (such as \\def\\x{{\\x}}\\x) "
                                        "or a very long document does this; build with --format tex to see "
                                        "the LaTeX source") from None
        pdf = tex.with_suffix(".pdf")
        if result.returncode != 0 or not pdf.exists():
            log = tex.with_suffix(".log")
            output = (result.stdout + result.stderr).decode(errors="replace")
            detail = _latex_error(log.read_text(errors="replace") if log.exists() else output, output)
            missing_file = re.search(r"File `([^']+)' not found", detail)
            if missing_file and missing_file.group(1) == "exam.cls":
                raise EngineMissingError(
                    "the LaTeX exam class (exam.cls) is not installed; on Debian or Ubuntu: "
                    "sudo apt-get install texlive-latex-extra")
            if missing_file and missing_file.group(1).endswith((".sty", ".cls")):
                raise EngineMissingError(
                    f"the LaTeX package file {missing_file.group(1)} is not installed; on Debian or Ubuntu: "
                    f"sudo apt-get install {TEX_PACKAGES}")
            if missing_file:
                raise RenderError(
                    f"{name}.tex reads the file {missing_file.group(1)}, which genexam did not make: "
                    "a document may only show the figures a family draws; remove that path from the text")
            raise RenderError(f"latexmk failed on {name}.tex: {detail}; "
                              "build with --format tex to see the LaTeX source")
        return pdf.read_bytes()


def _latex_error(log: str, output: str = "") -> str:
    """The first error in a LaTeX log (written with -file-line-error and a
    long max_print_line), with the source line TeX stopped at; else the end of
    latexmk's own output (the log is gone with the scratch folder)."""
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
    tail = [line.strip() for line in output.splitlines() if line.strip()][-3:]
    return "latexmk gave no error message" + (f"; it ended with: {' / '.join(tail)}" if tail else "")
