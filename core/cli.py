"""The genexam command line.

``genexam SPEC.yaml`` builds (same as ``genexam build SPEC.yaml``); ``list``,
``show``, ``solve`` and ``validate`` are the other verbs. Only argparse is
imported at start-up: sympy, pandoc and Typst load when a verb needs them, so
``genexam --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:
    from .registry import Registry

VERBS = ("build", "list", "show", "solve", "validate")
FORMATS = ("md", "tex", "typ", "pdf", "json")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run a verb and return the exit code; user errors print one
    message (no traceback) and return non-zero."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] not in VERBS and not args_list[0].startswith("-"):
        args_list.insert(0, "build")  # `genexam SPEC.yaml` is `genexam build SPEC.yaml`
    parser = _parser()
    args = parser.parse_args(args_list)
    if not getattr(args, "verb", None):
        parser.print_help()
        return 2
    from .errors import GenexamError

    try:
        return args.run(args)
    except GenexamError as exc:
        print(f"genexam: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("genexam: interrupted; nothing was written", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `genexam list | head`: the reader left; not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="genexam",
        description="Randomized deep-learning exams with exact, worked answer keys, "
                    "as Markdown, LaTeX, Typst and PDF.",
        epilog="`genexam SPEC.yaml` is short for `genexam build SPEC.yaml`. "
               "Run `genexam VERB --help` for each verb's options.",
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"genexam {__version__}")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")

    build = verbs.add_parser("build", help="build the exams and keys of a problem set",
                             description="Draw, solve and render every version of a problem set.")
    build.add_argument("spec", type=Path, help="the problem set, e.g. problem_sets/a5.yaml")
    build.add_argument("-o", "--output", type=Path, help="output directory (default: out/<spec name>)")
    build.add_argument("--seed", type=_nonnegative, help="override the spec's seed")
    build.add_argument("--versions", type=_positive, help="override the number of versions")
    build.add_argument("--format", type=_formats, help=f"comma-separated subset of {','.join(FORMATS)}")
    build.add_argument("--engine", choices=("typst", "latex"), help="PDF engine (default: typst, no TeX needed)")
    build.add_argument("--no-key", action="store_true",
                       help="write the exams only: no answer keys and no answers.json, safe to hand out")
    _paper_args(build)
    build.set_defaults(run=_run_build)

    listing = verbs.add_parser("list", help="list the installed families",
                               description="Every family with its title, parameters and answer ids.")
    listing.set_defaults(run=_run_list)

    show = verbs.add_parser("show", help="print one instance of a family with its solution, as Markdown",
                            description="Draw one instance of FAMILY and print its statement and solution.")
    _instance_args(show)
    show.set_defaults(run=_run_show)

    solve = verbs.add_parser("solve", help="solve one instance of a family",
                             description="Draw (or fix with --set) the parameters of FAMILY and print every answer.")
    _instance_args(solve)
    solve.add_argument("--json", action="store_true", help='print {"family", "params", "answers"} as JSON')
    solve.set_defaults(run=_run_solve)

    validate = verbs.add_parser("validate", help="check a problem set without building it",
                                description="Report every problem in a spec, and draw, solve and render "
                                            "each version to catch constraints that cannot be met and "
                                            "broken family templates; writes nothing.")
    validate.add_argument("spec", type=Path)
    validate.set_defaults(run=_run_validate)
    return parser


def _paper_args(build: argparse.ArgumentParser) -> None:
    """Options for printed copies: a roster, the paper size, a fixed layout, progress."""
    build.add_argument("--roster", type=Path, metavar="CSV",
                       help="one copy per student of this class list (CSV with an 'id' column; "
                            "'name' and 'version' optional)")
    build.add_argument("--paper", choices=("a4", "us-letter"), help="paper size (default: a4)")
    build.add_argument("--layout", choices=("flow", "fixed"),
                       help="fixed: every copy has the same pages, each answer box in the same place")
    build.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    build.add_argument("--no-cache", action="store_true",
                       help="convert and typeset everything again, bypassing the cache of pandoc and PDF "
                            "results (in $XDG_CACHE_HOME/genexam or ~/.cache/genexam)")


def _apply_paper_args(args: argparse.Namespace, changes: dict[str, Any]) -> None:
    if args.roster is not None:
        changes["roster"] = args.roster
    if args.paper:
        changes["paper"] = args.paper
    if args.layout:
        changes["layout"] = args.layout
    if args.versions is not None:
        changes["versions_given"] = True


def _instance_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("family", help="family name; `genexam list` shows them")
    parser.add_argument("--seed", type=_nonnegative, default=0, help="seed for the parameters not fixed (default 0)")
    parser.add_argument("--set", dest="sets", action="append", default=[], metavar="NAME=VALUE",
                        help="fix a parameter; VALUE is YAML: 3, 1/2, true, [1, 2, 3] (repeatable)")


def _nonnegative(text: str) -> int:
    value = _int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, found {text!r}")
    return value


def _positive(text: str) -> int:
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, found {text!r}")
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, found {text!r}") from None


def _formats(text: str) -> tuple[str, ...]:
    items = [t.strip() for t in text.split(",") if t.strip()]
    bad = [t for t in items if t not in FORMATS]
    if bad or not items:
        from .errors import did_you_mean

        hint = did_you_mean(bad[0], FORMATS) if bad else ""
        raise argparse.ArgumentTypeError(f"unknown format {', '.join(bad) or text!r}{hint}; "
                                         f"choose from {','.join(FORMATS)}")
    return tuple(f for f in FORMATS if f in items)


# -- verbs ---------------------------------------------------------------------

def _run_build(args: argparse.Namespace) -> int:
    import dataclasses
    import time

    from .build import build
    from .registry import build_registry
    from .spec import MAX_VERSIONS, read_spec

    start = time.perf_counter()
    registry = build_registry()
    spec = read_spec(args.spec, registry)
    changes: dict[str, Any] = {}
    if args.seed is not None:
        changes["seed"] = args.seed
    if args.versions is not None:
        if args.versions > MAX_VERSIONS:
            from .errors import GenexamError

            raise GenexamError(f"--versions {args.versions}: at most {MAX_VERSIONS} versions (A to ZZ)")
        changes["versions"] = args.versions
    if args.format:
        changes["formats"] = args.format
    if args.engine:
        changes["engine"] = args.engine
    _apply_paper_args(args, changes)
    spec = dataclasses.replace(spec, **changes)
    out_dir = args.output or Path("out") / spec.name
    result = build(spec, registry, out_dir, key=not args.no_key, quiet=args.quiet, cache=not args.no_cache)
    elapsed = time.perf_counter() - start
    kinds = "exams" if args.no_key else "exams and keys"
    made = f"{spec.versions} version{'s' if spec.versions != 1 else ''}"
    if spec.roster is not None:
        from .roster import read_roster

        students = read_roster(spec.roster).students
        shared = spec.versions_given or any(s.version for s in students)  # as genexam.copies decides
        made = f"{len(students)} students, " + (made if shared else "an instance each")
    print(f"genexam: wrote {len(result.files)} files to {out_dir}/ ({made}, {kinds}: {', '.join(spec.formats)}) "
          f"in {elapsed:.1f} s")
    return 0


def _run_list(args: argparse.Namespace) -> int:
    from .registry import build_registry

    registry = build_registry()
    for name, family in registry.families.items():
        print(f"{name}: {family.title}")
        for param in family.params:
            default = param.default_distribution.describe()
            doc = f" -- {param.doc}" if param.doc else ""
            print(f"    {param.name}: {param.expected()}; default {default}{doc}")
        parts = family.parts_doc or ", ".join(f"({p.id}) {' '.join(p.answers) or '(explained, no computed answer)'}"
                                              for p in family.parts)
        print(f"  answers: {parts}")
        if family.constraints:
            print(f"  constraints: {'; '.join(family.constraints)}")
        print()
    return 0


def _instance(args: argparse.Namespace, registry: Registry) -> tuple[Any, dict[str, Any], Any]:
    import random

    from .errors import GenexamError
    from .instances import solve
    from .sampling import draw_params

    family = registry.get(args.family)
    overrides: dict[str, Any] = {}
    for item in args.sets:
        name, value = _parse_set(item)
        if name not in family.param_names():
            raise GenexamError(f"--set {item}: {family.no_such_param(name)}")
        try:
            overrides[name] = family.param(name).distribution_of(value)
        except ValueError as exc:
            raise GenexamError(f"--set {item}: {exc}") from None
    from .distributions import fixed_values

    try:  # parameters that make no question at all (question_bank: too few questions with the tags)
        family.parts_for(fixed_values(overrides))
    except ValueError as exc:
        raise GenexamError(f"genexam {args.verb} {family.name}: {exc}") from None
    params = draw_params(family, random.Random(args.seed), overrides, context=f"genexam {args.verb} {family.name}",
                         hint="change the --set values")
    return family, params, solve(family, params)


def _parse_set(item: str) -> tuple[str, Any]:
    import yaml

    from .errors import GenexamError

    name, sep, text = item.partition("=")
    if not sep or not name.strip():
        raise GenexamError(f"--set {item!r}: expected NAME=VALUE, e.g. --set n=75 or --set xs=[1,2,3]")
    try:
        value = yaml.safe_load(text) if text.strip() else None
    except ValueError as exc:  # a YAML date that does not exist, e.g. 2026-02-30
        raise GenexamError(f"--set {item}: {exc}; quote the value if it is not meant as a date") from None
    except yaml.YAMLError as exc:
        raise GenexamError(f"--set {item}: the value is not valid YAML ({exc.problem if hasattr(exc, 'problem') else exc}); "
                           "write e.g. 3, 1/2, true or [1, 2, 3]") from None
    if value is None:
        raise GenexamError(f"--set {item}: give a value after '='")
    return name.strip(), value


def _run_solve(args: argparse.Namespace) -> int:
    import json

    from .answers import to_json_value
    from .registry import build_registry

    family, params, solution = _instance(args, build_registry())
    record = {
        "family": family.name,
        "params": {k: to_json_value(v) for k, v in params.items()},
        "answers": {k: to_json_value(solution.answers[k]) for k in family.answer_ids(params)},
    }
    if args.json:
        print(json.dumps(record, indent=2, ensure_ascii=False))
    else:
        print(f"{family.name}: {family.title}")
        for section in ("params", "answers"):
            print(f"{section}:")
            for key, value in record[section].items():
                print(f"  {key} = {json.dumps(value, ensure_ascii=False)}")
    return 0


def _run_show(args: argparse.Namespace) -> int:
    from .errors import Location
    from .instances import Instance
    from .registry import build_registry
    from .spec import ProblemSpec
    from .templating import render_problem

    registry = build_registry()
    family, params, solution = _instance(args, registry)
    problem = ProblemSpec(family.name, family, family.part_ids(params), 0, {}, (), Location("<command line>"))
    text = render_problem(Instance(1, "A", problem, args.seed, params, solution), registry.filters)
    shown = ", ".join(f"{k} = {v}" for k, v in params.items())
    print(f"# {family.title}\n\n*{family.name}: {shown}*\n\n{text.statement}\n")
    for part in text.parts:
        label = f"**({part.id})** " if len(text.parts) > 1 else ""
        print(f"{label}{part.statement}\n\n**Solution.**\n\n{part.solution}\n")
    return 0


def _run_validate(args: argparse.Namespace) -> int:
    from .instances import make_version
    from .registry import build_registry
    from .spec import read_spec
    from .templating import render_versions

    registry = build_registry()
    spec = read_spec(args.spec, registry)
    from .build import require_tools

    require_tools(spec)  # the build would stop there
    if spec.roster is not None:  # a roster's mistakes, with file:line, before any build
        from .copies import CopyPlan

        CopyPlan.for_spec(spec, quiet=True)
    solved: dict[Any, Any] = {}
    versions = {label: make_version(spec, label, solved) for label in spec.version_labels}
    render_versions(versions, registry.filters)  # so a broken family template fails here, not first in a build
    print(f"genexam: {args.spec} is valid: {len(spec.problems)} problems, {spec.versions} versions "
          f"({', '.join(spec.version_labels[:5])}{', ...' if spec.versions > 5 else ''}) drawn, solved and rendered")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
