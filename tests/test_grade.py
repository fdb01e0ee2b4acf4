"""`genexam grade` end to end: simulated classes of 40 built from answers.json
(right answers, equivalent forms, wrong answers, blanks, garbage and hostile
text), whose grades must equal the ones constructed here, exactly."""

from __future__ import annotations

import csv
import io
import json
from fractions import Fraction
from pathlib import Path

import pytest
import sympy

from conftest import PROBLEM_SETS, run_genexam
from genexam.gradable import decode_value

STUDENTS = 40
MODES = ("right", "equivalent", "wrong", "blank", "garbage")
HOSTILE = ["__import__('os').system('touch pwned')", "lambda: 0", "9**9**9**9", "x" * 10_000, "1\x002",
           '=HYPERLINK("http://example.com","x")', "@SUM(1+1)", "+1+1", "-1+2"]


@pytest.fixture(scope="module", params=["a5", "test3"])
def build(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param)
    run = run_genexam("build", str(PROBLEM_SETS / f"{request.param}.yaml"), "--versions", "4", "--format", "json",
                      "-o", str(folder / "out"))
    assert run.code == 0, run.stderr
    return folder, json.loads((folder / "out" / "answers.json").read_text())


def _parts(record):
    """(printed part, [(column, answer id, value)]) per asked part, and its points."""
    points = record["points"]
    shares = ([Fraction(str(p)) for p in points] if isinstance(points, list)
              else [Fraction(str(points)) / len(record["parts"])] * len(record["parts"]))
    for part, label, share in zip(record["parts"], record["labels"], shares):
        ids = [a for a in record["part_answers"].get(part, []) if record["answers"].get(a) is not None]
        if not ids and isinstance(record["answers"].get(part), dict):
            ids = [part]
        yield f"{record['number']}{label}", ids, share


def _leaves(value):
    if isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


def _student_text(value, kind: str, mode: str) -> str:
    """What a student of ``mode`` writes for a key value."""
    if mode == "blank":
        return ""
    if mode == "garbage":
        return "§§ no idea §§"
    if kind == "choice":
        letter = value
        return f"({letter.lower()})" if mode == "equivalent" else (letter if mode == "right"
                                                                 else "ABCD"[("ABCD".index(letter) + 1) % 4])
    if kind == "boolean":
        return ("Yes" if value else "No") if mode != "wrong" else ("no" if value else "yes")
    if kind == "word":
        return value.upper() if mode == "equivalent" else (value if mode == "right" else "neither")
    if isinstance(value, list):
        items = [_student_text(v, kind, "right" if i or mode != "wrong" else "wrong")
                 for i, v in enumerate(_leaves(value))]
        if mode == "equivalent":
            items = [_student_text(v, kind, "equivalent") for v in _leaves(value)]
        return "[" + ", ".join(items) + "]"
    if kind == "big_o":
        form = sympy.factor(value) if mode == "equivalent" else value
        if mode == "wrong":
            form = value * sorted(value.free_symbols, key=str)[0]  # one power too many
        return f"O({sympy.sstr(form)})"
    if mode == "wrong":
        return sympy.sstr(value + 1)
    if mode == "equivalent":
        if value.free_symbols:
            return sympy.sstr(sympy.factor(value)).replace("**", "^").replace("*", " ")
        if value.is_Integer:
            return f"{int(value):,}"
        if value.is_Rational:
            return f"({value.p})/({value.q})"
        return str(sympy.N(value, 12))  # a decimal within the tolerance
    return sympy.sstr(value)


def _kind(record, answer_id, raw):
    if isinstance(raw, dict):
        return "choice" if raw.get("choice") else "explained"
    from genexam.gradable import _kind_of

    return record.get("kinds", {}).get(answer_id) or _kind_of(decode_value(raw))


def simulate(document):
    """responses.csv text, and the grades (id -> total, pending count) constructed for it."""
    columns: list[str] = []
    rows = []
    expected = {}
    versions = [v for v in document["versions"]]
    for s in range(STUDENTS):
        version = versions[s % len(versions)]
        cells: dict[str, str] = {}
        total, pending = Fraction(0), 0
        for index, record in enumerate(version["problems"]):
            for part_column, ids, share in _parts(record):
                if not ids:  # explained in words: always to review
                    cells[part_column] = "my explanation"
                    pending += 1
                    columns.append(part_column)
                    continue
                for j, answer_id in enumerate(ids):
                    column = part_column if len(ids) == 1 else f"{part_column}.{answer_id}"
                    columns.append(column)
                    raw = record["answers"][answer_id]
                    kind = _kind(record, answer_id, raw)
                    mode = MODES[(s + index + j) % len(MODES)]
                    points = share / len(ids)
                    if kind == "explained":
                        cells[column] = "" if mode == "blank" else "my explanation"
                        pending += mode != "blank"
                        continue
                    value = raw["choice"] if kind == "choice" else (raw if kind == "word" else decode_value(raw))
                    cells[column] = _student_text(value, kind, mode)
                    if mode in ("right", "equivalent"):
                        total += points
                    elif mode == "wrong" and isinstance(value, list):
                        entries = len(list(_leaves(value)))
                        total += points * (entries - 1) / entries  # only the first entry is wrong
                    elif mode == "garbage":
                        pending += kind != "word"  # any text is a word: a wrong one
        rows.append({"id": f"s{s:02d}", "version": version["version"], **cells})
        expected[f"s{s:02d}"] = (total, pending)
    header = ["id", "version", *dict.fromkeys(columns)]
    out = io.StringIO()
    writer = csv.DictWriter(out, header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue(), expected


def read_grades(path: Path):
    with path.open(newline="") as file:
        return {row["id"]: row for row in csv.DictReader(file)}


def test_grades_equal_the_constructed_ones(build):
    folder, document = build
    text, expected = simulate(document)
    (folder / "responses.csv").write_text(text)
    run = run_genexam("grade", str(folder / "out" / "answers.json"), str(folder / "responses.csv"),
                      "-o", str(folder / "grades"), "--no-pdf")
    assert run.code == 0, run.stderr
    grades = read_grades(folder / "grades" / "grades.csv")
    assert len(grades) == STUDENTS
    for student, (total, pending) in expected.items():
        row = grades[student]
        assert abs(Fraction(row["total"]) - total) < Fraction(1, 10_000), (student, row)  # 4 decimals
        assert int(row["pending_review"]) == pending, (student, row)
    with (folder / "grades" / "review.csv").open(newline="") as file:
        review = list(csv.DictReader(file))
    assert len(review) == sum(p for _, p in expected.values())


def test_review_completes_the_grades(build):
    folder, document = build
    text, expected = simulate(document)
    (folder / "responses.csv").write_text(text)
    answers = str(folder / "out" / "answers.json")
    run = run_genexam("grade", answers, str(folder / "responses.csv"), "-o", str(folder / "g1"), "--no-pdf")
    assert run.code == 0, run.stderr
    rows = list(csv.reader((folder / "g1" / "review.csv").open(newline="")))
    header, body = rows[0], rows[1:]
    points = header.index("points")
    for row in body:  # a person gives full points to every reviewed answer
        row[points] = row[header.index("max_points")]
    with (folder / "review-done.csv").open("w", newline="") as file:
        csv.writer(file).writerows([header, *body])
    run = run_genexam("grade", answers, str(folder / "responses.csv"), "-o", str(folder / "g2"), "--no-pdf",
                      "--review", str(folder / "review-done.csv"))
    assert run.code == 0, run.stderr
    before, after = read_grades(folder / "g1" / "grades.csv"), read_grades(folder / "g2" / "grades.csv")
    for student in before:
        assert after[student]["pending_review"] == "0"
        assert Fraction(after[student]["total"]) >= Fraction(before[student]["total"])
    assert (folder / "g2" / "review.csv").read_text().count("\n") == 1  # nothing left to review


def test_hostile_answers_execute_nothing_and_are_neutralised(build, tmp_path):
    folder, document = build
    template = run_genexam("grade", "--template", str(folder / "out" / "answers.json"))
    header = next(csv.reader(io.StringIO(template.stdout)))
    version = document["versions"][0]["version"]
    rows = [header] + [[f"=cmd|{i}", version, *([text] * (len(header) - 2))] for i, text in enumerate(HOSTILE)]
    with (tmp_path / "responses.csv").open("w", newline="") as file:
        csv.writer(file).writerows(rows)
    run = run_genexam("grade", str(folder / "out" / "answers.json"), str(tmp_path / "responses.csv"),
                      "-o", str(tmp_path / "g"), "--no-pdf", cwd=tmp_path)
    assert run.code == 0, run.stderr
    assert not (tmp_path / "pwned").exists()
    grades = (tmp_path / "g" / "grades.csv").read_text()
    review = (tmp_path / "g" / "review.csv").read_text()
    for table in (grades, review):
        for row in csv.reader(io.StringIO(table)):
            for cell in row[:1] + row[4:6]:
                assert not cell.startswith(("=", "+", "-", "@")), cell
    for row in list(csv.DictReader(io.StringIO(grades)))[:7]:
        assert Fraction(row["total"]) == 0  # nothing hostile earns a point (+1+1 and -1+2 are arithmetic)


def test_template_lists_every_column_with_a_comment_row(build):
    folder, document = build
    run = run_genexam("grade", "--template", str(folder / "out" / "answers.json"))
    assert run.code == 0, run.stderr
    header, comment = list(csv.reader(io.StringIO(run.stdout)))[:2]
    assert header[:2] == ["id", "version"] and comment[0].startswith("# genexam responses, build ")
    assert len(header) == len(set(header)) and len(comment) == len(header)


def _responses(folder, rows):
    path = folder / "bad.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_bad_input_gets_located_errors_and_writes_nothing(build, tmp_path):
    folder, document = build
    answers = str(folder / "out" / "answers.json")
    header = next(csv.reader(io.StringIO(run_genexam("grade", "--template", answers).stdout)))
    line = ",".join(header)
    blank = "," * (len(header) - 2)
    cases = {
        "unknown version": ([line, f"s1,ZZ{blank}"], "bad.csv:2:2: unknown version 'ZZ'"),
        "duplicate": ([line, f"s1,A{blank}", f"s1,A{blank}"], "bad.csv:3:1: student 's1' appears twice"),
        "missing column": ([",".join(header[:-1]), "s1,A" + "," * (len(header) - 3)], "missing column"),
        "extra column": ([line + ",9z", f"s1,A{blank},"], "bad.csv:1:" + str(len(header) + 1) + ": unknown column '9z'"),
        "no id": ([line.replace("id,", "student,", 1), f"s1,A{blank}"], "bad.csv:1:1: no 'id' column"),
        "other build": ([line, "\"# genexam responses, build 000000000000\"" + "," * (len(header) - 1), f"s1,A{blank}"],
                        "bad.csv:2:1: these responses were made for another build"),
    }
    for name, (rows, message) in cases.items():
        out = tmp_path / name.replace(" ", "-")
        run = run_genexam("grade", answers, str(_responses(tmp_path, rows)), "-o", str(out), "--no-pdf")
        assert run.code == 2 and message in run.stderr, (name, run.stderr)
        assert "Traceback" not in run.stderr and not out.exists()
    (tmp_path / "latin1.csv").write_bytes(line.encode() + b"\ns\xe9,A" + blank.encode() + b"\n")
    run = run_genexam("grade", answers, str(tmp_path / "latin1.csv"), "--no-pdf", "-o", str(tmp_path / "x"))
    assert run.code == 2 and "latin1.csv:2:2: byte 0xe9 is not UTF-8" in run.stderr
    (tmp_path / "fake.json").write_text('{"versions": []}')
    run = run_genexam("grade", str(tmp_path / "fake.json"), str(tmp_path / "latin1.csv"))
    assert run.code == 2 and "not an answers.json written by genexam" in run.stderr


def test_feedback_and_report_as_pdf(build):
    folder, document = build
    text, _ = simulate(document)
    lines = text.splitlines()
    (folder / "small.csv").write_text("\n".join(lines[:6]) + "\n")
    run = run_genexam("grade", str(folder / "out" / "answers.json"), str(folder / "small.csv"), "-o", str(folder / "pdf"))
    assert run.code == 0, run.stderr
    out = folder / "pdf"
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF")
    assert len(list((out / "feedback").glob("*.pdf"))) == 5
    report = (out / "report.md").read_text()
    assert "## Version fairness" in report and "| A |" in report and "figures/histogram.svg" in report


def test_a_roster_build_says_whose_version_is_whose(tmp_path):
    """With a roster, answers.json records each student's copy: the template
    lists the class, and a version that contradicts the roster is refused."""
    from conftest import REPO

    spec = tmp_path / "a5.yaml"
    spec.write_text("\n".join(line for line in (PROBLEM_SETS / "a5.yaml").read_text().splitlines()
                              if not line.startswith("versions:")) + "\n")
    run = run_genexam("build", str(spec), "--roster", str(REPO / "tests" / "data" / "class.csv"),
                      "--format", "json", "-o", str(tmp_path / "out"))
    assert run.code == 0, run.stderr
    answers = str(tmp_path / "out" / "answers.json")
    rows = list(csv.reader(io.StringIO(run_genexam("grade", "--template", answers).stdout)))
    students = rows[2:]
    assert len(students) == 30 and all(row[0] == row[1] for row in students)  # an instance each
    header = rows[0]
    students[0][header.index("1c.cheaper")] = "rnn"
    students[1][1] = students[0][0]  # the second student claims the first one's instance
    with (tmp_path / "responses.csv").open("w", newline="") as file:
        csv.writer(file).writerows([header, *students])
    run = run_genexam("grade", answers, str(tmp_path / "responses.csv"), "--no-pdf", "-o", str(tmp_path / "g"))
    assert run.code == 2 and "responses.csv:3:2: student" in run.stderr and not (tmp_path / "g").exists()
    students[1][1] = ""  # the roster says which: no version needed
    with (tmp_path / "responses.csv").open("w", newline="") as file:
        csv.writer(file).writerows([header, *students])
    run = run_genexam("grade", answers, str(tmp_path / "responses.csv"), "--no-pdf", "-o", str(tmp_path / "g"))
    assert run.code == 0, run.stderr
    grades = read_grades(tmp_path / "g" / "grades.csv")
    assert len(grades) == 30 and grades[students[1][0]]["version"] == students[1][0]
