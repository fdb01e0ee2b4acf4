"""Writing a build's files so that no interruption can lose output.

The files go to a scratch folder beside the target (``.NAME.genexam-new-PID-TOKEN``,
holding genexam's marker file from the start). It then takes the target's
place in one system call: Linux ``renameat2(RENAME_EXCHANGE)`` swaps the two
folders atomically, so at every instant the target path holds either the whole
previous output or the whole new one; the previous output, now at the scratch
name, is then removed. Where the file system cannot exchange, the previous
output is first renamed aside (``.NAME.genexam-old-PID-TOKEN``) with SIGINT and
SIGTERM held back between the two renames; only a SIGKILL or power loss there
leaves the target missing, and the next build puts the previous output back.

Each build first clears the leftovers of killed builds to the same target:
only folders with genexam's names that hold its marker file and whose build
process has ended. genexam deletes nothing else: a target it did not mark is
refused unless empty.
"""

from __future__ import annotations

import ctypes
import errno
import os
import re
import secrets
import shutil
import signal
from pathlib import Path
from typing import Mapping

from .errors import GenexamError
from .processes import signals_deferred

MARKER = ".genexam-output"
MARKER_TEXT = b"This directory is written by genexam and replaced on each build.\n"

#: Test hook: "STEP:SIGNAL" sends SIGNAL to genexam at STEP of the swap
#: (see SWAP_STEPS), so a test can interrupt it at each step.
TEST_SIGNAL_ENV = "GENEXAM_TEST_SWAP_SIGNAL"
#: Test hook: "1" makes the swap use the two-rename fallback.
TEST_NO_EXCHANGE_ENV = "GENEXAM_TEST_NO_EXCHANGE"
SWAP_STEPS = ("cleaned-leftovers", "scratch-made", "files-written", "moved-aside", "swapped", "done")

_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.genexam-(?P<kind>new|old)-(?P<pid>\d+)-[0-9a-f]+$")
# The names earlier genexam versions used.
_LEGACY = re.compile(r"^\.(?P<name>.+)\.(?P<kind>partial|old)-[A-Za-z0-9_]+$")

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


class WriteState:
    """How far the last write got, for the message after an interrupt."""

    target: Path | None = None
    existed = False  # the target held output before
    swapped = False  # the new output is in place


state = WriteState()


def interrupted_message(exc: BaseException) -> tuple[str, int]:
    """What to say, and the exit status, when genexam was interrupted:
    whether the new output is in place, and the status 128 + signal number."""
    from .processes import Stopped, stop_all

    stop_all()  # a ^C outside a build's handlers: nothing may outlive genexam either
    signum = exc.signum if isinstance(exc, Stopped) else signal.SIGINT
    name = signal.Signals(signum).name
    target = state.target
    if target is not None and state.swapped:
        said = f"interrupted ({name}) after the new output was complete in {target}/"
    elif target is not None and state.existed:
        said = f"interrupted ({name}); nothing was written: {target}/ still holds the previous output"
    else:
        said = f"interrupted ({name}); nothing was written"
    return said, 128 + signum


def default_output_dir(spec_name: str) -> Path:
    """``out/<spec name>``, refusing names that are no folder of their own
    (a spec named ``..yaml`` would write to ``out/`` itself)."""
    if spec_name in ("", ".", "..") or "/" in spec_name or "\0" in spec_name:
        raise GenexamError(f"the spec's name {spec_name!r} gives no output folder of its own (out/{spec_name}); "
                           "rename the spec file or choose the folder with -o")
    return Path("out") / spec_name


def check_output_dir(out_dir: Path) -> None:
    """Refuse targets genexam must not replace, before any work: a symbolic
    link, the working folder or one holding it, '.'/'..' names, a file, or a
    non-empty folder genexam did not make. Remembers the target, for the
    message after an interrupt."""
    out_dir = Path(out_dir)
    shown = f"-o {out_dir}"
    if out_dir.is_symlink():
        raise GenexamError(f"{shown} is a symbolic link (to {os.readlink(out_dir)}); genexam replaces its "
                           "output folder as a whole and does not follow links: give the folder itself with -o")
    if out_dir.name in ("", ".", ".."):
        raise GenexamError(f"{shown}: give the output folder by its own name (not '.' or '..'), e.g. -o out/exam")
    resolved = out_dir.resolve()
    cwd = Path.cwd().resolve()
    if resolved == cwd or resolved in cwd.parents:
        raise GenexamError(f"{shown} is the working folder or holds it; genexam replaces its output folder "
                           "as a whole: choose a folder of its own, e.g. -o out/exam")
    if out_dir.exists() and not out_dir.is_dir():
        raise GenexamError(f"{shown}: this is a file, not a directory; choose another output directory")
    container = next((p for p in out_dir.parents if p.exists() or p.is_symlink()), None)
    if container is not None and not container.is_dir():  # mkdir would fail with a bare "File exists"
        raise GenexamError(f"{shown}: {container} is a file, not a directory; choose another output directory")
    if out_dir.is_dir() and not _is_ours(out_dir) and any(out_dir.iterdir()):
        raise GenexamError(f"{shown}: the directory exists and was not made by genexam; "
                           "choose a new or empty directory so nothing of yours is replaced")
    state.target, state.existed, state.swapped = out_dir, out_dir.is_dir(), False


def write_atomically(out_dir: Path, files: Mapping[str, bytes]) -> None:
    """Replace ``out_dir`` with exactly ``files`` (name -> bytes)."""
    out_dir = Path(out_dir)
    check_output_dir(out_dir)
    parent = out_dir.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        clean_leftovers(out_dir)
        state.existed = out_dir.is_dir()
        _test_signal("cleaned-leftovers")
        token = f"{os.getpid()}-{secrets.token_hex(6)}"
        scratch = parent / f".{out_dir.name}.genexam-new-{token}"
        scratch.mkdir()
    except OSError as exc:
        raise GenexamError(f"cannot write to {parent}: {exc.strerror}; "
                           "choose a writable output directory with -o") from None
    try:
        (scratch / MARKER).write_bytes(MARKER_TEXT)  # first: a leftover is recognisable as ours
        _test_signal("scratch-made")
        for name, data in files.items():
            (scratch / name).parent.mkdir(parents=True, exist_ok=True)  # figures/
            (scratch / name).write_bytes(data)
        os.chmod(scratch, 0o755)
        _test_signal("files-written")
        if out_dir.is_dir():
            _replace(scratch, out_dir, parent / f".{out_dir.name}.genexam-old-{token}")
        else:
            with signals_deferred():
                os.rename(scratch, out_dir)
                state.swapped = True
        _test_signal("swapped")
    except OSError as exc:
        raise GenexamError(f"cannot write to {out_dir}: {exc.strerror}; "
                           "choose a writable output directory with -o") from None
    finally:
        # After a swap the scratch name holds the previous output; before it,
        # an unfinished new one. Either way it is ours and goes.
        _remove_ours(scratch)
    _test_signal("done")


def _replace(scratch: Path, out_dir: Path, aside: Path) -> None:
    """Put ``scratch`` at ``out_dir`` and the previous ``out_dir`` at ``scratch``."""
    with signals_deferred():
        if _exchange(scratch, out_dir):
            state.swapped = True
            return
    # No exchange on this file system: two renames, signals held back between them.
    with signals_deferred():
        os.rename(out_dir, aside)
        _test_signal("moved-aside")
        try:
            os.rename(scratch, out_dir)
        except OSError:
            os.rename(aside, out_dir)
            raise
        state.swapped = True
        os.rename(aside, scratch)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with renameat2(RENAME_EXCHANGE); False when
    the system or file system cannot (then nothing has changed)."""
    if os.environ.get(TEST_NO_EXCHANGE_ENV) == "1":
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return False
    args = (ctypes.c_int(_AT_FDCWD), os.fsencode(a), ctypes.c_int(_AT_FDCWD), os.fsencode(b),
            ctypes.c_uint(_RENAME_EXCHANGE))
    renameat2 = getattr(libc, "renameat2", None)  # glibc 2.28 and later
    if renameat2 is not None:
        result = renameat2(*args)
    else:
        number = {"x86_64": 316, "aarch64": 276}.get(os.uname().machine)
        if number is None:
            return False
        result = libc.syscall(ctypes.c_long(number), *args)
    if result == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def clean_leftovers(out_dir: Path) -> list[Path]:
    """Remove what killed builds left beside ``out_dir``: folders with
    genexam's scratch names for this target that hold its marker and whose
    build has ended. When the target itself is missing (a build killed
    between the fallback's two renames), the previous output is put back
    first. Returns the folders removed or restored."""
    parent = out_dir.parent
    if not parent.is_dir():
        return []
    found: list[tuple[str, Path]] = []
    for entry in sorted(parent.iterdir()):
        match = _LEFTOVER.match(entry.name) or _LEGACY.match(entry.name)
        if not match or match.group("name") != out_dir.name or entry.is_symlink() or not entry.is_dir():
            continue
        pid = match.groupdict().get("pid")
        if pid is not None and int(pid) != os.getpid() and _alive(int(pid)):
            continue  # another build to the same folder is running
        found.append((match.group("kind"), entry))
    handled: list[Path] = []
    for kind, entry in found:
        previous = entry / "previous" if kind == "old" and _LEGACY.match(entry.name) else entry
        if kind == "old" and not out_dir.exists() and not out_dir.is_symlink() and _is_ours(previous):
            os.rename(previous, out_dir)  # the previous output, back in place
            handled.append(entry)
            if previous != entry:
                _remove_ours(entry)
            continue
        if _remove_ours(entry):
            handled.append(entry)
    return handled


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_ours(folder: Path) -> bool:
    return (folder / MARKER).is_file() and not folder.is_symlink()


def _remove_ours(folder: Path) -> bool:
    """Delete ``folder`` if genexam marked it (or it is an empty folder, or
    the legacy container of a marked ``previous``); True when it is gone."""
    if folder.is_symlink() or not folder.is_dir():
        return False
    legacy_previous = folder / "previous"
    if _is_ours(legacy_previous) and len(list(folder.iterdir())) == 1:
        _remove_ours(legacy_previous)
    if _is_ours(folder):
        # The marker goes last, so a removal cut short is still recognisable.
        for child in folder.iterdir():
            if child.name == MARKER:
                continue
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)
        (folder / MARKER).unlink(missing_ok=True)
    try:
        folder.rmdir()  # only when empty
    except OSError:
        return False
    return True


def _test_signal(step: str) -> None:
    """The test hook: signal ourselves at ``step`` when GENEXAM_TEST_SWAP_SIGNAL
    says so (e.g. ``swapped:SIGKILL``)."""
    wanted = os.environ.get(TEST_SIGNAL_ENV, "")
    if not wanted:
        return
    at, _, name = wanted.partition(":")
    if at == step:
        os.kill(os.getpid(), getattr(signal, name or "SIGINT"))


def write_file_atomically(path: Path, data: bytes) -> None:
    """Write one file (not a folder) through a temporary file beside it and a
    rename, so a reader never sees half of it."""
    import tempfile

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
