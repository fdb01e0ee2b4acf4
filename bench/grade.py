"""Benchmark: `genexam grade` on a class of 500 students x about 25 answers
(a5 with 10 versions), printed side by side: grading alone (grades, review,
Markdown feedback and report; target under 10 s on a 2-core machine), the
same with the feedback and report PDFs, and the build that made answers.json.

    python bench/grade.py [--runs N] [--students N]

Each figure is the median of N runs of the whole command in a fresh process.
The responses mix right answers, equivalent forms (1,070,625; n(61n + 9700);
O(L t n (t + n))), wrong answers, blanks and garbage, as a class writes them.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from build import GENEXAM, REPO, wall  # bench/build.py: `genexam ARGS` timed in a fresh process

SPEC = REPO / "problem_sets" / "a5.yaml"


def responses(answers: Path, students: int, out: Path) -> int:
    """A responses.csv of ``students`` rows; returns the number of answer cells per student."""
    template = subprocess.run(GENEXAM + ["grade", "--template", str(answers)], check=True,
                              capture_output=True, text=True).stdout
    header = next(csv.reader(template.splitlines()))
    document = json.loads(answers.read_text())
    rng = random.Random(1)
    keys = {}
    for version in document["versions"]:
        for record in version["problems"]:
            for part, label in zip(record["parts"], record["labels"]):
                ids = [a for a in record["part_answers"].get(part, []) if record["answers"].get(a) is not None]
                for answer_id in ids:
                    column = f"{record['number']}{label}" + ("" if len(ids) == 1 else f".{answer_id}")
                    keys[(version["version"], column)] = record["answers"][answer_id]
    with out.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        for s in range(students):
            version = document["versions"][s % len(document["versions"])]["version"]
            row = [f"s{s:04d}", version]
            for column in header[2:]:
                value = keys.get((version, column))
                mode = rng.random()
                if value is None:
                    row.append("an explanation")
                elif mode < 0.55:
                    row.append(_text(value))
                elif mode < 0.75:
                    row.append(_text(value, plus_one=True))
                elif mode < 0.9:
                    row.append("")
                else:
                    row.append("no idea")
            writer.writerow(row)
    return len(header) - 2


def _text(value, plus_one: bool = False) -> str:
    if isinstance(value, bool):
        return "yes" if value != plus_one else "no"
    if isinstance(value, list):
        return "(" + ", ".join(_text(v, plus_one and i == 0) for i, v in enumerate(value)) + ")"
    if isinstance(value, int):
        return f"{value + plus_one:,}"
    if plus_one:
        return f"{value} + 1"
    return str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--students", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        build_time = wall(["build", str(SPEC), "--versions", "10", "--format", "json", "-o", str(tmp_path / "out")],
                          args.runs)
        answers = tmp_path / "out" / "answers.json"
        cells = responses(answers, args.students, tmp_path / "responses.csv")
        grade_md = wall(["grade", str(answers), str(tmp_path / "responses.csv"), "-o", str(tmp_path / "g1"),
                         "--no-pdf"], args.runs)
        grade_pdf = wall(["grade", str(answers), str(tmp_path / "responses.csv"), "-o", str(tmp_path / "g2")],
                         max(1, args.runs // 3))
    print(f"{'what':58} {'median s':>9}")
    print(f"{'build a5, 10 versions, json':58} {build_time:9.2f}")
    print(f"{f'grade {args.students} students x {cells} answers (Markdown feedback)':58} {grade_md:9.2f}"
          f"   target < 10 s: {'met' if grade_md < 10 else 'NOT met'}")
    print(f"{f'grade {args.students} students, with feedback and report PDFs':58} {grade_pdf:9.2f}"
          f"   ({grade_pdf / grade_md:.1f}x of grading alone)")


if __name__ == "__main__":
    main()
