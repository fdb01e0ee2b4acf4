"""The spec's own text (title, course, date, instructions) printed as written.

The README promises that raw TeX, raw HTML and math in these fields print
literally. pandoc's SPEC_READER takes care of that for LaTeX and Typst, but
two things remain:

- LaTeX's fonts (T1 Latin Modern) turn character pairs into other glyphs:
  ``<<`` and ``>>`` into guillemets, two backquotes and two apostrophes into
  curly double quotes, ``,,`` into a low quote. pandoc already breaks ``--``
  (``-\\/-``); :func:`latex_as_written` breaks the others in the LaTeX pandoc
  wrote for these fields only -- family text keeps pandoc's smart quotes and
  dashes, which rely on those ligatures.
- The Markdown output copies the instructions (they are Markdown), so a
  reader such as GitHub would render their raw HTML and ``$math$``:
  :func:`markdown_as_written` escapes both, leaving code untouched.
"""

from __future__ import annotations

import re

#: Pairs that form a ligature in T1-encoded fonts, as pandoc writes them.
_LIGATURES = re.compile(r"(\\textless|\\textgreater)(?=\\textless|\\textgreater)|([',])(?=[',])")


def latex_as_written(latex: str) -> str:
    """Put an empty group between the characters of every ligature pair, so
    each prints as itself (``<<`` stays two less-than signs), and print a
    backquote as the grave accent character it is (T1 fonts hold a left quote
    in its place)."""
    latex = _LIGATURES.sub(lambda m: (m.group(1) or m.group(2)) + "{}", latex)
    return latex.replace("`", "\\textasciigrave{}")


_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)", re.DOTALL)
#: A `$`, or a `<` opening an HTML tag, comment or declaration (not an
#: autolink <https://...> nor a lone "<"), not already escaped by a backslash.
_MARKUP = re.compile(r"(?<!\\)((?:\\\\)*)(\$|<(?=[A-Za-z/!?])(?![A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*>))")


def markdown_as_written(text: str) -> str:
    """Markdown whose raw HTML and math print as the characters written: a
    backslash before each ``$`` and each ``<`` that would open an HTML tag,
    outside fenced code blocks and code spans."""
    out: list[str] = []
    fence = ""
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            out.append(_escape_inline("".join(paragraph)))
            paragraph.clear()

    for line in text.splitlines(keepends=True):
        opened = _FENCE.match(line)
        if fence:
            out.append(line)
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = ""
        elif opened:
            flush()
            fence = opened.group(1)
            out.append(line)
        else:
            paragraph.append(line)
    flush()
    return "".join(out)


def _escape_inline(text: str) -> str:
    """Escape outside code spans (a code span may cross a line break)."""
    pieces = []
    last = 0
    for span in _CODE_SPAN.finditer(text):
        pieces.append(_escape_plain(text[last:span.start()]))
        pieces.append(span.group(0))
        last = span.end()
    pieces.append(_escape_plain(text[last:]))
    return "".join(pieces)


def _escape_plain(text: str) -> str:
    return _MARKUP.sub(lambda m: m.group(1) + "\\" + m.group(2), text)
