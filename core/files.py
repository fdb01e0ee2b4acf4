"""Reading the files a spec names (question banks), safely.

A spec may come from someone else, so a path it writes stays inside the
spec's folder: no absolute paths, no ``~``, no ``..`` or symlink that leads
outside -- unless the user runs genexam with ``--allow-outside-files``. A file
is read only if it is a regular file (not /dev/zero, a FIFO or a directory),
and never more than its size limit, which is enforced while reading.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import stat
from pathlib import Path
from typing import Iterator

from .limits import Limit, exceeded

_OUTSIDE_ALLOWED: contextvars.ContextVar[bool] = contextvars.ContextVar("genexam_outside_files", default=False)
FLAG = "--allow-outside-files"


@contextlib.contextmanager
def outside_files_allowed(allowed: bool) -> Iterator[None]:
    """While active, paths in a spec may lead outside its folder (the user's explicit choice)."""
    token = _OUTSIDE_ALLOWED.set(allowed)
    try:
        yield
    finally:
        _OUTSIDE_ALLOWED.reset(token)


def resolve_spec_path(written: str, base: Path | None) -> Path:
    """Where a path written in a spec (or ``--set``) points: relative to
    ``base``, the spec's folder (the working directory when None). ValueError
    when it leads outside that folder and the user has not allowed it."""
    root = base if base is not None else Path.cwd()
    if _OUTSIDE_ALLOWED.get():
        path = Path(written).expanduser()
        return path if path.is_absolute() else root / path
    why = ""
    if written.startswith("~"):
        why = "it starts with ~ (a home folder)"
    elif Path(written).is_absolute():
        why = "it is an absolute path"
    else:
        try:
            inside = (root / written).resolve().is_relative_to(root.resolve())
        except (OSError, RuntimeError):  # a symlink loop
            inside = False
        if not inside:
            why = "it leads outside the spec's folder (through .. or a symbolic link)"
    if why:
        raise ValueError(f"the path '{written}' is refused: {why}; a spec reads files in its own folder only, so a "
                         f"spec from someone else cannot read your files -- move the file beside the spec, or run "
                         f"genexam with {FLAG} if you trust this spec")
    return root / written


def read_limited(path: Path, limit: Limit, what: str) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them;
    ValueError (naming ``what`` and the file) for anything else. The file is
    opened without blocking (a FIFO with no writer would hang) and checked
    with fstat, so what is checked is what is read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise ValueError(f"no {what} file {path}") from None
    except IsADirectoryError:
        raise ValueError(f"{path} is a directory, not a {what} file") from None
    except OSError as exc:
        raise ValueError(f"cannot read the {what} {path}: {exc.strerror}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        mode = info.st_mode
        kind = ("a directory" if stat.S_ISDIR(mode) else "a FIFO (named pipe)" if stat.S_ISFIFO(mode)
                else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a socket or other special file")
        raise ValueError(f"{path} is {kind}, not a regular file: a {what} must be an ordinary file")
    with os.fdopen(fd, "rb") as handle:
        if info.st_size > limit.value:
            raise ValueError(f"the {what} {path} is {info.st_size} bytes: {exceeded(limit)}")
        try:
            data = handle.read(limit.value + 1)  # a file that grows while read is still cut off here
        except OSError as exc:
            raise ValueError(f"cannot read the {what} {path}: {exc.strerror}") from None
    if len(data) > limit.value:
        raise ValueError(f"the {what} {path} is more than {limit.value} bytes: {exceeded(limit)}")
    return data
