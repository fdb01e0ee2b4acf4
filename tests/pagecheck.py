"""A page-break checker: reads an exam or key PDF (pdftotext -bbox-layout)
and, for LaTeX, its log, and lists what a careful typesetter would mend:

- a page that ends with a bare question number or a solution's heading;
- text outside the margins, or below the footer line (running into it);
- an overfull box wider than 1 pt (LaTeX's log);
- a multiple-choice option list split over two pages.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

#: Both layouts use 2.2 cm side margins and a 2.2 cm bottom margin.
SIDE_MARGIN = 2.2 / 2.54 * 72
BOTTOM_MARGIN = 2.2 / 2.54 * 72
#: The running header ends above this (LaTeX's text area starts at 62 pt, Typst's at 68 pt).
HEADER_BOTTOM = 56.0
#: pdftotext measures glyph boxes: a justified line's last comma or hyphen
#: hangs a little into the margin (Typst's overhang), by design.
TOLERANCE = 3.0
#: The last line of a page sits on the text area's foot: its descenders,
#: or a display fraction's denominator (up to ~10 pt), hang below it.
DEPTH = 12.0

_LINE = re.compile(r'<line xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</line>', re.S)
_WORD = re.compile(r"<word [^>]*>(.*?)</word>", re.S)
_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)
_BARE_NUMBER = re.compile(r"^\d+\.$")
_HEADING = re.compile(r"^Solution( \([a-z]\))?\.$")
_OPTION = re.compile(r"^\(([A-H])\)\s")
_PAGE_OF = re.compile(r"\bPage \d+ of \d+\b")


@dataclass(frozen=True)
class Line:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str


@dataclass(frozen=True)
class Page:
    number: int
    width: float
    height: float
    lines: tuple[Line, ...]

    @property
    def footer_top(self) -> float:
        """The top of the footer line ("Page i of n"), or the page's foot."""
        tops = [line.y0 for line in self.lines if _PAGE_OF.search(line.text)]
        return min(tops) if tops else self.height

    @property
    def body(self) -> list[Line]:
        """The lines between the running header and the footer, top to bottom."""
        top = HEADER_BOTTOM if self.number > 1 else 0.0  # the running header sits above the text area
        footer = self.footer_top - 1
        return sorted((ln for ln in self.lines if ln.y1 >= top and ln.y0 < footer), key=lambda ln: (ln.y0, ln.x0))


def read_pages(pdf: Path) -> list[Page]:
    """Every page's text lines with their boxes (pdftotext -bbox-layout)."""
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout
    pages = []
    for number, (width, height, body) in enumerate(_PAGE.findall(xml), start=1):
        lines = []
        for x0, y0, x1, y1, words in _LINE.findall(body):
            text = " ".join(_unescape(w) for w in _WORD.findall(words))
            lines.append(Line(float(x0), float(y0), float(x1), float(y1), text))
        pages.append(Page(number, float(width), float(height), tuple(lines)))
    return pages


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&#39;", "'").replace("&amp;", "&")


def problems(pdf: Path, log: str | None = None) -> list[str]:
    """Everything wrong with the page breaks of ``pdf`` (empty when none)."""
    found: list[str] = []
    pages = read_pages(pdf)
    for page in pages:
        where = f"{pdf.name} page {page.number}"
        body = page.body
        if body and page.number < len(pages):
            last = body[-1].text.strip()
            if _BARE_NUMBER.match(last):
                found.append(f"{where} ends with a bare question number {last!r}")
            if _HEADING.match(last):
                found.append(f"{where} ends with the heading {last!r}")
        for line in page.lines:
            if line.x0 < SIDE_MARGIN - TOLERANCE or line.x1 > page.width - SIDE_MARGIN + TOLERANCE:
                found.append(f"{where}: {line.text[:50]!r} runs into the side margin "
                             f"(x {line.x0:.1f}..{line.x1:.1f} of {page.width:.0f})")
        limit = min(page.footer_top - 1, page.height - BOTTOM_MARGIN + DEPTH)
        for line in body:
            if line.y1 > limit:
                found.append(f"{where}: {line.text[:50]!r} runs below the text area into the footer "
                             f"(bottom {line.y1:.1f} > {limit:.1f})")
    for before, after in zip(pages, pages[1:]):
        options = [m.group(1) for m in (_OPTION.match(line.text) for line in before.body) if m]
        nxt = after.body
        if options and nxt:
            first = _OPTION.match(nxt[0].text)
            if first and ord(first.group(1)) == ord(options[-1]) + 1 and _OPTION.match(before.body[-1].text):
                found.append(f"{pdf.name}: options ({options[-1]}) and ({first.group(1)}) are split between "
                             f"pages {before.number} and {after.number}")
    if log is not None:
        for kind, amount in re.findall(r"Overfull \\([hv])box \(([\d.]+)pt too (?:wide|high)\)", log):
            if float(amount) > 1.0:
                found.append(f"{pdf.name}: overfull \\{kind}box, {amount} pt")
    return found
