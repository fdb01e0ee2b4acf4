"""Shared test helpers: running the CLI as a user would, and the registry."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PROBLEM_SETS = REPO / "problem_sets"


@pytest.fixture(autouse=True, scope="session")
def _own_cache_folder(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Builds in the tests cache into a folder of the session's own, never
    the user's ~/.cache/genexam: a result cached by an earlier run would
    skip the pandoc or Typst run a test is watching."""
    os.environ["GENEXAM_CACHE_DIR"] = str(tmp_path_factory.mktemp("genexam-cache"))


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


def run_genexam(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Run:
    """Run `genexam ARGS` in a fresh interpreter, exactly as a user would."""
    result = subprocess.run(
        [sys.executable, "-m", "genexam.cli", *args],
        cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=600,
    )
    return Run(result.returncode, result.stdout, result.stderr)


def run_solve(family: str, *sets: str, json: bool = False) -> Run:
    """`genexam solve FAMILY --set S1 --set S2 ... [--json]`."""
    args = ["solve", family, *(["--json"] if json else [])]
    for item in sets:
        args += ["--set", item]
    return run_genexam(*args)


@pytest.fixture(scope="session")
def registry():
    from genexam.registry import build_registry

    return build_registry()


def require_torch():
    """torch, or a skip -- a failure when GENEXAM_REQUIRE_TORCH=1 (.ci/run installs it)."""
    try:
        import torch
    except ImportError:
        if os.environ.get("GENEXAM_REQUIRE_TORCH") == "1":
            pytest.fail("torch is required here (GENEXAM_REQUIRE_TORCH=1) but cannot be imported")
        pytest.skip("torch is not installed: the torch.nn comparison is skipped")
    return torch


def require_tool(name: str, why: str) -> None:
    """Skip when an external tool is missing -- unless GENEXAM_REQUIRE_TOOLS=1
    (set by .ci/run, which installs them), where a missing tool fails."""
    import shutil

    if shutil.which(name):
        return
    if os.environ.get("GENEXAM_REQUIRE_TOOLS") == "1":
        pytest.fail(f"{name} is required here (GENEXAM_REQUIRE_TOOLS=1) but not installed: {why}")
    pytest.skip(f"{name} not installed: {why}")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "sweep: a heavy sweep (many seeds, versions or engines); skipped unless "
                   "GENEXAM_SWEEPS=1, which .ci/run sets, so a newcomer's run stays short")


def pytest_collection_modifyitems(config, items):
    if os.environ.get("GENEXAM_SWEEPS") == "1":
        return
    skip = pytest.mark.skip(reason="heavy sweep: set GENEXAM_SWEEPS=1 to run it (.ci/run does)")
    for item in items:
        if "sweep" in item.keywords:
            item.add_marker(skip)
