"""Fixed layout (``layout: fixed``): every exam copy has the same pages, and
every question's text and every part's answer box starts on the same page
at the same place -- the one template a scanning grader (Gradescope) needs.

By construction: the Typst layout (templates/exam.typ.j2) puts each
question's text and each part's text in a block of fixed height, and every
answer box already has one. Each version is first laid out with natural
heights, which the document records (``<gx-measure>``); every block then
gets the tallest height over the versions, so all copies are the same
sequence of equally tall unbreakable blocks and break their pages alike. A
block too tall for a page stops the build, naming the problem, the version
and what to change. The final documents record where each block landed
(``<gx-box>``): layout.json, and a check that every version agrees.
"""

from __future__ import annotations

import json
import math
import os
import re
from typing import Any, Mapping, Sequence

from .errors import GenexamError, RenderError
from .instances import Instance, printed_labels
from .render import stamp
from .render.workers import TypstCrashed, TypstFailed, TypstJob, TypstPool
from .spec import ProblemSet

#: The line of the layout that genexam replaces with the measured heights.
MARKER = "#let gx-fixed = none // genexam: fixed heights"
_ID = re.compile(r"^q(\d+)([a-z]?)(-box)?$")
#: Space between a part's text and its answer box, and around them (templates/exam.typ.j2).
_GAPS_PT = 30.0


def require_typst(spec: ProblemSet) -> None:
    """Fixed layout is made by the Typst engine only: say so before any work."""
    if spec.layout == "fixed" and spec.engine == "latex" and "pdf" in spec.formats:
        raise GenexamError(f"{spec.path}: layout: fixed needs the Typst engine (the default): it measures every "
                           "version's blocks in Typst to give them one height; remove `engine: latex` "
                           "(or --engine latex), or use the flowing layout")


def _each(sources: Mapping[str, str], files: Mapping[str, bytes], selector: str) -> dict[str, list[dict[str, Any]]]:
    """What ``selector`` finds in each source (version -> source), laid out by
    Typst in worker processes: a version that crashes Typst or runs past its
    time-out is a message naming it, not the end of genexam."""
    jobs = [TypstJob(f"version {name}'s exam", source, format="query", selector=selector)
            for name, source in sources.items()]
    try:
        with TypstPool(min(len(jobs), os.cpu_count() or 1)) as pool:
            results = pool.compile(jobs, 0, files, stamp.font_folders())
    except TypstFailed as exc:
        raise GenexamError(f"Typst could not lay out {exc.document} to measure it: {exc.message}") from None
    except TypstCrashed as exc:
        raise RenderError(f"layout: fixed: {exc}") from None
    return {name: [item["value"] for item in json.loads(result.found)] for name, result in zip(sources, results)}


class FixedLayout:
    """The measured heights of a build's blocks, shared by all its copies."""

    def __init__(self, spec: ProblemSet, versions: Mapping[str, Sequence[Instance]]):
        self.spec = spec
        self.heights: dict[str, float] = {}
        self.boxes: list[dict[str, Any]] = []
        first = next(iter(versions.values()))
        self._names: dict[str, tuple[str, str]] = {}  # block id -> (problem id, printed part label)
        for instance, labels in zip(first, printed_labels(first)):
            for label in labels:
                self._names.setdefault(f"q{instance.number}{label}", (instance.problem.id, label))
            self._names.setdefault(f"q{instance.number}", (instance.problem.id, ""))

    def _describe(self, block: str) -> str:
        found = _ID.match(block)
        problem, label = self._names.get(block.removesuffix("-box"), ("?", ""))
        number = found.group(1) if found else "?"
        return f"problem '{problem}' (question {number}{f', part ({label})' if label else ''})"

    def measure(self, sources: Mapping[str, str], files: Mapping[str, bytes]) -> None:
        """Lay out each version's exam (version -> source in measuring
        mode) and keep the tallest height of every block; stop when a block
        cannot fit on a page."""
        measured = _each(sources, files, "<gx-measure>")
        tallest: dict[str, tuple[float, str]] = {}
        page = 0.0
        for version, items in measured.items():
            for item in items:
                if item["id"] == "page":
                    page = item["h"]
                elif item["h"] > tallest.get(item["id"], (-1.0, ""))[0]:
                    tallest[item["id"]] = (item["h"], version)
        self.heights = {block: math.ceil(h * 100) / 100 for block, (h, _) in sorted(tallest.items()) if not block.endswith("-box")}
        for block, (height, version) in sorted(tallest.items()):
            if block.endswith("-box"):
                continue
            # A part's text and its box are one unbreakable block; a question's
            # text and a one-part question's box are two (they may go on two pages).
            answer = tallest.get(f"{block}-box", (0.0, ""))[0]
            together = height + answer + _GAPS_PT if _ID.match(block) and _ID.match(block).group(2) else max(height, answer)
            if page and together > page:
                raise GenexamError(
                    f"{self.spec.path}: layout: fixed: {self._describe(block)} does not fit on one page in version "
                    f"{version}: its text is {height:.0f} pt tall" + (f" and its answer box {answer:.0f} pt" if answer else "")
                    + f", and a page holds {page:.0f} pt; shorten that text, lower the part's `space`, "
                    "or put the part in a problem of its own")

    def apply(self, source: str) -> str:
        """``source`` (a measuring-mode exam) with the shared heights."""
        if MARKER not in source:
            raise GenexamError("layout: fixed: the exam layout lacks its fixed-height line; "
                               "templates/exam.typ.j2 must define gx-fixed")
        heights = ", ".join(f'"{block}": {height}' for block, height in self.heights.items())
        return source.replace(MARKER, f"#let gx-fixed = ({heights},) // genexam: fixed heights", 1)

    def record(self, sources: Mapping[str, str], files: Mapping[str, bytes]) -> None:
        """Where each block landed, read from every version's final exam;
        they must all agree (never a silent shift)."""
        placed = _each(sources, files, "<gx-box>")
        first_version, boxes = next(iter(placed.items()))
        where = [(b["id"], b["page"], round(b["y"], 1)) for b in boxes]

        def same(a: tuple[str, int, float] | None, b: tuple[str, int, float] | None) -> bool:
            return a is not None and b is not None and a[:2] == b[:2] and abs(a[2] - b[2]) < 0.2

        for version, others in placed.items():
            theirs = [(b["id"], b["page"], round(b["y"], 1)) for b in others]
            pairs = list(zip(where + [None] * len(theirs), theirs + [None] * len(where)))[:max(len(where), len(theirs))]
            differ = next(((a, b) for a, b in pairs if not same(a, b)), None)
            if differ is not None:
                raise GenexamError(f"{self.spec.path}: layout: fixed: version {version} places "
                                   f"{differ[1]} where version {first_version} has {differ[0]}; this is a bug in "
                                   "the fixed layout: please report it with the spec")
        self.boxes = boxes

    def document(self, pages: int) -> bytes:
        """layout.json: per page, each block (question text, part text,
        answer box) with its position and size in pt from the page's top left."""
        by_page: dict[int, list[dict[str, Any]]] = {}
        for box in self.boxes:
            block = box["id"].removesuffix("-box")
            problem, label = self._names.get(block, ("?", ""))
            found = _ID.match(block)
            by_page.setdefault(box["page"], []).append({
                "question": int(found.group(1)) if found else None, "problem": problem, "part": label,
                "kind": box["kind"] if box["kind"] == "answer" else ("part" if found and found.group(2) else "question"),
                "x": round(box["x"], 2), "y": round(box["y"], 2), "width": round(box["w"], 2),
                "height": round(box["h"], 2),
            })
        doc = {"format": 1, "paper": self.spec.paper, "unit": "pt", "origin": "top left", "pages": pages,
               "boxes": [{"page": page, "blocks": blocks} for page, blocks in sorted(by_page.items())]}
        return (json.dumps(doc, indent=2) + "\n").encode()


def settle(spec: ProblemSet, versions: Mapping[str, Sequence[Instance]], docs: Mapping[str, str],
           files: Mapping[str, bytes]) -> tuple[dict[str, str], FixedLayout]:
    """The build's Typst documents with every exam given the shared block
    heights (the keys flow as usual)."""
    layout = FixedLayout(spec, versions)
    exams = {name: source for name, source in docs.items() if name.startswith("exam-")}
    layout.measure({name.removeprefix("exam-"): source for name, source in exams.items()}, files)
    settled = {name: layout.apply(source) if name in exams else source for name, source in docs.items()}
    layout.record({name.removeprefix("exam-"): settled[name] for name in exams}, files)
    return settled, layout
