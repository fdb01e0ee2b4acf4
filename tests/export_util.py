"""Helpers for the export tests: the four problem sets built once with every
export format, what answers.json says is gradable, and readers of the
exports that are written from the LMSs' own rules, not from genexam's writers."""

from __future__ import annotations

import atexit
import functools
import html
import json
import os
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from conftest import PROBLEM_SETS, REPO, run_genexam
from genexam.gradable import gradable_answers

PROBLEM_SET_NAMES = ("a5", "test3", "a3", "quiz1")
AUTO_KINDS = ("integer", "rational", "real", "boolean", "word", "choice")
#: ../shared/schemas beside the repository (CI clones it there); a git
#: worktree under wt/ finds it one level further up.
SCHEMAS = next((p / "shared" / "schemas" for p in (REPO.parent, REPO.parent.parent)
                if (p / "shared" / "schemas").is_dir()), REPO.parent / "shared" / "schemas")

_SCRATCH = Path(tempfile.mkdtemp(prefix="genexam-export-tests-"))
atexit.register(shutil.rmtree, _SCRATCH, True)


@functools.lru_cache(maxsize=None)
def built(name: str, formats: str = "json,moodle,qti,html", spec: Path | None = None) -> Path:
    """Build a problem set once per test session; the output folder."""
    out = _SCRATCH / f"{name}-{formats.replace(',', '_')}"
    run = run_genexam("build", str(spec or PROBLEM_SETS / f"{name}.yaml"), "--format", formats, "-o", str(out))
    assert run.code == 0, run.stderr
    return out


def answers_of(out: Path) -> dict[str, Any]:
    return json.loads((out / "answers.json").read_text(encoding="utf-8"))


def schemas() -> Path:
    """../shared/schemas beside the repository, or a skip (a failure in CI)."""
    if (SCHEMAS / "ims_qtiasiv1p2p1.dtd").is_file() and (SCHEMAS / "imscp_v1p1.xsd").is_file():
        return SCHEMAS
    if os.environ.get("GENEXAM_REQUIRE_TOOLS") == "1":
        pytest.fail(f"the IMS schemas are required here (GENEXAM_REQUIRE_TOOLS=1) but {SCHEMAS} is missing")
    pytest.skip(f"{SCHEMAS} is missing (the shared folder beside the repository)")


@dataclass(frozen=True)
class Expected:
    """One auto-graded entry as answers.json gives it."""

    version: str
    question: int
    column: str
    position: tuple
    kind: str
    value: Any
    points: Fraction


def expected_entries(document: dict[str, Any]) -> tuple[list[Expected], list[Any]]:
    """(auto-graded entries, answers for a person) of every version."""
    auto, written = [], []
    for answer in gradable_answers(document):
        if answer.kind in AUTO_KINDS:
            auto += [Expected(answer.version, answer.question, answer.column, position, answer.kind, value, points)
                     for position, value, points in answer.entries()]
        else:
            written.append(answer)
    return auto, written


def exact(value: Any) -> Fraction:
    """An exact sympy number as a Fraction (irrational: 40 digits)."""
    import sympy

    if isinstance(value, sympy.Rational):
        return Fraction(int(value.p), int(value.q))
    return Fraction(str(sympy.N(value, 40)))


# -- Moodle's embedded-answer syntax, from question/type/multianswer/questiontype.php ----------

_FRACTION = r"=|%(-?[0-9]+(?:[.,][0-9]*)?)%"
# Moodle's (?<!\\|&|&amp;): Python wants fixed-width look-behinds, one each.
_ANSWER = r".+?(?<!\\)(?<!&)(?<!&amp;)(?=[~#}]|$)"
_FEEDBACK = r".*?(?<!\\)(?=[~}]|$)"
_ALTERNATIVE = rf"(?:{_FRACTION})?(?:{_ANSWER})(?:#(?:{_FEEDBACK}))?"
_TYPES = ("NUMERICAL|NM|MULTICHOICE|MC|MULTICHOICE_V|MCV|MULTICHOICE_H|MCH|SHORTANSWER|SA|MW|SHORTANSWER_C|SAC|MWC|"
          "MULTICHOICE_S|MCS|MULTICHOICE_VS|MCVS|MULTICHOICE_HS|MCHS|MULTIRESPONSE|MR|MULTIRESPONSE_H|MRH|"
          "MULTIRESPONSE_S|MRS|MULTIRESPONSE_HS|MRHS")
GAP = re.compile(rf"\{{([0-9]*):({_TYPES}):({_ALTERNATIVE}(?:~{_ALTERNATIVE})*)\}}", re.S)
#: Where Moodle starts looking for a gap: any text that does must be a gap.
GAP_START = re.compile(rf"\{{[0-9]*:(?:{_TYPES}):")
_ONE_ALTERNATIVE = re.compile(rf"~?({_FRACTION})?({_ANSWER})(#({_FEEDBACK}))?", re.S)
NUMBER = r"-?(?:(?:[0-9]+[.,]?[0-9]*|[.,][0-9]+)(?:[eE][-+]?[0-9]+)?)"
NUMERICAL = re.compile(rf"^({NUMBER})(?::({NUMBER}))?$")


@dataclass(frozen=True)
class Gap:
    weight: int
    type: str
    alternatives: tuple[tuple[str, str], ...]  # (fraction marker, answer text as Moodle decodes it)

    @property
    def correct(self) -> list[str]:
        return [answer for marker, answer in self.alternatives if marker == "="]


def moodle_gaps(text: str) -> list[Gap]:
    """The embedded answers Moodle's importer finds, decoded as it decodes them."""
    gaps = []
    for match in GAP.finditer(text):
        alternatives = []
        rest = match.group(3)
        while rest:
            alt = _ONE_ALTERNATIVE.match(rest)
            assert alt and alt.end() > 0, rest
            answer = html.unescape(alt.group(3)).replace("\\}", "}").replace("\\#", "#")
            alternatives.append((alt.group(1) or "", answer))
            rest = rest[alt.end():]
        gaps.append(Gap(int(match.group(1) or 1), match.group(2), tuple(alternatives)))
    return gaps


def moodle_questions(path: Path) -> list[etree._Element]:
    return etree.parse(str(path)).getroot().findall("question")


# -- Canvas ------------------------------------------------------------------------

def canvas_parts(path: Path) -> tuple[etree._Element, bytes, etree._Element]:
    """(assessment root, manifest bytes, assessment_meta root) of a Canvas zip."""
    with zipfile.ZipFile(path) as archive:
        manifest = archive.read("imsmanifest.xml")
        root = etree.fromstring(manifest)
        ns = {"cp": "http://www.imsglobal.org/xsd/imscp_v1p1"}
        qti = root.xpath("//cp:resource[@type='imsqti_xmlv1p2']/@href", namespaces=ns)[0]
        meta = [h for h in root.xpath("//cp:resource/@href", namespaces=ns) if h.endswith("assessment_meta.xml")][0]
        return etree.fromstring(archive.read(qti)), manifest, etree.fromstring(archive.read(meta))


def metadata(item: etree._Element) -> dict[str, str]:
    return {f.findtext("fieldlabel"): f.findtext("fieldentry") for f in item.iter("qtimetadatafield")}
