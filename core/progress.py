"""A progress bar for long builds: documents done, total and time left, on a
terminal only, and only once a build has run for about a second (drawing,
converting and measuring come first: the bar shows 0 done until the first
document is typeset)."""

from __future__ import annotations

import sys
import threading
import time
from typing import Any, TextIO

#: A build shorter than this shows nothing.
DELAY = 1.0


class BuildProgress:
    """Counts finished documents; draws a rich progress bar on ``stream``
    when it is a terminal and the build has taken longer than DELAY."""

    def __init__(self, total: int, description: str = "copies", stream: TextIO | None = None,
                 quiet: bool = False):
        self.total = total
        self.done = 0
        self.description = description
        self.stream = sys.stderr if stream is None else stream
        self.enabled = not quiet and total > 0 and _is_terminal(self.stream)
        self.started = time.monotonic()
        self._bar: Any = None
        self._task: Any = None
        self._lock = threading.Lock()
        self._closed = False
        # The bar appears after DELAY even while nothing is done yet.
        self._timer = threading.Timer(DELAY, self._start) if self.enabled else None
        if self._timer is not None:
            self._timer.daemon = True
            self._timer.start()

    def advance(self, count: int = 1) -> None:
        """Record ``count`` more finished documents."""
        with self._lock:
            self.done += count
            if self._bar is not None:
                self._bar.update(self._task, completed=self.done, total=self.total)

    def _start(self) -> None:
        with self._lock:
            if self._closed or self._bar is not None or self.done >= self.total:
                return
            self._draw()

    def _draw(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._bar = Progress(TextColumn("genexam: {task.description}"), BarColumn(), MofNCompleteColumn(),
                             TextColumn("time left"), TimeRemainingColumn(),
                             console=Console(file=self.stream), transient=True)
        self._bar.start()
        self._task = self._bar.add_task(self.description, total=self.total, completed=self.done)

    def close(self) -> None:
        """Remove the bar (it leaves nothing behind on the terminal)."""
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            self._closed = True
            if self._bar is not None:
                self._bar.stop()
                self._bar = None

    def __enter__(self) -> "BuildProgress":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
