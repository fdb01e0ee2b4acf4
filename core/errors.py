"""User-facing errors: each names where (file:line:col and key path), what was
found, what was expected, and how to mend it. The CLI prints them without a
traceback and exits non-zero."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Iterable, Sequence


class GenexamError(Exception):
    """An error caused by the user's input or environment, not by a bug."""

    exit_code = 2


@dataclass(frozen=True)
class Location:
    """A place in a file: 1-based line and column, when known."""

    file: str
    line: int | None = None
    column: int | None = None

    @classmethod
    def at_offset(cls, file: str, text: str | bytes, offset: int) -> "Location":
        """The line and column of a character (or byte) offset into ``text``."""
        newline = b"\n" if isinstance(text, bytes) else "\n"
        return cls(file, text.count(newline, 0, offset) + 1, offset - text.rfind(newline, 0, offset))

    def __str__(self) -> str:
        if self.line is None:
            return self.file
        if self.column is None:
            return f"{self.file}:{self.line}"
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    """One finding about a spec: where, which key, and what is wrong."""

    location: Location
    key_path: str
    message: str

    def __str__(self) -> str:
        where = str(self.location)
        return f"{where}: {self.key_path}: {self.message}" if self.key_path else f"{where}: {self.message}"


class SpecError(GenexamError):
    """One or more problems found in a problem-set spec."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        if len(self.problems) == 1:
            text = str(self.problems[0])
        else:
            text = f"{len(self.problems)} problems in {self.problems[0].location.file}:\n" + "\n".join(
                f"  {p}" for p in self.problems)
        super().__init__(text)


class TemplateError(GenexamError):
    """A family or layout template failed to render."""


class RenderError(GenexamError):
    """A converter or PDF engine failed on generated output."""


class EngineMissingError(GenexamError):
    """The requested PDF engine is not installed."""


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """Return `` (did you mean 'x'?)`` for the closest candidate, or ``""``."""
    matches = difflib.get_close_matches(str(word), sorted(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{matches[0]}'?)" if matches else ""


def one_of(candidates: Iterable[str]) -> str:
    """Format a list of allowed names for a message: ``'a', 'b' or 'c'``."""
    names = [f"'{c}'" for c in sorted(candidates)]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " or " + names[-1]
