"""What identifies a printed copy: the student's name and id as each
format prints them, and a QR code per page.

The QR code holds a short JSON object, e.g.
``{"d":"3f9a1c22","v":"B","s":"s017","p":2}``: the spec's digest, the
version, the student id and the page number, so a scanned page says whose
copy it is, of which exam, and where it belongs.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

from ..errors import GenexamError

#: Debian's package with fonts for Chinese, Japanese and Korean.
CJK_PACKAGE = "fonts-noto-cjk"


def spec_digest(spec_bytes: bytes, seed: int, versions: str) -> str:
    """A short digest of what made a copy: the spec file, the seed and the
    versions (a rebuild with other settings prints another digest)."""
    return hashlib.sha256(spec_bytes + f"\0{seed}\0{versions}".encode()).hexdigest()[:8]


def qr_payload(digest: str, version: str, student_id: str, page: int) -> str:
    """The JSON text a page's QR code holds (keys kept short: the code stays small)."""
    return json.dumps({"d": digest, "v": version, "s": student_id, "p": page},
                      ensure_ascii=False, separators=(",", ":"))


@functools.lru_cache(maxsize=8192)  # a page's code is drawn for Typst and for LaTeX: encode it once
def qr_runs(payload: str) -> tuple[tuple[tuple[int, int], ...], ...]:
    """The QR code of ``payload`` (segno), each row as its runs of dark
    modules: (first column, length)."""
    import segno

    # A fixed mask: segno's search over the eight masks is 4x the cost and
    # gains nothing on a cleanly printed page; level M survives smudges.
    matrix = segno.make(payload, error="m", mask=0, micro=False, boost_error=False).matrix
    return tuple(tuple((m.start(), m.end() - m.start()) for m in _DARK.finditer(bytes(row))) for row in matrix)


_DARK = re.compile(rb"\x01+")


def qr_svg(payload: str) -> str:
    """The QR code of ``payload`` as an SVG document: one unit per module, no
    quiet zone, each run of dark modules one filled rectangle (rows abut
    exactly). Drawn from the runs rather than by segno's SVG writer, which
    costs 5x as much: a class of 200 has 1,600 pages."""
    runs = qr_runs(payload)
    size = len(runs)
    path = "".join(f"M{x} {y}h{n}v1h-{n}z" for y, row in enumerate(runs) for x, n in row)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="{size}" '
            f'height="{size}" shape-rendering="crispEdges"><path d="{path}"/></svg>')


def qr_tex(payload: str) -> str:
    """The QR code of ``payload`` as LaTeX, ``\\gxqrcode{size}{rows}``: each
    row ``\\gxqrrow{light dark light ...}``, its run lengths in modules,
    which the layout's macros draw as rules (no image file per page)."""
    runs = qr_runs(payload)
    rows = []
    for row in runs:
        lengths, end = [], 0
        for x, n in row:
            lengths += (x - end, n)
            end = x + n
        rows.append("\\gxqrrow{" + " ".join(map(str, lengths)) + "}")
    return f"\\gxqrcode{{{len(runs)}}}{{{''.join(rows)}}}"


def typst_string(text: str) -> str:
    """``text`` as a Typst string literal (printed as written: no markup)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}", "#": r"\#", "$": r"\$", "%": r"\%", "&": r"\&", "_": r"\_", "{": r"\{",
    "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "'": r"\textquotesingle{}",
    '"': r"\textquotedbl{}", "`": r"\textasciigrave{}", "-": "-{}", "<": r"\textless{}", ">": r"\textgreater{}",
    "|": r"\textbar{}",
}


def latex_text(text: str) -> str:
    """``text`` as LaTeX that prints exactly it (T1 encoding, utf8 input)."""
    return "".join(_LATEX_SPECIAL.get(c, c) for c in text)


def latex_can_print(text: str) -> bool:
    """Whether pdfLaTeX with T1 fonts prints every character (Latin only);
    other scripts are typeset by Typst and placed as a small PDF."""
    return all(ord(c) < 0x180 for c in text)


#: Scripts New Computer Modern (Typst's bundled text font) lacks and a CJK
#: font has: Han, kana, Hangul, CJK punctuation and full-width forms.
_CJK = re.compile("[\u1100-\u11ff\u2e80-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
                  "\U00020000-\U0003ffff]")


def cjk_characters(text: str) -> str:
    """The characters of ``text`` that need a CJK font."""
    return "".join(dict.fromkeys(_CJK.findall(text)))


@functools.lru_cache(maxsize=1)
def cjk_font_files() -> tuple[str, ...]:
    """Installed font files covering Chinese, Japanese and Korean (Noto CJK
    first), found with fontconfig or in the usual Debian folders."""
    found: list[str] = []
    if shutil.which("fc-list"):
        try:
            listing = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True,
                                     timeout=30, check=False).stdout
            found = sorted({line.split(":")[0].strip() for line in listing.splitlines() if line.strip()})
        except (OSError, subprocess.SubprocessError):
            found = []
    if not found:
        found = sorted(str(p) for p in Path("/usr/share/fonts").glob("**/*CJK*") if p.suffix in (".ttc", ".otf", ".ttf"))
    # Sans and Serif, regular weight first: a name is printed in regular type.
    return tuple(sorted(found, key=lambda f: ("Regular" not in f, "Sans" not in f, f)))


def require_fonts_for(texts: dict[str, str]) -> None:
    """Stop, naming the characters and the package that covers them, when a
    name needs a CJK font and none is installed (never a blank on the page).
    ``texts``: where (file:line) -> text."""
    needing = {where: cjk_characters(text) for where, text in texts.items() if cjk_characters(text)}
    if needing and not cjk_font_files():
        where, chars = next(iter(needing.items()))
        raise GenexamError(f"{where}: the characters {chars!r} need a Chinese/Japanese/Korean font and none is "
                           f"installed; on Debian or Ubuntu: sudo apt-get install {CJK_PACKAGE}")


def font_folders() -> list[str]:
    """Folders of the CJK fonts, for a Typst compiler's font paths."""
    return sorted({str(Path(f).parent) for f in cjk_font_files()})


def name_pdf(text: str, timestamp: int) -> bytes:
    """``text`` typeset by Typst (with a CJK font when installed) as a
    tight one-page PDF, which LaTeX places where pdfLaTeX cannot print the
    script; the text stays searchable."""
    import typst

    compiler = _name_compiler()
    source = ('#set page(width: auto, height: auto, margin: 0pt)\n'
              '#set text(font: ("New Computer Modern", "Noto Serif CJK SC", "Noto Sans CJK SC"), size: 11pt, '
              'top-edge: "ascender", bottom-edge: "descender")\n'
              f'#{typst_string(text)}\n')
    try:
        return compiler.compile(source.encode("utf-8"), format="pdf", timestamp=timestamp)
    except typst.TypstError as exc:  # pragma: no cover - the text is a string literal
        raise GenexamError(f"Typst could not typeset the name {text!r}: {exc.message}") from None


@functools.lru_cache(maxsize=1)
def _name_compiler():
    import typst

    return typst.Compiler(ignore_system_fonts=True, font_paths=font_folders())
