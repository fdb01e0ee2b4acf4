"""Class rosters: reading a CSV class list and deciding which copy each
student gets.

A roster is a CSV file with a header row, UTF-8 (a byte-order mark is
fine), separated by commas or semicolons. Column ``id`` is required;
``name`` and ``version`` are optional; any other column is ignored (and
said so). Every mistake is reported with file:line, and nothing is built.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from .errors import GenexamError, Location, Problem, SpecError
from .files import read_limited
from .limits import ROSTER_BYTES, ROSTER_STUDENTS, STUDENT_ID, STUDENT_NAME, exceeded
from .spec import MAX_VERSIONS, version_label

COLUMNS = ("id", "name", "version")
_LABEL = re.compile(r"^[A-Z]{1,2}$")
_EXCEL_SEPARATOR = re.compile(r"^sep=(.)$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class RosterError(SpecError):
    """Problems found in a roster file, each with file:line."""


@dataclass(frozen=True)
class Student:
    """One row of the roster."""

    id: str
    name: str
    version: str  # the label asked for in the `version` column, or ""
    line: int

    @property
    def file_id(self) -> str:
        """The id as it appears in file names (exam-<file_id>.pdf)."""
        return file_safe(self.id)


@dataclass(frozen=True)
class Roster:
    path: Path
    students: tuple[Student, ...]
    ignored_columns: tuple[str, ...] = ()

    @property
    def note(self) -> str:
        """What the build should tell the user about columns it does not read."""
        if not self.ignored_columns:
            return ""
        names = ", ".join(repr(c) for c in self.ignored_columns)
        return (f"{self.path}: ignoring the column{'s' if len(self.ignored_columns) > 1 else ''} {names}; "
                f"genexam reads {', '.join(COLUMNS)}")


def file_safe(student_id: str) -> str:
    """``student_id`` reduced to letters, digits, '.', '_' and '-' (accents
    dropped), so it is a file name on every system."""
    ascii_id = unicodedata.normalize("NFKD", student_id).encode("ascii", "ignore").decode()
    return _UNSAFE.sub("_", ascii_id).strip("._") or "_"


def read_roster(path: str | Path) -> Roster:
    """Read and check the roster at ``path``; raise RosterError listing every
    problem (file:line) found."""
    path = Path(path)
    try:
        data = read_limited(path, ROSTER_BYTES, "roster")
    except ValueError as exc:
        raise GenexamError(f"{exc}; give the path to a CSV class list with a header row and an 'id' column") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = exc.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        where = Location.at_offset(str(path), data, start)
        raise RosterError([Problem(where, "", f"byte 0x{data[start]:02x} is not UTF-8; save the roster as "
                                              "UTF-8 (in a spreadsheet: 'CSV UTF-8')")]) from None
    return parse_roster(text, path)


def parse_roster(text: str, path: Path) -> Roster:
    """Check roster text (see :func:`read_roster`)."""
    file = str(path)
    problems: list[Problem] = []

    def report(line: int, message: str) -> None:
        problems.append(Problem(Location(file, line), "", message))

    # Rows are split by csv alone: str.splitlines() would also split a name
    # at U+2028, U+0085 or a form feed and invent a student from its tail.
    lines = re.split(r"\r\n|\r|\n", text, maxsplit=2)
    excel = _EXCEL_SEPARATOR.match(lines[0])  # Excel's "sep=;" first line names the delimiter
    header_at = 2 if excel else 1
    header_line = lines[header_at - 1] if len(lines) >= header_at else ""
    if not header_line.strip():
        raise RosterError([Problem(Location(file, header_at), "", "the roster is empty; its first line is a "
                                                                  "header such as `id,name`")])
    delimiter = excel.group(1) if excel else _delimiter(header_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        if excel:
            next(reader)
        header = [h.strip() for h in next(reader)]
    except csv.Error as exc:
        raise RosterError([Problem(Location(file, header_at), "", f"the header is not valid CSV: {exc}")]) from None
    lowered = [h.lower() for h in header]
    if "id" not in lowered:
        raise RosterError([Problem(Location(file, header_at), "", f"the header has no 'id' column (found "
                                                          f"{', '.join(repr(h) for h in header) or 'nothing'}); "
                                                          "the first line names the columns, e.g. `id,name`")])
    for name in COLUMNS:
        if lowered.count(name) > 1:
            report(header_at, f"the column {name!r} appears {lowered.count(name)} times; keep one")
    column = {name: lowered.index(name) for name in COLUMNS if name in lowered}
    ignored = tuple(h for h in header if h.lower() not in COLUMNS and h)

    students: list[Student] = []
    seen: dict[str, int] = {}
    files: dict[str, tuple[str, int]] = {}
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue  # blank lines (a spreadsheet's trailing ones)
            if any(cell.strip() for cell in row[len(header):]):
                report(line, f"this row has {len(row)} cells but the header names {len(header)} columns; a "
                             "name with a comma (or the delimiter) in it needs quotes: \"Ångström, Zoë\"")
                continue
            cells = {name: row[i].strip() if i < len(row) else "" for name, i in column.items()}
            student_id, name, version = cells["id"], cells.get("name", ""), cells.get("version", "")
            bad = next((c for c in student_id + name + version if unicodedata.category(c)[0] == "C"), None)
            if bad is not None:
                report(line, f"a control character (U+{ord(bad):04X}) is in this row; remove it")
                continue
            if not student_id:
                report(line, "this student has no id; every row needs one in the 'id' column")
                continue
            if len(student_id) > STUDENT_ID.value or len(name) > STUDENT_NAME.value:
                limit, found = (STUDENT_ID, student_id) if len(student_id) > STUDENT_ID.value else (STUDENT_NAME, name)
                report(line, exceeded(limit, f"{len(found)} characters") + "; shorten it")
                continue
            if len(students) == ROSTER_STUDENTS.value:
                report(line, exceeded(ROSTER_STUDENTS) + "; split the class into several rosters")
                break
            if student_id in seen:
                report(line, f"the id {student_id!r} is already used on line {seen[student_id]}; ids must be unique")
                continue
            seen[student_id] = line
            safe = file_safe(student_id).lower()  # case-insensitive file systems (macOS, Windows)
            if safe in files:
                other, other_line = files[safe]
                report(line, f"the ids {other!r} (line {other_line}) and {student_id!r} give the same file name "
                             f"exam-{file_safe(student_id)}.pdf; change one so they differ in letters or digits")
                continue
            files[safe] = (student_id, line)
            if _LABEL.match(version.upper()):
                version = version.upper()  # "b" is version B
            elif version:
                report(line, f"unknown version label {version!r}; versions are labelled A, B, ... Z, AA, ... "
                             "(leave the cell empty to have one assigned)")
                version = ""
            students.append(Student(student_id, name, version, line))
    except csv.Error as exc:
        hint = ("; a quote (\") opened on this line or an earlier one is never closed: close it, or write the cell without quotes"
                if "end of data" in str(exc) or "EOF" in str(exc) else "")
        report(reader.line_num, f"this row is not valid CSV: {exc}{hint}")
    if not students and not problems:
        report(1, "the roster lists no students: add one row per student under the header")
    if problems:
        raise RosterError(problems)
    return Roster(path, tuple(students), ignored)


def _delimiter(header: str) -> str:
    """Comma, semicolon or tab, whichever splits the header into more
    columns (spreadsheets in many locales write semicolons; a copy from a
    spreadsheet pastes tabs)."""
    try:
        return csv.Sniffer().sniff(header, delimiters=",;\t").delimiter
    except csv.Error:
        return max(",;\t", key=header.count)


def assign_versions(roster: Roster, labels: Sequence[str] | None, seed: int) -> tuple[list[str], dict[str, str]]:
    """The version labels, and student id -> version label.

    ``labels`` are the spec's versions when it names a number; otherwise
    (None) a `version` column alone decides how many there are. Students
    with a label keep it; the others are dealt out in an order drawn from
    (seed, student id) to whichever version has fewest students so far, so
    the groups differ by at most one (when the column allows it) and the
    same roster always gives the same assignment."""
    asked = [s for s in roster.students if s.version]
    if labels is None:
        count = max((_label_index(s.version) for s in asked), default=0) + 1
        if count > MAX_VERSIONS:
            raise GenexamError(f"{roster.path}: at most {MAX_VERSIONS} versions (A to ZZ)")
        labels = [version_label(i) for i in range(count)]
    known = set(labels)
    wrong = [s for s in asked if s.version not in known]
    if wrong:
        shown = f"{labels[0]} to {labels[-1]}" if len(labels) > 1 else labels[0]
        raise RosterError([Problem(Location(str(roster.path), s.line), "",
                                   f"unknown version label {s.version!r}: the spec has versions {shown}; "
                                   "fix the label, raise `versions`, or leave the cell empty")
                           for s in wrong])
    sizes = {label: 0 for label in labels}
    out: dict[str, str] = {}
    for student in asked:
        out[student.id] = student.version
        sizes[student.version] += 1
    rest = sorted((s for s in roster.students if not s.version), key=lambda s: _draw(seed, s.id))
    for student in rest:
        label = min(labels, key=lambda lab: sizes[lab])  # first of the smallest, in label order
        out[student.id] = label
        sizes[label] += 1
    return list(labels), {s.id: out[s.id] for s in roster.students}


def _label_index(label: str) -> int:
    index = 0
    for char in label:
        index = index * 26 + (ord(char) - ord("A") + 1)
    return index - 1


def _draw(seed: int, student_id: str) -> bytes:
    return hashlib.sha256(f"genexam-roster/{seed}/{student_id}".encode()).digest()
