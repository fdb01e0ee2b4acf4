"""The child processes and scratch folders of a build, bounded and ended together.

Every external tool (pandoc, latexmk and the pdflatex it starts) runs in its own
process group with a time-out; when the time-out passes, or genexam is
interrupted, the whole group is killed, so no child keeps running after
genexam. Scratch folders are registered here and removed on the same paths.
Typst worker pools register a closer, called on an interrupt.

Time-outs are seconds, overridable per tool by the environment
(``GENEXAM_TIMEOUT_PANDOC``, ``GENEXAM_TIMEOUT_LATEX``, ``GENEXAM_TIMEOUT_TYPST``),
so tests and slow machines can choose their own.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

from .errors import GenexamError, RenderError

#: Default time-outs in seconds. pandoc converts a whole build in well under a
#: second, latexmk a document in a few seconds, Typst a document in ~50 ms.
DEFAULT_TIMEOUTS = {"pandoc": 60.0, "latex": 300.0, "typst": 120.0}

_lock = threading.RLock()  # re-entrant: the signal handler may run while the main thread holds it
_groups: set[int] = set()  # process-group ids (= the leader's pid) still running
_dirs: set[str] = set()
_closers: dict[int, Callable[[], None]] = {}
_stopping = False


class ToolTimeout(RenderError):
    """An external tool ran past its time-out and was stopped."""


class Stopped(KeyboardInterrupt):
    """genexam received SIGINT or SIGTERM; its children are already ended."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    @property
    def signal_name(self) -> str:
        return signal.Signals(self.signum).name


def timeout_seconds(tool: str) -> float:
    """The time-out for ``tool`` ('pandoc', 'latex' or 'typst'): the environment's
    GENEXAM_TIMEOUT_<TOOL> when it is a positive number, else the default."""
    name = f"GENEXAM_TIMEOUT_{tool.upper()}"
    text = os.environ.get(name, "").strip()
    if not text:
        return DEFAULT_TIMEOUTS[tool]
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < 1e6:
        raise GenexamError(f"{name}={text!r}: expected a number of seconds, e.g. {DEFAULT_TIMEOUTS[tool]:g}")
    return value


@dataclass(frozen=True)
class Finished:
    returncode: int
    stdout: bytes
    stderr: bytes


def run(command: Sequence[str], *, what: str, timeout: float, cwd: str, input: bytes | None = None,
        env: dict[str, str] | None = None) -> Finished:
    """Run ``command`` in a new process group (session) and wait at most
    ``timeout`` seconds; then, or on any way out of here, the whole group is
    killed. ``what`` names the work for the time-out message."""
    with _lock:
        if _stopping:
            raise Stopped(signal.SIGTERM)
        process = subprocess.Popen(
            list(command), cwd=cwd, env=env, start_new_session=True,
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        _groups.add(process.pid)
    try:
        stdout, stderr = process.communicate(input, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process.pid)
        process.communicate()
        raise ToolTimeout(f"{what} ran past its time-out of {timeout:g} s and was stopped") from None
    finally:
        _kill_group(process.pid)  # whatever the tool left running in its group (pdflatex under latexmk)
        process.wait()
        with _lock:
            _groups.discard(process.pid)
    return Finished(process.returncode, stdout, stderr)


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


@contextlib.contextmanager
def scratch_dir(prefix: str) -> Iterator[str]:
    """A new empty temporary folder, removed on leaving, on an interrupt, or
    by :func:`stop_all`."""
    path = tempfile.mkdtemp(prefix=prefix)
    with _lock:
        _dirs.add(path)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        with _lock:
            _dirs.discard(path)


def register_closer(owner: object, close: Callable[[], None]) -> None:
    """Call ``close`` (it must not block) when genexam is interrupted, e.g. to
    kill a pool's worker processes."""
    with _lock:
        _closers[id(owner)] = close


def unregister_closer(owner: object) -> None:
    with _lock:
        _closers.pop(id(owner), None)


def stop_all() -> None:
    """Kill every running child group, call every closer and remove every
    scratch folder; later calls to :func:`run` raise :class:`Stopped`."""
    global _stopping
    with _lock:
        _stopping = True
        groups, closers, dirs = list(_groups), list(_closers.values()), list(_dirs)
    for pgid in groups:
        _kill_group(pgid)
    for close in closers:
        with contextlib.suppress(Exception):
            close()
    for path in dirs:
        shutil.rmtree(path, ignore_errors=True)


def stopping() -> bool:
    """True once genexam has been interrupted."""
    return _stopping


def _on_signal(signum: int, frame: object) -> None:
    stop_all()  # at once: the threads waiting on children are released as they die
    raise Stopped(signum)


def install_signal_handlers() -> None:
    """SIGINT and SIGTERM end every child and scratch folder, then raise
    :class:`Stopped` (a KeyboardInterrupt) in the main thread."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _on_signal)


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back for a few system calls that must happen
    together (an output swap); they are delivered on leaving."""
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
