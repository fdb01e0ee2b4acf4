"""Per-student feedback: for every part, what they wrote, the right answer,
the points, and the worked solution for what they missed.

The worked solutions are the key's own: each instance is solved again from
its family and parameters in answers.json and rendered through the family's
template, so feedback and key say the same.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Mapping, Sequence

import sympy

from ..gradable import flatten
from ..render.pandoc import escape_markdown
from ..texfilters import points as format_points
from ..texfilters import tex
from .marking import Mark, StudentResult


def key_text(answer: Any) -> str:
    """The key's answer as plain text (for CSV files)."""
    value = answer.value
    if answer.kind == "big_o":
        return f"O({sympy.sstr(value)})"
    if answer.kind == "word" and isinstance(value, list):
        return " ".join(map(str, value))
    if isinstance(value, list):
        return "(" + ", ".join(sympy.sstr(v) if isinstance(v, sympy.Basic) else str(v) for v in value) + ")"
    if isinstance(value, sympy.Basic):
        return sympy.sstr(value)
    return str(value)


def key_markdown(mark: Mark) -> str:
    """The key's answer as Markdown with TeX math."""
    value = mark.answer.value
    kind = mark.answer.kind
    if kind in ("choice", "word"):
        shown = " ".join(map(str, value)) if isinstance(value, list) else str(value)
        return f"**{escape_markdown(shown, inline=True)}**"
    if kind == "boolean":
        return "**yes**" if value else "**no**"
    if kind == "explained":
        return "see the worked solution"
    if kind == "big_o":
        return f"$O({tex(value)})$"
    if isinstance(value, list):
        return "$(" + ", ".join(tex(v) for v in flatten(value)) + ")$"
    return f"${tex(value)}$"


def _written(text: str) -> str:
    """The student's text, shown literally: every mark escaped, so nothing
    they wrote renders as Markdown, math or a table cell."""
    shown = " ".join(text.split())[:200]
    return escape_markdown(shown) if shown else "*(blank)*"


_STATUS = {"correct": "correct", "wrong": "not correct", "blank": "blank", "partial": "partly correct",
           "unreadable": "could not be read: a person marks it", "undecided": "a person marks it",
           "explained": "a person marks it"}


def feedback_markdown(result: StudentResult, title: str, max_points: Fraction,
                      solutions: Mapping[tuple[str, str], str], keys: dict[int, str] | None = None) -> str:
    """One student's feedback as Markdown: a table of every answer (theirs,
    the key's, the points), then the worked solution of each part they missed."""
    lines = [f"# {escape_markdown(title, inline=True)}: feedback", "",
             f"**Student** {escape_markdown(result.student, inline=True)} · **version** {result.version} · "
             f"**points** {format_points(result.total)} of {format_points(max_points)}"
             + ("" if result.complete else " (some answers are still being marked)"), "",
             "| part | your answer | answer | points | |", "|---|---|---|---:|---|"]
    missed: dict[str, None] = {}
    for mark in result.marks:
        answer = mark.answer
        name = answer.part_column + (f" {escape_markdown(answer.answer)}" if not answer.single else "")
        got = "?" if mark.points is None else format_points(mark.points)
        if keys is None or id(answer) not in keys:  # printing the key costs more than judging it
            keys = {} if keys is None else keys
            keys[id(answer)] = key_markdown(mark)
        lines.append(f"| {name} | {_written(mark.text)} | {keys[id(answer)]} | {got} / {format_points(answer.points)} "
                     f"| {_STATUS.get(mark.status, mark.status)} |")
        if mark.points is None or mark.points < answer.points:
            missed[answer.part_column] = None
    for part in missed:
        solution = solutions.get((result.version, part))
        if solution:
            lines += ["", f"## Worked solution of {part}", "", solution]
    return "\n".join(lines) + "\n"


def worked_solutions(document: Mapping[str, Any], registry: Any
                     ) -> tuple[dict[tuple[str, str], str], dict[str, str]]:
    """(version, part column) -> the part's worked solution as Markdown,
    re-solved from answers.json, and the figures they show (path -> SVG);
    families that cannot be re-solved here (not installed, or reading a
    file) are left out."""
    from ..instances import Instance, solve
    from ..templating import instance_figures, render_problem

    out: dict[tuple[str, str], str] = {}
    figures: dict[str, str] = {}
    for version in document["versions"]:
        for record in version["problems"]:
            family = registry.families.get(record["family"])
            if family is None:
                continue
            try:
                params = {name: family.param(name).coerce(raw) for name, raw in record["params"].items()}
                instance = Instance(record["number"], version["version"], _problem(family, record), record["seed"],
                                    params, solve(family, params))
                text = render_problem(instance, registry.filters)
                figures.update(instance_figures(instance))
            except Exception:  # noqa: BLE001 -- feedback without a solution beats no feedback
                continue
            for part, label in zip(text.parts, record["labels"]):
                if part.id in record["parts"]:
                    out[(version["version"], f"{record['number']}{label}")] = part.solution
    return out, figures


def _problem(family: Any, record: Mapping[str, Any]) -> Any:
    from ..errors import Location
    from ..spec import ProblemSpec

    points = record["points"]
    points = tuple(Fraction(str(p)) for p in points) if isinstance(points, list) else Fraction(str(points))
    return ProblemSpec(record["id"], family, tuple(record["parts"]), points, {}, (), Location("answers.json"))


def feedback_files(results: Sequence[StudentResult], title: str, max_points: Fraction,
                   solutions: Mapping[tuple[str, str], str]) -> dict[str, str]:
    """feedback/<id>.md for every student (ids made file-name safe)."""
    from .names import file_names

    names = file_names([r.student for r in results])
    keys: dict[int, str] = {}  # one printing of each key answer, shared by the class
    return {f"feedback/{names[r.student]}.md": feedback_markdown(r, title, max_points, solutions, keys)
            for r in results}
