"""Fuzzing specs and ``--set`` values (issue 7): a seeded generator mutates
the ready problem sets and writes small specs of its own from a pool of
hostile and unlucky values -- huge numbers, rounded decimals, lone
surrogates, control characters, deep nesting, costly constraints, paths
leading outside, special files. No case may end in a traceback (or an
"internal error"), run past its time budget, or leave a file outside the
output folder.

Cases run in-process (genexam.cli.main with argv, as the console script
does) for speed: parsing, drawing, solving and rendering through ``validate``,
``solve --set`` and ``show --set``; a smaller sample goes through the full
build with ``--format json,md``. The default run takes a few hundred cases;
the sweep (GENEXAM_SWEEPS=1) a few thousand. Each test prints its case count
and budget (``pytest -s``).
"""

from __future__ import annotations

import functools
import os
import random
import signal
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from conftest import PROBLEM_SETS
from genexam.cli import main
from genexam.registry import build_registry

#: Seconds one case may take: a draw, solve and render of a few small
#: versions takes well under a second; a hang or a runaway is far over.
BUDGET = 20.0
SWEEPING = os.environ.get("GENEXAM_SWEEPS") == "1"
SPEC_CASES = int(os.environ.get("GENEXAM_FUZZ_SPECS", 2400 if SWEEPING else 200))
SET_CASES = int(os.environ.get("GENEXAM_FUZZ_SETS", 800 if SWEEPING else 100))
BUILD_CASES = int(os.environ.get("GENEXAM_FUZZ_BUILDS", 60 if SWEEPING else 10))

FAMILIES = {
    "attention_ops": ["n", "d_model", "d_k", "d_v", "heads", "out_proj", "bias"],
    "softmax_logistic": ["w0", "w1", "x"],
    "gda_table": ["a", "eta", "p0", "q0", "steps", "mode"],
    "param_count": ["layer", "in_features", "out_features", "bias", "kernel_size", "height", "biases"],
    "transformer_layer": ["n", "d_model", "heads", "d_ff", "layers"],
    "precision_recall": ["relevance", "total_relevant"],
    "rnn_recurrence": ["a", "b", "h0", "xs", "k"],
    "gaussian_kl": ["mu", "sigma"],
    "attention_query": ["m", "d", "a", "b", "beta"],
    "regularized_objective": ["A", "xs", "b", "ys"],
    "seq_model_complexity": ["t", "n", "L", "ffn_mult", "kv_cache"],
    "question_bank": ["bank", "questions", "tags", "ids", "n", "orders", "picked"],
}

#: YAML written as is (the generator's markers are replaced by these texts):
#: what a Python structure cannot carry through yaml.safe_dump.
RAW = [
    '"\\ud800"', '"a\\udfffb"', '"\\x00"', '"\\b\\t\\x1b"', "4.0000000000000000001", "0.1000000000000000055511",
    "1e400", "-1e-400", ".nan", ".inf", "1" + "0" * 5000, "2026-02-30", "0x" + "f" * 300, "1_000.5",
    "!!python/object/apply:os.system [touch pwned]", "&a [*a]", "1:30:00",
]

TEXTS = [
    "", " ", "x", "Exam", "a" * 501, "b" * 20_001, "[" * 14 + "x" + "]" * 14, "[[[x]]]",
    "$" + "x^{" * 25 + "x" + "}" * 25 + "$", "$x^{x^{x}}$", "$" + "\\frac{1}{" * 850 + "x" + "}" * 850 + "$",
    "(" * 30 + ")" * 30, "<b>bold</b> <script>alert(1)</script>", "$x$ and $$y$$", "\\input{/etc/passwd}",
    "![x](private/confidential.pdf)", "<< ``q'' ,, -- >>", "日本語 😀 Ω", "\u202eevil", "line\nbreak",
    "GXFRAGMENTSEPARATOR1", "{{ 7 * 7 }}", "{% include 'x' %}", "%s %d", "\\", "`code $x$`",
]

NUMBERS = [
    0, 1, -1, 2, 3, 7, 64, 100, 1000, 65536, 100_000, 10**11, -(10**12), 10**99, 10**150, 0.5, 0.25, 1e-5,
    1e308, "1/3", "3/0", "-2/4", "0.25", "1e5", "1/" + "3" * 120, True, False, None,
]

WHERE = [
    "((((10**64)**64)**64)**64)**64 > 0", "len([0]*1000*1000*1000) > 0", "len(sum([[0]*1000]*1000, [])) < 0",
    "'a'*10**12 > 'b'", "-" * 900 + "1 < 0", "(" * 300 + "1" + ")" * 300 + " > 0", "1/0 > 0", "x.y", "__import__('os')",
    "max([]) > 0", "[1][5] > 0", "'a' < 1", "10**64 ** 2 > 0", "2 ** -64 > 0", "dot([1], [1, 2]) == 0",
    "sum(['a', 'b'], '') == ''", "len(1) == 1", "min(1, 2, 3, [4]) > 0", "abs('x') > 0", "not",
]


def hostile_scalar(rng: random.Random, raw: list[str]) -> Any:
    """One value from the pools; a RAW entry comes back as a marker."""
    pool = rng.choice(("number", "text", "raw", "list", "distribution", "where"))
    if pool == "number":
        return rng.choice(NUMBERS)
    if pool == "text":
        return rng.choice(TEXTS)
    if pool == "raw":
        raw.append(rng.choice(RAW))
        return f"RAWMARK{len(raw) - 1}X"
    if pool == "list":
        return [hostile_scalar(rng, raw) if rng.random() < 0.3 else rng.choice(NUMBERS[:12])
                for _ in range(rng.choice((0, 1, 2, 3, 9, 40)))]
    if pool == "where":
        return rng.choice(WHERE)
    return distribution(rng, raw)


def distribution(rng: random.Random, raw: list[str]) -> dict[str, Any]:
    form = rng.choice(("randint", "range", "choice", "randnt"))
    if form == "range":
        args: Any = [rng.choice(NUMBERS[:16] + ["1/4"]) for _ in range(rng.choice((2, 3, 3, 3, 4)))]
    elif form == "choice":
        args = [hostile_scalar(rng, raw) if rng.random() < 0.3 else rng.choice(NUMBERS[:10]) for _ in range(rng.randint(0, 4))]
    else:
        args = [rng.choice(NUMBERS[:16]) for _ in range(rng.choice((1, 2, 2, 2)))]
    out: dict[str, Any] = {form: args}
    if rng.random() < 0.3:
        out["size"] = rng.choice((0, 1, 2, 3, 8, 9, 10**9, "2", -1))
    return out


def bank_value(rng: random.Random) -> Any:
    return rng.choice(("good_bank.yaml", "not_a_bank.txt", "fifo", "folder", "outside_link.yaml", "../outside.yaml",
                       "/etc/passwd", "/dev/zero", "~/.bashrc", "missing.yaml", "deep_bank.yaml", "good_bank.yaml"))


@functools.lru_cache(maxsize=1)
def registry() -> Any:
    """The plugin registry, built once: loading the entry points costs 0.1 s,
    which would be most of a refused case's time."""
    return build_registry()


def valid_params(family: str, rng: random.Random) -> dict[str, Any]:
    """Parameter values the family accepts (drawn from its defaults), as a spec writes them."""
    from genexam.answers import to_json_value
    from genexam.sampling import draw_params

    cls = registry().families[family]
    return {k: to_json_value(v) for k, v in draw_params(cls, random.Random(rng.randrange(10**9))).items()}


def param_value(family: str, name: str, rng: random.Random, raw: list[str], hostile: float = 0.25) -> Any:
    """Mostly a value the family accepts; a hostile one with probability ``hostile``."""
    if name == "bank":
        return bank_value(rng) if rng.random() < hostile * 2 else "good_bank.yaml"
    if rng.random() < hostile:
        return hostile_scalar(rng, raw)
    value = valid_params(family, rng).get(name)
    return value if value is not None or rng.random() < 0.5 else hostile_scalar(rng, raw)


def own_spec(rng: random.Random, raw: list[str], hostile: float = 0.25) -> dict[str, Any]:
    """A small spec written from scratch, mostly well-formed, with hostile
    values in places (each with a probability near ``hostile``)."""
    spec: dict[str, Any] = {"title": rng.choice(TEXTS[1:4]) if rng.random() > hostile else hostile_scalar(rng, raw)}
    for key in ("course", "date", "instructions", "seed", "versions"):
        if rng.random() < hostile / 2:
            spec[key] = hostile_scalar(rng, raw) if key not in ("seed", "versions") else rng.choice(NUMBERS)
    spec["versions"] = spec.get("versions", rng.choice((1, 2)))
    if not isinstance(spec["versions"], int) or isinstance(spec["versions"], bool) or spec["versions"] > 3:
        spec["versions"] = spec["versions"] if rng.random() < 0.5 else 1  # 702 real versions would only be slow
    spec["formats"] = ["json", "md"]
    problems = []
    for _ in range(rng.choice((1, 1, 2, 3))):
        family = rng.choice(list(FAMILIES))
        problem: dict[str, Any] = {"family": family if rng.random() > hostile / 8 else family[:-1],
                                   "points": rng.choice((2, 2.5, [1, 1], "1/3", -1, None)) if rng.random() < hostile / 2 else 1}
        params: dict[str, Any] = {}
        for name in rng.sample(FAMILIES[family], k=min(len(FAMILIES[family]), rng.choice((0, 1, 1, 2, 3)))):
            params[name] = param_value(family, name, rng, raw, hostile)
        if params or rng.random() < 0.2:
            problem["params"] = params
        if rng.random() < 0.3:
            problem["where"] = [rng.choice(WHERE) if rng.random() < hostile * 2 else
                                f"{rng.choice(FAMILIES[family])} {rng.choice(('<', '>=', '==', '%', '**'))} "
                                f"{rng.choice(NUMBERS[:12])}" for _ in range(rng.randint(1, 2))]
        if rng.random() < hostile / 3:
            problem["continues"] = rng.choice((True, "yes"))
        problems.append(problem)
    spec["problems"] = problems
    return spec


def mutated_spec(rng: random.Random, raw: list[str], ready: list[dict[str, Any]]) -> dict[str, Any]:
    """A ready problem set with a few values replaced by hostile ones."""
    spec = yaml.safe_load(yaml.safe_dump(rng.choice(ready)))
    spec["versions"], spec["formats"] = 1, ["json", "md"]
    start = rng.randrange(len(spec["problems"]))
    spec["problems"] = spec["problems"][start:start + rng.choice((1, 2))]  # a whole ready set is slow to render
    spec["problems"][0].pop("continues", None)
    for _ in range(rng.randint(1, 3)):
        container, key = spec, rng.choice(list(spec))
        while isinstance(container[key], (dict, list)) and container[key] and rng.random() < 0.75:
            container = container[key]
            key = rng.choice(list(container)) if isinstance(container, dict) else rng.randrange(len(container))
        container[key] = hostile_scalar(rng, raw)
    return spec


def spec_text(spec: dict[str, Any], raw: list[str]) -> str:
    return spec_text_fragments(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False, width=10**9), raw)


def spec_text_fragments(text: str, raw: list[str]) -> str:
    """Put the RAW fragments in place of their markers."""
    for index, fragment in enumerate(raw):
        text = text.replace(f"RAWMARK{index}X", fragment)
    return text


# -- running a case ----------------------------------------------------------------------

class OverBudget(BaseException):
    """Raised in the main thread when a case passes BUDGET (a BaseException,
    so no ``except Exception`` in genexam can swallow it)."""


@contextmanager
def budget(seconds: float) -> Iterator[None]:
    def expire(signum: int, frame: Any) -> None:
        raise OverBudget(f"past its budget of {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass
class Tally:
    cases: int = 0
    refused: int = 0
    slowest: float = 0.0
    slowest_case: str = ""

    def report(self, what: str) -> None:
        print(f"\nfuzz {what}: {self.cases} cases ({self.cases - self.refused} accepted, {self.refused} refused "
              f"with a message), budget {BUDGET:.0f} s per case, slowest {self.slowest:.2f} s")
        if os.environ.get("GENEXAM_FUZZ_SHOW_SLOWEST"):
            print(self.slowest_case)


def run_case(args: list[str], capsys: pytest.CaptureFixture[str], tally: Tally, shown: str) -> None:
    """Run genexam with ``args``: exit 0, or 2 with one `genexam: error:` message; never a traceback."""
    start = time.perf_counter()
    try:
        with budget(BUDGET):
            code = main(args)
    except OverBudget:
        pytest.fail(f"genexam {' '.join(args)} ran past its budget of {BUDGET} s; case:\n{shown}")
    except SystemExit as exc:  # argparse refusing an option
        code = exc.code if isinstance(exc.code, int) else 2
    except BaseException as exc:  # noqa: BLE001 - a traceback is the failure being looked for
        pytest.fail(f"genexam {' '.join(args)} raised {type(exc).__name__}: {exc}; case:\n{shown}")
    elapsed = time.perf_counter() - start
    out, err = capsys.readouterr()
    tally.cases += 1
    if elapsed > tally.slowest:
        tally.slowest, tally.slowest_case = elapsed, shown
    assert "Traceback" not in out + err and "internal error" not in err, f"{err}\ncase:\n{shown}"
    assert code in (0, 2), f"exit {code}: {err}\ncase:\n{shown}"
    if code == 2:
        tally.refused += 1
        assert err.startswith("genexam: error: ") or err.startswith("usage: "), f"{err}\ncase:\n{shown}"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with the files the generated specs name, and one outside it."""
    work = tmp_path / "work"
    work.mkdir()
    good = "questions:\n  - id: q1\n    question: Why?\n    answer: Because.\n    tags: [t]\n"
    (work / "good_bank.yaml").write_text(good)
    (tmp_path / "outside.yaml").write_text(good)
    (work / "not_a_bank.txt").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (work / "deep_bank.yaml").write_text("- id: d\n  question: '" + "[" * 9 + "]" * 9 + "'\n  answer: A\n")
    (work / "outside_link.yaml").symlink_to(tmp_path / "outside.yaml")
    os.mkfifo(work / "fifo")
    (work / "folder").mkdir()
    monkeypatch.chdir(work)
    import genexam.registry

    monkeypatch.setattr(genexam.registry, "build_registry", registry)
    return work


def snapshot(root: Path) -> dict[str, float]:
    """Every path under ``root`` -> its modification time (0 for a folder,
    whose time changes when genexam makes its own output folder in it)."""
    return {str(p.relative_to(root)): 0 if p.is_dir() and not p.is_symlink() else p.lstat().st_mtime_ns
            for p in root.rglob("*")}


def ready_sets() -> list[dict[str, Any]]:
    return [yaml.safe_load(p.read_text()) for p in sorted(PROBLEM_SETS.glob("*.yaml"))]


# -- the tests ----------------------------------------------------------------------------

def test_fuzzed_specs_validate_or_are_refused_cleanly(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = random.Random(20261202)
    ready = ready_sets()
    tally = Tally()
    (workdir / "fuzz.yaml").write_text("")
    before = snapshot(workdir.parent)
    for index in range(SPEC_CASES):
        raw: list[str] = []
        spec = own_spec(rng, raw) if index % 3 else mutated_spec(rng, raw, ready)
        text = spec_text(spec, raw)
        (workdir / "fuzz.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
        run_case(["validate", "fuzz.yaml"], capsys, tally, text[:3000])
    after = snapshot(workdir.parent)
    assert set(after) == set(before), "validate wrote files"
    tally.report("spec validate")
    assert tally.refused and tally.cases - tally.refused  # both kinds occur, so both paths are exercised


def test_fuzzed_set_values_solve_or_are_refused_cleanly(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = random.Random(7)
    tally = Tally()
    for _ in range(SET_CASES):
        family = rng.choice(list(FAMILIES))
        sets = []
        for _ in range(rng.choice((1, 1, 2))):
            name = rng.choice(FAMILIES[family] * 4 + ["nope", ""])
            raw: list[str] = []
            if name == "bank":
                value = bank_value(rng)
            else:
                value = param_value(family, name, rng, raw)
                if not isinstance(value, str) or raw:  # written as a YAML flow value, as a user would
                    value = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10**9)
                    value = spec_text_fragments(value.removesuffix("\n...\n").strip(), raw)
            sets += ["--set", f"{name}={value}"]
        verb = rng.choice(("solve", "solve", "show"))
        args = [verb, family, *sets, *(["--json"] if verb == "solve" and rng.random() < 0.5 else []),
                *(["--seed", str(rng.randrange(10**6))] if rng.random() < 0.5 else [])]
        run_case(args, capsys, tally, repr(args)[:3000])
    tally.report("--set values")


def test_fuzzed_builds_write_only_their_output_folder(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = random.Random(99)
    ready = ready_sets()
    tally = Tally()
    for index in range(BUILD_CASES):
        raw: list[str] = []
        spec = own_spec(rng, raw, hostile=0.04) if index % 3 else mutated_spec(rng, raw, ready)
        text = spec_text(spec, raw)
        (workdir / "fuzz.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
        before = snapshot(workdir.parent)
        run_case(["build", "fuzz.yaml", "-o", "out/fuzz", "--format", "json,md"], capsys, tally, text[:3000])
        changed = {path for path, stamp in snapshot(workdir.parent).items() if before.get(path) != stamp}
        outside = sorted(p for p in changed if not p.startswith(os.path.join("work", "out")))
        assert not outside, f"the build wrote outside its output folder: {outside}\ncase:\n{text[:3000]}"
    tally.report("builds (json, md)")
