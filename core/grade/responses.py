"""responses.csv: what each student wrote, one row per student.

Columns: ``id``, ``version`` (optional where answers.json records the roster's
assignment), then one column per gradable answer, named by the printed
question and part (``2b``; ``3a.total_mults`` for one answer of a part that
asks several). ``genexam grade --template`` writes the blank file, with a
comment row (``#`` in the first cell) explaining each column and naming the
build it belongs to, so responses for another build are refused.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from ..errors import GenexamError, Location, Problem, SpecError
from ..gradable import GradableAnswer, gradable_answers

#: Bounds on a responses file: a class, not a denial of service.
MAX_BYTES = 20_000_000
MAX_CELL = 10_000  # characters kept of one cell (the grammar reads at most 500)

_KIND_HELP = {
    "integer": "a whole number, e.g. 1070625 or 1,070,625",
    "rational": "a number, exact or decimal, e.g. 3/4 or 0.75",
    "real": "an exact value or a decimal, e.g. 1/(1+e) or 0.2689",
    "expression": "a formula in the question's symbols, e.g. 61n^2 + 9700n",
    "big_o": "a big-O, e.g. O(L t n^2)",
    "choice": "a letter, e.g. C",
    "boolean": "yes or no",
    "word": "a word",
    "explained": "the written answer (graded by a person)",
}


@dataclass(frozen=True)
class Response:
    """One student's row."""

    student: str
    version: str
    answers: Mapping[str, str]  # column -> text
    line: int


def roster_versions(document: Mapping[str, Any]) -> dict[str, str]:
    """student id -> the version label (in answers.json's ``versions``) of
    their copy, from the roster a build recorded; empty without a roster."""
    roster = document.get("roster") or {}
    return {str(s["id"]): str(s.get("instance") or s.get("version"))
            for s in roster.get("students", []) if isinstance(s, dict) and "id" in s}


def build_digest(document: Mapping[str, Any]) -> str:
    """A short digest of a build's answers: responses made for one build are
    refused against another's answers.json."""
    canonical = json.dumps(document.get("versions", []), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def columns(answers: Sequence[GradableAnswer]) -> list[GradableAnswer]:
    """The distinct columns, in question order (the first version's answer stands for each)."""
    seen: dict[str, GradableAnswer] = {}
    for answer in answers:
        seen.setdefault(answer.column, answer)
    return list(seen.values())


def template(document: Mapping[str, Any]) -> str:
    """The blank responses.csv for a build: header, the comment row, and one
    row per student of the roster when answers.json records one."""
    cols = columns(gradable_answers(document))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "version", *(c.column for c in cols)])
    writer.writerow([f"# genexam responses, build {build_digest(document)}",
                     "version label (A, B, ...)", *(_help(c) for c in cols)])
    for student, version in roster_versions(document).items():
        writer.writerow([student, version, *([""] * len(cols))])
    return out.getvalue()


def _help(answer: GradableAnswer) -> str:
    what = _KIND_HELP[answer.kind]
    return f"a vector of these, e.g. (1, 2, 3): {what}" if answer.structured else what


def read_responses(path: Path, document: Mapping[str, Any]) -> list[Response]:
    """Read and check responses.csv against a build's answers.json; every
    problem is reported at once with file:line:column, and nothing is graded."""
    name = str(path)
    try:
        if not path.is_file():
            raise GenexamError(f"{name}: no such responses file; write one with `genexam grade --template ANSWERS`")
        data = path.read_bytes()[:MAX_BYTES + 1]
    except OSError as exc:
        raise GenexamError(f"{name}: cannot read: {exc.strerror}") from None
    if len(data) > MAX_BYTES:
        raise GenexamError(f"{name}: larger than {MAX_BYTES // 1_000_000} MB; is this a responses file?")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpecError([Problem(Location.at_offset(name, data, exc.start), "",
                                 f"byte 0x{data[exc.start]:02x} is not UTF-8; save the file as UTF-8")]) from None
    # A NUL byte inside a cell is a student's (hostile) answer: the grammar calls it unreadable.
    rows = list(csv.reader(io.StringIO(text, newline="")))
    problems: list[Problem] = []

    def report(line: int, column: int | None, message: str) -> None:
        problems.append(Problem(Location(name, line, column), "", message))

    if not rows:
        raise GenexamError(f"{name}: empty; the first row names the columns (id, version, 1a, ...)")
    header = [h.strip() for h in rows[0]]
    answers = gradable_answers(document)
    known = {a.column for a in answers}
    versions = {v["version"] for v in document["versions"]}
    roster = roster_versions(document)
    if "id" not in header:
        report(1, 1, "no 'id' column; the first row names the columns: id, version, then the answers")
    if "version" not in header and not roster:
        report(1, len(header) + 1, "no 'version' column, and answers.json records no roster assignment; "
                                   "add a 'version' column")
    for index, column in enumerate(header):
        if column in ("id", "version"):
            continue
        if column not in known:
            from ..errors import did_you_mean

            report(1, index + 1, f"unknown column '{column}'{did_you_mean(column, known)}; "
                                 "`genexam grade --template` lists the columns")
    seen_columns: set[str] = set()
    for index, column in enumerate(header):
        if column in seen_columns:
            report(1, index + 1, f"column '{column}' appears twice")
        seen_columns.add(column)
    missing = sorted(known - set(header), key=_column_order(answers))
    if missing:
        report(1, None, f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; "
                        "`genexam grade --template` lists every column")
    digest = build_digest(document)
    responses: list[Response] = []
    students: dict[str, int] = {}
    for line_number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        first = row[0].strip() if row else ""
        if first.startswith("#"):
            if "build " in first and digest not in first:
                report(line_number, 1, f"these responses were made for another build ({first.split('build ')[-1]}); "
                                       f"this answers.json is build {digest}: grade against that build's "
                                       "answers.json, or make a new template")
            continue
        if len(row) > len(header):
            report(line_number, len(header) + 1, f"{len(row)} cells, but the header names {len(header)} columns")
            continue
        cells = dict(zip(header, (cell[:MAX_CELL] for cell in row)))
        student = cells.get("id", "").strip()
        if not student:
            report(line_number, header.index("id") + 1 if "id" in header else 1, "empty student id")
            continue
        if student in students:
            report(line_number, header.index("id") + 1, f"student '{student}' appears twice (also line {students[student]})")
            continue
        students[student] = line_number
        version = cells.get("version", "").strip() or roster.get(student, "")
        if roster and student not in roster:
            report(line_number, header.index("id") + 1, f"unknown student id '{student}': not in the roster of this build")
            continue
        if roster and cells.get("version", "").strip() and roster[student] != version:
            report(line_number, header.index("version") + 1,
                   f"student '{student}' has version {roster[student]} in this build, not {version}")
            continue
        if version not in versions:
            where = header.index("version") + 1 if "version" in header else 1
            shown = ", ".join(sorted(versions)[:6]) + (", ..." if len(versions) > 6 else "")
            report(line_number, where, f"unknown version '{version}'; this build has {shown}" if version
                   else "no version given for this student")
            continue
        responses.append(Response(student, version,
                                  {k: v for k, v in cells.items() if k not in ("id", "version")}, line_number))
    if problems:
        raise SpecError(problems)
    return responses


def _column_order(answers: Sequence[GradableAnswer]):
    order = {a.column: i for i, a in enumerate(answers)}
    return lambda column: order.get(column, 0)


def load_answers(path: Path) -> dict[str, Any]:
    """answers.json, checked to be one genexam wrote."""
    name = str(path)
    try:
        data = path.read_bytes()[:200_000_001]
    except OSError as exc:
        raise GenexamError(f"{name}: cannot read: {exc.strerror}; give the answers.json of a build") from None
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = f":{exc.lineno}:{exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise GenexamError(f"{name}{where}: not an answers.json written by genexam ({exc})") from None
    if not isinstance(document, dict) or "versions" not in document or document.get("format") != 1:
        raise GenexamError(f"{name}: not an answers.json written by genexam (no 'format': 1 and 'versions')")
    return document
