"""Writing a build's files atomically: everything goes to a scratch directory
beside the target, which then replaces the previous output in one rename, so a
failed build leaves the previous output intact."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Mapping

from .errors import GenexamError

MARKER = ".genexam-output"


def write_atomically(out_dir: Path, files: Mapping[str, bytes]) -> None:
    """Replace ``out_dir`` with exactly ``files`` (name -> bytes)."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise GenexamError(f"-o {out_dir}: this is a file, not a directory; choose another output directory")
    container = next((p for p in out_dir.parents if p.exists()), None)
    if container is not None and not container.is_dir():  # mkdir would fail with a bare "File exists"
        raise GenexamError(f"-o {out_dir}: {container} is a file, not a directory; choose another output directory")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MARKER).exists():
        raise GenexamError(f"-o {out_dir}: the directory exists and was not made by genexam; "
                           "choose a new or empty directory so nothing of yours is replaced")
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.partial-", dir=out_dir.parent))
    except OSError as exc:
        raise GenexamError(f"cannot write to {out_dir.parent}: {exc.strerror}; "
                           "choose a writable output directory with -o") from None
    old = None
    try:
        for name, data in {**files, MARKER: b"This directory is written by genexam and replaced on each build.\n"}.items():
            (scratch / name).parent.mkdir(parents=True, exist_ok=True)  # figures/
            (scratch / name).write_bytes(data)
        os.chmod(scratch, 0o755)
        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
            os.rename(out_dir, old / "previous")
        os.rename(scratch, out_dir)
    except OSError as exc:
        shutil.rmtree(scratch, ignore_errors=True)
        if old is not None and (old / "previous").exists() and not out_dir.exists():
            os.rename(old / "previous", out_dir)
        raise GenexamError(f"cannot write to {out_dir}: {exc.strerror}; "
                           "choose a writable output directory with -o") from None
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def write_file_atomically(path: Path, data: bytes) -> None:
    """Write one file through a temporary file beside it and a rename."""
    path = Path(path)
    if path.is_dir():
        raise GenexamError(f"{path} is a directory; give a file name, e.g. responses.csv")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except OSError as exc:
        raise GenexamError(f"cannot write {path}: {exc.strerror}") from None
