"""Batched conversion of Markdown fragments with pandoc.

pandoc is a separate process (~50-130 ms a call here), so every fragment of a
build is joined into one document with numbered separator paragraphs,
converted in one call per output format, and split again. The separator is
a random token drawn for each call, so no text can spell it (not even as an
HTML entity that pandoc decodes) and take another fragment's place.

pandoc runs in an empty scratch folder, in its own process group, under a
time-out (``GENEXAM_TIMEOUT_PANDOC``): deeply nested text can make it run for
minutes, and then the whole group is killed and the message names the text.
"""

from __future__ import annotations

import functools
import os
import re
import secrets
from concurrent.futures import ThreadPoolExecutor
from typing import Sequence

from .. import processes
from ..errors import RenderError

# Neither raw TeX nor raw HTML passes through: the LaTeX and Typst we emit are
# exactly what pandoc writes for the Markdown, so both formats say the same.
# Family text gets typographic quotes and dashes ("GAN's").
FAMILY_READER = "markdown-raw_tex-raw_html-raw_attribute+smart"
# Text from a spec is text, printed as written: no math either, so `$x$` and
# `\input` print literally, and no smart punctuation.
SPEC_READER = ("markdown-raw_tex-raw_html-raw_attribute-smart"
               "-tex_math_dollars-tex_math_single_backslash-tex_math_double_backslash")


def convert_many(fragments: Sequence[str], to: str, reader: str = FAMILY_READER,
                 sources: Sequence[str] | None = None, options: Sequence[str] = ()) -> list[str]:
    """Convert each Markdown fragment to ``to`` ('latex', 'typst' or 'html') in
    one pandoc call. ``sources`` names each fragment for messages (e.g. "the
    spec's instructions", "version B, question 2, part (a)"); ``options`` are
    extra writer options (``--mathjax``, ``--mathml``)."""
    if not fragments:
        return []
    names = list(sources) if sources is not None else [f"fragment {i + 1}" for i in range(len(fragments))]
    unique = list(dict.fromkeys(fragments))  # versions share much text: convert each once
    origin: dict[str, str] = {}
    for text, name in zip(fragments, names):
        origin.setdefault(text, name)
    marker = _new_marker(unique)
    numbered = [f"{marker}{i}\n\n{text}\n\n" for i, text in enumerate(unique)]
    # pandoc's runtime is single-threaded: a large build is cut into one
    # chunk per core, each converted by its own process at the same time.
    chunks = _chunks(numbered, os.cpu_count() or 1)
    try:
        if len(chunks) == 1:
            outputs = [_run_pandoc(chunks[0], to, reader, options)]
        else:
            with ThreadPoolExecutor(max_workers=len(chunks)) as pool:
                outputs = list(pool.map(lambda chunk: _run_pandoc(chunk, to, reader, options), chunks))
    except processes.ToolTimeout as exc:
        raise processes.ToolTimeout(f"{exc} converting {_describe(unique, origin)} to {to}; "
                                    "deeply nested brackets, emphasis or formulas make pandoc slow: "
                                    "simplify that text") from None
    except _PandocWarning as exc:
        culprits = [origin[text] for text in unique if exc.quoted and exc.quoted in text] or \
            [_describe(unique, origin)]
        raise RenderError(f"pandoc could not convert the text of {', '.join(dict.fromkeys(culprits))} to {to}: "
                          f"{_shorten(exc.stderr)}\nUse TeX that pandoc converts (see README, Writing a family); "
                          "when the text is a built-in family's, this is a bug in its template.") from None
    except RenderError as exc:  # a crash or an error exit
        raise RenderError(f"{exc}; the text converted was {_describe(unique, origin)}") from None
    converted = _split(outputs, marker, len(unique), to)
    by_text = {text: converted[i] for i, text in enumerate(unique)}
    return [by_text[text] for text in fragments]


def _shorten(text: str, most: int = 1000) -> str:
    """pandoc quotes the text it fails on, which may be long."""
    return text if len(text) <= most else text[: most - 20] + " ... (shortened)"


def _new_marker(texts: Sequence[str]) -> str:
    """A separator no fragment contains: letters and hex digits, which every
    pandoc reader and writer passes through unchanged."""
    while True:
        marker = f"GXSEP{secrets.token_hex(16)}N"
        if not any(marker in text for text in texts):
            return marker


def _split(outputs: Sequence[str], marker: str, count: int, to: str) -> list[str]:
    """Cut pandoc's outputs at the separators: exactly 0, 1, ..., count-1, in order."""
    split = re.compile(rf"^(?:<p>)?{marker}(\d+)(?:</p>)?$", re.MULTILINE)  # HTML wraps it in <p>
    numbers: list[int] = []
    texts: list[str] = []
    for output in outputs:
        pieces = split.split(output)  # [before, "0", text0, "1", text1, ...]
        if pieces[0].strip():
            raise RenderError(f"pandoc's {to} output has text before its first fragment; this is a bug in genexam")
        numbers += [int(n) for n in pieces[1::2]]
        texts += [t.strip() for t in pieces[2::2]]
    if numbers != list(range(count)):
        raise RenderError(f"pandoc's {to} output did not keep the {count} fragments apart; this is a bug in genexam")
    return texts


def _describe(texts: Sequence[str], origin: dict[str, str], most: int = 4) -> str:
    names = list(dict.fromkeys(origin[t] for t in texts if t.strip()))
    if len(names) <= most:
        return ", ".join(names)
    return f"{len(names)} texts ({', '.join(names[:most])}, ...)"


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


class _PandocWarning(Exception):
    def __init__(self, stderr: str):
        super().__init__(stderr)
        self.stderr = stderr
        found = re.search(r"Could not convert TeX math (.+?), rendering as TeX", stderr)
        self.quoted = found.group(1) if found else ""


def _run_pandoc(source: str, to: str, reader: str, options: Sequence[str] = ()) -> str:
    # One process, straight to the binary: pypandoc's convert_text would run
    # `pandoc --version` checks around every call. The working folder is empty
    # and new: pandoc has nothing of the user's to read.
    with processes.scratch_dir("genexam-pandoc-") as cwd:
        result = processes.run(
            [pandoc_path(), "--from", reader, "--to", to, "--wrap=preserve", *options],
            input=source.encode("utf-8"), cwd=cwd, what="pandoc",
            timeout=processes.timeout_seconds("pandoc"),
        )
    stderr = result.stderr.decode(errors="replace").strip()
    if result.returncode < 0:
        raise RenderError(f"pandoc crashed (signal {-result.returncode}) converting to {to}")
    if result.returncode != 0:
        raise RenderError(f"pandoc failed converting to {to}: {_shorten(stderr)}")
    if "[WARNING]" in stderr:
        # e.g. "Could not convert TeX math": the formula would reach the PDF as raw TeX.
        raise _PandocWarning(stderr)
    return result.stdout.decode("utf-8")
