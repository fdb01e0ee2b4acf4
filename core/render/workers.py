"""Typst compiles in worker processes.

Typst is a native library: a document it cannot handle (a formula nested 850
deep) can overflow its stack and kill the process, and a runaway document can
take minutes or gigabytes. So every compile runs in a worker process that keeps
one ``typst.Compiler`` (its font book is built once, not per document); a
worker that dies, runs past its time-out (``GENEXAM_TIMEOUT_TYPST``) or its
memory cap (``GENEXAM_TYPST_MEMORY_MB``) becomes a :class:`RenderError` naming
the document, and the pool starts fresh workers for the next batch.

Workers see only what they are sent: the document, the batch's shared files
(figures, sent once per worker) and the document's own files (e.g. a QR code
SVG), on top of an empty root folder, so no path in a document reaches the
user's files. Fonts: Typst's bundled ones, plus the font folders a batch asks
for (see :mod:`genexam.render.fonts`).
"""

from __future__ import annotations

import itertools
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any, Mapping, Sequence

from .. import processes
from ..errors import RenderError

#: Address space a worker may use; far above what a 20-page exam needs (~300 MB).
DEFAULT_MEMORY_MB = 4096


@dataclass(frozen=True)
class TypstJob:
    """One document to compile: ``name`` is how messages call it (``key-B``),
    ``files`` its own in-memory files on top of the batch's shared ones, and
    ``what`` says which text it shows when that matters for a message."""

    name: str
    source: str
    files: Mapping[str, bytes] = field(default_factory=dict)
    format: str = "pdf"  # or "svg" (one SVG per page), or "query" (the JSON of what ``selector`` finds)
    selector: str = ""


@dataclass(frozen=True)
class TypstResult:
    pdf: bytes
    warnings: tuple[str, ...]
    pages: tuple[bytes, ...] = ()  # format "svg": every page
    found: str = ""  # format "query": the elements found, as Typst's JSON


class TypstFailed(RenderError):
    """Typst reported an error in a document (its source is at fault)."""

    def __init__(self, name: str, message: str, hints: Sequence[str], line: int | None = None):
        super().__init__(f"Typst could not compile {name}: {message}"
                         + (f" (line {line} of {name}.typ)" if line else "")
                         + "".join(f"\n  hint: {h}" for h in hints))
        self.document = name
        self.message = message
        self.line = line  # in the document's source, when Typst says


class TypstCrashed(RenderError):
    """A worker died or ran past its time-out on a document."""

    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.document = name


def memory_limit_bytes() -> int | None:
    text = os.environ.get("GENEXAM_TYPST_MEMORY_MB", "").strip()
    megabytes = int(text) if text.isdigit() and 0 < len(text) < 8 else DEFAULT_MEMORY_MB
    return megabytes * 1024 * 1024 if megabytes else None


# -- the worker process ----------------------------------------------------------

def _worker_main(requests: Connection, replies: Connection, root: str, memory: int | None) -> None:
    """Serve compile requests until the pipe closes (the parent ended or died)."""
    if memory:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    import typst

    compilers: dict[tuple[str, ...], Any] = {}

    def compiler(font_dirs: tuple[str, ...]) -> Any:
        if font_dirs not in compilers:
            compilers[font_dirs] = typst.Compiler(ignore_system_fonts=True, root=root, font_paths=list(font_dirs))
        return compilers[font_dirs]

    compiler(())  # build the font book while the parent is still drawing and converting
    shared: tuple[int, dict[str, bytes]] = (-1, {})
    while True:
        try:
            request = requests.recv()
        except (EOFError, OSError):
            return
        if request[0] == "files":
            shared = (request[1], request[2])
            continue
        _, index, batch, source, files, fmt, timestamp, font_dirs = request
        project = {**(shared[1] if shared[0] == batch else {}), **files, "main.typ": source.encode("utf-8")}
        try:
            if fmt.startswith("query:"):
                # A query builds its own world (typst-py's Compiler queries only its constructor's input).
                output = typst.query(project, fmt[len("query:"):], root=root, ignore_system_fonts=True,
                                     font_paths=list(font_dirs))
                warnings = []
            else:
                output, warnings = compiler(font_dirs).compile_with_warnings(
                    project, format=fmt, timestamp=timestamp)
        except typst.TypstError as exc:
            at = re.search(r"main\.typ:(\d+):", str(getattr(exc, "diagnostic", "") or ""))
            replies.send(("error", index, str(getattr(exc, "message", exc)), list(getattr(exc, "hints", []) or []),
                          int(at.group(1)) if at else None))
            continue
        except Exception as exc:  # noqa: BLE001 - e.g. MemoryError: reported, the worker goes on
            replies.send(("error", index, f"{type(exc).__name__}: {exc}", [], None))
            continue
        replies.send(("ok", index, output, [_warning_text(w) for w in warnings]))


def _warning_text(warning: object) -> str:
    message = getattr(warning, "message", str(warning))
    hints = getattr(warning, "hints", []) or []
    return message + "".join(f" (hint: {h})" for h in hints)


# -- the pool ----------------------------------------------------------------------

class _Worker:
    """A worker process (``python -m genexam.render.workers``) in its own
    session, so a terminal's ^C reaches genexam only, which ends it; two pipes
    carry pickled requests and replies (pickles from our own child only)."""

    def __init__(self, root: str, memory: int | None):
        child_in, self_out = os.pipe()
        self_in, child_out = os.pipe()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "genexam.render.workers", str(child_in), str(child_out), root, str(memory or 0)],
                pass_fds=(child_in, child_out), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE, start_new_session=True, close_fds=True,
            )
        finally:
            os.close(child_in)
            os.close(child_out)
        self.requests = Connection(self_out, readable=False)
        self.replies = Connection(self_in, writable=False)
        self.batch = -1  # the batch whose shared files this worker holds

    def alive(self) -> bool:
        return self.process.poll() is None

    def last_words(self) -> str:
        """Why a dead worker died: its exit and the last line it wrote to stderr
        (a Rust panic, a Python error)."""
        code = self.process.wait()
        said = self.process.stderr.read(65536).decode(errors="replace").strip() if self.process.stderr else ""
        last = said.splitlines()[-1].strip() if said else ""
        return _exit_reason(code) + (f": {last[:200]}" if last else "")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.requests, self.replies, self.process.stderr):
            if stream is not None:
                stream.close()


class TypstPool:
    """Worker processes for Typst compiles, started on first use (or by
    :meth:`start`, to overlap their start-up with other work). Use as a
    context manager, or call :meth:`close`."""

    _batches = itertools.count()

    def __init__(self, workers: int | None = None):
        self.size = max(1, workers or os.cpu_count() or 1)
        self._workers: list[_Worker] = []
        self._lock = threading.Lock()  # one batch at a time
        self._root: str | None = None
        self._root_cm: Any = None
        self._closed = False

    def __enter__(self) -> "TypstPool":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Start the workers now (they take ~0.3 s to import Typst and load fonts)."""
        with self._lock:
            self._ensure_workers()

    def _ensure_workers(self) -> None:
        if self._closed or processes.stopping():
            raise processes.Stopped(signal.SIGTERM)
        if self._root is None:
            self._root_cm = processes.scratch_dir("genexam-typst-root-")
            self._root = self._root_cm.__enter__()  # empty: nothing of the user's to find
            processes.register_closer(self, self._kill_all)
        self._workers = [w for w in self._workers if w.alive()]
        while len(self._workers) < self.size:
            self._workers.append(_Worker(self._root, memory_limit_bytes()))

    def _kill_all(self) -> None:
        workers, self._workers = self._workers, []
        for worker in workers:
            worker.kill()

    def close(self) -> None:
        """End the workers and remove their root folder."""
        self._closed = True
        self._kill_all()
        processes.unregister_closer(self)
        if self._root_cm is not None:
            self._root_cm.__exit__(None, None, None)
            self._root_cm = self._root = None

    def compile(self, jobs: Sequence[TypstJob], timestamp: int, shared_files: Mapping[str, bytes] | None = None,
                font_dirs: Sequence[str] = ()) -> list[TypstResult]:
        """Compile every job (in parallel, one per worker at a time); results in
        the jobs' order. The first failure ends the batch: a Typst error as
        :class:`TypstFailed`, a crash or time-out as :class:`RenderError`; the
        workers are then replaced."""
        with self._lock:
            try:
                return self._run(jobs, timestamp, dict(shared_files or {}), tuple(font_dirs))
            except BaseException:
                self._kill_all()  # busy workers would answer into the next batch
                raise

    def _run(self, jobs: Sequence[TypstJob], timestamp: int, shared: dict[str, bytes],
             font_dirs: tuple[str, ...]) -> list[TypstResult]:
        self._ensure_workers()
        batch = next(self._batches)
        timeout = processes.timeout_seconds("typst")
        results: list[TypstResult | None] = [None] * len(jobs)
        waiting = list(range(len(jobs)))[::-1]  # popped from the end: first job first
        busy: dict[_Worker, tuple[int, float]] = {}
        while waiting or busy:
            for worker in self._workers:
                if worker in busy or not waiting:
                    continue
                index = waiting.pop()
                job = jobs[index]
                busy[worker] = (index, time.monotonic())
                try:
                    if worker.batch != batch:
                        worker.requests.send(("files", batch, shared))
                        worker.batch = batch
                    fmt = f"query:{job.selector}" if job.format == "query" else job.format
                    worker.requests.send(("job", index, batch, job.source, dict(job.files), fmt, timestamp, font_dirs))
                except OSError:  # the worker has died: its reply pipe says so below
                    pass
            now = time.monotonic()
            deadline = min(started + timeout for _, started in busy.values())
            ready = wait([w.replies for w in busy], timeout=max(0.0, deadline - now))
            if processes.stopping():
                raise processes.Stopped(signal.SIGTERM)
            for worker, (index, started) in list(busy.items()):
                name = jobs[index].name
                if worker.replies in ready:
                    try:
                        reply = worker.replies.recv()
                    except (EOFError, OSError):
                        reply = None
                    if reply is not None:
                        del busy[worker]
                        results[index] = self._result(reply, jobs[index])
                        continue
                if worker.replies in ready:
                    raise TypstCrashed(name, f"{name}: Typst crashed compiling it ({worker.last_words()}); "
                                             "the text it shows is too deeply nested or too large for Typst: "
                                             "simplify it (the .typ file shows the source)")
                if time.monotonic() - started > timeout:
                    raise TypstCrashed(name, f"{name}: Typst ran past its time-out of {timeout:g} s compiling it "
                                             "and was stopped; the text it shows is too deeply nested or too "
                                             "large: simplify it (the .typ file shows the source)")
        return [r for r in results if r is not None]

    @staticmethod
    def _result(reply: tuple, job: TypstJob) -> TypstResult:
        if reply[0] == "error":
            raise TypstFailed(job.name, reply[2], reply[3], reply[4])
        output, warnings = reply[2], tuple(reply[3])
        if job.format == "pdf":
            return TypstResult(output, warnings)
        if job.format == "query":
            return TypstResult(b"", warnings, found=output if isinstance(output, str) else output.decode("utf-8"))
        pages = tuple(output) if isinstance(output, list) else (output,)
        return TypstResult(b"", warnings, pages)


def _exit_reason(code: int | None) -> str:
    if code is None:
        return "it stopped answering"
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.valid_signals() else f"signal {-code}"
        return {"SIGSEGV": "a segmentation fault, e.g. its stack overflowed",
                "SIGABRT": "it aborted, e.g. out of memory"}.get(name, f"killed by {name}")
    return f"exit status {code}"


if __name__ == "__main__":  # a worker: python -m genexam.render.workers IN_FD OUT_FD ROOT MEMORY
    _worker_main(Connection(int(sys.argv[1]), writable=False), Connection(int(sys.argv[2]), readable=False),
                 sys.argv[3], int(sys.argv[4]) or None)
