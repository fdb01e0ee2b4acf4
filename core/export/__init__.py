"""Online exports from the same solved versions as the paper: Moodle XML
(``moodle``), a Canvas QTI zip (``qti``) and offline HTML pages (``html``).

One driver (:mod:`.model`) cuts every version into questions with their
gradable answers; each format is one writer over it, as R/exams'
exams2moodle and exams2canvas differ only in their writer.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Mapping, Sequence

from ..instances import Instance
from ..spec import ProblemSet
from ..templating import ProblemText

#: The export formats, as named in a spec's `formats` and `--format`.
FORMATS = ("moodle", "qti", "html")
#: Formats whose files hold the answers: not written for a build of exams only.
KEYED = ("moodle", "qti")


def export_files(spec: ProblemSet, versions: Mapping[str, Sequence[Instance]],
                 texts: Mapping[str, Sequence[ProblemText]], key: bool = True,
                 answers_text: str | None = None) -> dict[str, bytes]:
    """The files of every export format the spec asks for: name -> bytes.
    ``answers_text`` is the build's answers.json (made here when not given).
    With ``key=False`` (exams only) only the exam pages are written: the LMS
    files and the practice pages hold the answers."""
    wanted = [f for f in FORMATS if f in spec.formats and (key or f not in KEYED)]
    if not wanted:
        return {}
    import json

    from . import text
    from .model import export_questions

    questions = export_questions(spec, versions, texts, json.loads(answers_text) if answers_text else None)
    fragments = text.fragments_of(questions)
    files: dict[str, bytes] = {}
    with ThreadPoolExecutor(max_workers=2) as pool:  # pandoc's two math outputs at once
        mathjax = pool.submit(text.convert, fragments, "mathjax") if {"moodle", "qti"} & set(wanted) else None
        mathml = pool.submit(text.convert, fragments, "mathml") if "html" in wanted else None
        spec_text = pool.submit(text.spec_html, spec) if {"qti", "html"} & set(wanted) else None
        if "moodle" in wanted:
            from .moodle import FILE_NAME, moodle_xml

            files[FILE_NAME] = moodle_xml(spec, questions, mathjax.result())
        if "qti" in wanted:
            from .qti import canvas_zip, zip_name

            files[zip_name(spec)] = canvas_zip(spec, questions, mathjax.result(), spec_text.result())
        if "html" in wanted:
            from .html import html_pages

            files.update(html_pages(spec, questions, mathml.result(), spec_text.result(), key))
    return files
