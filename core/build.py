"""A whole build: draw and solve every version, render every requested
format, and write the output directory atomically.

Costs are measured in bench/build.py: pandoc runs once per output format (and
once more for the spec's own text), all at the same time; Typst compiles the
PDFs in worker processes, one per core, started at the beginning so their
start-up overlaps drawing and converting. Every external step is bounded and
ended with genexam (:mod:`genexam.processes`)."""

from __future__ import annotations

import contextlib
import os
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Sequence, TextIO

from . import processes
from .answers import answers_document
from .export import FORMATS as EXPORT_FORMATS, export_files
from .instances import Instance, make_version
from .registry import Registry
from .render import pandoc
from .render.document import SpecText, document
from .render.layout import render_layout
from .output import check_output_dir
from .progress import BuildProgress
from .render.pdf import TypstResult, figure_pdfs, latex_pdf, pdf_timestamp, require_latex, typst_pdfs
from .render.references import check_references
from .render.workers import TypstPool
from .errors import GenexamError
from .spec import ProblemSet
from .templating import ProblemText, instance_figures, render_versions

if TYPE_CHECKING:
    from .copies import CopyPlan

KINDS = ("exam", "key")
PANDOC_FORMATS = {"tex": "latex", "typ": "typst"}


@dataclass
class BuildResult:
    out_dir: Path
    files: dict[str, bytes]
    warnings: list[str] = field(default_factory=list)
    versions: int = 0  # how many versions were built (a roster's `version` column may name more than the spec)
    students: int | None = None  # with a roster: how many copies
    shared: bool = True  # with a roster: students share versions (else each has an instance of their own)


def build(spec: ProblemSet, registry: Registry, out_dir: Path, key: bool = True,
          write: bool = True, warn: TextIO | None = sys.stderr, quiet: bool = False,
          cache: bool = True) -> BuildResult:
    """Build ``spec`` into ``out_dir`` (formats and engine from the spec).
    Nothing is written until every file has been made. With a roster, one
    copy per student (genexam.copies); ``cache`` reuses pandoc's and the PDF
    engine's results for unchanged inputs (genexam.cache); ``quiet`` hides the
    progress bar."""
    require_tools(spec)  # before any work: minutes of drawing and rendering would be wasted
    formats = set(spec.formats)
    if not key and formats <= {"json"}:
        raise GenexamError("nothing to write: --no-key leaves out answers.json, and json is the only format "
                           "asked for; add a format (--format md,tex,typ,pdf) or drop --no-key")
    if write:
        check_output_dir(out_dir)
    timestamp = pdf_timestamp(spec.date)
    pdf_source = "tex" if spec.engine == "latex" else "typ"
    plan = _copy_plan(spec, warn, quiet, cache)  # reads and checks the roster: before any process starts
    # Typst's workers start now: they load while the versions are drawn.
    typst_pool = TypstPool(min(os.cpu_count() or 1, 2 * spec.versions if key else spec.versions))
    if "pdf" in formats and pdf_source == "typ":
        typst_pool.start()
    progress = BuildProgress(_pdf_count(spec, plan, key), "copies and keys" if plan else "PDFs", quiet=quiet)
    with progress:
        with typst_pool:
            if plan:
                plan.progress = progress
            files, warnings = _make_files(spec, registry, key, formats, pdf_source, timestamp, typst_pool, plan,
                                          cache, progress)
        if plan:
            files.update(plan.finish(files, spec.formats))

    if warn is not None:
        for line in warnings:
            print(f"genexam: warning: {line}", file=warn)
    if write:
        from .output import write_atomically

        write_atomically(out_dir, files)
    if plan:
        return BuildResult(out_dir, dict(sorted(files.items())), warnings, len(plan.labels) if plan.shared else 0,
                           len(plan.copies), plan.shared)
    return BuildResult(out_dir, dict(sorted(files.items())), warnings, spec.versions)


def _make_files(spec: ProblemSet, registry: Registry, key: bool, formats: set[str], pdf_source: str,
                timestamp: int, typst_pool: TypstPool, plan: "CopyPlan | None" = None,
                cache: bool = True, progress: BuildProgress | None = None) -> tuple[dict[str, bytes], list[str]]:
    """Every output file of the build (name -> bytes), and the PDF engine's warnings."""
    labels = spec.version_labels
    solved: dict = {}
    versions = plan.versions(solved) if plan else {label: make_version(spec, label, solved) for label in labels}
    documents = plan.documents if plan else _documents
    texts = render_versions(versions, registry.filters)
    kinds = KINDS if key else KINDS[:1]
    wanted = sorted(f for f in PANDOC_FORMATS if f in formats or ("pdf" in formats and f == pdf_source))
    files: dict[str, bytes] = {}
    warnings: list[str] = []
    figures = _figures_shown(versions, texts, key)
    svg_files = {path: svg.encode() for path, svg in figures.items()}
    # LaTeX reads figures as PDF: needed for the .tex output and for latexmk.
    latex_figures = "tex" in formats or ("pdf" in formats and pdf_source == "tex")
    made_figures = {path for instance in (i for v in versions.values() for i in v)
                    for path in instance_figures(instance)}

    # pandoc runs in its own processes; meanwhile this thread writes the
    # Markdown and JSON, and then lays out one format while Typst compiles
    # the other's PDFs in its workers.
    with ThreadPoolExecutor(max_workers=max(1, 2 * len(wanted))) as pool, _ended_on_error(typst_pool):
        convert_many = pandoc.convert_many
        if cache:  # genexam.cache: unchanged text is converted and typeset once
            from .cache import cached_convert

            convert_many = cached_convert(convert_many)
        conversions = {fmt: _convert(pool, spec, versions, texts, fmt, made_figures, key, convert_many)
                       for fmt in wanted}
        # answers.json, made once: written as it is, and read by the exports (moodle, qti, html: core/export/)
        answers_text = answers_document(spec, versions) if key and formats & {"json", *EXPORT_FORMATS} else None
        exported = pool.submit(export_files, spec, versions, texts, key, answers_text)
        figure_pdf_files = pool.submit(figure_pdfs, figures, timestamp, pool=typst_pool) \
            if latex_figures and figures else None
        if "md" in formats or "typ" in formats:
            files.update(svg_files)
        if "json" in formats and key:  # answers.json is a key too: not in a folder of exams only
            files["answers.json"] = answers_text.encode()
        if "md" in formats:
            spec_md = SpecText(*(pandoc.escape_markdown(t, inline=True) for t in (spec.title, spec.course, spec.date)),
                               spec.instructions.strip())
            files.update({f"{name}.md": text.encode()
                          for name, text in documents("md", spec, versions, texts, kinds, spec_md, str).items()})
        pdfs = None
        pdf_files: dict[str, bytes] = {}
        for fmt in sorted(wanted, key=lambda f: f != pdf_source):  # the PDF's source first
            table, spec_text, origins = conversions[fmt]()
            docs = documents(fmt, spec, versions, texts, kinds, spec_text, table.__getitem__)
            if fmt == "typ" and spec.layout == "fixed" and not plan:
                docs = _fixed_layout(spec, versions, docs, svg_files, files)
            if fmt in formats:
                files.update({f"{name}.{fmt}": text.encode() for name, text in docs.items()})
            if fmt == "tex" and figure_pdf_files is not None:
                pdf_files = {_pdf_name(path): pdf for path, pdf in figure_pdf_files.result().items()}
                if "tex" in formats:
                    files.update(pdf_files)
            if "pdf" in formats and fmt == pdf_source:
                pdfs = pool.submit(_pdf_compiler(fmt, origins, typst_pool, plan, cache, progress), docs, timestamp,
                                   svg_files if fmt == "typ" else pdf_files)
        files.update(exported.result())
        if pdfs is not None:
            for name, result in pdfs.result().items():
                files[f"{name}.pdf"] = result.pdf
                warnings += [f"{name}.{pdf_source}: {w}" for w in result.warnings]
    return files, warnings


def _pdf_compiler(fmt: str, origins: dict[str, str], typst_pool: TypstPool, plan: "CopyPlan | None",
                  cache: bool, progress: BuildProgress | None = None
                  ) -> Callable[[dict[str, str], int, dict[str, bytes]], dict[str, TypstResult]]:
    """(documents, timestamp, files) -> PDFs: Typst in the build's workers or
    latexmk, looked up in the cache first, and for a roster every student's
    copy compiled beside the keys (genexam.copies, which counts its own
    progress); else, when a progress bar is shown, in batches it counts."""
    def typst(docs: dict[str, str], timestamp: int, files: dict[str, bytes]) -> dict[str, TypstResult]:
        return typst_pdfs(docs, timestamp, files, origins, pool=typst_pool)

    compile_pdfs: Callable[..., dict[str, TypstResult]] = typst if fmt == "typ" else _latex_pdfs
    if cache:
        from .cache import cached_compile, latex_id, typst_id

        compile_pdfs = cached_compile(compile_pdfs, typst_id if fmt == "typ" else latex_id)
    if plan:
        return plan.compile_with(fmt, compile_pdfs)
    if progress is None or not progress.enabled:
        return compile_pdfs  # one batch: no core waits for another's last document

    def in_batches(docs: dict[str, str], timestamp: int, files: dict[str, bytes]) -> dict[str, TypstResult]:
        names, done = list(docs), {}
        step = 4 * (os.cpu_count() or 1)  # small batches: the bar moves, every core stays busy
        for start in range(0, len(names), step):
            batch = {name: docs[name] for name in names[start:start + step]}
            done.update(compile_pdfs(batch, timestamp, files))
            progress.advance(len(batch))
        return done

    return in_batches


def _pdf_count(spec: ProblemSet, plan: "CopyPlan | None", key: bool) -> int:
    """How many PDFs the build typesets: what its progress bar counts."""
    if "pdf" not in spec.formats:
        return 0
    keys = len(plan.labels if plan else spec.version_labels) if key else 0
    return len(plan.copies) + keys if plan else len(spec.version_labels) + keys


def _copy_plan(spec: ProblemSet, warn: TextIO | None, quiet: bool, cache: bool = True) -> "CopyPlan | None":
    """A roster's plan of copies (genexam.copies), or None without a roster."""
    if spec.layout == "fixed":
        from .fixed_layout import require_typst

        require_typst(spec)
    if spec.roster is None:
        return None
    from .copies import CopyPlan

    plan = CopyPlan.for_spec(spec, quiet=quiet, cache=cache)
    if plan and plan.note and warn is not None:
        print(f"genexam: note: {plan.note}", file=warn)
    return plan


def _fixed_layout(spec: ProblemSet, versions: dict[str, list[Instance]], docs: dict[str, str],
                  svg_files: dict[str, bytes], files: dict[str, bytes]) -> dict[str, str]:
    """Give every version's exam the same block heights (genexam.fixed_layout); adds layout.json."""
    from .fixed_layout import settle

    docs, layout = settle(spec, versions, docs, svg_files)
    files["layout.json"] = layout.document(max(box["page"] for box in layout.boxes) if layout.boxes else 1)
    return docs


@contextlib.contextmanager
def _ended_on_error(typst_pool: TypstPool) -> Iterator[None]:
    """Inside the thread pool: on an error, end what its threads wait on
    before the pool waits for them; on an interrupt, every child of genexam
    (even when its signal handlers are not installed, as in a library call)."""
    try:
        yield
    except KeyboardInterrupt:
        processes.stop_all()
        raise
    except BaseException:
        typst_pool.close()
        raise


def require_tools(spec: ProblemSet) -> None:
    """Stop with install instructions if the spec's PDF engine is missing
    (Typst ships with genexam; LaTeX needs a TeX installation)."""
    if "pdf" in spec.formats and spec.engine == "latex":
        require_latex()


def _convert(pool: ThreadPoolExecutor, spec: ProblemSet, versions: dict[str, list[Instance]],
             texts: dict[str, list[ProblemText]], fmt: str, made_figures: set[str], key: bool = True,
             convert_many: Callable[..., list[str]] = pandoc.convert_many
             ) -> Callable[[], tuple[dict[str, str], SpecText, dict[str, str]]]:
    """Start converting every fragment, and the spec's own text, to ``fmt``;
    the returned function waits for the results (in the caller's thread, so
    no pool worker ever waits on another), checks that no text refers to a
    file the build did not make, and returns the conversions, the spec's text
    and where each converted text comes from."""
    fragments: list[str] = []
    sources: list[str] = []
    for label, problems in texts.items():
        for instance, t in zip(versions[label], problems):
            where = f"version {label}, question {instance.number} ({instance.problem.id})"
            fragments.append(t.statement)
            sources.append(where)
            for part in t.parts:
                fragments.append(part.statement)
                sources.append(f"{where}, part {part.id}")
                if key:  # an exam-only build converts no solutions: wasted work, never printed
                    fragments.append(part.solution)
                    sources.append(f"{where}, the solution of part {part.id}")
    spec_fields = [pandoc.escape_markdown(spec.title), pandoc.escape_markdown(spec.course),
                   pandoc.escape_markdown(spec.date), spec.instructions]
    spec_sources = [f"the spec's {name}" for name in ("title", "course", "date", "instructions")]
    body = pool.submit(convert_many, fragments, PANDOC_FORMATS[fmt], pandoc.FAMILY_READER, sources)
    head = pool.submit(convert_many, spec_fields, PANDOC_FORMATS[fmt], pandoc.SPEC_READER, spec_sources)

    def collect() -> tuple[dict[str, str], SpecText, dict[str, str]]:
        converted = body.result()
        spec_text = head.result()
        check_references(fmt, [*converted, *spec_text], [*sources, *spec_sources], made_figures)
        if fmt == "tex":
            converted = [_latex_figure(text) for text in converted]
        origins: dict[str, str] = {}
        for text, source in zip([*spec_text, *converted], [*spec_sources, *sources]):
            origins.setdefault(text, source)
        return dict(zip(fragments, converted)), SpecText(*spec_text), origins

    return collect


def _figures_shown(versions: dict[str, list[Instance]], texts: dict[str, list[ProblemText]],
                   key: bool) -> dict[str, str]:
    """The figures (path -> SVG) the built documents show: a figure placed in
    a solution is written only when keys are, so an exam never leaks it."""
    shown: dict[str, str] = {}
    for label, instances in versions.items():
        for instance, text in zip(instances, texts[label]):
            candidates = instance_figures(instance)
            if not candidates:
                continue
            fragments = [text.statement, *(p.statement for p in text.parts)]
            if key:
                fragments += [p.solution for p in text.parts]
            shown.update({path: svg for path, svg in candidates.items() if any(path in f for f in fragments)})
    return dict(sorted(shown.items()))


#: pandoc writes an SVG image as \includesvg (which needs Inkscape); the
#: build ships a PDF of each figure instead.
_INCLUDESVG = re.compile(r"\\includesvg(\[[^\]]*\])?\{(figures/[^{}]+)\.svg\}")


def _pdf_name(svg_path: str) -> str:
    return svg_path[: -len(".svg")] + ".pdf"


def _latex_figure(text: str) -> str:
    return _INCLUDESVG.sub(lambda m: f"\\includegraphics{m.group(1) or ''}{{{m.group(2)}.pdf}}", text)


def _documents(fmt: str, spec: ProblemSet, versions: dict[str, list[Instance]],
               texts: dict[str, list[ProblemText]], kinds: Sequence[str], spec_text: SpecText,
               convert: Callable[[str], str]) -> dict[str, str]:
    """Every exam and key of one format: name (e.g. key-B) -> text."""
    return {
        f"{kind}-{label}": render_layout(fmt, document(spec, label, versions[label], texts[label], spec_text,
                                                       kind == "key", convert))
        for label in versions for kind in kinds
    }


def _latex_pdfs(docs: dict[str, str], timestamp: int, files: dict[str, bytes]) -> dict[str, TypstResult]:
    """latexmk on every document, one process per core at a time."""
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        pdfs = pool.map(lambda item: latex_pdf(item[1], item[0], timestamp, files), docs.items())
        return {name: TypstResult(pdf, ()) for name, pdf in zip(docs, pdfs)}
