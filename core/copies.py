"""Paper copies for a class: one stamped exam per student of a roster.

With a roster, the build makes ``exam-<id>.pdf`` for every student (their
name and id on page 1; version, id, page and a QR code on every page), the
keys (per version, or per student when each has an instance of their own),
and ``print.pdf``: every copy in roster order, each padded to an even page
count for duplex printing, made by joining the copies' PDFs (nothing is
typeset twice).

A page's QR code holds its page number, so a copy's Typst source carries
one code per page. How many pages a copy has is known only once Typst has
laid it out; so the first copy of each version (or the first few copies,
when every student has their own instance) is compiled with codes for
QR_GUESS pages, and the others with codes for exactly as many pages as
those had. A copy that still comes out longer is set again with enough
codes (the count is reported in the tests; it is rare: only a version's
own text decides its length).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import json
import os
import re
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from .errors import GenexamError
from .fixed_layout import FixedLayout
from .instances import Instance, make_version
from .cache import cached_bytes
from .progress import BuildProgress
from .render.document import CopyStamp, DocumentView, SpecText, document
from .render.layout import render_layout
from .render.pdf import TypstResult, pdf_timestamp
from .render import stamp as stamps
from .roster import Roster, Student, assign_versions, read_roster
from .spec import ProblemSet
from .templating import ProblemText

#: QR codes made for a copy whose page count is not known yet.
QR_GUESS = 16

Compile = Callable[[Mapping[str, str], int, Mapping[str, bytes]], Mapping[str, TypstResult]]


@dataclass(frozen=True)
class Copy:
    """One student's copy."""

    student: Student
    index: int  # position in the roster
    label: str  # which drawn instances it prints (a version label, or the student's file id)
    version: str  # the version it shows and its QR codes hold

    @property
    def name(self) -> str:
        return f"exam-{self.student.file_id}"


class CopyPlan:
    """Who gets which copy, and the hooks the build calls to draw, lay out,
    compile and join the copies."""

    def __init__(self, spec: ProblemSet, roster: Roster, quiet: bool = False, cache: bool = True):
        self.spec = spec
        self.cache = cache
        self.roster = roster
        self.quiet = quiet
        # Students share versions when the spec names a number of them or
        # the roster assigns them; otherwise each gets their own instance.
        self.shared = spec.versions_given or any(s.version for s in roster.students)
        if self.shared:
            self.labels, assignment = assign_versions(
                roster, spec.version_labels if spec.versions_given else None, spec.seed)
            self.copies = [Copy(s, i, assignment[s.id], assignment[s.id]) for i, s in enumerate(roster.students)]
        else:
            self.labels = [s.file_id for s in roster.students]
            self.copies = [Copy(s, i, s.file_id, s.id) for i, s in enumerate(roster.students)]
        stamps.require_fonts_for({f"{roster.path}:{s.line}": s.name + s.id for s in roster.students})
        self.digest = stamps.spec_digest(_spec_bytes(spec), spec.seed,
                                         ",".join(self.labels) if self.shared else "per-student")
        self._views: dict[tuple[str, str, bool], DocumentView] = {}
        self._qr: dict[str, dict[str, list[str]]] = {}  # copy -> format -> per page: its QR code
        self._latex_files: dict[str, bytes] = {}  # names LaTeX cannot typeset, as PDFs
        self.pages: dict[str, int] = {}  # copy name -> its page count, as compiled
        self.pdf_format = ""  # the format the PDFs were compiled from
        self.sources: dict[str, str] = {}  # copy's final source file name -> text
        self.recompiled = 0  # copies set a second time for want of QR codes (see module doc)
        self.timestamp = pdf_timestamp(spec.date)
        self._versions: dict[str, list[Instance]] = {}
        self.fixed: FixedLayout | None = None  # the shared block heights, with layout: fixed
        self.progress: BuildProgress | None = None  # the build's bar, when it has one

    @classmethod
    def for_spec(cls, spec: ProblemSet, quiet: bool = False, cache: bool = True) -> "CopyPlan | None":
        """The plan for ``spec``'s roster, or None when it has none."""
        if spec.roster is None:
            return None
        return cls(spec, read_roster(spec.roster), quiet, cache)

    @property
    def note(self) -> str:
        return self.roster.note

    # -- drawing -----------------------------------------------------------------

    def versions(self, solved: dict[Any, Any]) -> dict[str, list[Instance]]:
        """The instances each label prints: per version, or per student drawn
        from (seed, student id), so adding a student changes no one else's."""
        if self.shared:
            self._versions = {label: make_version(self.spec, label, solved) for label in self.labels}
        else:
            self._versions = {c.label: make_version(self.spec, f"student:{c.student.id}", solved) for c in self.copies}
        return self._versions

    # -- laying out ----------------------------------------------------------------

    def documents(self, fmt: str, spec: ProblemSet, versions: Mapping[str, Sequence[Instance]],
                  texts: Mapping[str, Sequence[ProblemText]], kinds: Sequence[str], spec_text: SpecText,
                  convert: Callable[[str], str]) -> dict[str, str]:
        """Every document of one format: the keys, and each student's exam
        (in Markdown, one exam per version: it is not a printed copy). An
        exam here is a placeholder: :meth:`compile` and :meth:`finish` lay
        it out once its page count, and so its QR codes, are known."""
        for label in versions:
            for kind in kinds:
                self._views[(fmt, label, kind == "key")] = document(
                    spec, label, versions[label], texts[label], spec_text, kind == "key", convert)
        if fmt == "md":
            return {f"{kind}-{label}": render_layout(fmt, self._views[(fmt, label, kind == "key")])
                    for label in versions for kind in kinds}
        out = {}
        if "key" in kinds:
            for label in versions:
                out[f"key-{label}"] = render_layout(fmt, self._key_view(fmt, label))
        for copy in self.copies:
            # Laid out in compile() (the PDF's source) or finish() (the other
            # format), once the page counts, and so the QR codes, are known.
            out[copy.name] = f"(the exam of {copy.student.id}: set once its page count is known)\n"
        return out

    def _printed(self, fmt: str, text: str) -> str:
        """Text from the roster as the format prints it, exactly as written."""
        if fmt == "typ":
            return stamps.typst_string(text)
        if stamps.latex_can_print(text):
            return stamps.latex_text(text)
        path = f"names/{hashlib.sha256(text.encode()).hexdigest()[:16]}.pdf"
        if path not in self._latex_files:
            self._latex_files[path] = stamps.name_pdf(text, self.timestamp)
        return f"\\raisebox{{-0.27em}}{{\\includegraphics{{{path}}}}}"

    def _version_markup(self, fmt: str, version: str) -> str:
        """The version in the layout's running text (a label needs no escaping; a student id may)."""
        if self.shared:
            return version
        return "#" + stamps.typst_string(version) if fmt == "typ" else self._printed(fmt, version)

    def _key_view(self, fmt: str, label: str) -> DocumentView:
        view = self._views[(fmt, label, True)]
        copy = None if self.shared else next(c for c in self.copies if c.label == label)
        version = label if copy is None else copy.version
        stamp = CopyStamp(name=self._printed(fmt, ""), student_id=self._printed(fmt, copy.student.id if copy else ""),
                          version=self._printed(fmt, version), has_id=copy is not None)
        return dataclasses.replace(view, version=self._version_markup(fmt, version), stamp=stamp)

    def _render_copy(self, fmt: str, copy: Copy, qr_pages: int) -> str:
        """A student's exam in ``fmt`` with QR codes for pages 1..qr_pages."""
        view = self._views[(fmt, copy.label, False)]
        codes = self._qr_codes(copy, qr_pages)[fmt]
        stamp = CopyStamp(name=self._printed(fmt, copy.student.name), student_id=self._printed(fmt, copy.student.id),
                          version=self._printed(fmt, copy.version),
                          qr=tuple(map(stamps.typst_string, codes) if fmt == "typ" else codes))
        text = render_layout(fmt, dataclasses.replace(view, version=self._version_markup(fmt, copy.version),
                                                      stamp=stamp))
        return self.fixed.apply(text) if self.fixed and fmt == "typ" else text

    def _qr_codes(self, copy: Copy, pages: int) -> dict[str, list[str]]:
        """The copy's QR codes for pages 1..pages, as SVG (Typst) and as
        rules (LaTeX): encoded once per page, and cached per copy (a class
        has thousands of pages; reading one entry beats encoding eight)."""
        made = self._qr.get(copy.name)
        if made is None or len(made["typ"]) < pages:
            payloads = [stamps.qr_payload(self.digest, copy.version, copy.student.id, page)
                        for page in range(1, pages + 1)]

            def draw() -> bytes:
                return json.dumps({"typ": [stamps.qr_svg(p) for p in payloads],
                                   "tex": [stamps.qr_tex(p) for p in payloads]}).encode()

            made = json.loads(cached_bytes("qr", payloads, draw, self.cache))
            self._qr[copy.name] = made
        return {fmt: codes[:pages] for fmt, codes in made.items()}

    # -- compiling -----------------------------------------------------------------

    def compile(self, fmt: str, compile_many: Compile, docs: Mapping[str, str], timestamp: int,
                files: Mapping[str, bytes]) -> dict[str, TypstResult]:
        """Compile the keys in ``docs`` and every student's copy (see the
        module doc for the QR codes), showing progress on a terminal."""
        self.pdf_format = fmt
        keys = {name: source for name, source in docs.items() if name.startswith("key-")}
        results: dict[str, TypstResult] = {}
        sizes: dict[str, int] = {}
        workers = os.cpu_count() or 1

        def render(group: Sequence[Copy], qr_pages: Callable[[Copy], int]) -> tuple[dict[str, str], dict[str, bytes]]:
            batch = {}
            for copy in group:
                sizes[copy.name] = qr_pages(copy)
                batch[copy.name] = self._render_copy(fmt, copy, sizes[copy.name])
                self.sources[f"{copy.name}.{fmt}"] = batch[copy.name]
            return batch, {**files, **(self._latex_files if fmt == "tex" else {})}

        def run(copies: Sequence[Copy], qr_pages: Callable[[Copy], int], extra: Mapping[str, str],
                bar: BuildProgress) -> None:
            step = 4 * workers  # small batches: the bar moves, every core stays busy
            groups = [copies[start:start + step] for start in range(0, len(copies), step)] or [[]]
            # A thread lays out the next batch (its QR codes are most of the
            # work) while Typst's workers set this one.
            with ThreadPoolExecutor(max_workers=1) as renderer:
                upcoming = renderer.submit(render, groups[0], qr_pages)
                for index in range(len(groups)):
                    chunk, chunk_files = upcoming.result()
                    if index + 1 < len(groups):
                        upcoming = renderer.submit(render, groups[index + 1], qr_pages)
                    if index == 0:
                        chunk = {**extra, **chunk}
                    results.update(compile_many(chunk, timestamp, chunk_files))
                    for name in chunk:
                        if not name.startswith("key-"):
                            self.pages[name] = _page_count(results[name].pdf)
                    bar.advance(len(chunk))

        with contextlib.ExitStack() as stack:
            bar = self.progress or stack.enter_context(
                BuildProgress(len(self.copies) + len(keys), "copies and keys", quiet=self.quiet))
            if self.shared:
                first = list({c.label: c for c in reversed(self.copies)}.values())[::-1]
            else:
                first = self.copies[:workers]
            measured = first if self.shared else self.copies  # fixed layout: every distinct instance
            if fmt == "typ" and self.spec.layout == "fixed":
                self._settle_fixed_layout(measured, files)
            run(first, lambda c: QR_GUESS, keys, bar)
            by_label = {c.label: self.pages[c.name] for c in first}
            longest = max(self.pages.values())
            rest = [c for c in self.copies if c.name not in self.pages]
            run(rest, lambda c: by_label[c.label] if self.shared else longest + 1, {}, bar)
            for _ in range(3):
                short = [c for c in self.copies if self.pages[c.name] > sizes[c.name]]
                if not short:
                    break
                self.recompiled += len(short)
                bar.total += len(short)
                run(short, lambda c: self.pages[c.name], {}, bar)
        if self.fixed and len({self.pages[c.name] for c in self.copies}) > 1:
            counts = sorted({self.pages[c.name] for c in self.copies})
            raise GenexamError(f"layout: fixed: the copies have {' or '.join(map(str, counts))} pages; this is a "
                               "bug in the fixed layout: please report it with the spec and roster")
        return results

    def _settle_fixed_layout(self, first: Sequence[Copy], files: Mapping[str, bytes]) -> None:
        """Measure one copy of each version (or each student's own) and fix the shared block heights."""
        layout = FixedLayout(self.spec, self._versions)
        layout.measure({c.version: self._render_copy("typ", c, 0) for c in first}, files)
        self.fixed = layout
        layout.record({c.version: self._render_copy("typ", c, 0) for c in first}, files)

    def compile_with(self, fmt: str, compile_many: Compile) -> Callable[..., dict[str, TypstResult]]:
        """``compile`` in the shape of the build's PDF functions (docs, timestamp, files)."""
        return lambda docs, timestamp, files: self.compile(fmt, compile_many, docs, timestamp, files or {})

    # -- the rest of the output ----------------------------------------------------------

    def finish(self, files: Mapping[str, bytes], formats: Sequence[str]) -> dict[str, bytes]:
        """The files a roster adds or replaces: each copy's final source,
        names for LaTeX (a script pdfLaTeX cannot set), print.pdf and the
        roster in answers.json."""
        out: dict[str, bytes] = {}
        for fmt in ("typ", "tex"):
            if fmt not in formats:
                continue
            for copy in self.copies:
                # A source not compiled here gets codes for as many pages as its compiled copy has.
                name = f"{copy.name}.{fmt}"
                text = self.sources.get(name) or self._render_copy(fmt, copy, self.pages.get(copy.name, QR_GUESS))
                out[name] = text.encode()
            if fmt == "tex":
                out.update(self._latex_files)
        if "pdf" in formats and self.pages:
            copies = [files[f"{copy.name}.pdf"] for copy in self.copies]
            out["print.pdf"] = cached_bytes("print.pdf", [self.spec.title, *copies],
                                            lambda: self.print_pdf(files), self.cache)
        if self.fixed is not None:
            out["layout.json"] = self.fixed.document(max(self.pages.values(), default=1))
        if "answers.json" in files:
            out["answers.json"] = self.answers_json(files["answers.json"])
        return out

    def print_pdf(self, files: Mapping[str, bytes]) -> bytes:
        """Every copy in roster order, each padded with a blank page to an
        even count (duplex: no copy starts on the back of another's page).
        Joined by pikepdf (qpdf): the copies' pages are copied, not set again."""
        import pikepdf

        joined = pikepdf.new()
        versions: list[str] = []
        with contextlib.ExitStack() as opened:  # the copies stay open until the joined file is written
            for copy in self.copies:
                source = opened.enter_context(pikepdf.open(io.BytesIO(files[f"{copy.name}.pdf"])))
                with warnings.catch_warnings():
                    # pikepdf warns that named destinations and form fields are not
                    # carried over: a copy has neither that matters on paper, and
                    # add_pages_from(), which carries them, takes twice as long.
                    warnings.simplefilter("ignore")
                    joined.pages.extend(source.pages)
                if len(source.pages) % 2:
                    x0, y0, x1, y1 = (float(v) for v in source.pages[-1].mediabox)
                    joined.add_blank_page(page_size=(x1 - x0, y1 - y0))
                versions.append(source.pdf_version)
            joined.docinfo["/Title"] = f"{self.spec.title} -- all copies"
            joined.docinfo["/Producer"] = "genexam"
            out = io.BytesIO()
            joined.save(out, deterministic_id=True, min_version=max(versions, default="1.7"))
        return out.getvalue()

    def answers_json(self, answers: bytes) -> bytes:
        """answers.json with the roster: who has which version (or their own instance) and which files."""
        doc = json.loads(answers)
        doc["roster"] = {
            "file": self.roster.path.name,
            "digest": self.digest,
            "mode": "versions" if self.shared else "per-student",
            "students": [{
                "id": c.student.id, "name": c.student.name, "version": c.version,
                "instance": c.label, "exam": f"{c.name}.pdf", "key": f"key-{c.label}.pdf",
                **({"pages": self.pages[c.name]} if c.name in self.pages else {}),
            } for c in self.copies],
        }
        return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode()


_COUNT = re.compile(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)|/Count\s+(\d+)[^>]*?/Type\s*/Pages\b")


def _page_count(pdf: bytes) -> int:
    """The page count of a PDF: read from its page tree's root (the largest
    /Count of a /Pages node) when written plainly, else by pikepdf."""
    counts = [int(a or b) for a, b in _COUNT.findall(pdf)]
    if counts:
        return max(counts)
    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as document:
        return len(document.pages)


def _spec_bytes(spec: ProblemSet) -> bytes:
    try:
        return spec.path.read_bytes()
    except OSError:
        return spec.title.encode()

