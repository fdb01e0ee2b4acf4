"""Paper copies for a class: reading a roster, assigning versions, and the
stamped copies themselves (names, ids, a QR code per page, print.pdf)."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from conftest import PROBLEM_SETS, REPO, require_tool, run_genexam
from stamped import page_count, page_qr_codes, page_size, page_texts

CLASS = REPO / "tests" / "data" / "class.csv"
QUIZ = PROBLEM_SETS / "quiz1.yaml"


def students(path: Path = CLASS) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def write(path: Path, text: str | bytes) -> Path:
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


# -- reading a roster -------------------------------------------------------------------

def test_the_class_list_reads_with_its_names_as_written():
    from genexam.roster import read_roster

    roster = read_roster(CLASS)
    assert [s.id for s in roster.students] == [row["id"] for row in students()]
    names = {s.id: s.name for s in roster.students}
    assert names["s002"] == "李雷" and names["s004"] == "Hash # and \\ back" and names["s021"] == "Smith, John"
    assert roster.ignored_columns == ("email",) and "'email'" in roster.note


def test_semicolons_and_a_byte_order_mark_are_read(tmp_path):
    from genexam.roster import read_roster

    path = write(tmp_path / "c.csv", "\ufeffID;Name;Version\n7;Ann;B\n8;\"Bo; Jr\";\n".encode("utf-8"))
    roster = read_roster(path)
    assert [(s.id, s.name, s.version) for s in roster.students] == [("7", "Ann", "B"), ("8", "Bo; Jr", "")]


@pytest.mark.parametrize("text, line, words", [
    ("name\nAnn\n", 1, "no 'id' column"),
    ("id,name\ns1,Ann\ns1,Bo\n", 3, "already used on line 2"),
    ("id,name\ns1,Ann\n,Bo\n", 3, "no id"),
    ("id,version\ns1,A\ns2,a1\n", 3, "unknown version label 'a1'"),
    ("id\nab/1\nab_1\n", 3, "same file name"),
    ("id\nJo\njo\n", 3, "same file name"),  # case-insensitive file systems
    ("id,name\n", 1, "lists no students"),
])
def test_bad_rosters_are_located(tmp_path, text, line, words):
    from genexam.roster import RosterError, read_roster

    path = write(tmp_path / "c.csv", text)
    with pytest.raises(RosterError) as caught:
        read_roster(path)
    assert f"{path}:{line}: " in str(caught.value) and words in str(caught.value)


def test_a_roster_that_is_not_utf8_is_located(tmp_path):
    from genexam.roster import RosterError, read_roster

    path = write(tmp_path / "c.csv", "id,name\ns1,Ann\ns2,Zo\xeb\n".encode("latin-1"))
    with pytest.raises(RosterError, match=rf"{re.escape(str(path))}:3:\d+: byte 0xeb is not UTF-8"):
        read_roster(path)


def test_versions_are_balanced_and_deterministic():
    from genexam.roster import assign_versions, read_roster

    roster = read_roster(CLASS)
    for count in (2, 3, 4, 7):
        labels = [chr(ord("A") + i) for i in range(count)]
        _, first = assign_versions(roster, labels, seed=11)
        _, again = assign_versions(roster, labels, seed=11)
        assert first == again
        sizes = Counter(first.values())
        assert set(sizes) == set(labels) and max(sizes.values()) - min(sizes.values()) <= 1


def test_a_version_column_is_kept_and_the_rest_balanced(tmp_path):
    from genexam.roster import RosterError, assign_versions, read_roster

    rows = "\n".join(f"s{i},{'B' if i < 3 else ''}" for i in range(9))
    roster = read_roster(write(tmp_path / "c.csv", f"id,version\n{rows}\n"))
    labels, chosen = assign_versions(roster, None, seed=1)
    assert labels == ["A", "B"] and all(chosen[f"s{i}"] == "B" for i in range(3))
    assert abs(Counter(chosen.values())["A"] - Counter(chosen.values())["B"]) <= 1
    with pytest.raises(RosterError, match=r"c\.csv:2: unknown version label 'B'"):
        assign_versions(roster, ["A"], seed=1)


def test_each_student_has_their_own_instance_unchanged_by_the_others(tmp_path, registry):
    import dataclasses

    from genexam.copies import CopyPlan
    from genexam.roster import read_roster
    from genexam.spec import read_spec

    spec = dataclasses.replace(read_spec(PROBLEM_SETS / "a5.yaml", registry), versions_given=False)
    full = read_roster(CLASS)
    fewer = dataclasses.replace(full, students=full.students[3:])
    params = {}
    for roster in (full, fewer):
        versions = CopyPlan(spec, roster, quiet=True).versions({})
        params[len(roster.students)] = {label: [dict(i.params) for i in instances]
                                        for label, instances in versions.items()}
    small, large = params[len(fewer.students)], params[len(full.students)]
    assert all(small[label] == large[label] for label in small)
    assert len({repr(p) for p in large.values()}) > len(large) // 2  # students really differ


# -- building copies -----------------------------------------------------------------

@pytest.fixture(scope="module")
def class_build(tmp_path_factory) -> Path:
    require_tool("pdftotext", "reading the copies back")
    out = tmp_path_factory.mktemp("class") / "out"
    run = run_genexam(str(QUIZ), "--roster", str(CLASS), "-o", str(out), "--format", "pdf,typ,json")
    assert run.code == 0, run.stderr
    assert "ignoring the column 'email'" in run.stderr and "warning" not in run.stderr
    return out


def test_every_copy_shows_its_students_name_and_id(class_build):
    for row in students():
        pages = page_texts(class_build / f"exam-{row['id']}.pdf")
        first = " ".join(pages[0].split())
        assert f"Name: {row['name']}" in first or row["name"] in first, (row, first[:300])
        assert f"Student ID: {row['id']}" in first
        for number, page in enumerate(pages, start=1):
            footer = " ".join(page.split())
            assert f"ID {row['id']}" in footer and f"Page {number} of {len(pages)}" in footer


def test_every_page_of_every_copy_carries_its_qr_code(class_build):
    require_tool("pdftoppm", "rendering pages to read their QR codes")
    answers = json.loads((class_build / "answers.json").read_text(encoding="utf-8"))
    roster = {s["id"]: s for s in answers["roster"]["students"]}
    assert answers["roster"]["mode"] == "versions"
    for row in students():
        pdf = class_build / f"exam-{row['id']}.pdf"
        codes = page_qr_codes(pdf)
        assert len(codes) == page_count(pdf) == roster[row["id"]]["pages"]
        for number, found in enumerate(codes, start=1):
            assert found == [{"d": answers["roster"]["digest"], "v": roster[row["id"]]["version"],
                              "s": row["id"], "p": number}], (row["id"], number)


def test_answers_record_each_students_version_balanced(class_build):
    answers = json.loads((class_build / "answers.json").read_text(encoding="utf-8"))
    assigned = [s["version"] for s in answers["roster"]["students"]]
    assert [s["id"] for s in answers["roster"]["students"]] == [row["id"] for row in students()]
    assert sorted(Counter(assigned).values()) == [15, 15]
    for student in answers["roster"]["students"]:
        pages = page_texts(class_build / student["exam"])
        assert f"Version {student['version']}" in pages[0]
        assert (class_build / student["key"]).is_file()


def test_print_pdf_holds_every_copy_padded_to_even_pages(class_build):
    padded = [page_count(class_build / f"exam-{row['id']}.pdf") for row in students()]
    padded = [n + n % 2 for n in padded]
    assert page_count(class_build / "print.pdf") == sum(padded)
    texts = page_texts(class_build / "print.pdf")
    start = 0
    for row, pages in zip(students(), padded):  # roster order, each copy starting on a front side
        assert f"Student ID: {row['id']}" in " ".join(texts[start].split())
        start += pages


def test_names_with_markup_print_as_written_in_the_typst_source(class_build):
    source = (class_build / "exam-s006.typ").read_text(encoding="utf-8")
    assert '#metadata((name: "$x^2$ *bold* _it_ #set", ' in source
    assert '#metadata((name: "Hash # and \\\\ back", ' in (class_build / "exam-s004.typ").read_text(encoding="utf-8")


def test_per_student_copies_from_the_spec_roster_key(tmp_path):
    """Without `versions`, every student gets their own instance and key;
    `roster:` in the spec is read relative to the spec."""
    require_tool("pdftotext", "reading the copies back")
    (tmp_path / "lists").mkdir()
    write(tmp_path / "lists" / "few.csv", "id;name\nA-1;Zoë Ångström\nb.2;李雷\n")
    spec = QUIZ.read_text(encoding="utf-8").replace("versions: 2\n", "roster: lists/few.csv\npaper: us-letter\n")
    write(tmp_path / "quiz.yaml", spec)
    out = tmp_path / "out"
    run = run_genexam(str(tmp_path / "quiz.yaml"), "-o", str(out), "--format", "pdf,json")
    assert run.code == 0, run.stderr
    names = sorted(p.name for p in out.iterdir() if p.suffix == ".pdf")
    assert names == ["exam-A-1.pdf", "exam-b.2.pdf", "key-A-1.pdf", "key-b.2.pdf", "print.pdf"]
    answers = json.loads((out / "answers.json").read_text(encoding="utf-8"))
    assert answers["roster"]["mode"] == "per-student"
    assert [v["version"] for v in answers["versions"]] == ["A-1", "b.2"]
    assert page_size(out / "exam-A-1.pdf").startswith("612 x 792 pts")
    assert "李雷" in page_texts(out / "exam-b.2.pdf")[0]
    codes = page_qr_codes(out / "exam-b.2.pdf")
    assert [c[0]["s"] for c in codes] == ["b.2"] * len(codes) and codes[0][0]["v"] == "b.2"


def test_a_roster_build_is_byte_identical_twice(tmp_path):
    write(tmp_path / "c.csv", "id,name\nx1,Ann\nx2,Bo\nx3,Cy\n")
    outs = []
    for n in (1, 2):
        out = tmp_path / f"out{n}"
        run = run_genexam(str(QUIZ), "--roster", str(tmp_path / "c.csv"), "-o", str(out), "--format", "pdf,tex,typ,json")
        assert run.code == 0, run.stderr
        outs.append({p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()})
    assert outs[0] == outs[1]
    assert Path("print.pdf") in outs[0]
    assert b"gxqrpage1" in outs[0][Path("exam-x1.tex")]  # the QR codes live in the LaTeX source: no file per page


@pytest.mark.parametrize("text, words", [
    ("id,name\ns1,Ann\ns1,Bo\n", "c.csv:3: the id 's1' is already used on line 2"),
    ("name\nAnn\n", "c.csv:1: the header has no 'id' column"),
    # An id this long overflowed every QR code (a segno traceback); a name this long ran out of its field.
    ("id,name\ns1,Ann\n" + "x" * 3000 + ",Bo\n", "c.csv:3: over the limit on characters in a student id: at most 64"),
    ("id,name\ns1," + "N" * 100_000 + "\n", "c.csv:2: over the limit on characters in a student's name: at most 200"),
])
def test_a_bad_roster_stops_the_build_and_writes_nothing(tmp_path, text, words):
    write(tmp_path / "c.csv", text)
    run = run_genexam(str(QUIZ), "--roster", str(tmp_path / "c.csv"), "-o", str(tmp_path / "out"))
    assert run.code != 0 and words in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "out").exists()


def test_a_roster_that_is_not_a_regular_file_or_too_long_is_refused(tmp_path):
    run = run_genexam(str(QUIZ), "--roster", "/dev/zero", "-o", str(tmp_path / "out"))
    assert run.code != 0 and "/dev/zero is a device, not a regular file" in run.stderr
    write(tmp_path / "c.csv", "id\n" + "".join(f"s{i}\n" for i in range(5)))
    run = run_genexam(str(QUIZ), "--roster", str(tmp_path / "c.csv"), "-o", str(tmp_path / "out"),
                      env={"GENEXAM_LIMIT_ROSTER_STUDENTS": "3"})
    assert run.code != 0 and "c.csv:5: over the limit on students in a roster: at most 3" in run.stderr
    assert not (tmp_path / "out").exists()


def test_what_spreadsheets_write_is_read_and_nothing_is_invented(tmp_path):
    """Excel's `sep=;` line, tabs, a lower-case version, a line separator
    (U+2028) inside a name: read as meant. A name with an unquoted comma is
    an error at its line, not a student with half a name."""
    from genexam.roster import parse_roster

    roster = parse_roster("sep=;\nid;name;version\ns1;Ann;b\ns2;\"Bo, B\";\n", tmp_path / "x.csv")
    assert [(s.id, s.name, s.version, s.line) for s in roster.students] == [("s1", "Ann", "B", 3), ("s2", "Bo, B", "", 4)]
    roster = parse_roster("id\tname\ns1\tLine\u2028Sep\n", tmp_path / "t.csv")
    assert [(s.id, s.name) for s in roster.students] == [("s1", "Line\u2028Sep")]
    write(tmp_path / "c.csv", "id,name\ns1,Ann\ns2,Ångström, Zoë\n")
    run = run_genexam(str(QUIZ), "--roster", str(tmp_path / "c.csv"), "-o", str(tmp_path / "out"))
    assert run.code != 0 and "c.csv:3: this row has 3 cells but the header names 2 columns" in run.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("engine", ["typst", pytest.param("latex", marks=pytest.mark.sweep)])
def test_a_long_name_and_id_fit_their_fields_on_one_line(tmp_path, engine):
    """They are set smaller, not wrapped into the instructions, hyphenated or
    run into the footer's page number (a 122-character name ran three lines
    into the text; a 31-character id was hyphenated and met "Page 1")."""
    require_tool("pdftotext", "reading the copy back")
    if engine == "latex":
        require_tool("latexmk", "--engine latex")
    long_id = "2026-CS101-SECTIONB-000123456789"
    name = "Pablo Diego José Francisco de Paula Juan Nepomuceno María de los Remedios Cipriano Ruiz y Picasso"
    write(tmp_path / "c.csv", f"id,name\n{long_id},{name}\n")
    run = run_genexam(str(QUIZ), "--roster", str(tmp_path / "c.csv"), "-o", str(tmp_path / "out"), "--format", "pdf",
                      "--engine", engine)
    assert run.code == 0, run.stderr
    first = page_texts(tmp_path / "out" / f"exam-{long_id}.pdf")[0]
    lines = [line for line in first.splitlines() if line.strip()]
    name_line = next(line for line in lines if line.lstrip().startswith("Name:"))
    assert long_id in name_line and "Picasso" in name_line  # name and id whole, on the fields' line
    footer = next(line for line in lines if "Page 1 of" in line)
    assert re.search(re.escape(long_id) + r"\s{2,}Page 1 of", footer), footer


def test_validate_checks_a_roster_given_on_the_command_line(tmp_path):
    write(tmp_path / "c.csv", "id,name\ns1,Ann\ns1,Bo\n")
    run = run_genexam("validate", str(QUIZ), "--roster", str(tmp_path / "c.csv"))
    assert run.code == 2 and "c.csv:3: the id 's1' is already used on line 2" in run.stderr
    write(tmp_path / "c.csv", "id,name\ns1,Ann\ns2,Bo\n")
    run = run_genexam("validate", str(QUIZ), "--roster", str(tmp_path / "c.csv"))
    assert run.code == 0 and "lists 2 students" in run.stdout


def test_a_spec_may_not_name_a_roster_outside_its_folder(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text(QUIZ.read_text(encoding="utf-8") + "roster: /etc/passwd\n", encoding="utf-8")
    run = run_genexam("validate", str(spec))
    assert run.code != 0 and "roster: the path '/etc/passwd' is refused: it is an absolute path" in run.stderr
    assert "root:" not in run.stderr


def test_an_unknown_version_in_the_roster_stops_the_build(tmp_path):
    write(tmp_path / "c.csv", "id,version\ns1,A\ns2,C\n")
    run = run_genexam(str(QUIZ), "--roster", str(tmp_path / "c.csv"), "-o", str(tmp_path / "out"))
    assert run.code != 0 and "c.csv:3: unknown version label 'C'" in run.stderr
    assert not (tmp_path / "out").exists()


# -- paper size ------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ["typst", "latex"])
def test_us_letter_with_both_engines(tmp_path, engine):
    require_tool("pdfinfo", "reading the page size")
    if engine == "latex":
        require_tool("latexmk", "the LaTeX engine")
    out = tmp_path / "out"
    run = run_genexam(str(QUIZ), "--paper", "us-letter", "--engine", engine, "--versions", "1", "--no-key",
                      "--format", "pdf", "-o", str(out))
    assert run.code == 0, run.stderr
    assert page_size(out / "exam-A.pdf").startswith("612 x 792 pts")


@pytest.mark.sweep
def test_latex_copies_carry_names_ids_and_qr_codes(tmp_path):
    require_tool("latexmk", "the LaTeX engine")
    out = tmp_path / "out"
    run = run_genexam(str(QUIZ), "--roster", str(CLASS), "--engine", "latex", "--format", "pdf,json", "-o", str(out))
    assert run.code == 0, run.stderr
    answers = json.loads((out / "answers.json").read_text(encoding="utf-8"))
    for student in answers["roster"]["students"]:
        pdf = out / student["exam"]
        text = " ".join(page_texts(pdf)[0].split())
        assert student["name"] in text and student["id"] in text
        codes = page_qr_codes(pdf)
        assert [c[0]["p"] for c in codes] == list(range(1, page_count(pdf) + 1))
        assert {c[0]["s"] for c in codes} == {student["id"]}
