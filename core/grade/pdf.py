"""Markdown documents (feedback, report) to PDF through the build's own
renderer: pandoc to Typst in one call, then Typst."""

from __future__ import annotations

from typing import Mapping

from ..render import pandoc
from ..render.pdf import typst_pdfs

PAGE = """#set document(title: "{title}")
#set page(paper: "a4", margin: (x: 2cm, y: 2cm), numbering: "1 / 1")
#set text(size: 10pt)
#set table(stroke: 0.4pt + gray, inset: 4pt)
#show figure: set block(breakable: true)
#show heading.where(level: 1): set text(size: 14pt)
#show heading.where(level: 2): set text(size: 11pt)
"""


def markdown_pdfs(sources: Mapping[str, str], files: Mapping[str, bytes]) -> dict[str, bytes]:
    """name -> Markdown  ==>  name -> PDF bytes (``files``: figures the text shows)."""
    names = list(sources)
    converted = pandoc.convert_many([sources[n] for n in names], "typst")
    documents = {name: PAGE.format(title=name.rsplit("/", 1)[-1]) + body for name, body in zip(names, converted)}
    results = typst_pdfs(documents, 0, dict(files))
    return {name: result.pdf for name, result in results.items()}
