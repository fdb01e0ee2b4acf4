"""Bad inputs: each gets one clear message and exit code 2 -- no traceback,
and nothing written.

Every case runs the real CLI in a fresh interpreter, in a directory of its
own holding the spec (always ``a5.yaml``, so a build would write ``out/a5``),
and checks:

1. the message names file:line:col where the input has a place, the key path
   where there is one, and a did-you-mean suggestion for a misspelt name;
2. the exit code is 2 (a user error; a crash exits 1);
3. "Traceback" appears nowhere in the output;
4. no partial output: the directory is byte-for-byte the same afterwards --
   no ``out/a5``, no ``.a5.partial-*`` or ``.a5.old-*`` scratch directories.
   A build failing at each stage (options, YAML, validation, drawing,
   rendering, plugin loading) runs again over a previous good build in
   ``out/a5``, which must survive intact.

The cases run in parallel (see ``outcomes``): each is a fresh interpreter.
"""

from __future__ import annotations

import os
import shutil
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

import pytest

from conftest import Run, run_genexam

SPEC = "a5.yaml"

GOOD = """\
title: Bad-input tests
seed: 7
versions: 2
formats: [md, json]
problems:
  - family: gda_table
    points: [6, 2, 2]
    params: {q0: {randint: [-2, 2]}, steps: 3}
  - family: attention_ops
    points: [7, 3]
    params:
      d_k: {range: [16, 64, 4]}
    where: ["d_k <= d_model"]
"""

# Lines 1-5 of most bad specs; what follows starts on line 6, inside problems[0]
# (or, starting with "  - family:", as problems[1]).
HEAD = """\
title: Bad-input tests
formats: [md, json]
problems:
  - family: gda_table
    points: [6, 2, 2]
"""

# A third-party family, installed the way a package would be: a module, its
# template beside it, and a dist-info folder declaring the `genexam` entry point.
PLUGIN_MODULE = '''\
"""A third-party family for the tests; its template is swapped per case."""
import genexam
from genexam.family import Family, Part, Solution
from genexam.params import Int


class Broken(Family):
    name = "broken"
    title = "A family with a broken template"
    params = (Int("n", 3, low=1, high=9),)
    parts = (Part("a", ("double",)),)
    template = "broken_family.md.j2"

    def solve(self, p):
        return Solution({"double": 2 * p["n"]})

    def check(self, p):
        return {"double": p["n"] + p["n"]}


@genexam.hookimpl
def genexam_families():
    return [Broken]
'''

PLUGIN_TEMPLATE = """\
{% block statement %}
Let $n = {{ n }}$.
{% endblock %}

{% block part_a %}
What is $2n$? LINE6
{% endblock %}

{% block solution_a %}
It is {{ answers.double }}.
{% endblock %}
"""

PLUGIN_SPEC = """\
title: Plugin
formats: [md, json]
problems:
  - family: broken
    points: 1
"""


def install_plugin(where: Path, line6: str = "", module: str = PLUGIN_MODULE) -> None:
    """Write the `broken` family into ``where`` with ``line6`` on line 6 of its template."""
    (where / "broken_family.py").write_text(module)
    (where / "broken_family.md.j2").write_text(PLUGIN_TEMPLATE.replace("LINE6", line6))
    info = where / "broken_family_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-family-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[genexam]\nbroken = broken_family\n")


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]
    #: Fragments the message must contain.
    expect: tuple[str, ...]
    #: Written to a5.yaml; None writes no spec.
    spec: str | bytes | None = None
    #: Other files to create first, path -> text ("/" at the end: a directory).
    files: Mapping[str, str] = field(default_factory=dict)
    #: Line 6 of the plugin family's template; None installs no plugin.
    template: str | None = None
    plugin_module: str = field(default=PLUGIN_MODULE, repr=False)
    #: Run a second time over a previous good build, which must survive intact.
    over_previous: bool = False


def case(id: str, args: tuple[str, ...] | str, *expect: str, **kw: Any) -> Case:
    """Run ``genexam ARGS``; the message must contain every one of ``expect``."""
    return Case(id, (args,) if isinstance(args, str) else args, expect, **kw)


def bad_spec(id: str, spec: str | bytes, *expect: str, over_previous: bool = False) -> Case:
    """A build of ``spec``; the message must contain ``expect``."""
    return case(id, SPEC, *expect, spec=spec, over_previous=over_previous)


CASES = [
    # -- YAML itself -----------------------------------------------------------
    bad_spec("malformed-yaml", HEAD + "    params: {q0: [1, 2}\n",
             "a5.yaml:6:23: ", "not valid YAML", "expected ',' or ']'", over_previous=True),
    # Were these run, `pwned` would appear in the run directory, which must not change.
    bad_spec("tag-constructs-object", "title: !!python/object/apply:os.system [touch pwned]\n",
             "a5.yaml:1:8: ", "tags that build objects are not allowed"),
    bad_spec("tag-python-object", "title: !!python/object:os.system {}\n",
             "a5.yaml:1:8: ", "tags that build objects are not allowed"),
    bad_spec("empty-spec", "", "a5.yaml: ", "a spec is a mapping", "found nothing"),
    bad_spec("duplicate-key", HEAD + "    params: {q0: 1}\n    params: {p0: 1}\n",
             "a5.yaml:7:5: problems[0].params: duplicate key 'params' (first given on line 6)"),
    bad_spec("recursive-alias", "title: &t [1, *t]\n",
             "a5.yaml:1:8: title[1]: ", "cannot be recursive"),
    bad_spec("alias-bomb", "\n".join(
        ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
        + [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]) + "\n",
             "more than 100000 values once its aliases are expanded"),
    bad_spec("not-utf8", b"title: Bad\ncourse: caf\xe9\n", "a5.yaml:2:12: ", "not UTF-8"),
    bad_spec("date-that-does-not-exist", "title: Bad\ndate: 2026-02-30\n", "a5.yaml:2:7: ", "not a valid date"),
    bad_spec("control-character", "title: Bad\ncourse: a\x01b\n", "a5.yaml:2:10: ", "U+0001"),
    bad_spec("nested-too-deeply", "title: " + "[" * 3000 + "]" * 3000 + "\n", "a5.yaml: ", "nested too deeply"),
    # -- the spec's keys and values --------------------------------------------
    bad_spec("unknown-top-key", HEAD.replace("title:", "titel:"),
             "a5.yaml:1:1: titel: unknown key 'titel' (did you mean 'title'?)"),
    bad_spec("unknown-problem-key", HEAD + "    param: {q0: 1}\n",
             "a5.yaml:6:5: problems[0].param: unknown key 'param' (did you mean 'params'?)"),
    bad_spec("unknown-family", HEAD + "  - family: atention_ops\n    points: 1\n",
             "a5.yaml:6:13: problems[1].family: unknown family 'atention_ops' (did you mean 'attention_ops'?)"),
    bad_spec("missing-family", HEAD + "  - points: 1\n",
             "a5.yaml:6:5: problems[1]: every problem needs 'family: NAME'"),
    bad_spec("unknown-parameter", HEAD + "    params: {q00: 1}\n",
             "a5.yaml:6:14: problems[0].params.q00: family 'gda_table' has no parameter 'q00' (did you mean 'q0'?)",
             over_previous=True),
    bad_spec("text-for-integer", HEAD + "    params: {steps: many}\n",
             "a5.yaml:6:21: problems[0].params.steps: expected an integer from 1 to 12, found 'many'"),
    bad_spec("text-for-versions", HEAD.replace("formats:", "versions: two\nformats:"),
             "a5.yaml:2:11: versions: expected a whole number, found 'two'"),
    bad_spec("randint-lo-above-hi", HEAD + "    params: {q0: {randint: [3, -3]}}\n",
             "a5.yaml:6:18: problems[0].params.q0: randint [3, -3] is empty: lo > hi"),
    bad_spec("value-out-of-range", HEAD + "    params: {steps: 50}\n",
             "a5.yaml:6:21: problems[0].params.steps: 50 is outside the allowed range from 1 to 12"),
    bad_spec("choice-misspelt", HEAD + "    params: {mode: alternatng}\n",
             "a5.yaml:6:20: problems[0].params.mode: ", "(did you mean 'alternating'?)"),
    bad_spec("points-for-parts", HEAD.replace("[6, 2, 2]", "[6, 2]"),
             "a5.yaml:5:13: problems[0].points: 2 points given for 3 parts (a, b, c)"),
    bad_spec("unknown-part", HEAD + "    parts: [a, cc]\n",
             "a5.yaml:6:16: problems[0].parts[1]: family 'gda_table' has no part 'cc' (did you mean 'c'?)"),
    bad_spec("zero-versions", HEAD.replace("formats:", "versions: 0\nformats:"),
             "a5.yaml:2:11: versions: expected a whole number from 1 to 702, found 0"),
    bad_spec("unknown-format", HEAD.replace("[md, json]", "[md, pfd]"),
             "a5.yaml:2:15: formats[1]: unknown format 'pfd' (did you mean 'pdf'?)"),
    # -- where constraints -----------------------------------------------------
    bad_spec("where-unsatisfiable", HEAD + "    params: {p0: {randint: [0, 3]}}\n    where: [p0 > 5]\n",
             "a5.yaml:7:12: problems[0].where (problem 1, version A): ", 'satisfy "p0 > 5"', over_previous=True),
    bad_spec("where-runs-code", HEAD + "    where: [\"__import__('os').system('touch pwned')\"]\n",
             "a5.yaml:6:13: problems[0].where[0]: only the functions", "may be called"),
    bad_spec("where-attribute", HEAD + "    where: [\"p0.__class__ == 1\"]\n",
             "a5.yaml:6:13: problems[0].where[0]: Attribute is not allowed"),
    bad_spec("where-unknown-name", HEAD + "    where: [p00 > 1]\n",
             "a5.yaml:6:13: problems[0].where[0]: unknown name 'p00'", "(did you mean 'p0'?)"),
    bad_spec("where-type-error", HEAD + "    where: [mode > 1]\n",
             "a5.yaml:6:12: problems[0].where", "evaluating it raised TypeError"),
    # -- the command line and the file system ----------------------------------
    case("unknown-format-option", (SPEC, "--format", "md,pfd"),
         "unknown format 'pfd' (did you mean 'pdf'?)", spec=GOOD, over_previous=True),
    case("missing-spec", "nope.yaml", "nope.yaml: no such spec file"),
    case("spec-is-directory", "problems/", "problems: no such spec file (it is a directory)",
         files={"problems/": ""}),
    case("validate-missing-spec", ("validate", "nope.yaml"), "nope.yaml: no such spec file"),
    case("output-parent-is-file", (SPEC, "-o", "notes.txt/exam"),
         "-o notes.txt/exam: notes.txt is a file, not a directory", spec=GOOD, files={"notes.txt": "mine\n"}),
    case("output-is-file", (SPEC, "-o", "notes.txt"),
         "-o notes.txt: this is a file", spec=GOOD, files={"notes.txt": "mine\n"}),
    case("output-not-made-by-genexam", (SPEC, "-o", "mine"),
         "-o mine: the directory exists and was not made by genexam", spec=GOOD,
         files={"mine/notes.txt": "keep me\n", "mine/sub/more.txt": "and me\n"}),
    case("versions-option-too-many", (SPEC, "--versions", "1000"), "--versions 1000: at most 702 versions",
         spec=GOOD, over_previous=True),
    # -- solve and show --------------------------------------------------------
    case("set-without-equals", ("solve", "gda_table", "--set", "q0"), "--set 'q0': expected NAME=VALUE"),
    case("set-empty-name", ("solve", "gda_table", "--set", "=3"), "--set '=3': expected NAME=VALUE"),
    case("set-unknown-parameter", ("solve", "gda_table", "--set", "q00=1"),
         "--set q00=1: family 'gda_table' has no parameter 'q00' (did you mean 'q0'?)"),
    case("set-wrong-type", ("solve", "gda_table", "--set", "steps=many"),
         "--set steps=many: expected an integer from 1 to 12, found 'many'"),
    case("set-out-of-range", ("solve", "attention_ops", "--set", "heads=0"),
         "--set heads=0: 0 is outside the allowed range from 1 to 128"),
    bad_spec("points-in-thirds", HEAD.replace("points: [6, 2, 2]", 'points: [6, "1/3", 2]'),
             "a5.yaml:", "points are whole or have at most two decimals"),
    case("set-date-that-does-not-exist", ("solve", "gda_table", "--set", "p0=2026-02-30"),
         "--set p0=2026-02-30: day is out of range", "quote the value"),
    case("set-not-yaml", ("solve", "gda_table", "--set", "p0=[1,"), "--set p0=[1,: the value is not valid YAML"),
    case("set-unsatisfiable", ("solve", "gda_table", "--set", "p0=0", "--set", "q0=0"),
         "genexam solve gda_table: ", 'satisfy "p0 != 0 or q0 != 0"', "change the --set values"),
    case("solve-unknown-family", ("solve", "gda_tabel"), "unknown family 'gda_tabel' (did you mean 'gda_table'?)"),
    case("show-unknown-family", ("show", "atention_ops"),
         "unknown family 'atention_ops' (did you mean 'attention_ops'?)"),
    # -- a third-party family's template ---------------------------------------
    *(case(f"template-{name}-{verb}", (verb, SPEC) if verb != "show" else (verb, "broken"),
           "broken_family.md.j2:6: template error in family 'broken'", message,
           spec=PLUGIN_SPEC, template=line6, over_previous=verb == "build" and name in ("undefined", "syntax"))
      for name, line6, message in [
          ("undefined", "Here is {{ nosuchvar }}.", "'nosuchvar' is undefined"),
          ("syntax", "Here is {{ n + }}.", "unexpected 'end of print statement'"),
          ("zero-division", "Here is {{ n / 0 }}.", "ZeroDivisionError"),
          ("filter-fails", "Here is {{ n|rowvec }}.", "TypeError"),
          ("unknown-filter", "Here is {{ n|nosuchfilter }}.", "No filter named 'nosuchfilter'"),
          ("missing-include", "Here is {% include 'nothere.j2' %}.", "no template file 'nothere.j2'"),
      ]
      for verb in (["build", "show", "validate"] if name in ("undefined", "syntax") else ["build"])),
    case("plugin-import-error", SPEC,
         "cannot load the plugin 'broken = broken_family' (package broken-family-plugin 0.1): ",
         "broken_family.py:3: SyntaxError", spec=PLUGIN_SPEC, template="",
         plugin_module=PLUGIN_MODULE.replace("import genexam\n", "import genexam\ndef oops(:\n"), over_previous=True),
]

PARAMS = [pytest.param(c, False, id=c.id) for c in CASES] + [
    pytest.param(c, True, id=f"{c.id}-over-previous-build") for c in CASES if c.over_previous]


def tree(root: Path) -> dict[str, bytes | None]:
    """Every path under ``root`` (hidden ones too) -> its bytes, None for a directory."""
    return {p.relative_to(root).as_posix(): None if p.is_dir() else p.read_bytes() for p in sorted(root.rglob("*"))}


@pytest.fixture(scope="session")
def good_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A previous good build's output directory (Markdown and JSON only, to stay fast)."""
    root = tmp_path_factory.mktemp("good")
    (root / SPEC).write_text(GOOD)
    result = run_genexam(SPEC, "--format", "md,json", cwd=root, env={"PYTHONDONTWRITEBYTECODE": "1"})
    assert result.code == 0, result.stderr
    out = root / "out" / "a5"
    assert (out / "answers.json").is_file() and (out / "key-B.md").is_file()
    return out


def set_up(c: Case, where: Path) -> dict[str, str]:
    """Write the case's spec, files and plugin into ``where``; return the environment to run it in."""
    if c.spec is not None:
        (where / SPEC).write_bytes(c.spec if isinstance(c.spec, bytes) else c.spec.encode())
    for name, text in c.files.items():
        path = where / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.mkdir() if name.endswith("/") else path.write_text(text)
    env = {"PYTHONDONTWRITEBYTECODE": "1"}  # importing the plugin must not write __pycache__ into `where`
    if c.template is not None:
        install_plugin(where, c.template, c.plugin_module)
        env["PYTHONPATH"] = str(where)
    return env


@dataclass
class Outcome:
    """A case's run: where, what genexam printed, and the directory before and after."""

    where: Path
    result: Run
    before: dict[str, bytes | None]
    after: dict[str, bytes | None]


def attempt(c: Case, previous: bool, where: Path, good_build: Path) -> Outcome:
    """Run ``c`` in the empty directory ``where`` (over a copy of ``good_build`` if ``previous``)."""
    if previous:
        shutil.copytree(good_build, where / "out" / "a5")
    env = set_up(c, where)
    before = tree(where)
    result = run_genexam(*c.args, cwd=where, env=env)
    return Outcome(where, result, before, tree(where))


@pytest.fixture(scope="module")
def outcomes(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
             good_build: Path) -> Iterator[dict[str, Future[Outcome]]]:
    """Start every selected case at once, one process per core (each takes about a
    second, nearly all of it importing), keyed by test id."""
    selected = [item.callspec for item in request.session.items
                if item.module is request.module and getattr(item, "originalname", "") == "test_bad_input"]
    pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 2)
    try:
        yield {spec.id: pool.submit(attempt, spec.params["c"], spec.params["previous"],
                                    tmp_path_factory.mktemp(spec.id), good_build)
               for spec in selected}
    finally:
        pool.shutdown(cancel_futures=True)  # after `pytest -x` stops early, start no more


@pytest.mark.parametrize("c, previous", PARAMS)
def test_bad_input(c: Case, previous: bool, request: pytest.FixtureRequest,
                   outcomes: dict[str, Future[Outcome]], good_build: Path) -> None:
    run = outcomes[request.node.callspec.id].result()
    result, out = run.result, run.where / "out" / "a5"

    # (1) the message
    for fragment in c.expect:
        assert fragment in result.stderr, f"{fragment!r} not in the message:\n{result.stderr}"
    # (2) a user error's exit code
    assert result.code == 2, f"exit {result.code}; stderr:\n{result.stderr}"
    # (3) no traceback
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    # (4) nothing written, nothing left behind, a previous build intact
    if not previous:
        assert not out.exists(), "the failed build created its output directory"
    scratch = [p.name for p in run.where.rglob(".*") if ".partial-" in p.name or ".old-" in p.name]
    assert not scratch, f"scratch directories left behind: {scratch}"
    changed = sorted(k for k in run.before.keys() | run.after.keys() if run.before.get(k, 0) != run.after.get(k, 0))
    assert not changed, f"the failed run changed these files in {run.where}: {changed}"
    if previous:
        assert tree(out) == tree(good_build), "the previous build was not left intact"


MANY_MISTAKES = """\
titel: Many mistakes
versions: 0
formats: [md, pfd]
problems:
  - family: gda_tabel
    points: 1
  - family: gda_table
    points: [6, 2]
    params: {q00: 1, steps: many}
    where: [p00 > 1]
  - family: attention_ops
    points: 1
    params:
      heads: 0
"""


def test_validate_reports_every_problem_at_once(tmp_path: Path) -> None:
    (tmp_path / SPEC).write_text(MANY_MISTAKES)
    before = tree(tmp_path)
    result = run_genexam("validate", SPEC, cwd=tmp_path)
    assert result.code == 2 and "Traceback" not in result.stderr, result.stderr
    expected = [
        "a5.yaml:1:1: titel: unknown key 'titel' (did you mean 'title'?)",
        "a5.yaml:1:1: title: 'title' is required",
        "a5.yaml:2:11: versions: expected a whole number from 1 to 702, found 0",
        "a5.yaml:3:15: formats[1]: unknown format 'pfd' (did you mean 'pdf'?)",
        "a5.yaml:5:13: problems[0].family: unknown family 'gda_tabel' (did you mean 'gda_table'?)",
        "a5.yaml:8:13: problems[1].points: 2 points given for 3 parts",
        "a5.yaml:9:14: problems[1].params.q00: family 'gda_table' has no parameter 'q00' (did you mean 'q0'?)",
        "a5.yaml:9:29: problems[1].params.steps: expected an integer from 1 to 12, found 'many'",
        "a5.yaml:10:13: problems[1].where[0]: unknown name 'p00' in 'p00 > 1' (did you mean 'p0'?)",
        "a5.yaml:14:14: problems[2].params.heads: 0 is outside the allowed range from 1 to 128",
    ]
    lines = result.stderr.splitlines()
    assert lines[0] == f"genexam: error: {len(expected)} problems in a5.yaml:", result.stderr
    assert len(lines) == 1 + len(expected), result.stderr
    for line, fragment in zip(lines[1:], expected):
        assert line.strip().startswith(fragment), f"{fragment!r} not at the start of {line!r}"
    assert tree(tmp_path) == before


def test_good_spec_validates(tmp_path: Path) -> None:
    (tmp_path / SPEC).write_text(GOOD)
    result = run_genexam("validate", SPEC, cwd=tmp_path)
    assert result.code == 0, result.stderr
    assert result.stderr == ""
    assert "a5.yaml is valid: 2 problems, 2 versions (A, B)" in result.stdout
    assert not (tmp_path / "out").exists()


def test_the_plugin_loads_through_the_entry_point(tmp_path: Path) -> None:
    """The template-error cases mean something only if this plugin loads."""
    install_plugin(tmp_path, "It is not broken.")
    env = {"PYTHONPATH": str(tmp_path), "PYTHONDONTWRITEBYTECODE": "1"}
    result = run_genexam("show", "broken", "--set", "n=4", cwd=tmp_path, env=env)
    assert result.code == 0, result.stderr
    assert "What is $2n$? It is not broken." in result.stdout
    assert "It is 8." in result.stdout
