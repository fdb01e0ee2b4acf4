"""moodle.xml read back as Moodle's importer reads it: every gradable answer of
every version equals answers.json, every gap is valid embedded-answer syntax,
multiple-choice keys point at the right option, and the rest is an essay."""

from __future__ import annotations

import html
from fractions import Fraction

import lxml.html
import pytest

from conftest import run_genexam
from export_util import (AUTO_KINDS, GAP_START, NUMERICAL, PROBLEM_SET_NAMES, answers_of, built, exact,
                         expected_entries, moodle_gaps, moodle_questions)
from genexam.render import pandoc

TOLERANCE = Fraction(1, 1000)  # the default relative tolerance


def _by_name(questions):
    return {q.findtext("name/text"): q for q in questions if q.get("type") != "category"}


def _categories(questions):
    """question name -> the category it is imported into."""
    current, out = None, {}
    for q in questions:
        if q.get("type") == "category":
            current = q.findtext("category/text")
        else:
            out[q.findtext("name/text")] = current
    return out


@pytest.mark.parametrize("name", PROBLEM_SET_NAMES)
def test_every_gradable_answer_of_every_version_round_trips(name, capsys):
    out = built(name)
    document = answers_of(out)
    questions = moodle_questions(out / "moodle.xml")
    by_name, categories = _by_name(questions), _categories(questions)
    auto, written = expected_entries(document)
    title = document["title"]
    checked = 0
    for version in document["versions"]:
        label = version["version"]
        for number in sorted({p["number"] for p in version["problems"]}):
            mine = [e for e in auto if e.version == label and e.question == number]
            if not mine:
                assert f"Q{number} ({label})" not in by_name
                continue
            question = by_name[f"Q{number} ({label})"]
            assert question.get("type") == "cloze"
            assert categories[f"Q{number} ({label})"] == f"$course$/{title}/Q{number}"
            text = question.findtext("questiontext/text")
            gaps = moodle_gaps(text)
            # nothing else in the text looks like the start of a gap to Moodle
            assert len(GAP_START.findall(text)) == len(gaps) == len(mine), (name, label, number)
            weights = {g.weight / e.points for g, e in zip(gaps, mine)}
            assert len(weights) == 1, f"gap weights do not follow the points: {weights}"
            for gap, entry in zip(gaps, mine):
                _check_gap(gap, entry)
                checked += 1
            assert question.findtext("generalfeedback/text").strip(), "the worked solution is the feedback"
    assert checked == len(auto)
    with capsys.disabled():
        print(f"\n{name}: moodle.xml: {checked} auto-graded entries (cloze gaps), "
              f"{len(written)} answers for a person (essay)")


def _check_gap(gap, entry):
    assert len(gap.correct) == 1, gap
    answer = gap.correct[0]
    if entry.kind in ("integer", "rational", "real"):
        assert gap.type == "NUMERICAL"
        match = NUMERICAL.match(answer)
        assert match, answer
        value, tolerance = Fraction(match.group(1)), Fraction(match.group(2) or "0")
        target = exact(entry.value)
        if entry.kind == "integer":
            assert value == target and tolerance == 0
        else:
            assert abs(value - target) <= abs(target) * Fraction(1, 10**12)
            assert TOLERANCE * abs(target) <= tolerance <= TOLERANCE * abs(target) * Fraction(101, 100) or (
                target == 0 or entry.value.is_Integer)
    elif entry.kind == "boolean":
        assert gap.type == "MULTICHOICE" and [a for _, a in gap.alternatives] == ["yes", "no"]
        assert answer == ("yes" if entry.value else "no")
    elif entry.kind == "word":
        assert gap.type == "SHORTANSWER" and answer == entry.value
    else:
        assert entry.kind == "choice" and gap.type == "MULTICHOICE"
        letters = [a for _, a in gap.alternatives]
        assert letters == [chr(ord("A") + i) for i in range(len(letters))]
        assert answer == entry.value


@pytest.mark.parametrize("name", ["test3", "a3"])
def test_multiple_choice_keys_point_at_the_option_answers_json_marks_correct(name):
    out = built(name)
    document = answers_of(out)
    by_name = _by_name(moodle_questions(out / "moodle.xml"))
    seen = 0
    for version in document["versions"]:
        for record in version["problems"]:
            for part in record["parts"]:
                answer = record["answers"].get(part)
                if not (isinstance(answer, dict) and answer.get("choice")):
                    continue
                question = by_name[f"Q{record['number']} ({version['version']})"]
                # the statement lists the options as pandoc's list of type A, in the version's order
                page = lxml.html.fromstring(question.findtext("questiontext/text"))
                correct = lxml.html.fromstring(
                    pandoc.convert_many([answer["answer"]], "html", options=("--mathjax",))[0]).text_content()
                lists = [[" ".join(li.text_content().split()) for li in ol.findall("li")]
                         for ol in page.iter("ol") if ol.get("type") == "A"]
                letter = ord(answer["choice"]) - ord("A")
                assert any(len(items) > letter and items[letter] == " ".join(correct.split()) for items in lists)
                keys = [g.correct[0] for g in moodle_gaps(question.findtext("questiontext/text"))
                        if g.type == "MULTICHOICE" and g.correct[0] not in ("yes", "no")]
                assert answer["choice"] in keys
                seen += 1
    assert seen >= 2


@pytest.mark.parametrize("name", PROBLEM_SET_NAMES)
def test_formulas_and_explanations_are_essays_with_the_solution_for_the_grader(name):
    out = built(name)
    document = answers_of(out)
    questions = moodle_questions(out / "moodle.xml")
    by_name, categories = _by_name(questions), _categories(questions)
    _, written = expected_entries(document)
    for answer in written:
        key = f"Q{answer.question} written ({answer.version})"
        essay = by_name[key]
        assert essay.get("type") == "essay" and categories[key].endswith(f"/Q{answer.question} written")
        text = html.unescape(essay.findtext("questiontext/text"))
        assert f"({answer.label})" in text or not answer.label
        assert essay.findtext("graderinfo/text").strip()
    for key, essay in by_name.items():
        if essay.get("type") != "essay":
            continue
        number, version = int(key.split()[0][1:]), key.split("(")[1].rstrip(")")
        points = sum(a.points for a in written if a.question == number and a.version == version)
        assert abs(Fraction(essay.findtext("defaultgrade")) - points) < Fraction(1, 10**6)


@pytest.mark.parametrize("name", PROBLEM_SET_NAMES)
def test_an_independent_moodle_xml_parser_reads_the_same_gaps(name):
    parser = pytest.importorskip("moodle_xml_parser.parser")
    out = built(name)
    parsed = parser.parse_file(str(out / "moodle.xml"))
    mine = {q.findtext("name/text"): moodle_gaps(q.findtext("questiontext/text"))
            for q in moodle_questions(out / "moodle.xml") if q.get("type") == "cloze"}
    assert len(parsed["cloze"]) == len(mine)
    known = {"NUMERICAL", "SHORTANSWER", "MULTICHOICE"}
    for question in parsed["cloze"]:
        # it unescapes the text before looking for {...}: the math's braces
        # come back as gaps of no known type, which it cannot tell apart
        theirs = [g for g in question.gaps if g.sub_type in known]
        ours = mine[question.name]
        assert [(g.sub_grade, g.sub_type) for g in theirs] == [(g.weight, g.type) for g in ours]
        for gap, our in zip(theirs, ours):
            assert [o.answer for o in gap.options if o.score == 100] == our.correct


def test_lms_tolerance_from_the_spec(tmp_path):
    spec = tmp_path / "tol.yaml"
    spec.write_text("title: T\nseed: 1\nformats: [json, moodle]\nlms: {tolerance: {absolute: 0.01}}\n"
                    "problems:\n  - family: gaussian_kl\n    points: [1, 1, 2]\n", encoding="utf-8")
    run = run_genexam("build", str(spec), "-o", str(tmp_path / "out"))
    assert run.code == 0, run.stderr
    gaps = [g for q in moodle_questions(tmp_path / "out" / "moodle.xml") if q.get("type") == "cloze"
            for g in moodle_gaps(q.findtext("questiontext/text"))]
    assert gaps and all(NUMERICAL.match(g.correct[0]).group(2) == "0.01" for g in gaps)


@pytest.mark.parametrize("lms, message", [
    ("{tolerance: 2}", "lms.tolerance: a relative tolerance is a number from 0 up to (not including) 1"),
    ("{tolerance: {absolut: 0.1}}", "lms.tolerance: expected a number (relative) or one of"),
    ("{tolerence: 0.1}", "lms.tolerence: unknown key 'tolerence' (did you mean 'tolerance'?)"),
    ("{tolerance: {absolute: -1}}", "lms.tolerance.absolute: a absolute tolerance is a number from 0 up"),
    ("[0.1]", "lms: expected a mapping such as {tolerance: 0.001}"),
])
def test_a_bad_lms_key_is_reported_at_its_line(tmp_path, lms, message):
    spec = tmp_path / "bad.yaml"
    spec.write_text(f"title: T\nlms: {lms}\nproblems:\n  - family: gaussian_kl\n    points: 1\n", encoding="utf-8")
    run = run_genexam("validate", str(spec))
    assert run.code == 2 and "Traceback" not in run.stderr
    assert f"bad.yaml:2:" in run.stderr and message in run.stderr, run.stderr


def test_auto_kinds_match_the_export():
    from genexam.export.model import AUTO_KINDS as EXPORTED

    assert tuple(EXPORTED) == AUTO_KINDS
