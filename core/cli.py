"""The genexam command line.

``genexam SPEC.yaml`` builds (same as ``genexam build SPEC.yaml``); the other
verbs are in ``VERBS``. Each verb's work lives in its own module (``check`` in
genexam.contract, ``new`` in genexam.scaffold); this one only parses and prints. Only argparse is
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

#: Every verb, in the order `genexam --help` lists them; a first word that is
#: none of these is a spec path (`genexam SPEC.yaml` builds it).
VERBS = ("build", "list", "show", "solve", "validate", "grade", "check", "new")
FORMATS = ("md", "tex", "typ", "pdf", "json", "moodle", "qti", "html")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run a verb and return the exit code; user errors print one
    message (no traceback) and return non-zero."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] not in VERBS and not args_list[0].startswith("-"):
        if not _looks_like_spec(args_list[0]):
            from .errors import did_you_mean

            print(f"genexam: error: unknown command '{args_list[0]}'{did_you_mean(args_list[0], VERBS)}; "
                  f"the commands are {', '.join(VERBS)}, or give a spec file (genexam SPEC.yaml)", file=sys.stderr)
            return 2
        args_list.insert(0, "build")  # `genexam SPEC.yaml` is `genexam build SPEC.yaml`
    parser = _parser()
    args = parser.parse_args(args_list)
    if not getattr(args, "verb", None):
        parser.print_help()
        return 2
    from .errors import GenexamError

    from .files import outside_files_allowed

    try:
        with outside_files_allowed(getattr(args, "allow_outside_files", False)):
            return args.run(args)
    except GenexamError as exc:
        print(f"genexam: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt as exc:  # SIGINT, or SIGTERM during a build (genexam.processes)
        from .output import interrupted_message

        message, code = interrupted_message(exc)
        print(f"genexam: {message}", file=sys.stderr)
        return code
    except BrokenPipeError:  # `genexam list | head`: the reader left; not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 0
    except (RecursionError, MemoryError) as exc:  # last resort: a limit genexam should have checked first
        return _internal_error(exc)


def _internal_error(exc: BaseException) -> int:
    """An input went past a limit genexam does not check: say so as a bug to
    report (not as the user's mistake), without a traceback unless asked."""
    import os

    what = "ran out of memory" if isinstance(exc, MemoryError) else "nested too deeply (RecursionError)"
    print(f"genexam: internal error: {what} while processing the input; genexam should have refused it "
          "with a message naming the limit. Please report this as a genexam bug, with the spec or command "
          "(GENEXAM_DEBUG=1 shows the traceback).", file=sys.stderr)
    if os.environ.get("GENEXAM_DEBUG") == "1":
        import traceback

        traceback.print_exception(exc)
    return 1


def _outside_files_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--allow-outside-files", action="store_true",
                        help="let paths in the spec (bank:) lead outside its folder: absolute, ~, .. or symlinks "
                             "(only for a spec you trust)")


def _looks_like_spec(word: str) -> bool:
    """A path rather than a misspelt verb: a YAML name, a path with a folder, or an existing file."""
    return word.endswith((".yaml", ".yml")) or "/" in word or "\\" in word or Path(word).exists()


def _registry() -> "Registry":
    """The registry, with each broken plugin reported once as a warning (the
    commands that do not use it go on)."""
    from .registry import build_registry

    registry = build_registry()
    for line in registry.warnings:
        print(f"genexam: warning: {line}", file=sys.stderr)
    return registry


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
    _outside_files_arg(build)
    _paper_args(build)
    build.set_defaults(run=_run_build)

    listing = verbs.add_parser("list", help="list the installed families",
                               description="Every family with its title, parameters and answer ids.")
    listing.set_defaults(run=_run_list)

    show = verbs.add_parser("show", help="print one instance of a family with its solution, as Markdown",
                            description="Draw one instance of FAMILY and print its statement and solution.")
    _instance_args(show)
    show.add_argument("--list", action="store_true",
                      help="list what the family draws from instead (question_bank: the bank's ids and tags)")
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
    _outside_files_arg(validate)
    validate.add_argument("spec", type=Path)
    validate.add_argument("--fairness", action="store_true",
                          help="also compare the versions' instances on the families' difficulty measures "
                               "and name the outliers")
    validate.add_argument("--roster", type=Path, metavar="CSV",
                          help="also check this class list (as `build --roster` would read it)")
    validate.set_defaults(run=_run_validate)

    grade = verbs.add_parser(
        "grade", help="mark students' answers against a build's answers.json",
        description="Mark responses.csv against OUT/answers.json: grades.csv, review.csv (answers a person "
                    "must decide), feedback per student and report.md/.pdf (item statistics, version fairness). "
                    "`genexam grade --template OUT/answers.json` writes the blank responses.csv.")
    grade.add_argument("answers", type=Path, help="the build's answers.json")
    grade.add_argument("responses", type=Path, nargs="?", help="responses.csv: id, version, then one column per answer")
    grade.add_argument("-o", "--output", type=Path,
                       help="output directory (default: grades/ beside responses.csv); with --template, the CSV file")
    grade.add_argument("--template", action="store_true", help="write the blank responses.csv instead of grading")
    grade.add_argument("--review", type=Path, help="review.csv with the points a person decided, to complete the grades")
    grade.add_argument("--no-pdf", action="store_true", help="write feedback and report as Markdown only")
    grade.set_defaults(run=_run_grade)

    check = verbs.add_parser("check", help="run the family contract on installed families",
                             description="Draw, solve and check each family over many seeds, render its template "
                                         "to Markdown, LaTeX and Typst, and compile one instance with Typst; "
                                         "exit 1 on any failure, naming the seed that reproduces it.")
    check.add_argument("families", nargs="*", metavar="FAMILY", help="families to check (default: all installed)")
    check.add_argument("--seeds", type=_positive, default=200, help="seeds drawn, solved and checked (default 200)")
    check.add_argument("--convert", type=_nonnegative, default=50,
                       help="how many instances pandoc converts to LaTeX and Typst (default 50; every instance is "
                            "rendered to Markdown and linted)")
    check.add_argument("--jobs", type=_positive, help="families checked at the same time (default: one per core)")
    check.set_defaults(run=_run_check)

    new = verbs.add_parser("new", help="scaffold a family as an installable package",
                           description="Write a new family package: pyproject.toml with the genexam entry point, "
                                       "the module and its template, a test using genexam.testing, and a README.")
    new.add_argument("what", choices=("family",), help="what to create (a family)")
    new.add_argument("name", help="the family's name: lower case letters, digits and _, e.g. my_neuron")
    new.add_argument("--dir", type=Path, help="where to write the package (default: ./genexam-NAME)")
    new.set_defaults(run=_run_new)
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
    _outside_files_arg(parser)


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
    from .spec import MAX_VERSIONS, read_spec

    from .processes import install_signal_handlers

    install_signal_handlers()  # SIGINT/SIGTERM end pandoc, TeX and Typst workers with genexam
    if args.output is not None:  # a target genexam must not replace is refused before any work
        from .output import check_output_dir

        check_output_dir(args.output)
    start = time.perf_counter()
    registry = _registry()
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
    from .output import default_output_dir

    out_dir = args.output or default_output_dir(spec.name)
    result = build(spec, registry, out_dir, key=not args.no_key, quiet=args.quiet, cache=not args.no_cache)
    elapsed = time.perf_counter() - start
    kinds = "exams" if args.no_key else "exams and keys"
    made = _count(result.versions, "version")
    if result.students is not None:
        made = f"{_count(result.students, 'student')}, " + (made if result.shared else "an instance each")
    print(f"genexam: wrote {_count(len(result.files), 'file')} to {out_dir}/ ({made}, {kinds}: "
          f"{', '.join(spec.formats)}) in {elapsed:.1f} s")
    return 0


def _run_list(args: argparse.Namespace) -> int:
    registry = _registry()
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
    overrides = _overrides(args.sets, family)
    from .distributions import fixed_values

    try:  # parameters that make no question at all (question_bank: too few questions with the tags)
        family.parts_for(fixed_values(overrides))
    except ValueError as exc:
        raise GenexamError(f"genexam {args.verb} {family.name}: {exc}") from None
    params = draw_params(family, random.Random(args.seed), overrides, context=f"genexam {args.verb} {family.name}",
                         hint="change the --set values", fixed_hint="change the --set values")
    return family, params, solve(family, params)


def _overrides(sets: Sequence[str], family: Any) -> dict[str, Any]:
    """The --set values as the family's fixed values (distributions)."""
    from .errors import GenexamError

    overrides: dict[str, Any] = {}
    for item in sets:
        name, value = _parse_set(item)
        if name not in family.param_names():
            raise GenexamError(f"--set {item}: {family.no_such_param(name)}")
        try:
            overrides[name] = family.param(name).distribution_of(value)
        except ValueError as exc:
            raise GenexamError(f"--set {item}: {exc}") from None
    return overrides


def _parse_set(item: str) -> tuple[str, Any]:
    import yaml

    from .errors import GenexamError
    from .yamlpos import ValueRefused, load_value

    name, sep, text = item.partition("=")
    if not sep or not name.strip():
        raise GenexamError(f"--set {item!r}: expected NAME=VALUE, e.g. --set n=75 or --set xs=[1,2,3]")
    try:
        value = load_value(text) if text.strip() else None  # as a spec's values: floats keep their text
    except ValueRefused as exc:
        raise GenexamError(f"--set {item}: {exc}") from None
    except ValueError as exc:  # a YAML date that does not exist, e.g. 2026-02-30
        raise GenexamError(f"--set {item}: {exc}; quote the value if it is not meant as a date") from None
    except yaml.YAMLError as exc:
        raise GenexamError(f"--set {item}: the value is not valid YAML ({exc.problem if hasattr(exc, 'problem') else exc}); "
                           "write e.g. 3, 1/2, true or [1, 2, 3]") from None
    if value is None and not text.strip():  # `--set keys=null` is a value: the parameter's null
        raise GenexamError(f"--set {item}: give a value after '=' (null for none)")
    return name.strip(), value


def _run_solve(args: argparse.Namespace) -> int:
    import json

    from .answers import to_json_value
    family, params, solution = _instance(args, _registry())
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
    from .spec import ProblemSpec
    from .templating import render_problem

    registry = _registry()
    if args.list:
        return _show_list(args, registry)
    family, params, solution = _instance(args, registry)
    problem = ProblemSpec(family.name, family, family.part_ids(params), 0, {}, (), Location("<command line>"))
    text = render_problem(Instance(1, "A", problem, args.seed, params, solution), registry.filters)
    from .distributions import show_value

    shown = ", ".join(f"{k} = {show_value(v)}" for k, v in params.items())
    print(f"# {family.title}\n\n*{family.name}: {shown}*\n\n{text.statement}\n")
    for part in text.parts:
        label = f"**({part.id})** " if len(text.parts) > 1 else ""
        print(f"{label}{part.statement}\n\n**Solution.**\n\n{part.solution}\n")
    return 0


def _show_list(args: argparse.Namespace, registry: Registry) -> int:
    """`genexam show FAMILY --list`: a family's catalogue (question_bank's questions)."""
    from .distributions import fixed_values
    from .errors import GenexamError

    family = registry.get(args.family)
    catalogue = getattr(family, "catalogue", None)
    if catalogue is None:
        raise GenexamError(f"family '{family.name}' has nothing to list: --list shows the questions of a "
                           "bank (question_bank); `genexam list` shows every family's parameters")
    try:
        print(catalogue(fixed_values(_overrides(args.sets, family))))
    except ValueError as exc:
        raise GenexamError(f"genexam show {family.name} --list: {exc}") from None
    return 0


def _run_validate(args: argparse.Namespace) -> int:
    from .instances import make_version
    from .spec import read_spec
    from .templating import render_versions

    registry = _registry()
    spec = read_spec(args.spec, registry)
    from .build import require_tools

    require_tools(spec)  # the build would stop there
    if args.roster is not None:
        import dataclasses

        spec = dataclasses.replace(spec, roster=args.roster)
    if spec.roster is not None:  # a roster's mistakes, with file:line, before any build
        from .copies import CopyPlan

        plan = CopyPlan.for_spec(spec, quiet=True)
    solved: dict[Any, Any] = {}
    versions = {label: make_version(spec, label, solved) for label in spec.version_labels}
    render_versions(versions, registry.filters)  # so a broken family template fails here, not first in a build
    print(f"genexam: {args.spec} is valid: {_count(len(spec.problems), 'problem')}, {_count(spec.versions, 'version')} "
          f"({', '.join(spec.version_labels[:5])}{', ...' if spec.versions > 5 else ''}) drawn, solved and rendered"
          + (f"; the roster {spec.roster} lists {_count(len(plan.copies), 'student')}" if spec.roster else ""))
    if args.fairness:
        from .fairness import fairness_report

        print(fairness_report(versions))
    return 0


def _run_grade(args: argparse.Namespace) -> int:
    from .errors import GenexamError
    from .grade.responses import load_answers, template

    if args.template:
        if args.responses is not None:
            raise GenexamError("--template takes only the answers.json: genexam grade --template OUT/answers.json")
        text = template(load_answers(args.answers))
        if args.output is None:
            sys.stdout.write(text)
        else:
            from .output import write_file_atomically

            write_file_atomically(args.output, text.encode("utf-8"))
            print(f"genexam: wrote the blank responses to {args.output}", file=sys.stderr)
        return 0
    if args.responses is None:
        raise GenexamError("give the responses: genexam grade OUT/answers.json responses.csv "
                           "(`genexam grade --template OUT/answers.json` writes a blank one)")
    from .grade.run import grade
    from .output import write_atomically

    result = grade(args.answers, args.responses, args.review, pdf=not args.no_pdf)
    out_dir = args.output or args.responses.parent / "grades"
    write_atomically(out_dir, result.files)
    review = (f"; {result.review_count} answer{'s' if result.review_count != 1 else ''} to review in "
              f"{out_dir}/review.csv (fill in 'points', then pass it back with --review)") if result.review_count else ""
    print(f"genexam: graded {len(result.results)} student{'s' if len(result.results) != 1 else ''} "
          f"into {out_dir}/{review}")
    return 0


def _run_check(args: argparse.Namespace) -> int:
    from .check_run import run_check

    return run_check(args.families, seeds=args.seeds, converted=args.convert, jobs=args.jobs)


def _run_new(args: argparse.Namespace) -> int:
    from .scaffold import new_family

    written = new_family(args.name, args.dir)
    print(f"genexam: wrote the family package '{args.name}' to {written}/; next:\n"
          f"  pip install -e {written}\n  genexam check {args.name}")
    return 0


def _count(n: int, noun: str) -> str:
    """'1 problem', '2 problems'."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
