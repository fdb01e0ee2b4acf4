"""The README tells the truth: its commands are CI's, every hook and family is
documented, and its example family works as an installed plugin."""

from __future__ import annotations

import inspect
import json
import re

from conftest import REPO, run_genexam

README = (REPO / "README.md").read_text()


def _fenced(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_ci_runs_the_readme_test_command():
    install_and_build, install_and_test = _fenced("sh")[:2]
    assert "genexam problem_sets/a5.yaml" in install_and_build
    assert "pytest" in install_and_test
    ci = (REPO / ".ci" / "run").read_text()
    assert install_and_test.strip() in ci.splitlines()


def test_every_hook_is_documented():
    from genexam import hookspecs

    hooks = [name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("genexam_")]
    assert hooks
    for name in hooks:
        assert f"`{name}(" in README, f"hook {name} is missing from the README's Hooks table"


def test_every_family_is_in_the_readme_table(registry):
    for name, family in registry.families.items():
        if not registry.is_builtin(name):  # an installed third-party family is documented by its package
            continue
        row = next((line for line in README.splitlines() if line.startswith(f"| `{name}` |")), None)
        assert row, f"family {name} has no row in the README's family table"
        for param in family.param_names():
            assert f"`{param}`" in row, f"{name}: parameter {param} missing from its README row"
        if family.parts_doc:  # parts vary with the parameters (question_bank): the row names what each part answers
            assert all(f"`{word}`" in row for word in ("choice", "answer")), f"{name}: its row must say what a part answers"
            continue
        for answer in family.answer_ids():
            assert f"`{answer}`" in row, f"{name}: answer id {answer} missing from its README row"


def _install_example_plugin(path):
    (module,) = [block for block in _fenced("python") if block.startswith("# neuron.py")]
    (template,) = [block for block in _fenced("jinja") if "neuron.md.j2" in block]
    (path / "neuron.py").write_text(module)
    (path / "neuron.md.j2").write_text(template)
    dist = path / "neuron_example-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: neuron-example\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text('[genexam]\nneuron = neuron\n')
    return {"PYTHONPATH": str(path)}


def test_readme_example_family_is_a_working_plugin(tmp_path):
    env = _install_example_plugin(tmp_path)
    assert "neuron: Pre-activation and output of a ReLU neuron" in run_genexam("list", env=env).stdout
    run = run_genexam("solve", "neuron", "--set", "w=[1, -2]", "--set", "x=[3, 1]", "--set", "b=-4", "--json", env=env)
    assert run.code == 0, run.stderr
    assert json.loads(run.stdout)["answers"] == {"z": -3, "y": 0}
    spec = tmp_path / "quiz.yaml"
    spec.write_text("title: Neurons\nseed: 3\nversions: 3\nproblems:\n  - family: neuron\n    points: 4\n")
    run = run_genexam(str(spec), "-o", str(tmp_path / "out"), "--format", "md,typ,pdf,json", env=env)
    assert run.code == 0 and "warning" not in run.stderr, run.stderr
    key = (tmp_path / "out" / "key-A.md").read_text()
    assert "ReLU" in key and "Solution" in key


def test_readme_example_family_passes_its_own_check(tmp_path):
    import random
    import sys

    from answers_util import same

    _install_example_plugin(tmp_path)
    sys.path.insert(0, str(tmp_path))
    try:
        import neuron
        from genexam.sampling import draw_params

        for seed in range(50):
            params = draw_params(neuron.Neuron, random.Random(seed))
            answers = neuron.Neuron().solve(params).answers
            for key, value in neuron.Neuron().check(params).items():
                assert same(answers[key], value)
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("neuron", None)
