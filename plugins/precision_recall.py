"""precision_recall: (being written)."""

from __future__ import annotations

from genexam import hookimpl


@hookimpl
def genexam_families() -> list:
    return []
