"""README "Write your own family", end to end: the scaffold is a working,
installable family, `genexam check` passes on it and reports each way of
breaking it, and a broken installed plugin leaves genexam usable.

The end-to-end tests make a fresh venv that reaches this interpreter's
packages (genexam, pip, pytest) through a .pth file, and pip-install the
scaffold into it, as a user would; they are sweeps (a minute or two)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import PROBLEM_SETS, REPO, Run, run_genexam

README = (REPO / "README.md").read_text()
SECTION = README.split("## Write your own family\n", 1)[1].split("\n## ", 1)[0]
NAME = "relu_neuron"
PACKAGE = Path("genexam-relu-neuron")
MODULE = PACKAGE / "genexam_relu_neuron" / f"{NAME}.py"
TEMPLATE = PACKAGE / "genexam_relu_neuron" / f"{NAME}.md.j2"


def fenced(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", SECTION, flags=re.S)


# -- fast: the scaffold's files, and the README's excerpts of them ----------------

def test_scaffold_writes_an_installable_package(tmp_path):
    run = run_genexam("new", "family", NAME, cwd=tmp_path)
    assert run.code == 0, run.stderr
    root = tmp_path / PACKAGE
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert files == [".gitignore", "README.md", "genexam_relu_neuron/__init__.py",
                     "genexam_relu_neuron/relu_neuron.md.j2", "genexam_relu_neuron/relu_neuron.py",
                     "pyproject.toml", "tests/test_relu_neuron.py"]
    pyproject = (root / "pyproject.toml").read_text()
    assert '[project.entry-points.genexam]\nrelu_neuron = "genexam_relu_neuron.relu_neuron"' in pyproject
    assert 'genexam_relu_neuron = ["*.j2"]' in pyproject  # the template travels with the module
    module = (tmp_path / MODULE).read_text()
    (excerpt, one_line) = fenced("python")
    assert excerpt in module, "the README's excerpt of the scaffold is stale"
    assert one_line.strip().splitlines()[-1] in (root / "tests" / f"test_{NAME}.py").read_text()
    again = run_genexam("new", "family", NAME, cwd=tmp_path)
    assert again.code == 2 and "already exists" in again.stderr


def test_scaffold_family_meets_the_contract_in_process(tmp_path):
    import importlib

    from genexam.contract import check_family

    assert run_genexam("new", "family", NAME, cwd=tmp_path).code == 0
    sys.path.insert(0, str(tmp_path / PACKAGE))
    try:
        module = importlib.import_module(f"genexam_relu_neuron.{NAME}")
        report = check_family(module.ReluNeuron, seeds=200, converted=5)
        assert report.passed, report.failures()
    finally:
        sys.path.remove(str(tmp_path / PACKAGE))
        for name in [m for m in sys.modules if m.startswith("genexam_relu_neuron")]:
            del sys.modules[name]


@pytest.mark.parametrize("bad", ["ReLU", "1st", "class", "relu-neuron"])
def test_scaffold_refuses_names_that_cannot_be_families(tmp_path, bad):
    run = run_genexam("new", "family", bad, cwd=tmp_path)
    assert run.code == 2 and "cannot be a family name" in run.stderr, run.stderr
    assert not any(tmp_path.iterdir())


# -- end to end, in a fresh venv ---------------------------------------------------

@dataclass
class Venv:
    python: Path
    where: Path

    def run(self, *args: str | Path, cwd: Path | None = None) -> Run:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        result = subprocess.run([str(self.python), *map(str, args)], cwd=cwd or self.where, env=env,
                                capture_output=True, text=True, timeout=900)
        return Run(result.returncode, result.stdout, result.stderr)

    def genexam(self, *args: str | Path) -> Run:
        return self.run("-m", "genexam.cli", *args)

    def pip(self, *args: str | Path) -> Run:
        """pip without reaching for dependencies (genexam is already there);
        the project's own build backend if this interpreter has a recent one,
        else pip's isolated build."""
        run = self.run("-m", "pip", *args[:1], "--no-deps", "--no-build-isolation", *args[1:])
        if run.code != 0:
            run = self.run("-m", "pip", *args[:1], "--no-deps", *args[1:])
        return run

    def shell_line(self, line: str) -> Run:
        """One README command: genexam, pip or python, in this venv."""
        words = shlex.split(line, comments=True)
        if words[0] == "genexam":
            return self.genexam(*words[1:])
        if words[0] == "pip":
            return self.pip(*[w for w in words[1:] if w != "--no-deps"])
        if words[0] == "python":
            return self.run(*words[1:])
        raise AssertionError(f"the README runs {words[0]!r}, which this test does not know")


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Venv:
    """A fresh venv reaching this interpreter's site-packages (genexam, pip,
    pytest, setuptools) through a .pth file; nothing else installed."""
    import site

    where = tmp_path_factory.mktemp("family")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where / "venv")], check=True)
    python = where / "venv" / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    parents = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (Path(purelib) / "_genexam_parent.pth").write_text(
        "import site; " + "; ".join(f"site.addsitedir({p!r})" for p in parents) + "\n")
    return Venv(python, where)


def _command_lines(block: str) -> list[str]:
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


@pytest.fixture(scope="module")
def installed(venv: Venv) -> Venv:
    """The README's step 1: scaffold, install, list, show, check, the package's tests."""
    scaffold = fenced("sh")[0]
    for line in _command_lines(scaffold):
        run = venv.shell_line(line)
        assert run.code == 0, f"{line}\n{run.stdout}\n{run.stderr}"
        if line.startswith("genexam list"):
            assert f"{NAME}: Pre-activation and output of a ReLU neuron" in run.stdout
        if line.startswith("genexam check"):
            assert "1 family passed (200 seeds each)" in run.stdout, run.stdout
        if "pytest" in line:
            assert re.search(r"\b2 passed\b", run.stdout), run.stdout  # the contract and the value worked by hand
    return venv


@pytest.mark.sweep
def test_readme_walkthrough_scaffold_spec_publish(installed: Venv):
    spec_text = fenced("yaml")[0]
    (installed.where / spec_text.splitlines()[0].lstrip("# ").strip()).write_text(spec_text)
    for block in fenced("sh")[1:]:
        for line in _command_lines(block):
            run = installed.shell_line(line)
            assert run.code == 0, f"{line}\n{run.stdout}\n{run.stderr}"
    out = installed.where / "out" / "quiz"
    assert (out / "key-B.pdf").read_bytes().startswith(b"%PDF-")
    assert "ReLU" in (out / "exam-A.md").read_text()
    (wheel,) = (installed.where / "dist").glob("genexam_relu_neuron-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "genexam_relu_neuron/relu_neuron.md.j2" in names, names  # the template is in the published package
    assert any(n.endswith("entry_points.txt") for n in names)


BREAKAGES = {
    "dfrac": (TEMPLATE, "$z = {%", r"$z = \dfrac{1}{1} {%",
              [f"{NAME}.md.j2:10: \\dfrac is dropped or mangled by pandoc's Typst writer", "write \\frac"]),
    "check-missing-answer": (MODULE, 'return {"z": z, "y": (z + abs(z)) / 2}', 'return {"z": z}',
                             ["seed 0: check() does not recompute the answers 'y'",
                              f"reproduce: genexam show {NAME} --seed 0"]),
    "solve-disagrees": (MODULE, 'return {"z": z, "y": (z + abs(z)) / 2}',
                        'return {"z": z + (1 if p["b"] == 2 else 0), "y": (z + abs(z)) / 2}',
                        ["answer 'z': solve() gives ", " but check() gives ", "(compared exact)"]),
}


@pytest.mark.sweep
@pytest.mark.parametrize("how", list(BREAKAGES))
def test_check_reports_each_breakage(installed: Venv, how: str):
    path, old, new, expected = BREAKAGES[how]
    path = installed.where / path
    original = path.read_text()
    assert old in original
    path.write_text(original.replace(old, new))
    try:
        run = installed.genexam("check", NAME)
    finally:
        path.write_text(original)
    text = " ".join(run.stdout.split())  # rich wraps long lines
    assert run.code == 1, run.stdout + run.stderr
    for fragment in expected:
        assert fragment in text, f"{fragment!r} not in:\n{run.stdout}"
    assert f"1 of 1 family FAILED ({NAME})" in text
    if how == "solve-disagrees":  # the seed named reproduces it
        seed = re.search(r"seed (\d+): answer 'z'", text).group(1)
        shown = installed.genexam("solve", NAME, "--seed", seed, "--json")
        assert '"b": 2' in shown.stdout, shown.stdout


@pytest.mark.sweep
def test_a_broken_installed_plugin_leaves_genexam_usable(installed: Venv):
    where = installed.where
    assert installed.genexam("new", "family", "broken_one", "--dir", "broken").code == 0
    run = installed.pip("install", "-e", "broken")
    assert run.code == 0, run.stderr
    (where / "broken" / "genexam_broken_one" / "broken_one.md.j2").unlink()
    expected = ["genexam: warning: family 'broken_one' (plugin 'broken_one = genexam_broken_one.broken_one' "
                "(package genexam-broken-one 0.1.0)) has no template at ", "package-data"]
    for args in (("list",), ("validate", PROBLEM_SETS / "a5.yaml"),
                 (PROBLEM_SETS / "a5.yaml", "-o", where / "a5", "--format", "md,typ,pdf,json")):
        run = installed.genexam(*args)
        assert run.code == 0, run.stderr
        assert run.stderr.count("genexam: warning:") == 1, run.stderr
        assert all(f in run.stderr for f in expected), run.stderr
    assert (where / "a5" / "key-A.pdf").is_file()
    spec = where / "uses-broken.yaml"
    spec.write_text("title: Uses the broken family\nproblems:\n  - family: broken_one\n    points: 1\n")
    run = installed.genexam(spec, "-o", where / "never")
    assert run.code == 2 and "Traceback" not in run.stderr, run.stderr
    assert f"genexam: error: {spec}:3:13: problems[0].family: family 'broken_one' is not available: " in run.stderr
    assert not (where / "never").exists()
    check = installed.genexam("check", "broken_one")
    assert check.code == 1 and "has no template" in " ".join(check.stdout.split())
    installed.run("-m", "pip", "uninstall", "-y", "genexam-broken-one")
