"""The output swap cannot lose data (issue 7): a build killed at any step of
the swap, by SIGINT or SIGKILL, leaves the complete old or the complete new
output at the target; the next build cleans what it left; genexam deletes only
folders it marked; targets it must not replace are refused with a message."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run_genexam

from genexam.output import MARKER, SWAP_STEPS, clean_leftovers

OLD = {"exam-A.md": "old exam", "answers.json": "{}", "figures/old.svg": "<svg/>"}
NEW = {"exam-A.md": "new exam", "key-A.md": "new key", "figures/new.svg": "<svg>new</svg>"}

# A build's last step, alone: write_atomically in a fresh interpreter with
# genexam's signal handlers, as the CLI runs it.
DRIVER = """
import json, sys
from pathlib import Path
from genexam.output import write_atomically
from genexam.processes import install_signal_handlers
install_signal_handlers()
write_atomically(Path(sys.argv[1]), {k: v.encode() for k, v in json.loads(sys.argv[2]).items()})
"""


def write(target: Path, files: dict[str, str], **env: str) -> int:
    return subprocess.run([sys.executable, "-c", DRIVER, str(target), json.dumps(files)],
                          env={**os.environ, **env}, capture_output=True, timeout=60).returncode


def contents(folder: Path) -> dict[str, str] | None:
    if not folder.is_dir():
        return None
    found = {str(p.relative_to(folder)): p.read_text() for p in folder.rglob("*") if p.is_file()}
    assert found.pop(MARKER, None) is not None, f"{folder} has no marker"
    return found


def leftovers(target: Path) -> list[str]:
    return sorted(p.name for p in target.parent.iterdir() if p.name != target.name)


@pytest.mark.parametrize("exchange", [pytest.param(True, id="renameat2"),
                                      pytest.param(False, id="two-renames", marks=pytest.mark.sweep)])
@pytest.mark.parametrize("signame", ["SIGINT", "SIGKILL"])
@pytest.mark.parametrize("step", SWAP_STEPS)
def test_a_build_killed_at_each_step_leaves_old_or_new_output(tmp_path, step, signame, exchange):
    target = tmp_path / "out" / "a5"
    assert write(target, OLD) == 0
    mode = {} if exchange else {"GENEXAM_TEST_NO_EXCHANGE": "1"}
    code = write(target, NEW, GENEXAM_TEST_SWAP_SIGNAL=f"{step}:{signame}", **mode)
    reached = step in ("swapped", "done") or (step == "moved-aside" and signame == "SIGINT" and not exchange)
    if step == "moved-aside" and exchange:  # the exchange has no such step: the build finished
        assert code == 0 and contents(target) == NEW
    elif step == "moved-aside" and signame == "SIGKILL":
        # Only the fallback, only SIGKILL, only between its two renames: the
        # target is missing until the next build puts the old output back.
        assert contents(target) is None
        assert clean_leftovers(target) and contents(target) == OLD
    else:
        assert code == -signal.SIGKILL if signame == "SIGKILL" else code != 0
        assert contents(target) == (NEW if reached else OLD)
    # The next build finds and clears whatever the killed one left.
    assert write(target, NEW) == 0
    assert contents(target) == NEW
    assert leftovers(target) == []


@pytest.mark.parametrize("signame", ["SIGINT", "SIGKILL"])
@pytest.mark.parametrize("step", ["scratch-made", "files-written", "swapped"])
def test_a_first_build_killed_leaves_nothing_or_the_new_output(tmp_path, step, signame):
    target = tmp_path / "out" / "a5"
    write(target, NEW, GENEXAM_TEST_SWAP_SIGNAL=f"{step}:{signame}")
    assert contents(target) in (None, NEW)
    assert contents(target) == (NEW if step == "swapped" else None)
    assert write(target, OLD) == 0 and leftovers(target) == []


@pytest.mark.parametrize("step, said", [
    ("files-written", "interrupted (SIGINT); nothing was written: out/x/ still holds the previous output"),
    ("swapped", "interrupted (SIGINT) after the new output was complete in out/x/"),
])
def test_the_message_after_an_interrupt_says_what_is_at_the_target(tmp_path, step, said):
    spec = tmp_path / "s.yaml"
    spec.write_text("title: T\nseed: 1\nproblems:\n  - family: gaussian_kl\n    points: 2\n")
    assert run_genexam(str(spec), "-o", "out/x", "--format", "md", "--seed", "1", cwd=tmp_path).code == 0
    old = contents(tmp_path / "out/x")
    result = run_genexam(str(spec), "-o", "out/x", "--format", "md", "--seed", "2", cwd=tmp_path,
                         env={"GENEXAM_TEST_SWAP_SIGNAL": f"{step}:SIGINT"})
    assert result.code == 130
    assert result.stderr.strip() == f"genexam: {said}"
    assert (contents(tmp_path / "out/x") == old) == (step == "files-written")
    assert leftovers(tmp_path / "out/x") == []  # an interrupt cleans up at once


def _marked(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / MARKER).write_text("genexam")
    (folder / "exam-A.md").write_text("x")
    return folder


def test_only_marked_leftovers_of_ended_builds_are_removed(tmp_path):
    target = _marked(tmp_path / "a5")
    dead = _marked(tmp_path / ".a5.genexam-new-999999999-abcdef")
    running = _marked(tmp_path / f".a5.genexam-old-{os.getppid()}-abcdef")  # a live process
    legacy = _marked(tmp_path / ".a5.partial-x1y2z3")
    unmarked = tmp_path / ".a5.genexam-new-999999999-012345"
    unmarked.mkdir()
    (unmarked / "mine.txt").write_text("not genexam's")
    other = _marked(tmp_path / ".b5.genexam-new-999999999-abcdef")  # another target's
    removed = clean_leftovers(target)
    assert sorted(p.name for p in removed) == sorted([dead.name, legacy.name])
    assert running.exists() and unmarked.exists() and other.exists() and target.exists()
    assert (unmarked / "mine.txt").read_text() == "not genexam's"


def test_an_old_output_moved_aside_is_put_back(tmp_path):
    target = tmp_path / "a5"
    aside = _marked(tmp_path / ".a5.genexam-old-999999999-abcdef")
    legacy = tmp_path / ".b5.old-k3j4"
    _marked(legacy / "previous")
    clean_leftovers(target)
    clean_leftovers(tmp_path / "b5")
    assert contents(target) == {"exam-A.md": "x"} and not aside.exists()
    assert contents(tmp_path / "b5") == {"exam-A.md": "x"} and not legacy.exists()


SPEC = "title: T\nseed: 1\nproblems:\n  - family: gaussian_kl\n    points: 2\n"


def test_output_at_a_symbolic_link_is_refused(tmp_path):
    (tmp_path / "s.yaml").write_text(SPEC)
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "keep.txt").write_text("mine")
    (tmp_path / "link").symlink_to("real")
    result = run_genexam("s.yaml", "-o", "link", "--format", "md", cwd=tmp_path)
    assert result.code == 2 and "-o link is a symbolic link (to real)" in result.stderr
    assert (tmp_path / "link").is_symlink() and os.listdir(tmp_path / "real") == ["keep.txt"]


@pytest.mark.parametrize("out", [".", "./", "..", "out/..", "sub/../.."])
def test_output_at_the_working_folder_or_above_is_refused(tmp_path, out):
    (tmp_path / "s.yaml").write_text(SPEC)
    result = run_genexam("s.yaml", "-o", out, "--format", "md", cwd=tmp_path)
    assert result.code == 2 and "Traceback" not in result.stderr and "busy" not in result.stderr
    assert "-o " in result.stderr and ("not '.' or '..'" in result.stderr or "working folder" in result.stderr)
    assert sorted(os.listdir(tmp_path)) == ["s.yaml"]


def test_output_at_the_working_folder_by_its_path_is_refused(tmp_path):
    (tmp_path / "s.yaml").write_text(SPEC)
    result = run_genexam("s.yaml", "-o", str(tmp_path), "--format", "md", cwd=tmp_path)
    assert result.code == 2 and "is the working folder or holds it" in result.stderr


@pytest.mark.parametrize("name", ["..yaml", "...yaml"])
def test_a_spec_named_dot_dot_gets_no_output_folder(tmp_path, name):
    (tmp_path / name).write_text(SPEC)
    _marked(tmp_path / "out" / "a5")
    result = run_genexam(name, "--format", "md", cwd=tmp_path)
    assert result.code == 2 and "gives no output folder of its own" in result.stderr
    assert os.listdir(tmp_path / "out") == ["a5"] and contents(tmp_path / "out" / "a5") == {"exam-A.md": "x"}


def test_no_key_with_only_json_writes_nothing_and_says_so(tmp_path):
    (tmp_path / "s.yaml").write_text(SPEC)
    _marked(tmp_path / "out" / "s")
    result = run_genexam("s.yaml", "--no-key", "--format", "json", cwd=tmp_path)
    assert result.code == 2 and "nothing to write" in result.stderr and "wrote 0 files" not in result.stdout
    assert contents(tmp_path / "out" / "s") == {"exam-A.md": "x"}


def test_a_folder_not_made_by_genexam_is_refused_and_an_empty_one_used(tmp_path):
    (tmp_path / "s.yaml").write_text(SPEC)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("mine")
    result = run_genexam("s.yaml", "-o", "mine", "--format", "md", cwd=tmp_path)
    assert result.code == 2 and "was not made by genexam" in result.stderr
    assert os.listdir(tmp_path / "mine") == ["thesis.tex"]
    (tmp_path / "empty").mkdir()
    assert run_genexam("s.yaml", "-o", "empty", "--format", "md", cwd=tmp_path).code == 0
    assert sorted(os.listdir(tmp_path / "empty")) == [MARKER, "exam-A.md", "key-A.md"]
    assert sorted(os.listdir(tmp_path)) == ["empty", "mine", "s.yaml"]  # no scratch left
