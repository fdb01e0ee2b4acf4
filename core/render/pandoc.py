"""Batched conversion of Markdown fragments with pandoc.

pandoc is a separate process (~50-130 ms a call here), so every fragment of a
build is joined into one document with numbered separator paragraphs,
converted in one call per output format, and split again.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from typing import Sequence

from ..errors import RenderError

# Neither raw TeX nor raw HTML passes through: the LaTeX and Typst we emit are
# exactly what pandoc writes for the Markdown, so both formats say the same.
# Family text gets typographic quotes and dashes ("GAN's").
FAMILY_READER = "markdown-raw_tex-raw_html-raw_attribute+smart"
# Text from a spec is text, printed as written: no math either, so `$x$` and
# `\input` print literally, and no smart punctuation.
SPEC_READER = ("markdown-raw_tex-raw_html-raw_attribute-smart"
               "-tex_math_dollars-tex_math_single_backslash-tex_math_double_backslash")

_TOKEN = "GXFRAGMENTSEPARATOR"
# HTML wraps the separator paragraph in <p>...</p>.
_SPLIT = re.compile(rf"^(?:<p>)?{_TOKEN}(\d+)(?:</p>)?$", re.MULTILINE)


def convert_many(fragments: Sequence[str], to: str, reader: str = FAMILY_READER,
                 options: Sequence[str] = ()) -> list[str]:
    """Convert each Markdown fragment to ``to`` ('latex', 'typst' or 'html') in one
    pandoc call; ``options`` are extra writer options (``--mathjax``, ``--mathml``)."""
    if not fragments:
        return []
    unique = list(dict.fromkeys(fragments))  # versions share much text: convert each once
    for text in unique:
        if _TOKEN in text:
            raise RenderError(f"the text {_TOKEN!r} is reserved and cannot appear in a problem")
    numbered = [f"{_TOKEN}{i}\n\n{text}\n\n" for i, text in enumerate(unique)]
    # pandoc's runtime is single-threaded: a large build is cut into one
    # chunk per core, each converted by its own process at the same time.
    chunks = _chunks(numbered, os.cpu_count() or 1)
    if len(chunks) == 1:
        outputs = [_run_pandoc(chunks[0], to, reader, options)]
    else:
        with ThreadPoolExecutor(max_workers=len(chunks)) as pool:
            outputs = list(pool.map(lambda chunk: _run_pandoc(chunk, to, reader, options), chunks))
    converted: dict[int, str] = {}
    for output in outputs:
        pieces = _SPLIT.split(output)  # [before, "0", text0, "1", text1, ...]
        converted.update({int(pieces[i]): pieces[i + 1].strip() for i in range(1, len(pieces), 2)})
    if len(converted) != len(unique):
        raise RenderError(f"pandoc returned {len(converted)} of {len(unique)} fragments when converting to {to}")
    by_text = {text: converted[i] for i, text in enumerate(unique)}
    return [by_text[text] for text in fragments]


def _chunks(numbered: Sequence[str], count: int, min_size: int = 50_000) -> list[str]:
    """Join the numbered fragments into at most ``count`` chunks of similar
    size; small inputs stay whole (a pandoc process costs ~50 ms to start)."""
    total = sum(map(len, numbered))
    count = max(1, min(count, total // min_size))
    target = total / count
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for piece in numbered:
        current.append(piece)
        size += len(piece)
        if size >= target and len(chunks) < count - 1:
            chunks.append("".join(current))
            current, size = [], 0
    if current:
        chunks.append("".join(current))
    return chunks


def escape_markdown(text: str, inline: bool = False) -> str:
    """Plain text -> Markdown that reads back as exactly that text.

    By default every ASCII punctuation mark is escaped, so nothing can start a
    list, heading or quote when pandoc reads the text as a paragraph. With
    ``inline``, for text placed inside a line of our own Markdown (after
    ``# `` or between ``**``), only the marks that act mid-line are escaped,
    which keeps the .md readable."""
    marks = r"[\\`*_\[\]<>$~&|#{}^]" if inline else r"[!-/:-@\[-`{-~]"
    return re.sub(f"({marks})", r"\\\1", text).replace("\n", " ")


@functools.lru_cache(maxsize=1)
def pandoc_path() -> str:
    """The pandoc binary shipped in the pypandoc-binary wheel."""
    import pypandoc

    try:
        return pypandoc.get_pandoc_path()
    except OSError as exc:
        raise RenderError(f"pandoc is not installed: {exc}; reinstall genexam (pip install genexam) "
                          "to get the pypandoc-binary wheel that ships it") from None


def _run_pandoc(source: str, to: str, reader: str, options: Sequence[str] = ()) -> str:
    # One process, straight to the binary: pypandoc's convert_text would run
    # `pandoc --version` checks around every call.
    result = subprocess.run(
        [pandoc_path(), "--from", reader, "--to", to, "--wrap=preserve", *options],
        input=source.encode("utf-8"), capture_output=True, check=False,
    )
    stderr = result.stderr.decode(errors="replace").strip()
    if result.returncode != 0:
        raise RenderError(f"pandoc failed converting to {to}: {stderr}")
    if "[WARNING]" in stderr:
        # e.g. "Could not convert TeX math": the formula would reach the PDF as raw TeX.
        raise RenderError(f"pandoc could not convert a family template's text to {to}: {stderr}\n"
                          "Use TeX that pandoc converts (see README, Writing a family).")
    return result.stdout.decode("utf-8")
