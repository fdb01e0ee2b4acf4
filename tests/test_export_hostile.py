"""Hostile text in a spec and a question bank -- markup, a CDATA end, a cloze
gap, a Canvas blank, an ampersand -- comes out of every export as text: the
XML parses, no script exists or runs, and no gap or blank is injected."""

from __future__ import annotations

import shutil
import zipfile

import lxml.html
import pytest
from lxml import etree

from conftest import require_tool
from export_util import GAP_START, built, canvas_parts, moodle_gaps, moodle_questions

HOSTILE = "<script>alert(1)</script> ]]> {1:NUMERICAL:=1} [b1] & </mattext> $x$"

SPEC = f"""\
title: '{HOSTILE} / Q'
course: '{HOSTILE}'
instructions: '{HOSTILE}'
seed: 4
versions: 2
problems:
  - family: question_bank
    points: [2, 1]
    params:
      questions:
        - question: 'Which? {HOSTILE}'
          correct: 'right {HOSTILE}'
          distractors: ['wrong {HOSTILE}', 'also wrong']
          answer: 'Because {HOSTILE}'
        - question: 'Explain {HOSTILE}'
          answer: 'Model {HOSTILE}'
  - family: attention_ops
    points: [2, 1]
"""


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    spec = tmp_path_factory.mktemp("hostile") / "hostile.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    return built("hostile", "json,moodle,qti,html", spec)


def _no_script(fragment: str) -> None:
    if fragment.strip():
        tree = lxml.html.fromstring(f"<div>{fragment}</div>")
        assert not tree.xpath("//script"), fragment[:200]


def test_moodle_xml_keeps_hostile_text_as_text(out):
    questions = moodle_questions(out / "moodle.xml")  # parses
    clozes = [q for q in questions if q.get("type") == "cloze"]
    assert clozes
    for question in questions:
        for text in question.iter("text"):
            _no_script(text.text or "")
    for question in clozes:
        text = question.findtext("questiontext/text")
        gaps = moodle_gaps(text)
        assert len(GAP_START.findall(text)) == len(gaps)
        # question 1: one multiple-choice gap; question 2: the six numbers of (a) and (b)
        assert [g.type for g in gaps] in (["MULTICHOICE"], ["NUMERICAL"] * 6), [g.type for g in gaps]
        assert "{1:NUMERICAL:=1}" not in text
        assert "&#123;1:NUMERICAL:=1&#125;" in text or question.findtext("name/text").startswith("Q2")
    categories = [q.findtext("category/text") for q in questions if q.get("type") == "category"]
    # names are shown as HTML by Moodle (format_string): the title is escaped
    assert all(c.startswith("$course$/&lt;script&gt;") and "<" not in c for c in categories), categories
    # the title's "/" is doubled: Moodle would otherwise read a subcategory
    assert all(c.endswith((" // Q/Q1", " // Q/Q2", " // Q/Q1 written", " // Q/Q2 written")) for c in categories)


def test_canvas_zip_keeps_hostile_text_as_text(out):
    assessment, manifest, meta = canvas_parts(out / "hostile-canvas.zip")
    for mattext in assessment.iter("mattext"):
        _no_script(mattext.text or "")
    _no_script(meta.findtext("{http://canvas.instructure.com/xsd/cccv1p0}description"))
    assert assessment.find("assessment").get("title").startswith("<script>")  # an attribute: escaped by lxml
    for item in assessment.iter("item"):
        text = item.findtext("presentation/material/mattext")
        blanks = {lid.get("ident").removeprefix("response_") for lid in item.iter("response_lid")
                  if lid.get("ident") != "response1"}
        import re

        assert set(re.findall(r"\[(\w+)\]", text)) == blanks, "a blank was injected"


def test_html_pages_run_no_script(out):
    require_tool("chromium", "the pages are opened in a real browser")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"))
        try:
            for name in ("exam-A.html", "practice-A.html"):
                page = browser.new_page()
                dialogs: list[str] = []
                page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
                page.goto((out / name).as_uri())
                page.eval_on_selector_all("details", "els => els.forEach(e => e.open = true)")
                assert page.locator("script").count() == 0 and not dialogs
                text = page.inner_text("body")
                assert "<script>alert(1)</script>" in text and "{1:NUMERICAL:=1}" in text  # shown as text
                page.close()
        finally:
            browser.close()


def test_every_export_is_well_formed(out):
    etree.parse(str(out / "moodle.xml"))
    with zipfile.ZipFile(out / "hostile-canvas.zip") as archive:
        for name in archive.namelist():
            if name.endswith(".xml"):
                etree.fromstring(archive.read(name))
