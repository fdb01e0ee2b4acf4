"""Every external step bounded and contained (issue 7): pandoc, latexmk and
Typst crashes or runaways end with a message naming the text, time-outs and
interrupts leave no child process and no scratch folder behind, nothing is
read from outside the build, separators cannot be forged, and characters
without a font are named.

The reproductions are the issue's own: a bank question nested 850 deep, an
`instructions` of nested brackets, `\\def\\x{\\x}\\x` under --engine latex, an
image path in the instructions with the file planted in the working folder,
`GXFRAGMENT&#83;EPARATOR1`, and 李雷 with an emoji in a title."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from conftest import PROBLEM_SETS, require_tool, run_genexam

DEEP_FRAC = "$" + "\\frac{1}{" * 850 + "1" + "}" * 850 + "$"


def write_spec(folder: Path, name: str = "hostile", *, title: str = "Hostile", instructions: str = "",
               question: str | None = None) -> Path:
    """A one-problem spec (gaussian_kl, or a bank question with ``question``)."""
    problem = {"family": "gaussian_kl", "points": 2}
    if question is not None:
        problem = {"family": "question_bank", "points": 2,
                   "params": {"questions": [{"question": question, "answer": "x"}]}}
    spec = {"title": title, "seed": 1, "instructions": instructions, "problems": [problem]}
    path = folder / f"{name}.yaml"
    path.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")  # JSON is YAML
    return path


def tagged_processes(tag: str) -> list[str]:
    """Command lines of live processes whose environment carries the tag:
    every child, grandchild and worker of a genexam started with it."""
    found = []
    needle = f"GENEXAM_TEST_TAG={tag}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
        except OSError:  # gone, or a zombie
            continue
    return found


def isolated_env(tmp_path: Path, **extra: str) -> tuple[dict[str, str], str]:
    """An environment with a fresh tag and its own TMPDIR (so scratch folders
    left behind are seen)."""
    tag = uuid.uuid4().hex
    scratch = tmp_path / "tmp"
    scratch.mkdir(exist_ok=True)
    # An empty cache of its own: every pandoc and Typst run happens (and can be watched and interrupted).
    return {**os.environ, "GENEXAM_TEST_TAG": tag, "TMPDIR": str(scratch), "GENEXAM_CACHE_DIR": str(tmp_path / "cache"),
            **extra}, tag


def assert_nothing_left(tmp_path: Path, tag: str) -> None:
    deadline = time.monotonic() + 5  # killed children take a moment to be reaped
    while tagged_processes(tag) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert tagged_processes(tag) == []
    assert list((tmp_path / "tmp").iterdir()) == []  # no genexam-latex-*, -pandoc-*, -typst-root-*


def genexam(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "genexam.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


# -- crashes and runaways ---------------------------------------------------------

def test_a_question_nested_850_deep_ends_with_a_message_naming_it(tmp_path):
    spec = write_spec(tmp_path, question=DEEP_FRAC)
    env, tag = isolated_env(tmp_path, GENEXAM_LIMIT_NESTING="2000")  # past the input limit: the crash is the backstop
    result = genexam([str(spec), "-o", "out/x", "--format", "pdf"], tmp_path, env)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "Typst crashed" in result.stderr and "question 1 (question_bank), part a" in result.stderr
    assert not (tmp_path / "out").exists()
    assert_nothing_left(tmp_path, tag)


def test_a_crash_while_measuring_a_fixed_layout_ends_with_a_message(tmp_path):
    """layout: fixed lays every version out once to measure it: in a worker
    too, so the crash is a message naming the version, not genexam's death."""
    spec = write_spec(tmp_path, question=DEEP_FRAC)
    spec.write_text(spec.read_text(encoding="utf-8").replace('"seed": 1', '"seed": 1, "layout": "fixed"'),
                    encoding="utf-8")
    env, tag = isolated_env(tmp_path, GENEXAM_LIMIT_NESTING="2000")
    result = genexam([str(spec), "-o", "out/x", "--format", "pdf"], tmp_path, env)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "layout: fixed: version A's exam: Typst crashed" in result.stderr
    assert not (tmp_path / "out").exists()
    assert_nothing_left(tmp_path, tag)


def test_nested_brackets_in_the_instructions_hit_pandocs_time_out(tmp_path):
    spec = write_spec(tmp_path, instructions="[[[[[[[[[[[[[[x]]]]]]]]]]]]]]")
    env, tag = isolated_env(tmp_path, GENEXAM_TIMEOUT_PANDOC="2", GENEXAM_LIMIT_BRACKET_DEPTH="20")
    start = time.monotonic()
    result = genexam([str(spec), "-o", "out/x", "--format", "typ"], tmp_path, env)
    assert time.monotonic() - start < 30
    assert result.returncode == 2
    assert "pandoc ran past its time-out of 2 s" in result.stderr and "the spec's instructions" in result.stderr
    assert_nothing_left(tmp_path, tag)


def test_a_tex_loop_under_latex_is_stopped_with_its_pdflatex(tmp_path):
    require_tool("latexmk", "--engine latex")
    spec = write_spec(tmp_path, question=r"$\def\x{\x}\x$")
    env, tag = isolated_env(tmp_path, GENEXAM_TIMEOUT_LATEX="3")
    result = genexam([str(spec), "-o", "out/x", "--format", "pdf", "--engine", "latex"], tmp_path, env)
    assert result.returncode == 2, result.stderr
    assert "latexmk (pdflatex) on exam-A.tex ran past its time-out of 3 s" in result.stderr
    assert_nothing_left(tmp_path, tag)  # pdflatex too, and the genexam-latex-* folder


def test_a_runaway_typst_document_times_out_and_the_pool_is_replaced(monkeypatch):
    from genexam.render.workers import TypstCrashed, TypstJob, TypstPool

    monkeypatch.setenv("GENEXAM_TIMEOUT_TYPST", "1.5")
    with TypstPool(1) as pool:
        with pytest.raises(TypstCrashed, match="key-B: Typst ran past its time-out of 1.5 s"):
            pool.compile([TypstJob("key-B", "#let n = 0\n#for i in range(1000000000) { n += 1 }\n#n")], 0)
        (result,) = pool.compile([TypstJob("exam-A", "Hello")], 0)  # a fresh worker
        assert result.pdf.startswith(b"%PDF")


def test_a_typst_segfault_becomes_an_error_and_the_pool_goes_on():
    from genexam.render.workers import TypstCrashed, TypstJob, TypstPool

    deep = "$" + " / ".join(["1"] * 851) + "$"  # what pandoc makes of the 850-deep \\frac
    with TypstPool(2) as pool:
        with pytest.raises(TypstCrashed, match="exam-B: Typst crashed compiling it"):
            pool.compile([TypstJob("exam-A", "fine"), TypstJob("exam-B", deep)], 0)
        results = pool.compile([TypstJob(f"doc-{i}", f"Document {i}") for i in range(5)], 0)
        assert [r.pdf[:4] for r in results] == [b"%PDF"] * 5


def test_a_typst_document_past_the_memory_cap_is_an_error(monkeypatch):
    from genexam.render.workers import TypstCrashed, TypstFailed, TypstJob, TypstPool

    monkeypatch.setenv("GENEXAM_TYPST_MEMORY_MB", "600")
    with TypstPool(1) as pool:
        with pytest.raises((TypstCrashed, TypstFailed), match="exam-A"):
            pool.compile([TypstJob("exam-A", "#let a = range(200000000).map(i => str(i))\n#a.len()")], 0)
        (result,) = pool.compile([TypstJob("exam-B", "Hello")], 0)
        assert result.pdf.startswith(b"%PDF")


def test_a_typst_error_names_the_text_on_its_line_not_a_template_bug():
    from genexam.errors import RenderError
    from genexam.render.pdf import typst_pdfs

    texts = {"Fine text.": "the spec's title", "#broken(": "version A, question 2 (question_bank), part a"}
    with pytest.raises(RenderError) as caught:
        typst_pdfs({"key-A": "= Fine text.\n\n#broken(\n"}, 0, texts=texts)
    said = str(caught.value)
    assert "line 3 of key-A.typ" in said and "The text at fault: version A, question 2 (question_bank), part a" in said
    assert "bug" not in said


def test_many_documents_with_their_own_in_memory_files():
    # The API per-student copies build on: shared files once per worker, each
    # document's own files (a QR code) beside them.
    from genexam.render.workers import TypstJob, TypstPool

    def svg(width: int) -> bytes:
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="5"><rect width="{width}" height="5"/></svg>'.encode()

    jobs = [TypstJob(f"copy-{i}", '#image("figures/f.svg")\n#image("qr.svg")', {"qr.svg": svg(i + 1)}) for i in range(6)]
    with TypstPool(2) as pool:
        first = pool.compile(jobs, 0, {"figures/f.svg": svg(20)})
        again = pool.compile(jobs, 0, {"figures/f.svg": svg(20)})
    assert [r.pdf for r in first] == [r.pdf for r in again]
    assert len({r.pdf for r in first}) == 6  # each its own QR


# -- interrupts -------------------------------------------------------------------------

def _wait_for(predicate, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupt_while_pandoc_runs_ends_it(tmp_path, signum):
    spec = write_spec(tmp_path, instructions="[[[[[[[[[[[[[[x]]]]]]]]]]]]]]")
    env, tag = isolated_env(tmp_path, GENEXAM_LIMIT_BRACKET_DEPTH="20")
    process = subprocess.Popen([sys.executable, "-m", "genexam.cli", str(spec), "-o", "out/x"], cwd=tmp_path,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert _wait_for(lambda: any("pandoc" in c for c in tagged_processes(tag)))
        assert _wait_for(lambda: any("genexam.render.workers" in c for c in tagged_processes(tag)))
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 128 + signum
    assert f"interrupted ({signal.Signals(signum).name}); nothing was written" in stderr
    assert "Traceback" not in stderr
    assert not (tmp_path / "out").exists()
    assert_nothing_left(tmp_path, tag)


def test_an_interrupt_while_typst_compiles_ends_the_workers_and_keeps_the_old_output(tmp_path):
    env, tag = isolated_env(tmp_path)
    args = [sys.executable, "-m", "genexam.cli", str(PROBLEM_SETS / "a5.yaml"), "-o", "out/a5", "--format", "pdf"]
    assert subprocess.run(args + ["--versions", "1"], cwd=tmp_path, env=env, capture_output=True).returncode == 0
    before = sorted(p.name for p in (tmp_path / "out/a5").iterdir())
    process = subprocess.Popen(args + ["--versions", "40"], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # The workers are up at once; wait until they are busy (pandoc has finished).
        assert _wait_for(lambda: any("genexam.render.workers" in c for c in tagged_processes(tag)))
        assert _wait_for(lambda: any("pandoc" in c for c in tagged_processes(tag)))
        assert _wait_for(lambda: not any("pandoc" in c for c in tagged_processes(tag)))
        time.sleep(0.5)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 143, stderr
    assert "nothing was written: out/a5/ still holds the previous output" in stderr
    assert sorted(p.name for p in (tmp_path / "out/a5").iterdir()) == before
    assert_nothing_left(tmp_path, tag)


# -- nothing read from outside -------------------------------------------------------

def test_an_image_path_in_the_instructions_is_refused_not_embedded(tmp_path):
    (tmp_path / "private").mkdir()
    secret = tmp_path / "private" / "confidential.pdf"
    shutil.copy(_a_pdf(tmp_path), secret)
    spec = write_spec(tmp_path, instructions="![x](private/confidential.pdf)")
    for fmt in ("pdf", "tex", "typ"):
        result = run_genexam(str(spec), "-o", "out/x", "--format", fmt, cwd=tmp_path)
        assert result.code == 2, result.stderr
        assert "the spec's instructions: the text shows the file 'private/confidential.pdf' as an image" \
            in result.stderr
        assert not (tmp_path / "out").exists()


def test_an_image_path_in_a_bank_question_is_refused(tmp_path):
    (tmp_path / "notes.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>')
    spec = write_spec(tmp_path, question="See ![it](notes.svg) and answer.")
    result = run_genexam(str(spec), "-o", "out/x", "--format", "pdf", cwd=tmp_path)
    assert result.code == 2
    assert "version A, question 1 (question_bank), part a: the text shows the file 'notes.svg'" in result.stderr


def test_typst_workers_cannot_read_the_working_folder(tmp_path, monkeypatch):
    # The second line of defence: even a document that names a file finds
    # nothing, because Typst's root is an empty folder of its own.
    from genexam.render.workers import TypstFailed, TypstJob, TypstPool

    (tmp_path / "private").mkdir()
    (tmp_path / "private" / "c.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>')
    monkeypatch.chdir(tmp_path)
    with TypstPool(1) as pool:
        for path in ("private/c.svg", str(tmp_path / "private" / "c.svg"), "../" * 8 + str(tmp_path)[1:] + "/private/c.svg"):
            with pytest.raises(TypstFailed, match="not found|escape the project root"):
                pool.compile([TypstJob("exam-A", f'#image("{path}")')], 0)


def test_pandoc_runs_in_an_empty_folder(tmp_path, monkeypatch):
    from genexam.render import pandoc

    (tmp_path / "include.md").write_text("SECRET")
    monkeypatch.chdir(tmp_path)
    seen = []
    real = pandoc.processes.run
    monkeypatch.setattr(pandoc.processes, "run", lambda *a, **k: seen.append(os.listdir(k["cwd"])) or real(*a, **k))
    assert pandoc.convert_many(["a"], "typst") == ["a"]
    assert seen == [[]]


def _a_pdf(tmp_path: Path) -> Path:
    from genexam.render.workers import TypstJob, TypstPool

    with TypstPool(1) as pool:
        (result,) = pool.compile([TypstJob("x", "CONFIDENTIAL-CONTENT")], 0)
    path = tmp_path / "made.pdf"
    path.write_bytes(result.pdf)
    return path


# -- forged separators ----------------------------------------------------------------

def test_a_forged_separator_in_the_instructions_is_only_text(tmp_path):
    spec = write_spec(tmp_path, instructions="GXFRAGMENT&#83;EPARATOR1 and GXFRAGMENTSEPARATOR0")
    result = run_genexam(str(spec), "-o", "out/x", "--format", "tex,typ", cwd=tmp_path)
    assert result.code == 0, result.stderr
    for suffix in ("tex", "typ"):
        text = (tmp_path / "out/x" / f"exam-A.{suffix}").read_text()
        assert "GXFRAGMENTSEPARATOR1 and GXFRAGMENTSEPARATOR0" in text
        assert "variational autoencoder" in text  # question 1 is still question 1


def test_a_forged_separator_in_a_bank_question_replaces_nothing(tmp_path):
    spec = write_spec(tmp_path, question="Before\n\nGXFRAGMENT&#83;EPARATOR1\n\nGXFRAGMENTSEPARATOR4\n\nafter")
    result = run_genexam(str(spec), "-o", "out/x", "--format", "typ", cwd=tmp_path)
    assert result.code == 0, result.stderr
    text = (tmp_path / "out/x/key-A.typ").read_text()
    assert "Before" in text and "after" in text and text.count("GXFRAGMENTSEPARATOR") == 2


# -- fonts --------------------------------------------------------------------------

def _require_cjk_font() -> None:
    require_tool("fc-list", "finding installed fonts for characters Typst's bundled fonts lack")
    found = subprocess.run(["fc-list", ":charset=674e"], capture_output=True, text=True).stdout.strip()
    if not found:
        if os.environ.get("GENEXAM_REQUIRE_TOOLS") == "1":
            pytest.fail("no CJK font installed (apt-get install fonts-noto-cjk; GENEXAM_REQUIRE_TOOLS=1)")
        pytest.skip("no CJK font installed: apt-get install fonts-noto-cjk")


def test_cjk_and_an_emoji_in_the_title_print(tmp_path):
    _require_cjk_font()
    require_tool("pdftotext", "reading the PDF's text")
    spec = write_spec(tmp_path, title="李雷 \U0001F600 exam")
    args = (str(spec), "-o", "out/x", "--format", "pdf")
    first = run_genexam(*args, cwd=tmp_path)
    if first.code == 2 and "U+1F600" in first.stderr:  # no emoji font here: named, with its package
        assert "fonts-noto-color-emoji" in first.stderr
        pytest.skip("no font with U+1F600 installed")
    assert first.code == 0, first.stderr
    pdf = (tmp_path / "out/x/exam-A.pdf").read_bytes()
    text = subprocess.run(["pdftotext", "-raw", str(tmp_path / "out/x/exam-A.pdf"), "-"], capture_output=True,
                          text=True).stdout
    assert "李雷 \U0001F600 exam" in text
    assert run_genexam(*args, cwd=tmp_path).code == 0
    assert (tmp_path / "out/x/exam-A.pdf").read_bytes() == pdf  # the same fonts, chosen the same way


def test_a_character_no_font_has_is_named_with_a_package(tmp_path):
    spec = write_spec(tmp_path, title="Exam \U000F0001")  # private use: no font has it
    result = run_genexam(str(spec), "-o", "out/x", "--format", "pdf", cwd=tmp_path)
    assert result.code == 2
    assert "no installed font can print U+F0001" in result.stderr and "apt-get install fonts-noto" in result.stderr
    assert not (tmp_path / "out").exists()


def test_ordinary_text_needs_no_system_font():
    from genexam.render import fonts
    from genexam.render.workers import TypstPool

    with TypstPool(1) as pool:
        assert fonts.font_dirs_for(pool, {"exam-A": "Größe – “quoted” α → ≤ ℝ ∑ é ñ"}) == ()
    assert fonts.debian_package("李") == "fonts-noto-cjk" and fonts.debian_package("\U0001F600") == \
        "fonts-noto-color-emoji"


# -- messages ----------------------------------------------------------------------

def test_a_missing_input_file_is_not_called_an_uninstalled_package():
    require_tool("latexmk", "--engine latex")
    from genexam.errors import EngineMissingError, RenderError
    from genexam.render.pdf import latex_pdf

    with pytest.raises(RenderError) as caught:
        latex_pdf("\\documentclass{article}\\begin{document}\\input{chapter2}\\end{document}\n", "exam-A", 0)
    assert not isinstance(caught.value, EngineMissingError)
    assert "reads the file chapter2.tex, which genexam did not make" in str(caught.value)
    assert "apt-get" not in str(caught.value)
    with pytest.raises(EngineMissingError, match="nosuchpackage.sty is not installed"):
        latex_pdf("\\documentclass{article}\\usepackage{nosuchpackage}\\begin{document}x\\end{document}\n",
                  "exam-A", 0)


def test_no_message_points_to_a_deleted_latex_log():
    from genexam.render.pdf import _latex_error

    said = _latex_error("", "Latexmk: something odd\nCollected error summary: pdflatex gave an error\n")
    assert "log" not in said.split(";")[0] and "pdflatex gave an error" in said


@pytest.mark.parametrize("value", ["99999999999999999999", "9" * 5000, "-5", "1e9", "٣"])
def test_a_source_date_epoch_out_of_range_is_a_message(tmp_path, value):
    spec = write_spec(tmp_path)
    result = run_genexam(str(spec), "-o", "out/x", "--format", "pdf", cwd=tmp_path,
                         env={"SOURCE_DATE_EPOCH": value})
    assert result.code == 2 and "Traceback" not in result.stderr
    assert "SOURCE_DATE_EPOCH=" in result.stderr and "253402300799" in result.stderr
    assert len(result.stderr) < 400


def test_a_source_date_epoch_in_range_is_used(tmp_path, monkeypatch):
    from genexam.render.pdf import pdf_timestamp

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "253402300799")
    assert pdf_timestamp("") == 253402300799
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "")
    assert pdf_timestamp("2026-12-04") == 1796342400


def test_time_outs_come_from_the_environment(monkeypatch):
    from genexam.errors import GenexamError
    from genexam.processes import DEFAULT_TIMEOUTS, timeout_seconds

    monkeypatch.setenv("GENEXAM_TIMEOUT_PANDOC", "2.5")
    assert timeout_seconds("pandoc") == 2.5 and timeout_seconds("latex") == DEFAULT_TIMEOUTS["latex"]
    monkeypatch.setenv("GENEXAM_TIMEOUT_PANDOC", "soon")
    with pytest.raises(GenexamError, match="GENEXAM_TIMEOUT_PANDOC='soon'"):
        timeout_seconds("pandoc")


@pytest.mark.parametrize("key", ["date", "seed"])
def test_a_5000_digit_number_is_called_a_number_not_a_date(tmp_path, key):
    spec = tmp_path / "big.yaml"
    spec.write_text(f"title: T\n{key}: {'9' * 5000}\nproblems:\n  - family: gaussian_kl\n    points: 2\n")
    result = run_genexam("validate", str(spec))
    assert result.code == 2 and "big.yaml:2:" in result.stderr
    assert "a number of 5000 digits" in result.stderr and "valid date" not in result.stderr
