"""The offline pages in a real browser (Debian's chromium, driven by
playwright): math drawn as MathML, no raw TeX on the page, solutions behind
"Show solution", nothing fetched from the network, and a screenshot."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from conftest import REPO, require_tool
from export_util import PROBLEM_SET_NAMES, built

#: GENEXAM_UPDATE_DOCS=1 refreshes the README's picture; otherwise the
#: screenshot goes to the test's folder (a person looks at it there).
DOCS_SCREENSHOT = REPO / "docs" / "practice-A.png"


@pytest.fixture(scope="module")
def browser():
    require_tool("chromium", "the offline HTML pages are checked in a real browser")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"))
        yield browser
        browser.close()


def _open(browser, path: Path):
    page = browser.new_page(viewport={"width": 900, "height": 1100})
    requests: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, requests, dialogs


@pytest.mark.parametrize("name", PROBLEM_SET_NAMES)
def test_practice_page_draws_its_math_and_hides_solutions_until_asked(browser, name, tmp_path):
    out = built(name)
    page, requests, dialogs = _open(browser, out / "practice-A.html")
    try:
        boxes = page.eval_on_selector_all("math", "els => els.map(e => { const r = e.getBoundingClientRect();"
                                                  " return [r.width, r.height]; })")
        # every formula is drawn (solutions are closed: open them all first for their formulas)
        page.eval_on_selector_all("details.solution", "els => els.forEach(e => e.open = true)")
        boxes = page.eval_on_selector_all("math", "els => els.map(e => { const r = e.getBoundingClientRect();"
                                                  " return [r.width, r.height]; })")
        assert boxes and all(w > 0 and h > 0 for w, h in boxes), f"{sum(1 for w, h in boxes if not w * h)} empty"
        shown = page.inner_text("body")
        assert "$" not in shown and "\\frac" not in shown and "\\(" not in shown, "raw TeX on the page"
        assert page.locator("script").count() == 0 and not dialogs
        assert requests == [(out / "practice-A.html").as_uri()], "the page fetched something"

        # closed, a solution is not shown; "Show solution" opens it
        page.reload()
        details = page.locator("details.solution").first
        body = details.locator(".body")
        assert not body.is_visible()
        details.locator("summary").click()
        assert body.is_visible() and body.inner_text().strip()
        if name == "test3":  # its key has a figure: inline SVG with a size
            page.eval_on_selector_all("details.solution", "els => els.forEach(e => e.open = true)")
            sizes = page.eval_on_selector_all("figure svg", "els => els.map(e => e.getBoundingClientRect().width)")
            assert sizes and all(s > 100 for s in sizes)
        if name == "a5":
            page.reload()
            page.set_viewport_size({"width": 900, "height": 1500})
            page.locator("details.solution summary").nth(0).click()
            page.evaluate("window.scrollTo(0, 0)")
            target = DOCS_SCREENSHOT if os.environ.get("GENEXAM_UPDATE_DOCS") == "1" else tmp_path / "practice-A.png"
            page.screenshot(path=str(target))
            assert target.stat().st_size > 10_000
    finally:
        page.close()


def test_exam_page_has_no_solutions(browser):
    out = built("a5")
    exam = (out / "exam-A.html").read_text(encoding="utf-8")
    practice = (out / "practice-A.html").read_text(encoding="utf-8")
    assert "<details" not in exam and "Show solution" in practice
    page, _, _ = _open(browser, out / "exam-A.html")
    try:
        assert page.locator(".answer-space").count() == len(re.findall(r'class="part"', exam))
    finally:
        page.close()
