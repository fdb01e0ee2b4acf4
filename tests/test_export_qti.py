"""The Canvas QTI zip: valid against the IMS QTI 1.2.1 DTD and the content
packaging schema (../shared/schemas), and read back: every gradable answer
of every version equals answers.json."""

from __future__ import annotations

import os
import zipfile
from fractions import Fraction

import pytest
from lxml import etree

from export_util import (PROBLEM_SET_NAMES, answers_of, built, canvas_parts, exact, expected_entries, metadata,
                         schemas)

#: The one element Canvas reads beyond the QTI 1.2.1 DTD: a question group's
#: points (selection/selection_extension/points_per_item).
CANVAS_EXTENSION = ("selection_extension", "points_per_item")


@pytest.mark.parametrize("name", PROBLEM_SET_NAMES)
def test_the_assessment_follows_the_qti_dtd_and_the_manifest_its_schema(name):
    folder = schemas()
    out = built(name)
    assessment, manifest, _ = canvas_parts(out / f"{name}-canvas.zip")
    dtd = etree.DTD(str(folder / "ims_qtiasiv1p2p1.dtd"))
    # as written, the only departures from the DTD are Canvas's group points
    assert not dtd.validate(assessment)
    complaints = {e.message for e in dtd.error_log}
    assert complaints and all(any(tag in m for tag in CANVAS_EXTENSION) or "Element selection content" in m
                              for m in complaints), complaints
    for extension in list(assessment.iter("selection_extension")):
        extension.getparent().remove(extension)
    assert dtd.validate(assessment), dtd.error_log

    import xmlschema

    xml_xsd = os.path.join(os.path.dirname(xmlschema.__file__), "schemas", "XML", "xml.xsd")
    schema = xmlschema.XMLSchema(str(folder / "imscp_v1p1.xsd"),
                                 locations={"http://www.w3.org/XML/1998/namespace": xml_xsd})
    schema.validate(manifest.decode("utf-8"))
    root = etree.fromstring(manifest)
    with zipfile.ZipFile(out / f"{name}-canvas.zip") as archive:
        listed = set(root.xpath("//*[local-name()='file']/@href"))
        assert listed == set(archive.namelist()) - {"imsmanifest.xml"}


def _sections(assessment):
    root = assessment.find("assessment/section")
    return {s.get("title"): s for s in root.findall("section")}


@pytest.mark.parametrize("name", PROBLEM_SET_NAMES)
def test_every_gradable_answer_of_every_version_round_trips(name, capsys):
    out = built(name)
    document = answers_of(out)
    assessment, _, meta = canvas_parts(out / f"{name}-canvas.zip")
    sections = _sections(assessment)
    auto, written = expected_entries(document)
    checked = 0
    for section_title, section in sections.items():
        assert section.findtext("selection_ordering/selection/selection_number") == "1"
        group_points = Fraction(section.findtext("selection_ordering/selection/selection_extension/points_per_item"))
        items = section.findall("item")
        assert len(items) == len(document["versions"])  # one per version; the quiz picks one
        for item in items:
            fields = metadata(item)
            assert Fraction(fields["points_possible"]) == group_points
            number = int(section_title.split()[0][1:])
            version = item.get("title").split("(")[1].rstrip(")")
            assert item.findtext("itemfeedback/flow_mat/material/mattext").strip()  # the worked solution
            if section_title.endswith("written"):
                assert fields["question_type"] == "essay_question"
                points = sum(a.points for a in written if a.question == number and a.version == version)
                assert abs(group_points - points) < Fraction(1, 10**6)
                continue
            mine = [e for e in auto if e.version == version and e.question == number]
            assert abs(sum(e.points for e in mine) - group_points) < Fraction(1, 10**6)
            checked += _check_item(item, fields["question_type"], mine)
    assert checked == len(auto)
    total = sum(Fraction(s.findtext("selection_ordering/selection/selection_extension/points_per_item"))
                for s in sections.values())
    ns = {"c": "http://canvas.instructure.com/xsd/cccv1p0"}
    assert Fraction(meta.findtext("c:points_possible", namespaces=ns)) == Fraction(str(document["total_points"]))
    assert abs(total - Fraction(str(document["total_points"]))) < Fraction(1, 10**5)
    with capsys.disabled():
        print(f"\n{name}: canvas zip: {checked} auto-graded entries, {len(written)} answers for a person (essay)")


def _correct_labels(item):
    """respident -> the texts of the answers a respcondition gives points for."""
    labels = {label.get("ident"): label.findtext("material/mattext") for label in item.iter("response_label")}
    out: dict[str, list[str]] = {}
    for condition in item.iter("respcondition"):
        if condition.find("setvar") is None or condition.find("conditionvar/varequal") is None:
            continue
        equal = condition.find("conditionvar/varequal")
        out.setdefault(equal.get("respident"), []).append(labels[equal.text])
    return out


def _check_item(item, kind, mine) -> int:
    if kind == "numerical_question":
        (entry,) = mine
        variables = item.find("resprocessing/respcondition[@continue='No']/conditionvar")
        target = exact(entry.value)
        value = Fraction(variables.findtext(".//varequal"))
        if entry.kind == "integer":
            assert value == target and variables.find(".//vargte") is None
        else:
            low, high = Fraction(variables.findtext(".//vargte")), Fraction(variables.findtext(".//varlte"))
            assert low < target < high and abs(value - target) <= abs(target) * Fraction(1, 10**12)
        return 1
    correct = _correct_labels(item)
    if kind == "multiple_choice_question":
        (entry,) = mine
        expected = entry.value if entry.kind == "choice" else ("yes" if entry.value else "no")
        assert correct == {"response1": [expected]}
        return 1
    assert kind == "fill_in_multiple_blanks_question"
    text = item.findtext("presentation/material/mattext")
    blanks = [lid.get("ident").removeprefix("response_") for lid in item.find("presentation").findall("response_lid")]
    assert len(blanks) == len(mine)
    for blank, entry in zip(blanks, mine):
        assert text.count(f"[{blank}]") == 1
        forms = correct[f"response_{blank}"]
        _check_forms(forms, entry)
    return len(mine)


def _check_forms(forms, entry):
    """Every accepted written form means the exact answer (decimals: as rounded)."""
    assert forms and len(set(forms)) == len(forms)
    if entry.kind == "choice":
        assert {f.upper() for f in forms} == {entry.value}
        return
    if entry.kind == "boolean":
        assert {f.lower() for f in forms} == ({"yes", "true"} if entry.value else {"no", "false"})
        return
    if entry.kind == "word":
        assert {f.lower() for f in forms} == {entry.value.lower()}
        return
    target = exact(entry.value)
    for form in forms:
        number = Fraction(form.replace(",", ""))
        if "." in form:  # a rounding: within half a unit of its last digit
            digits = len(form.split(".")[1])
            assert abs(number - target) <= Fraction(1, 2 * 10**digits), (form, entry)
        else:
            assert number == target, (form, entry)
    if target.denominator == 1:  # an integer, or a whole entry of a vector of fractions
        assert str(int(target)) in forms and f"{int(target):,}" in forms
    elif entry.kind == "rational":
        assert f"{target.numerator}/{target.denominator}" in forms
