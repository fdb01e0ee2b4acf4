"""pandoc batching: one call per format, split back exactly; spec text escaped."""

from __future__ import annotations

import pytest

from genexam.errors import RenderError
from genexam.render import pandoc


def test_many_fragments_come_back_in_order_through_chunked_calls(monkeypatch):
    monkeypatch.setattr(pandoc.os, "cpu_count", lambda: 3)
    fragments = [f"Fragment {i}: $x^{{{i}}}$ and *emphasis*" for i in range(3000)]
    fragments += fragments[:10] + [""]  # repeats and an empty one
    calls = []
    real = pandoc._run_pandoc
    monkeypatch.setattr(pandoc, "_run_pandoc", lambda *a: calls.append(a) or real(*a))
    out = pandoc.convert_many(fragments, "typst")
    assert len(calls) == 3  # one process per chunk
    assert out[0] == "Fragment 0: $x^0$ and #emph[emphasis]"
    assert out[2999].startswith("Fragment 2999: $x^2999$")
    assert out[3000:3010] == out[:10] and out[-1] == ""


def test_small_input_is_one_call(monkeypatch):
    calls = []
    real = pandoc._run_pandoc
    monkeypatch.setattr(pandoc, "_run_pandoc", lambda *a: calls.append(a) or real(*a))
    assert pandoc.convert_many(["$\\frac{1}{2}$", "b"], "latex") == ["\\(\\frac{1}{2}\\)", "b"]
    assert len(calls) == 1


@pytest.mark.parametrize("text", [r"Q&A 100% #1 $x$ \input{/etc/hostname} *a* _b_ `c` <b> [l](u) ~ ^ {}",
                                  "-- --- ... 'quoted' \"double\""])
def test_escaped_spec_text_reads_back_exactly(text):
    (plain,) = pandoc.convert_many([pandoc.escape_markdown(text)], "plain", reader=pandoc.SPEC_READER)
    assert plain == text


def test_spec_reader_has_no_math_and_no_raw_tex():
    (latex,) = pandoc.convert_many([r"Use $x$ and \input{/etc/hostname} and <b>x</b>"], "latex",
                                   reader=pandoc.SPEC_READER)
    assert r"\input{" not in latex and r"\(" not in latex and "<b>" not in latex


def test_tex_pandoc_cannot_convert_stops_the_build():
    with pytest.raises(RenderError, match="Could not convert TeX math"):
        pandoc.convert_many([r"$a \thinspace b$"], "typst")


@pytest.mark.parametrize("forged", ["GXFRAGMENT&#83;EPARATOR1", "GXFRAGMENTSEPARATOR1", "GXSEP&#48;N0"])
def test_no_text_can_forge_a_separator(forged):
    # The separator is drawn at random for each call: text spelling an old
    # fixed one (even as an entity pandoc decodes) is just text.
    fragments = ["first", f"\n\n{forged}\n\n", "third"]
    out = pandoc.convert_many(fragments, "latex")
    assert out[0] == "first" and out[2] == "third" and "GX" in out[1]


@pytest.mark.parametrize("text", [r"Q&A 100% #1 $x$ \input{/etc/hostname} *a* _b_ `c` <b> [l](u) ~ ^ {} |",
                                  "2026-12-04", "C# -- 1. Intro"])
def test_inline_escape_reads_back_in_a_heading_and_in_bold(text):
    escaped = pandoc.escape_markdown(text, inline=True)
    heading, bold = pandoc.convert_many([f"# {escaped}", f"**{escaped}** · x"], "plain", reader="gfm")
    assert heading == text
    assert bold == f"{text} · x"
