"""A Canvas QTI zip (Settings > Import Course Content > QTI .zip file).

The zip holds ``imsmanifest.xml`` (IMS Content Packaging 1.1), one QTI 1.2
assessment (``<id>/<id>.xml``), Canvas's quiz settings
(``<id>/assessment_meta.xml``) and the figures (``web_resources/figures/``).
The assessment has one section per question group -- per printed question,
and a second one, "Q<n> written", for what a person grades -- that picks 1 of
its versions (``selection_number``) worth the question's points. Items use
Canvas's question types, as Canvas's own exporter writes them
(lib/cc/qti/qti_items.rb):

- ``numerical_question``: one number; exact (integers) or the exact value
  with a margin (``<or><varequal/><and><vargte/><varlte/></and></or>``);
- ``multiple_choice_question``: one multiple-choice part, over the letters of
  the options the statement lists in the version's order;
- ``fill_in_multiple_blanks_question``: several answers, ``[b1]`` ... in the
  text, each blank listing its accepted written forms (``1070625`` and
  ``1,070,625``; ``3/4`` and ``0.75``);
- ``essay_question``: formulas, big-O terms and explanations.

The worked solution is each item's general feedback. Everything else is the
QTI 1.2.1 DTD (no namespace), plus the one element Canvas reads beyond it:
``selection_extension/points_per_item``, the points of a question group.
"""

from __future__ import annotations

import hashlib
import html as html_module
import io
import zipfile
from fractions import Fraction
from typing import Sequence

import sympy
from lxml import etree

from ..spec import ProblemSet
from . import forms
from .model import (AutoEntry, ExportPart, ExportQuestion, absolute_tolerance, auto_entries, written_answers)
from .text import SpecHtml, figure_name, figures_in, replace_figures

CANVAS_NAMESPACE = "http://canvas.instructure.com/xsd/cccv1p0"
IMSCP_NAMESPACE = "http://www.imsglobal.org/xsd/imscp_v1p1"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
QTI_RESOURCE = "imsqti_xmlv1p2"
META_RESOURCE = "associatedcontent/imscc_xmlv1p1/learning-application-resource"
FIGURE_FOLDER = "web_resources/figures"
#: Zip entries get a fixed time: the same build gives the same bytes.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def zip_name(spec: ProblemSet) -> str:
    return f"{spec.name}-canvas.zip"


def canvas_zip(spec: ProblemSet, questions: Sequence[ExportQuestion], html: dict[str, str],
               spec_text: SpecHtml) -> bytes:
    """The whole zip: manifest, assessment, quiz settings and figures."""
    ident = _ident("genexam", spec.name, spec.title, str(spec.seed))
    figures: dict[str, str] = {}
    assessment = _assessment(spec, questions, html, ident, figures)
    meta = _assessment_meta(spec, questions, spec_text, ident)
    files = {
        "imsmanifest.xml": _manifest(ident, figures),
        f"{ident}/{ident}.xml": _xml(assessment),
        f"{ident}/assessment_meta.xml": _xml(meta),
    }
    files.update({f"{FIGURE_FOLDER}/{figure_name(path)}": svg.encode("utf-8") for path, svg in sorted(figures.items())})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def _ident(*parts: str) -> str:
    """A stable identifier (an XML NCName, as the manifest's schema wants)."""
    return "g" + hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()[:24]


def _xml(element: etree._Element) -> bytes:
    return etree.tostring(element, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# -- the assessment ----------------------------------------------------------------

def _assessment(spec: ProblemSet, questions: Sequence[ExportQuestion], html: dict[str, str], ident: str,
                figures: dict[str, str]) -> etree._Element:
    root = etree.Element("questestinterop")
    assessment = etree.SubElement(root, "assessment", ident=ident, title=spec.title)
    metadata = etree.SubElement(assessment, "qtimetadata")
    _field(metadata, "cc_maxattempts", "1")
    root_section = etree.SubElement(assessment, "section", ident="root_section")
    numbers = sorted({q.number for q in questions})
    for written in (False, True):
        for number in numbers:
            items = []
            for question in (q for q in questions if q.number == number):
                item = _written_item(question, html, ident, figures) if written else \
                    _auto_item(spec, question, html, ident, figures)
                if item is not None:
                    items.append(item)
            if not items:
                continue
            title = f"Q{number}{' written' if written else ''}"
            section = etree.SubElement(root_section, "section", ident=_ident(ident, title), title=title)
            ordering = etree.SubElement(section, "selection_ordering")
            selection = etree.SubElement(ordering, "selection")
            etree.SubElement(selection, "selection_number").text = "1"
            extension = etree.SubElement(selection, "selection_extension")
            # the versions of a question are worth the same
            etree.SubElement(extension, "points_per_item").text = _item_points(items[0])
            section.extend(items)
    return root


def _field(parent: etree._Element, label: str, entry: str) -> None:
    field = etree.SubElement(parent, "qtimetadatafield")
    etree.SubElement(field, "fieldlabel").text = label
    etree.SubElement(field, "fieldentry").text = entry


def _points_text(points: Fraction) -> str:
    return forms.decimal_text(sympy.Rational(points.numerator, points.denominator), 12)


def _auto_item(spec: ProblemSet, question: ExportQuestion, html: dict[str, str], ident: str,
               figures: dict[str, str]) -> etree._Element | None:
    parts = [(part, auto_entries(part)) for part in question.parts]
    parts = [(part, mine) for part, mine in parts if mine]
    entries = [e for _, mine in parts for e in mine]
    if not entries:
        return None
    points = sum((e.points for e in entries), Fraction(0))
    if len(entries) == 1 and entries[0].kind in ("integer", "rational", "real"):
        kind = "numerical_question"
    elif len(entries) == 1 and entries[0].kind in ("choice", "boolean"):
        kind = "multiple_choice_question"
    else:
        kind = "fill_in_multiple_blanks_question"
    blanks = {id(e): f"b{i + 1}" for i, e in enumerate(entries)} if kind == "fill_in_multiple_blanks_question" else {}
    body = [_no_blanks(html[question.statement])]
    for part, mine in parts:
        body += [_part_heading(part), _no_blanks(html[part.statement])]
        if blanks:
            body.append(_blank_lines(mine, blanks))
    item = _item(f"Q{question.number} ({question.version})", kind, points, "\n".join(body), ident, question, figures)
    presentation = item.find("presentation")
    processing = _processing(item)
    if kind == "numerical_question":
        _numerical(presentation, processing, entries[0], spec)
    elif kind == "multiple_choice_question":
        _choice(presentation, processing, entries[0])
    else:
        _fill_in_blanks(presentation, processing, entries, blanks, points)
    _feedback(item, "\n".join(_solution(part, html) for part, _ in parts), question, figures)
    return item


def _written_item(question: ExportQuestion, html: dict[str, str], ident: str,
                  figures: dict[str, str]) -> etree._Element | None:
    parts = [(part, written_answers(part)) for part in question.parts]
    parts = [(part, mine) for part, mine in parts if mine]
    if not parts:
        return None
    body = [_no_blanks(html[question.statement])]
    for part, mine in parts:
        body += [_part_heading(part), _no_blanks(html[part.statement])]
        if len(mine) < len(part.answers):  # its numbers are asked in the other group
            body.append(f"<p><em>Answer here: {', '.join(f'<code>{_escape(a.answer)}</code>' for a in mine)}.</em></p>")
    points = sum((a.points for _, mine in parts for a in mine), Fraction(0))
    item = _item(f"Q{question.number} written ({question.version})", "essay_question", points, "\n".join(body),
                 ident, question, figures)
    response = etree.SubElement(item.find("presentation"), "response_str", ident="response1", rcardinality="Single")
    fib = etree.SubElement(response, "render_fib")
    etree.SubElement(fib, "response_label", ident="answer1", rshuffle="No")
    processing = _processing(item)
    condition = etree.SubElement(processing, "respcondition", attrib={"continue": "No"})
    etree.SubElement(etree.SubElement(condition, "conditionvar"), "other")
    _feedback(item, "\n".join(_solution(part, html) for part, _ in parts), question, figures)
    return item


def _item(title: str, kind: str, points: Fraction, text: str, ident: str, question: ExportQuestion,
          figures: dict[str, str]) -> etree._Element:
    item = etree.Element("item", ident=_ident(ident, title, kind), title=title)
    metadata = etree.SubElement(etree.SubElement(item, "itemmetadata"), "qtimetadata")
    _field(metadata, "question_type", kind)
    _field(metadata, "points_possible", _points_text(points))
    presentation = etree.SubElement(item, "presentation")
    _material(presentation, text, question, figures)
    return item


def _item_points(item: etree._Element) -> str:
    field = next(f for f in item.iter("qtimetadatafield") if f.findtext("fieldlabel") == "points_possible")
    return field.findtext("fieldentry")


def _material(parent: etree._Element, text: str, question: ExportQuestion, figures: dict[str, str]) -> None:
    """An HTML ``mattext``; its figures become files of the zip."""
    for path in figures_in(text, question.figures):
        figures[path] = question.figures[path]
    text = replace_figures(text, question.figures, lambda path, alt: (
        f'<img src="$IMS-CC-FILEBASE$/figures/{figure_name(path)}" alt="{_escape(alt)}">'))
    material = etree.SubElement(parent, "material")
    etree.SubElement(material, "mattext", texttype="text/html").text = f"<div>{text}</div>"


def _processing(item: etree._Element) -> etree._Element:
    """``resprocessing`` with Canvas's SCORE variable; the general feedback
    (the worked solution) is shown whatever the answer."""
    processing = etree.Element("resprocessing")
    item.find("presentation").addnext(processing)
    outcomes = etree.SubElement(processing, "outcomes")
    etree.SubElement(outcomes, "decvar", maxvalue="100", minvalue="0", varname="SCORE", vartype="Decimal")
    condition = etree.SubElement(processing, "respcondition", attrib={"continue": "Yes"})
    etree.SubElement(etree.SubElement(condition, "conditionvar"), "other")
    etree.SubElement(condition, "displayfeedback", feedbacktype="Response", linkrefid="general_fb")
    return processing


def _feedback(item: etree._Element, text: str, question: ExportQuestion, figures: dict[str, str]) -> None:
    feedback = etree.SubElement(item, "itemfeedback", ident="general_fb")
    _material(etree.SubElement(feedback, "flow_mat"), text, question, figures)


def _set_score(condition: etree._Element, value: str, action: str = "Set") -> None:
    setvar = etree.SubElement(condition, "setvar", action=action, varname="SCORE")
    setvar.text = value


def _numerical(presentation: etree._Element, processing: etree._Element, entry: AutoEntry, spec: ProblemSet) -> None:
    response = etree.SubElement(presentation, "response_str", ident="response1", rcardinality="Single")
    etree.SubElement(etree.SubElement(response, "render_fib", fibtype="Decimal"), "response_label", ident="answer1")
    condition = etree.SubElement(processing, "respcondition", attrib={"continue": "No"})
    variables = etree.SubElement(condition, "conditionvar")
    exact = forms.decimal_text(entry.value)
    tolerance = absolute_tolerance(entry, spec.lms)
    if tolerance == 0:
        etree.SubElement(variables, "varequal", respident="response1").text = exact
    else:
        either = etree.SubElement(variables, "or")
        etree.SubElement(either, "varequal", respident="response1").text = exact
        both = etree.SubElement(either, "and")
        value = Fraction(exact)
        low, high = forms.fraction_text(value - tolerance, 15), forms.fraction_text(value + tolerance, 15)
        etree.SubElement(both, "vargte", respident="response1").text = low
        etree.SubElement(both, "varlte", respident="response1").text = high
    _set_score(condition, "100")


def choice_labels(entry: AutoEntry) -> list[str]:
    """The options a one-answer choice offers: the letters, or yes/no."""
    if entry.kind == "boolean":
        return ["yes", "no"]
    return [chr(ord("A") + i) for i in range(len(entry.options))]


def _choice(presentation: etree._Element, processing: etree._Element, entry: AutoEntry) -> None:
    response = etree.SubElement(presentation, "response_lid", ident="response1", rcardinality="Single")
    render = etree.SubElement(response, "render_choice")
    labels = choice_labels(entry)
    correct = (0 if entry.value else 1) if entry.kind == "boolean" else entry.correct_option
    idents = [str(1000 + i) for i in range(len(labels))]
    for label, answer_ident in zip(labels, idents):
        option = etree.SubElement(render, "response_label", ident=answer_ident)
        etree.SubElement(etree.SubElement(option, "material"), "mattext", texttype="text/plain").text = label
    condition = etree.SubElement(processing, "respcondition", attrib={"continue": "No"})
    etree.SubElement(etree.SubElement(condition, "conditionvar"), "varequal", respident="response1").text = idents[correct]
    _set_score(condition, "100")


def _fill_in_blanks(presentation: etree._Element, processing: etree._Element, entries: Sequence[AutoEntry],
                    blanks: dict[int, str], points: Fraction) -> None:
    numbers = iter(range(1000, 10**9))  # Canvas keys answers by number, unique in the item
    for entry in entries:
        blank = blanks[id(entry)]
        response = etree.SubElement(presentation, "response_lid", ident=f"response_{blank}")
        etree.SubElement(etree.SubElement(response, "material"), "mattext").text = blank
        render = etree.SubElement(response, "render_choice")
        share = _points_text(entry.points / points * 100)
        for written in forms.written_forms(entry.value, entry.kind):
            answer_ident = str(next(numbers))
            label = etree.SubElement(render, "response_label", ident=answer_ident)
            etree.SubElement(etree.SubElement(label, "material"), "mattext", texttype="text/plain").text = written
            condition = etree.SubElement(processing, "respcondition")
            etree.SubElement(etree.SubElement(condition, "conditionvar"), "varequal",
                             respident=f"response_{blank}").text = answer_ident
            _set_score(condition, share, "Add")


def _blank_lines(entries: Sequence[AutoEntry], blanks: dict[int, str]) -> str:
    lines = []
    single = len(entries) == 1 and not entries[0].position
    for entry in entries:
        choices = ""
        if entry.kind == "choice":
            choices = f" (a letter, {choice_labels(entry)[0]} to {choice_labels(entry)[-1]})"
        elif entry.kind == "boolean":
            choices = " (yes or no)"
        name = "Answer" if single else f"<code>{_no_blanks(_escape(entry.name))}</code>"
        lines.append(f"<p>{name}{choices}: [{blanks[id(entry)]}]</p>")
    return "\n".join(lines)


def _no_blanks(text: str) -> str:
    """Canvas reads ``[name]`` in a fill-in-blanks text as a blank: the text's
    own brackets are written as entities."""
    return text.replace("[", "&#91;").replace("]", "&#93;")


def _part_heading(part: ExportPart) -> str:
    points = _points_text(part.points)
    return (f"<p><strong>{'(' + part.label + ') ' if part.label else ''}</strong>"
            f"<em>[{points} point{'s' if part.points != 1 else ''}]</em></p>")


def _solution(part: ExportPart, html: dict[str, str]) -> str:
    return f"{_part_heading(part)}\n{html[part.solution]}"


def _escape(text: str) -> str:
    return html_module.escape(text, quote=True)


# -- Canvas's quiz settings and the package manifest --------------------------------

def _assessment_meta(spec: ProblemSet, questions: Sequence[ExportQuestion], spec_text: SpecHtml,
                     ident: str) -> etree._Element:
    quiz = etree.Element(f"{{{CANVAS_NAMESPACE}}}quiz", nsmap={None: CANVAS_NAMESPACE, "xsi": XSI})
    quiz.set("identifier", ident)
    quiz.set(f"{{{XSI}}}schemaLocation", f"{CANVAS_NAMESPACE} https://canvas.instructure.com/xsd/cccv1p0.xsd")
    total = sum((p.points for q in questions if q.version == questions[0].version for p in q.parts), Fraction(0))
    settings = [
        ("title", spec.title), ("description", spec_text.instructions), ("shuffle_answers", "false"),
        ("scoring_policy", "keep_highest"), ("hide_results", ""), ("quiz_type", "assignment"),
        ("points_possible", _points_text(total)), ("show_correct_answers", "true"),
        ("anonymous_submissions", "false"), ("could_be_locked", "false"), ("allowed_attempts", "1"),
        ("one_question_at_a_time", "false"), ("cant_go_back", "false"), ("available", "false"),
        ("one_time_results", "false"), ("show_correct_answers_last_attempt", "false"),
        ("only_visible_to_overrides", "false"), ("module_locked", "false"),
    ]
    for tag, value in settings:
        etree.SubElement(quiz, f"{{{CANVAS_NAMESPACE}}}{tag}").text = value
    etree.SubElement(quiz, f"{{{CANVAS_NAMESPACE}}}assignment_overrides")
    return quiz


def _manifest(ident: str, figures: dict[str, str]) -> bytes:
    manifest = etree.Element(f"{{{IMSCP_NAMESPACE}}}manifest", nsmap={None: IMSCP_NAMESPACE, "xsi": XSI})
    manifest.set("identifier", f"{ident}_manifest")
    manifest.set(f"{{{XSI}}}schemaLocation", f"{IMSCP_NAMESPACE} http://www.imsglobal.org/xsd/imscp_v1p1.xsd")
    metadata = etree.SubElement(manifest, f"{{{IMSCP_NAMESPACE}}}metadata")
    etree.SubElement(metadata, f"{{{IMSCP_NAMESPACE}}}schema").text = "IMS Content"
    etree.SubElement(metadata, f"{{{IMSCP_NAMESPACE}}}schemaversion").text = "1.1.3"
    etree.SubElement(manifest, f"{{{IMSCP_NAMESPACE}}}organizations")
    resources = etree.SubElement(manifest, f"{{{IMSCP_NAMESPACE}}}resources")

    def resource(identifier: str, kind: str, href: str, depends: str = "") -> None:
        element = etree.SubElement(resources, f"{{{IMSCP_NAMESPACE}}}resource", identifier=identifier, type=kind,
                                   href=href)
        etree.SubElement(element, f"{{{IMSCP_NAMESPACE}}}file", href=href)
        if depends:
            etree.SubElement(element, f"{{{IMSCP_NAMESPACE}}}dependency", identifierref=depends)

    resource(ident, QTI_RESOURCE, f"{ident}/{ident}.xml", f"{ident}_meta")
    resource(f"{ident}_meta", META_RESOURCE, f"{ident}/assessment_meta.xml")
    for path in sorted(figures):
        resource(_ident(ident, path), "webcontent", f"{FIGURE_FOLDER}/{figure_name(path)}")
    return _xml(manifest)
