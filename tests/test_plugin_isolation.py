"""A broken plugin is reported once, as a warning naming its package and how
to mend it; commands and specs that do not use it work, and a spec that does
fails with that message at its `family:` key."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import PROBLEM_SETS, run_genexam
from genexam import hookimpl
from genexam.errors import GenexamError
from genexam.registry import build_registry, load_plugins

FAMILY = '''
from genexam import hookimpl
from genexam.family import Family, Part, Solution
from genexam.params import Int


class Doubler(Family):
    name = "doubler"
    title = "Twice a number"
    params = (Int("n", 3, low=1, high=9),)
    parts = (Part("a", ("double",)),)

    def solve(self, p):
        return Solution({"double": 2 * p["n"]})

    def check(self, p):
        return {"double": p["n"] + p["n"]}


@hookimpl
def genexam_families():
    return [Doubler]
'''
TEMPLATE = "{% block statement %}n = {{ n }}{% endblock %}{% block part_a %}Double it.{% endblock %}" \
           "{% block solution_a %}{{ answers.double }}{% endblock %}"

BROKEN = {
    "import-error": (FAMILY.replace("from genexam.params import Int", "from genexam.params import Integer"),
                     TEMPLATE, "cannot load the plugin 'doubler = doubler_family' (package doubler-family 0.1): ",
                     "ImportError"),
    "missing-template": (FAMILY, None, "family 'doubler' (plugin 'doubler = doubler_family' (package doubler-family "
                                       "0.1)) has no template at ", "package-data"),
    "hook-raises": (FAMILY.replace("    return [Doubler]", "    raise RuntimeError('no families today')"), TEMPLATE,
                    "the plugin 'doubler = doubler_family' (package doubler-family 0.1) failed in "
                    "genexam_families(): ", "RuntimeError: no families today"),
    "duplicate-name": (FAMILY.replace('name = "doubler"', 'name = "gda_table"'), TEMPLATE,
                       "two plugins define the family 'gda_table': ", "the built-in one is used"),
}


def install(where: Path, module: str, template: str | None) -> dict[str, str]:
    """The `doubler` plugin package, found through its entry point on PYTHONPATH."""
    import re

    (where / "doubler_family.py").write_text(module)
    if template is not None:
        name = re.search(r'name = "(\w+)"', module).group(1)
        (where / f"{name}.md.j2").write_text(template)
    info = where / "doubler_family-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: doubler-family\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[genexam]\ndoubler = doubler_family\n")
    return {"PYTHONPATH": str(where), "PYTHONDONTWRITEBYTECODE": "1"}


def test_the_working_plugin_works(tmp_path):
    env = install(tmp_path, FAMILY, TEMPLATE)
    run = run_genexam("solve", "doubler", "--set", "n=4", env=env)
    assert run.code == 0 and run.stderr == "", run.stderr
    assert "double = 8" in run.stdout


@pytest.mark.parametrize("case", [c if c == "missing-template" else pytest.param(c, marks=pytest.mark.sweep)
                                  for c in BROKEN])
def test_a_broken_plugin_is_a_warning_for_commands_that_do_not_use_it(tmp_path, case):
    module, template, *fragments = BROKEN[case]
    env = install(tmp_path, module, template)
    for args in (("list",), ("validate", str(PROBLEM_SETS / "a5.yaml")),
                 (str(PROBLEM_SETS / "a5.yaml"), "-o", str(tmp_path / "out"), "--format", "md,json")):
        run = run_genexam(*args, env=env)
        assert run.code == 0, f"genexam {' '.join(args)}: {run.stderr}"
        warnings = [line for line in run.stderr.splitlines() if line.startswith("genexam: warning: ")]
        assert len(warnings) == 1, run.stderr  # once, not once per use
        assert all(f in warnings[0] for f in fragments), warnings[0]
        assert "Traceback" not in run.stderr
    assert (tmp_path / "out" / "answers.json").is_file()


@pytest.mark.parametrize("case", ["import-error", pytest.param("missing-template", marks=pytest.mark.sweep),
                                  "hook-raises"])
def test_a_spec_using_the_broken_family_fails_at_its_family_key(tmp_path, case):
    module, template, *fragments = BROKEN[case]
    env = install(tmp_path, module, template)
    spec = tmp_path / "quiz.yaml"
    spec.write_text("title: Quiz\nproblems:\n  - family: gda_table\n    points: [1, 1, 1]\n"
                    "  - family: doubler\n    points: 1\n")
    for verb in ("validate", "build"):
        run = run_genexam(verb, str(spec), "-o", str(tmp_path / "out"), env=env) if verb == "build" else \
            run_genexam(verb, str(spec), env=env)
        assert run.code == 2, run.stderr
        error = next(line for line in run.stderr.splitlines() if line.startswith("genexam: error: "))
        assert error.startswith(f"genexam: error: {spec}:5:13: problems[1].family: "), run.stderr
        assert all(f in error for f in fragments), error
        assert "Traceback" not in run.stderr
    assert not (tmp_path / "out").exists()


def test_check_fails_on_a_broken_plugin(tmp_path):
    module, template, *fragments = BROKEN["missing-template"]
    env = install(tmp_path, module, template)
    run = run_genexam("check", "doubler", env=env)
    assert run.code == 1, run.stdout + run.stderr
    assert fragments[0] in " ".join(run.stdout.split()), run.stdout


# -- in process: hooks of plugin objects ---------------------------------------------

class _Raises:
    @hookimpl
    def genexam_families(self):
        raise KeyError("oops")


class _RaisesFilters:
    @hookimpl
    def genexam_template_filters(self):
        raise ValueError("no filters")


def test_failing_hooks_leave_the_other_families_in_place():
    registry = build_registry(load_plugins([_Raises(), _RaisesFilters()]))
    assert "gda_table" in registry.families and "tex" not in registry.filters
    messages = registry.warnings
    assert len(messages) == 2
    assert "failed in genexam_families(): " in messages[0] and "KeyError: 'oops'" in messages[0]
    assert "failed in genexam_template_filters(): " in messages[1]


def test_two_third_party_plugins_with_one_name_withdraw_it(tmp_path):
    import importlib.util
    import sys

    plugins = []
    for index in (1, 2):
        (tmp_path / f"twin{index}.py").write_text(FAMILY.replace('"doubler"', '"twin"'))
        (tmp_path / "twin.md.j2").write_text(TEMPLATE)
        spec = importlib.util.spec_from_file_location(f"twin{index}", tmp_path / f"twin{index}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        plugins.append(module)
    registry = build_registry(load_plugins(plugins))
    assert "twin" not in registry.families
    with pytest.raises(GenexamError, match="family 'twin' is not available: two plugins define the family 'twin'"):
        registry.get("twin")
