"""`genexam grade`: answers.json + responses.csv -> grades, review list,
feedback and report, written to one folder atomically."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Mapping

from ..errors import GenexamError
from ..gradable import DecodeError, gradable_answers
from .feedback import feedback_files, worked_solutions
from .marking import StudentResult, mark_all
from .report import report_files
from .responses import load_answers, read_responses
from .tables import grades_csv, read_review, review_csv


@dataclass
class GradeResult:
    files: dict[str, bytes]
    results: list[StudentResult]
    review_count: int


def check_answers(document: Mapping[str, Any], name: str) -> None:
    """Every answer of answers.json decodes, or a message naming where."""
    for version in document["versions"]:
        for record in version.get("problems", []):
            try:
                gradable_answers({"versions": [{"version": version["version"], "problems": [record]}]})
            except (DecodeError, KeyError, TypeError, ValueError) as exc:
                raise GenexamError(f"{name}: version {version.get('version')}, question {record.get('number')}: "
                                   f"not an answer genexam writes ({exc}); give the answers.json of a build") from None


def grade(answers_path: Path, responses_path: Path, review_path: Path | None = None,
          pdf: bool = True, registry: Any = None) -> GradeResult:
    """Mark every response; returns the files to write (nothing is written here)."""
    document = load_answers(answers_path)
    check_answers(document, str(answers_path))
    responses = read_responses(responses_path, document)
    results = mark_all(document, responses)
    if review_path is not None:
        results = mark_all(document, responses, read_review(review_path, results))
    max_points = Fraction(str(document.get("total_points", 0)))
    title = str(document.get("title", "Exam"))
    if registry is None:
        from ..registry import build_registry

        registry = build_registry()
    solutions, figures = worked_solutions(document, registry)
    text: dict[str, str] = {
        "grades.csv": grades_csv(results, max_points),
        "review.csv": review_csv(results),
        **report_files(results, title, max_points),
        **feedback_files(results, title, max_points, solutions),
    }
    shown = {path: svg for path, svg in figures.items() if any(path in t for t in text.values())}
    text.update(shown)
    # feedback/*.md sit one folder down from figures/
    files = {name: (content.replace("](figures/", "](../figures/") if name.startswith("feedback/") else content)
             .encode("utf-8") for name, content in text.items()}
    if pdf:
        from .pdf import markdown_pdfs

        sources = {name[:-3]: content for name, content in text.items() if name.endswith(".md")}
        figures = {name: content.encode() for name, content in text.items() if name.endswith(".svg")}
        files.update({f"{name}.pdf": data for name, data in markdown_pdfs(sources, figures).items()})
    pending = sum(1 for r in results for m in r.marks if m.needs_review)
    return GradeResult(dict(sorted(files.items())), results, pending)
