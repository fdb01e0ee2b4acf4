"""The cache of pandoc and PDF results: a rebuild converts and typesets
nothing again and gives the same bytes; --no-cache and an exam-only build
send only what they print through pandoc."""

from __future__ import annotations

import pytest

from conftest import PROBLEM_SETS


@pytest.fixture
def counted(monkeypatch, tmp_path):
    """Count pandoc conversions and Typst compiles made by in-process builds."""
    from genexam import build as build_module
    from genexam.render import pandoc

    monkeypatch.setenv("GENEXAM_CACHE_DIR", str(tmp_path / "cache"))
    calls = {"pandoc": [], "typst": []}
    real_convert, real_typst = pandoc.convert_many, build_module.typst_pdfs

    def convert(fragments, to, *args, **options):
        calls["pandoc"].append(list(fragments))
        return real_convert(fragments, to, *args, **options)

    def typst(sources, timestamp, files=None, *args, **options):
        calls["typst"].append(sorted(sources))
        return real_typst(sources, timestamp, files, *args, **options)

    monkeypatch.setattr(pandoc, "convert_many", convert)
    monkeypatch.setattr(build_module, "typst_pdfs", typst)
    return calls


def test_a_rebuild_comes_from_the_cache_byte_identical(counted, registry, tmp_path):
    from genexam.build import build
    from genexam.spec import read_spec

    spec = read_spec(PROBLEM_SETS / "a3.yaml", registry)
    first = build(spec, registry, tmp_path / "one", warn=None)
    assert counted["pandoc"] and counted["typst"]
    counted["pandoc"].clear()
    counted["typst"].clear()
    again = build(spec, registry, tmp_path / "two", warn=None)
    assert counted == {"pandoc": [], "typst": []}
    assert again.files == first.files
    build(spec, registry, tmp_path / "three", warn=None, cache=False)
    assert counted["pandoc"] and counted["typst"]


def test_an_exam_only_build_converts_no_solution(counted, registry, tmp_path):
    from genexam.build import build
    from genexam.instances import make_version
    from genexam.spec import read_spec
    from genexam.templating import render_versions

    spec = read_spec(PROBLEM_SETS / "a3.yaml", registry)
    build(spec, registry, tmp_path / "exams", key=False, warn=None, cache=False)
    sent = {fragment for call in counted["pandoc"] for fragment in call}
    versions = {label: make_version(spec, label, {}) for label in spec.version_labels}
    solutions = {p.solution for texts in render_versions(versions, registry.filters).values()
                 for text in texts for p in text.parts}
    statements = {p.statement for texts in render_versions(versions, registry.filters).values()
                  for text in texts for p in text.parts}
    assert statements <= sent
    assert not (solutions - statements) & sent


def test_a_cjk_name_without_a_cjk_font_stops_naming_the_package(monkeypatch):
    from genexam.errors import GenexamError
    from genexam.render import stamp

    monkeypatch.setattr(stamp, "cjk_font_files", lambda: ())
    stamp.require_fonts_for({"class.csv:3": "Zoë Ångström"})  # Latin needs no CJK font
    with pytest.raises(GenexamError, match=r"class\.csv:3: the characters '李雷' need .* fonts-noto-cjk"):
        stamp.require_fonts_for({"class.csv:3": "李雷"})
