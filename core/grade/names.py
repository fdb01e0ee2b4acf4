"""File names from student ids: safe on every file system, and never two
students in one file."""

from __future__ import annotations

import re
import unicodedata
from typing import Iterable

from ..errors import GenexamError


def safe_name(student: str) -> str:
    """``student`` as a file name: letters, digits, ``-`` and ``_`` kept
    (accents folded), everything else ``_``; never empty or hidden."""
    folded = unicodedata.normalize("NFKD", student).encode("ascii", "ignore").decode()
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", folded).strip("_")[:64]
    return name or "student"


def file_names(students: Iterable[str]) -> dict[str, str]:
    """student id -> file name; ids that collide as file names are refused."""
    names: dict[str, str] = {}
    owners: dict[str, str] = {}
    for student in students:
        name = safe_name(student)
        if name.lower() in owners:
            raise GenexamError(f"student ids '{owners[name.lower()]}' and '{student}' give the same file name "
                               f"'{name}'; make the ids differ in their letters or digits")
        owners[name.lower()] = student
        names[student] = name
    return names
