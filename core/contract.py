"""The family contract: what every family -- built-in or installed -- must do.

``genexam check``, genexam's own tests (tests/test_families.py) and a plugin
package's tests (through :mod:`genexam.testing`) run these same checks:

1. **declaration**: names, parameters, constraints, parts and the template's
   blocks agree;
2. **draws**: over ``seeds`` seeds (``random.Random(seed)``, as ``genexam show
   FAMILY --seed N`` draws), every parameter is in its declared range, the
   constraints hold, the same seed draws the same values, the instances vary,
   and the module uses no global random state;
3. **solve = check**: ``solve`` gives every declared answer, ``check``
   recomputes exactly those, and the two agree (:mod:`genexam.agreement`);
4. **templates**: the template source avoids the TeX pandoc's Typst writer
   drops (each with what to write instead); every instance renders to
   Markdown with none of it either; a sample converts to LaTeX and Typst
   with no pandoc warning and no raw TeX left;
5. **Typst**: exam and key of two instances (seed 0 and the longest text)
   compile with Typst warnings counted as errors.

Every failure names the seed that reproduces it. Drawing, solving, checking
and Markdown cover every seed; pandoc converts the sample's fragments in one
call per format, and Typst compiles two instances, which keeps the check of
all built-in families under a minute (bench/check.py); most of what remains
is the families' own solve and check.
"""

from __future__ import annotations

import random
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

from .errors import GenexamError, Location
from .family import Family
from .registry import Registry

SEEDS = 200
#: How many instances pandoc converts to LaTeX and Typst (the first ones, plus
#: the longest); every instance is rendered to Markdown and linted.
CONVERTED = 50
#: How many instances the Typst check compiles (seed 0 and the longest texts).
COMPILED = 2
#: Failures of one kind shown in full before "... and N more".
SHOWN = 3

#: What to write instead of each construct pandoc's Typst writer drops or mangles.
TEX_REPLACEMENTS = {
    r"\dfrac": r"\frac",
    r"\tfrac": r"\frac",
    r"\displaystyle": r"nothing (put the formula in $$ ... $$ for display size)",
    r"\begin{align*}": r"\begin{aligned} ... \end{aligned} inside $$ ... $$",
    r"\begin{align}": r"\begin{aligned} ... \end{aligned} inside $$ ... $$",
    r"\begin{vmatrix}": r"\det\begin{pmatrix} ... \end{pmatrix}",
    r"\begin{array}": r"\begin{pmatrix} (or a Markdown table)",
    r"\!": "nothing (drop the negative space)",
    r"\;": r"\: (a medium space)",
    r"\enspace": r"\quad",
}


@dataclass(frozen=True)
class Failure:
    """One broken promise: what, and the seed that reproduces it (None when
    it does not depend on one)."""

    message: str
    seed: int | None = None
    #: Failures of the same kind (default: the same message) are shown once, with their seeds.
    kind: str = ""


@dataclass
class Outcome:
    """One row of a family's table: a check, what it covered, its failures."""

    check: str
    detail: str = ""
    failures: list[Failure] = field(default_factory=list)
    seconds: float = 0.0
    skipped: bool = False

    @property
    def passed(self) -> bool:
        return not self.failures

    def messages(self, family: str) -> list[str]:
        """The failures as lines, identical messages folded into their first seed."""
        grouped: dict[str, list[Failure]] = {}
        for failure in self.failures:
            grouped.setdefault(failure.kind or failure.message, []).append(failure)
        lines = []
        for same in grouped.values():
            message, seed = same[0].message, same[0].seed
            where = f"seed {seed}: " if seed is not None else ""
            others = [str(f.seed) for f in same[1:] if f.seed is not None]
            listed = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
            again = f" (also seed{'s' * (len(others) != 1)} {listed})" if others else ""
            repro = f"; reproduce: genexam show {family} --seed {seed}" if seed is not None else ""
            lines.append(f"{where}{message}{again}{repro}")
        if len(lines) > SHOWN:
            lines = lines[:SHOWN] + [f"... and {len(lines) - SHOWN} more kinds of failure"]
        return lines


@dataclass
class FamilyReport:
    """The contract's result for one family."""

    family: str
    plugin: str
    outcomes: list[Outcome]

    @property
    def passed(self) -> bool:
        return all(o.passed for o in self.outcomes)

    def failures(self) -> list[str]:
        """Every failure as ``check: message``, for an assertion or the CLI."""
        return [f"{o.check}: {line}" for o in self.outcomes for line in o.messages(self.family)]


@dataclass
class _Drawn:
    seed: int
    params: dict[str, Any]
    solution: Any  # genexam.family.Solution


# -- the checks ------------------------------------------------------------------

def check_family(family: type[Family], registry: Registry | None = None, seeds: int = SEEDS,
                 converted: int | None = CONVERTED, compile_typst: bool = True) -> FamilyReport:
    """Run the whole contract on ``family`` over ``seeds`` seeds; pandoc
    converts the first ``converted`` instances and the longest (None: all)."""
    from .registry import build_registry

    registry = registry or build_registry()
    filters = registry.filters
    outcomes = [_timed(Outcome("declaration"), lambda o: _declaration(family, o))]
    declared = not any(f.kind == "fatal" for f in outcomes[0].failures)  # else nothing can be drawn
    draws, agreement = Outcome("draws"), Outcome("solve = check")
    drawn: list[_Drawn] = []
    if declared:
        draws.failures += [Failure(problem) for problem in _global_randomness(family)]
        drawn = _draws(family, seeds, draws, agreement)
        draws.detail = _draws_detail(drawn, seeds, draws)
    else:
        draws.skipped = agreement.skipped = True
    outcomes += [draws, agreement]
    templates, typst = Outcome("templates"), Outcome("Typst")
    if drawn:
        rendered: list[Any] = []
        _timed(templates, lambda o: rendered.extend(_templates(family, drawn, filters, o, converted)))
        if compile_typst:
            _timed(typst, lambda o: _typst(family, drawn, *rendered, o))
        else:
            typst.skipped = True
    else:
        templates.skipped = typst.skipped = True
    outcomes += [templates, typst]
    return FamilyReport(family.name, registry.owners.get(family.name, ""), outcomes)


def _timed(outcome: Outcome, run: Callable[[Outcome], Any]) -> Outcome:
    start = time.perf_counter()
    run(outcome)
    outcome.seconds = time.perf_counter() - start
    return outcome


def _declaration(family: type[Family], out: Outcome) -> None:
    """Names, parameters, constraints, parts and template blocks agree."""
    from . import expr
    from .params import Param
    from .templating import template_for

    fail = out.failures.append
    if not re.fullmatch(r"[a-z][a-z0-9_]*", str(getattr(family, "name", ""))):
        fail(Failure(f"the family name {getattr(family, 'name', None)!r} is not lower case letters, digits and _",
                     kind="fatal"))
    if not isinstance(getattr(family, "title", None), str) or not family.title.strip():
        fail(Failure("'title' must be a non-empty text"))
    params = getattr(family, "params", ())
    if not isinstance(params, tuple) or not all(isinstance(p, Param) for p in params):
        fail(Failure("'params' must be a tuple of Int(...), Rat(...), Vector(...) ... declarations", kind="fatal"))
        return
    names = [p.name for p in params]
    for name in sorted({n for n in names if names.count(n) > 1}):
        fail(Failure(f"the parameter '{name}' is declared twice"))
    for text in family.constraints:
        try:
            expr.parse(text, family.param_names())
        except expr.ExpressionError as exc:
            fail(Failure(f"constraint {text!r}: {exc}", kind="fatal"))
    try:
        parts = family.parts_for({})
    except ValueError:
        parts = family.parts  # parts that need parameters (question_bank): checked per seed
    ids = [p.id for p in parts]
    if not ids:
        fail(Failure("a family needs at least one Part", kind="fatal"))
    for pid in sorted({i for i in ids if ids.count(i) > 1}):
        fail(Failure(f"the part '{pid}' is declared twice"))
    for pid in ids:
        if not re.fullmatch(r"[A-Za-z0-9_]+", pid):
            fail(Failure(f"the part id {pid!r} must be letters, digits or _ (it names template blocks)"))
    try:
        template_for(family)
    except GenexamError as exc:
        fail(Failure(str(exc)))
    out.detail = f"{len(names)} parameters, {len(ids)} part{'s' * (len(ids) != 1)}, {len(family.answer_ids())} answers"


def lint_template(family: type[Family]) -> list[str]:
    """``file:line: ...`` for every construct in the template source that pandoc's
    Typst writer drops, with what to write instead."""
    from .texfilters import UNSUPPORTED_TEX

    path = family.template_path()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []  # template_for reports an unreadable template
    found = []
    for number, line in enumerate(lines, 1):
        for macro in UNSUPPORTED_TEX:
            if _uses(line, macro):
                found.append(f"{path}:{number}: {unsupported(macro)}")
    return found


def _uses(text: str, macro: str) -> bool:
    """Whether ``text`` contains ``macro`` as a command (``\\!`` but not ``\\\\!``)."""
    tail = r"(?![A-Za-z])" if macro[-1].isalpha() else ""
    return re.search(r"(?<!\\)" + re.escape(macro) + tail, text) is not None


def unsupported(macro: str) -> str:
    """The message for one construct pandoc's Typst writer drops."""
    instead = TEX_REPLACEMENTS.get(macro, "TeX that pandoc converts (README, Write your own family)")
    return f"{macro} is dropped or mangled by pandoc's Typst writer (the PDF would not show it); write {instead}"


def _draws(family: type[Family], seeds: int, out: Outcome, agreement: Outcome) -> list[_Drawn]:
    """Draw, solve and check every seed; the instances that solved."""
    from .sampling import _plain, draw_params, family_constraints

    constraints = family_constraints(family)
    instances = []
    clock = time.perf_counter
    for seed in range(seeds):
        started = clock()
        try:
            params = draw_params(family, random.Random(seed))
        except GenexamError as exc:
            out.failures.append(Failure(str(exc), seed, "unsatisfiable"))
            continue
        except Exception as exc:  # the family's own default-drawing code failed
            out.failures.append(Failure(f"drawing the parameters raised {_raised(exc)}", seed, "draw raised"))
            continue
        for param in family.params:
            if not param.in_range(params[param.name]):
                out.failures.append(Failure(f"{param.name} = {params[param.name]!r} is outside its declared range "
                                            f"({param.expected()})", seed, f"range {param.name}"))
        plain = {k: _plain(v) for k, v in params.items()}
        for constraint in constraints:
            try:
                holds = constraint.evaluate(plain)
            except Exception:
                holds = False
            if not holds:
                out.failures.append(Failure(f"the drawn parameters break the constraint {constraint.text!r}", seed))
        try:
            if repr(draw_params(family, random.Random(seed))) != repr(params):
                out.failures.append(Failure("the same seed drew different parameters: draw only with the `rng` "
                                            "a default receives", seed))
        except Exception:
            pass  # reported by the first draw already, if it fails every time
        drawn_at = clock()
        out.seconds += drawn_at - started
        try:
            _solve_and_check(family, seed, params, agreement, instances)
        finally:
            agreement.seconds += clock() - drawn_at
    checked = len(instances)
    agreement.detail = f"{checked} of {seeds} seeds agree" if agreement.failures else f"{checked} seeds agree"
    return instances


def _solve_and_check(family: type[Family], seed: int, params: dict[str, Any], agreement: Outcome,
                     instances: list[_Drawn]) -> None:
    """Solve one instance, check it by the second route, compare every answer."""
    from .agreement import agree, shown

    fail = agreement.failures.append
    try:
        expected = family.answer_ids(params)
        solution = family().solve(params)
    except Exception as exc:
        fail(Failure(f"solve() raised {_raised(exc)}", seed, "solve raised"))
        return
    answers = getattr(solution, "answers", None)
    if not isinstance(answers, dict):
        fail(Failure(f"solve() must return Solution(answers, steps), not {type(solution).__name__}", seed))
        return
    missing = [a for a in expected if a not in answers]
    if missing:
        fail(Failure(f"solve() does not give the declared answers {_names(missing)}", seed))
        return
    from .answers import to_json_value

    for answer in expected:
        try:
            to_json_value(answers[answer])
        except TypeError as exc:
            fail(Failure(f"answer '{answer}' cannot be written to answers.json ({exc}); return ints, sympy "
                         "numbers or expressions, bools, strings, or lists and dicts of them", seed, f"json {answer}"))
    instances.append(_Drawn(seed, params, solution))
    try:
        second = family().check(params)
    except NotImplementedError:
        fail(Failure("check() is not written: it must recompute every answer by a second route", seed))
        return
    except Exception as exc:
        fail(Failure(f"check() raised {_raised(exc)}", seed, "check raised"))
        return
    if not isinstance(second, dict):
        fail(Failure(f"check() must return a dict of answer id -> value, not {type(second).__name__}", seed))
        return
    absent = [a for a in expected if a not in second]
    extra = [a for a in second if a not in expected]
    if absent:
        fail(Failure(f"check() does not recompute the answers {_names(absent)}; it must return every "
                     "answer solve() gives, by a second route", seed))
    if extra:
        fail(Failure(f"check() returns {_names(extra)}, which are not declared answers of this instance "
                     f"({_names(expected)})", seed))
    for answer in expected:
        if answer in second:
            verdict = agree(answers[answer], second[answer])
            if not verdict.equal:
                fail(Failure(f"answer '{answer}': solve() gives {shown(answers[answer])} but check() gives "
                             f"{shown(second[answer])} (compared {verdict.how})", seed, f"disagree {answer}"))


def _draws_detail(drawn: Sequence[_Drawn], seeds: int, out: Outcome) -> str:
    distinct = len({repr(sorted(d.params.items())) for d in drawn})
    if seeds >= 20 and len(drawn) == seeds and distinct <= seeds // 10:
        out.failures.append(Failure(f"only {distinct} distinct instances in {seeds} seeds: widen the default "
                                    "distributions so that versions differ"))
    return f"{seeds} seeds, {distinct} distinct"


def _global_randomness(family: type[Family]) -> list[str]:
    """``file:line`` where the family's module uses the global random or
    numpy.random state instead of the RNG passed in (drawing would not be
    reproducible from the seed)."""
    import ast
    import inspect

    try:
        path = inspect.getsourcefile(family)
        tree = ast.parse(open(path, encoding="utf-8").read()) if path else None
    except (OSError, TypeError, SyntaxError, UnicodeDecodeError):
        return []
    found = []
    for node in ast.walk(tree) if tree else ():
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if (node.value.id == "random" and node.attr not in ("Random", "SystemRandom")) or (
                    node.value.id in ("np", "numpy") and node.attr == "random"):
                found.append(f"{path}:{node.lineno}: uses the global {node.value.id}.{node.attr}; draw with the "
                             "`rng` argument a default receives, so the seed decides every draw")
    return found


def _names(ids: Iterable[str]) -> str:
    return ", ".join(f"'{i}'" for i in ids)


def _raised(exc: BaseException) -> str:
    from .registry import _where_raised

    return _where_raised(exc)


def _instance(family: type[Family], d: _Drawn, version: str = "A") -> Any:
    from .instances import Instance
    from .spec import ProblemSpec

    problem = ProblemSpec(family.name, family, family.part_ids(d.params), 0, {}, (), Location("<genexam check>"))
    return Instance(1, version, problem, d.seed, d.params, d.solution)


def _templates(family: type[Family], drawn: Sequence[_Drawn], filters: dict[str, Any], out: Outcome,
               sample: int | None) -> tuple[dict[int, Any], dict[str, str]]:
    """Render every instance to Markdown and lint it; convert the ``sample``
    (None: all) first instances and the longest one to LaTeX and Typst.
    Returns seed -> ProblemText and Markdown fragment -> Typst."""
    from .render import pandoc
    from .templating import render_problem
    from .texfilters import UNSUPPORTED_TEX

    out.failures += [Failure(problem) for problem in lint_template(family)]
    texts: dict[int, Any] = {}
    for d in drawn:
        try:
            texts[d.seed] = text = render_problem(_instance(family, d), filters)
        except GenexamError as exc:
            out.failures.append(Failure(str(exc), d.seed, "render"))
            continue
        for piece in _fragments(text):
            for macro in UNSUPPORTED_TEX:
                if _uses(piece, macro):
                    out.failures.append(Failure(f"the rendered text has {unsupported(macro)}", d.seed))
            if re.search(r"\{\{ |\{%|%\}", piece):
                out.failures.append(Failure("the rendered text still holds Jinja delimiters ({{, {% or %})", d.seed))
    seeds = list(texts)
    if sample is not None and len(seeds) > sample:
        longest = max(seeds, key=lambda seed: sum(map(len, _fragments(texts[seed]))))
        seeds = list(dict.fromkeys(seeds[:sample] + [longest]))
    fragments: dict[str, int] = {}  # fragment -> the first seed that printed it
    for seed in seeds:
        for piece in _fragments(texts[seed]):
            fragments.setdefault(piece, seed)
    typst: dict[str, str] = {}
    for fmt in ("latex", "typst"):
        try:
            result = dict(zip(fragments, pandoc.convert_many(list(fragments), fmt)))
        except GenexamError:
            out.failures.append(_first_unconvertible(fragments, fmt))
            continue
        if fmt == "typst":
            typst = result
            for source, text in result.items():
                raw = re.search(r"\\(frac|left|right|begin|mathbf|sqrt|cdot)\b", text)
                if raw:
                    out.failures.append(Failure(f"raw TeX ({raw.group()}) is left in the Typst text: pandoc could "
                                                "not convert the formula around it", fragments[source]))
    out.detail = (f"{len(texts)} instances in md; {len(seeds)} in tex, typ" if len(seeds) < len(texts)
                  else f"{len(texts)} instances in md, tex, typ")
    return texts, typst


def _fragments(text: Any) -> list[str]:
    """The Markdown pieces of one rendered instance: statement, each part and solution."""
    return [text.statement, *(x for p in text.parts for x in (p.statement, p.solution))]


def _first_unconvertible(fragments: dict[str, int], fmt: str) -> Failure:
    """pandoc refused the batch: find the first fragment it refuses alone."""
    from .render import pandoc

    for fragment, seed in fragments.items():
        try:
            pandoc.convert_many([fragment], fmt)
        except GenexamError as exc:
            return Failure(str(exc).splitlines()[0] + f" (in: {fragment[:120]!r})", seed)
    return Failure(f"pandoc failed converting the fragments to {fmt}, but none alone")


def _typst(family: type[Family], drawn: Sequence[_Drawn], texts: dict[int, Any], table: dict[str, str],
           out: Outcome) -> None:
    """Compile exam and key of a few converted instances (seed 0 and the
    longest) with Typst; warnings are failures."""
    from pathlib import Path

    from .render.document import SpecText, document
    from .render.layout import render_layout
    from .render.pdf import typst_pdfs
    from .spec import ProblemSet
    from .templating import instance_figures

    ready = [d for d in drawn if d.seed in texts and all(f in table for f in _fragments(texts[d.seed]))]
    if not ready:
        out.skipped = True
        return

    def size(d: _Drawn) -> int:
        return sum(map(len, _fragments(texts[d.seed])))

    chosen = list({d.seed: d for d in [ready[0], *sorted(ready, key=size, reverse=True)][:COMPILED]}.values())
    sources: dict[str, str] = {}
    figures: dict[str, bytes] = {}
    for d in chosen:
        instance = _instance(family, d)
        spec = ProblemSet(Path("contract-check.yaml"), "Contract check", "", "", "", 0, 1, ("typ", "pdf"),
                          "typst", (instance.problem,))
        figures.update({path: svg.encode() for path, svg in instance_figures(instance).items()})
        for key in (False, True):
            view = document(spec, "A", [instance], [texts[d.seed]], SpecText("Contract check", "", "", ""), key,
                            table.__getitem__)
            sources[f"{'key' if key else 'exam'} of seed {d.seed}"] = render_layout("typ", view)
    try:  # one batch in Typst's worker processes (a crash there is a failure, not a dead check)
        results = typst_pdfs(sources, 0, figures)
    except GenexamError as exc:
        out.failures.append(Failure(str(exc).splitlines()[0], chosen[0].seed))
    else:
        for (name, result), d in zip(results.items(), [d for d in chosen for _ in (0, 1)]):
            out.failures += [Failure(f"Typst warns on the {name}: {w}", d.seed) for w in result.warnings]
    out.detail = f"exam and key of seed{'s' * (len(chosen) != 1)} {', '.join(str(d.seed) for d in chosen)}"
