"""Fonts for Typst PDFs: every character prints, or the build says which do not.

Typst's bundled fonts (New Computer Modern, Libertinus, DejaVu Sans Mono)
cover Latin, Greek, Cyrillic and mathematics, and a document needing nothing
else is compiled with them alone, so its PDF is the same on every machine. A
character they lack (CJK, emoji, ...) would vanish from the page without a
warning. So before compiling, the characters of the documents that are not
plain ASCII are drawn by Typst itself, one per page to SVG: a page with no
glyph on it is a character no font covers. For those, fontconfig
(``fc-list :charset=...``) names installed fonts that have them; their folders
are added to Typst's fonts, in a fixed order of preference, so the same
machine always gives the same PDF. A character that still has no font stops
the build, named with the Debian package whose fonts cover it.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import unicodedata
from typing import Iterable, Mapping, Sequence

from .. import processes
from ..errors import GenexamError
from .workers import TypstJob, TypstPool

#: (first, last, Debian package) for scripts the bundled fonts lack.
_PACKAGES = (
    (0x1100, 0x11FF, "fonts-noto-cjk"), (0x2E80, 0x9FFF, "fonts-noto-cjk"), (0xA960, 0xA97F, "fonts-noto-cjk"),
    (0xAC00, 0xD7FF, "fonts-noto-cjk"), (0xF900, 0xFAFF, "fonts-noto-cjk"), (0xFE30, 0xFE4F, "fonts-noto-cjk"),
    (0xFF00, 0xFFEF, "fonts-noto-cjk"), (0x20000, 0x3FFFF, "fonts-noto-cjk"),
    (0x2600, 0x27BF, "fonts-noto-color-emoji"), (0x1F000, 0x1FAFF, "fonts-noto-color-emoji"),
)

#: Preferred font files when several cover a character (serif to match the text).
_PREFERENCE = ("NotoSerifCJK", "NotoSansCJK", "NotoColorEmoji", "Noto", "DejaVuSans")

_NO_GLYPH = "\U0010FFFD"
_GLYPH = re.compile(rb'<use xlink:href="#([^"]+)"')

_covered: dict[tuple[str, tuple[str, ...]], bool] = {}  # (char, font folders) -> drawn?


def printed_characters(sources: Iterable[str]) -> list[str]:
    """The characters of the sources that need a glyph beyond ASCII: not
    spaces, controls or format characters (those print nothing)."""
    chars = {c for source in sources for c in set(source) if ord(c) > 0x7E}
    return sorted(c for c in chars if unicodedata.category(c)[0] != "Z" and unicodedata.category(c) not in ("Cc", "Cf"))


def font_dirs_for(pool: TypstPool, sources: Mapping[str, str]) -> tuple[str, ...]:
    """The font folders Typst needs besides its own for ``sources`` (name ->
    Typst source): none for most documents. Raises GenexamError naming the
    characters no installed font covers, the documents that show them and the
    package to install."""
    chars = printed_characters(sources.values())
    missing = _missing(pool, chars, ())
    if not missing:
        return ()
    dirs = tuple(sorted({d for d in (_system_font_dir(c) for c in missing) if d}))
    still = _missing(pool, missing, dirs) if dirs else missing
    if still:
        raise GenexamError(_no_font_message(still, sources))
    return dirs


def _missing(pool: TypstPool, chars: Sequence[str], dirs: tuple[str, ...]) -> list[str]:
    """The characters no font draws. Each is put on its own page of an SVG
    probe, after a page with a character no font has (U+10FFFD, private use):
    Typst draws that one as the text font's "missing glyph" box, so a page
    showing only that glyph, or none, is a character without a font."""
    unknown = [c for c in chars if (c, dirs) not in _covered]
    if unknown:
        pages = "#pagebreak()\n".join(f'#"{c}"\n' for c in [_NO_GLYPH, *unknown])
        probe = ('#set page(width: auto, height: auto, margin: 1pt)\n'
                 '#set text(font: "New Computer Modern")\n' + pages)
        (result,) = pool.compile([TypstJob("a font check", probe, format="svg")], 0, font_dirs=dirs)
        glyphs = [set(_GLYPH.findall(page)) for page in result.pages]
        if len(glyphs) != len(unknown) + 1 or len(glyphs[0]) != 1:
            raise GenexamError("the font check did not draw one page per character; this is a bug in genexam")
        for c, drawn in zip(unknown, glyphs[1:]):
            _covered[(c, dirs)] = bool(drawn - glyphs[0])
    return [c for c in chars if not _covered[(c, dirs)]]


def _system_font_dir(char: str) -> str | None:
    """The folder of the preferred installed font with a glyph for ``char``
    (fontconfig's answer), or None."""
    if shutil.which("fc-list") is None:
        return None
    result = processes.run(["fc-list", "--format", "%{file}\n", f":charset={ord(char):x}"],
                           what="fc-list", timeout=30, cwd=tempfile.gettempdir())
    files = [line for line in result.stdout.decode(errors="replace").splitlines() if line.strip()]
    if not files:
        return None

    def rank(path: str) -> tuple[int, str]:
        name = os.path.basename(path)
        return next((i for i, p in enumerate(_PREFERENCE) if name.startswith(p)), len(_PREFERENCE)), path

    return os.path.dirname(min(files, key=rank))


def debian_package(char: str) -> str:
    """The Debian package whose fonts cover ``char``."""
    code = ord(char)
    return next((pkg for lo, hi, pkg in _PACKAGES if lo <= code <= hi), "fonts-noto")


def _no_font_message(chars: Sequence[str], sources: Mapping[str, str]) -> str:
    shown = ", ".join(f"U+{ord(c):04X} {c!r}" for c in chars[:12]) + (", ..." if len(chars) > 12 else "")
    docs = [name for name, source in sources.items() if any(c in source for c in chars)]
    where = ", ".join(docs[:4]) + (", ..." if len(docs) > 4 else "")
    packages = " ".join(sorted({debian_package(c) for c in chars}))
    return (f"no installed font can print {shown} (in {where}): they would vanish from the PDF. "
            f"Install fonts that cover them (on Debian or Ubuntu: sudo apt-get install {packages}) "
            "and build again, or leave those characters out")
