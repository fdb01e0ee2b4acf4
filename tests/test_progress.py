"""The progress bar: on a terminal only, for builds with or without a
roster, silenced by -q (issue: "builds longer than about a second show a
progress bar ... nothing extra when output is not a terminal")."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

import pytest

from conftest import PROBLEM_SETS

A5 = str(PROBLEM_SETS / "a5.yaml")


def run_on_a_terminal(args: list[str], cwd) -> str:
    """stderr of genexam run with a pseudo-terminal as its stderr."""
    main, child = pty.openpty()
    try:
        process = subprocess.Popen([sys.executable, "-m", "genexam.cli", *args], cwd=cwd, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=child)
        os.close(child)
        said = b""
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            said += chunk
        assert process.wait(timeout=300) == 0, said.decode(errors="replace")
    finally:
        os.close(main)
    return said.decode(errors="replace")


def test_a_build_without_a_roster_shows_its_pdfs_on_a_terminal(tmp_path):
    said = run_on_a_terminal([A5, "--versions", "12", "--no-cache", "-o", "out"], tmp_path)
    assert "genexam: PDFs" in said and "24/24" in said  # 12 exams and 12 keys


def test_quiet_and_a_pipe_show_no_bar(tmp_path):
    said = run_on_a_terminal([A5, "--versions", "12", "-q", "-o", "out"], tmp_path)
    assert "PDFs" not in said and "\x1b[" not in said
    piped = subprocess.run([sys.executable, "-m", "genexam.cli", A5, "--versions", "12", "-o", "out2"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert piped.returncode == 0 and "PDFs" not in piped.stderr and "\x1b[" not in piped.stderr


@pytest.mark.sweep
def test_a_roster_build_counts_copies_and_keys(tmp_path):
    (tmp_path / "c.csv").write_text("id\n" + "".join(f"s{i}\n" for i in range(30)), encoding="utf-8")
    said = run_on_a_terminal([A5, "--roster", "c.csv", "--no-cache", "--format", "pdf", "-o", "out"], tmp_path)
    assert "genexam: copies and keys" in said and "32/32" in said  # 30 copies and a5's 2 keys
