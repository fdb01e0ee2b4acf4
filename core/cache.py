"""A content-addressed cache of pandoc and PDF-engine results, so
rebuilding an unchanged spec converts and typesets nothing again.

Each result is stored under the SHA-256 of everything that decides it: the
tool and its version, its options, and its input text and files. A hit
returns the very bytes stored, so a cached build is byte-identical to an
uncached one. The folder is $GENEXAM_CACHE_DIR, else $XDG_CACHE_HOME/genexam,
else ~/.cache/genexam; ``--no-cache`` bypasses it. Entries are written
atomically (a temporary file, then a rename), so builds running at the same
time never read half an entry; a damaged entry is treated as a miss.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from .render.pdf import TypstResult

#: Bumped when what is stored, or how keys are made, changes.
LAYOUT = "2"

Compile = Callable[[Mapping[str, str], int, Mapping[str, bytes]], Mapping[str, TypstResult]]


def cache_dir() -> Path:
    """Where cached results live."""
    if os.environ.get("GENEXAM_CACHE_DIR"):
        return Path(os.environ["GENEXAM_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "genexam"


def _digest(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


def _path(key: str, suffix: str) -> Path:
    return cache_dir() / key[:2] / f"{key}{suffix}"


def _read(key: str, suffix: str) -> bytes | None:
    try:
        return _path(key, suffix).read_bytes()
    except OSError:
        return None


def _write(key: str, suffix: str, data: bytes) -> None:
    """Store atomically; a cache that cannot be written is only slower."""
    target = _path(key, suffix)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    except OSError:
        pass


@functools.lru_cache(maxsize=None)
def _program_id(path: str) -> str:
    """A program's identity for cache keys: its path, size and modification
    time (cheaper than running it for its version, and changes with it)."""
    try:
        stat = os.stat(path)
    except OSError:
        return path
    return f"{path}:{stat.st_size}:{stat.st_mtime_ns}"


@functools.lru_cache(maxsize=1)
def typst_id() -> str:
    """The Typst compiler's version and the fonts it may use beyond its own."""
    from importlib.metadata import version

    from .render.stamp import cjk_font_files

    return "typst " + version("typst") + "".join(f"|{_program_id(f)}" for f in cjk_font_files())


@functools.lru_cache(maxsize=1)
def latex_id() -> str:
    import shutil

    return "latex " + "|".join(_program_id(shutil.which(p) or p) for p in ("latexmk", "pdflatex"))


def _files_digest(files: Mapping[str, bytes]) -> str:
    return _digest(*(f"{name}\0{hashlib.sha256(data).hexdigest()}" for name, data in sorted(files.items())))


def cached_compile(compile_many: Compile, tool: Callable[[], str]) -> Compile:
    """``compile_many`` (name -> source to PDFs) that first looks each
    document up by its source, timestamp, files and tool version."""

    def run(sources: Mapping[str, str], timestamp: int, files: Mapping[str, bytes] | None = None
            ) -> dict[str, TypstResult]:
        files = files or {}
        shared = _digest(LAYOUT, tool(), str(timestamp), _files_digest(files))
        keys = {name: _digest(shared, source) for name, source in sources.items()}
        results: dict[str, TypstResult] = {}
        for name, key in keys.items():
            stored = _read(key, ".typeset")
            if stored is not None:
                # One file per document (a class makes hundreds): its warnings
                # as a JSON line, then the PDF.
                head, _, pdf = stored.partition(b"\n")
                try:
                    results[name] = TypstResult(pdf, tuple(json.loads(head)["warnings"]))
                except (ValueError, KeyError, TypeError):
                    pass
        missing = {name: source for name, source in sources.items() if name not in results}
        if missing:
            made = compile_many(missing, timestamp, files)
            for name, result in made.items():
                _write(keys[name], ".typeset", json.dumps({"warnings": list(result.warnings)}).encode() + b"\n" + result.pdf)
            results.update(made)
        return {name: results[name] for name in sources}

    return run


def cached_convert(convert_many: Callable[..., list[str]]) -> Callable[..., list[str]]:
    """pandoc's ``convert_many`` looked up by its whole input, format and reader."""
    from .render.pandoc import pandoc_path

    def run(fragments: Sequence[str], to: str, reader: str | None = None, sources: Sequence[str] | None = None,
            **options: Any) -> list[str]:
        if not fragments:
            return []
        from .render.pandoc import FAMILY_READER

        reader = reader or FAMILY_READER
        extra = [f"{k}={v}" for k, v in sorted(options.items())]
        # ``sources`` only names texts in messages: not part of the key
        key = _digest(LAYOUT, "pandoc", _program_id(pandoc_path()), to, reader, *extra, *fragments)
        stored = _read(key, ".json")
        if stored is not None:
            try:
                converted = json.loads(stored)
                if isinstance(converted, list) and len(converted) == len(fragments):
                    return converted
            except ValueError:
                pass
        converted = convert_many(fragments, to, reader, sources, **options)
        _write(key, ".json", json.dumps(converted).encode())
        return converted

    return run


def cached_bytes(kind: str, parts: Sequence[str | bytes], make: Callable[[], bytes], enabled: bool = True) -> bytes:
    """``make()``, stored under the digest of ``kind`` and ``parts`` (such as
    a QR code by its payload, or print.pdf by the copies it joins)."""
    if not enabled:
        return make()
    key = _digest(LAYOUT, kind, *parts)
    stored = _read(key, ".bin")
    if stored is not None:
        return stored
    made = make()
    _write(key, ".bin", made)
    return made
