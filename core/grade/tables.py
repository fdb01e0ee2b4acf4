"""grades.csv and review.csv: written for spreadsheets, and review.csv read back.

Cells that a spreadsheet would run as a formula (starting with = + - @, or a
tab or carriage return) are neutralised with a leading apostrophe, as OWASP
advises for CSV injection: a student's answer is shown, never executed.
"""

from __future__ import annotations

import csv
import io
from fractions import Fraction
from pathlib import Path
from typing import Sequence

from ..errors import GenexamError, Location, Problem, SpecError
from ..texfilters import points as format_points
from .marking import Overrides, StudentResult

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
REVIEW_HEADER = ["id", "version", "column", "status", "student_answer", "key_answer", "max_points", "points",
                 "detail"]


def safe_cell(text: str) -> str:
    """A cell a spreadsheet shows as text."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _number(value: Fraction) -> str:
    return format_points(value) if value.denominator in (1, 2, 4, 5, 10, 20, 25, 50, 100) else f"{float(value):.4f}"


def _exact(value: Fraction) -> str:
    """Points a person can type back exactly: 2, 0.5 or 5/3."""
    return _number(value) if value.denominator in (1, 2, 4, 5, 10, 20, 25, 50, 100) else str(value)


def grades_csv(results: Sequence[StudentResult], max_points: Fraction) -> str:
    """One row per student: id, version, points per printed part, total, percent
    (of the whole exam); answers awaiting review count 0 and are flagged."""
    parts: dict[str, None] = {}
    for result in results:
        parts.update(dict.fromkeys(result.part_points()))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "version", *parts, "total", "percent", "pending_review"])
    for result in results:
        points = result.part_points()
        pending = sum(1 for m in result.marks if m.needs_review)
        percent = result.total / max_points * 100 if max_points else Fraction(0)
        writer.writerow([safe_cell(result.student), result.version,
                         *(_number(points[p]) if p in points else "" for p in parts),
                         _number(result.total), f"{float(percent):.1f}", pending])
    return out.getvalue()


def review_csv(results: Sequence[StudentResult]) -> str:
    """Every answer a person must decide, with the key beside it; fill in
    ``points`` and pass the file back with ``--review``."""
    from .feedback import key_text

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(REVIEW_HEADER)
    for result in results:
        for mark in result.marks:
            if not mark.needs_review:
                continue
            detail = "; ".join(dict.fromkeys(v.detail for v in mark.verdicts if v.detail))
            writer.writerow([safe_cell(result.student), result.version, mark.answer.column, mark.status,
                             safe_cell(mark.text.replace("\x00", "")), safe_cell(key_text(mark.answer)),
                             _exact(mark.answer.points), "", safe_cell(detail)])
    return out.getvalue()


def read_review(path: Path, results: Sequence[StudentResult]) -> Overrides:
    """A filled-in review.csv: (student, column) -> points, checked against the marks."""
    name = str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise GenexamError(f"{name}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise GenexamError(f"{name}: byte {exc.start} is not UTF-8; save the file as UTF-8") from None
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows or [h.strip() for h in rows[0][:len(REVIEW_HEADER)]] != REVIEW_HEADER:
        raise GenexamError(f"{name}:1: not a review.csv written by `genexam grade` "
                           f"(expected the columns {', '.join(REVIEW_HEADER)})")
    possible = {(r.student, m.answer.column): m.answer.points for r in results for m in r.marks}
    problems: list[Problem] = []
    overrides: dict[tuple[str, str], Fraction] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        cells = dict(zip(REVIEW_HEADER, row))
        student = cells.get("id", "").removeprefix("'")
        column = cells.get("column", "")
        given = cells.get("points", "").strip()
        if (student, column) not in possible:
            problems.append(Problem(Location(name, line, 1), "", f"no answer {column} of student '{student}' in these responses"))
            continue
        if not given:
            continue  # still undecided: stays in review
        try:
            points = Fraction(given)
        except (ValueError, ZeroDivisionError):
            problems.append(Problem(Location(name, line, REVIEW_HEADER.index("points") + 1), "",
                                    f"points '{given[:20]}' is not a number; write e.g. 1 or 0.5"))
            continue
        most = possible[(student, column)]
        if most < points <= most + Fraction(1, 10_000):  # the maximum, typed as a rounded decimal
            points = most
        if not 0 <= points <= most:
            problems.append(Problem(Location(name, line, REVIEW_HEADER.index("points") + 1), "",
                                    f"points {given} outside 0 to {_exact(most)}"))
            continue
        overrides[(student, column)] = points
    if problems:
        raise SpecError(problems)
    return overrides
