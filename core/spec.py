"""Reading a problem-set spec into typed, validated objects.

Every problem found is collected -- not just the first -- with its
file:line:col, key path, what was expected and a did-you-mean suggestion, so
``genexam validate`` can report them all at once.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Mapping

from . import expr
from .distributions import Distribution, fixed_values
from .errors import GenexamError, Location, Problem, SpecError, did_you_mean, one_of
from .family import Family
from .files import read_limited, resolve_spec_path
from .limits import SPEC_BYTES, VERSIONS, text_problems
from .registry import Registry
from .values import parse_number
from .yamlpos import KeyPath, Located, format_path, load

FORMATS = ("md", "tex", "typ", "pdf", "json", "moodle", "qti", "html")
#: What a spec without `formats` builds: the paper formats (the LMS exports are asked for).
DEFAULT_FORMATS = ("md", "tex", "typ", "pdf", "json")
ENGINES = ("typst", "latex")
TOP_KEYS = ("title", "course", "date", "instructions", "seed", "versions", "formats", "engine", "lms", "problems",
            "roster", "paper", "layout")
LMS_KEYS = ("tolerance",)
TOLERANCE_KINDS = ("relative", "absolute")
PROBLEM_KEYS = ("id", "family", "points", "parts", "params", "where", "continues", "new_page")
PAPERS = ("a4", "us-letter")
LAYOUTS = ("flow", "fixed")
MAX_VERSIONS = VERSIONS.value  # A..ZZ
#: The spec's text fields that hold a page of text rather than one line.
LONG_FIELDS = ("instructions",)


@dataclass(frozen=True)
class ProblemSpec:
    """One entry of ``problems``: a family, which parts to ask, points, and
    parameter overrides and constraints."""

    id: str
    family: type[Family]
    parts: tuple[str, ...]
    points: tuple[Fraction, ...] | Fraction
    overrides: Mapping[str, Distribution]
    where: tuple[expr.Expression, ...]
    location: Location
    key_path: str = ""
    #: Its parts continue the previous problem's question (same number, next letters).
    continues: bool = False
    #: The question starts on a new page.
    new_page: bool = False

    @property
    def total_points(self) -> Fraction:
        return sum(self.points, Fraction(0)) if isinstance(self.points, tuple) else self.points

    def part_points(self, part: str) -> Fraction | None:
        return self.points[self.parts.index(part)] if isinstance(self.points, tuple) else None


@dataclass(frozen=True)
class LmsOptions:
    """How the online exports (moodle, qti) grade numbers that are not
    whole: accepted within ``tolerance`` of the exact value, relative to it
    (``0.001``: within 0.1 %) or ``absolute``."""

    tolerance: Fraction = Fraction(1, 1000)
    tolerance_kind: str = "relative"


@dataclass(frozen=True)
class ProblemSet:
    """A whole validated spec."""

    path: Path
    title: str
    course: str
    date: str
    instructions: str
    seed: int
    versions: int
    formats: tuple[str, ...]
    engine: str
    problems: tuple[ProblemSpec, ...]
    lms: LmsOptions = LmsOptions()
    #: A class list (CSV) to make one copy per student from, relative paths
    #: already resolved against the spec's folder.
    roster: Path | None = None
    #: Whether the spec (or --versions) says how many versions: with a
    #: roster, students then share them instead of each getting their own.
    versions_given: bool = False
    paper: str = "a4"
    layout: str = "flow"

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def version_labels(self) -> list[str]:
        return [version_label(i) for i in range(self.versions)]


def version_label(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA, ... (spreadsheet column style)."""
    label = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        label = chr(ord("A") + rem) + label
    return label


def read_spec(path: str | Path, registry: Registry) -> ProblemSet:
    """Load and validate the spec at ``path``; raise SpecError listing every problem."""
    path = Path(path)
    if not path.is_file():
        hint = " (it is a directory)" if path.is_dir() else ""
        raise GenexamError(f"{path}: no such spec file{hint}; give the path to a .yaml problem set")
    try:
        data = read_limited(path, SPEC_BYTES, "spec")
    except ValueError as exc:
        raise GenexamError(f"{path}: {exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError([Problem(Location.at_offset(str(path), data, exc.start), "",
                                 f"byte 0x{data[exc.start]:02x} is not UTF-8; save the spec as UTF-8")]) from None
    return parse_spec(text, str(path), registry)


def parse_spec(text: str, file: str, registry: Registry) -> ProblemSet:
    """Validate spec text (see :func:`read_spec`)."""
    located = load(text, file)
    checker = _Checker(located)
    spec = checker.problem_set(registry)
    if checker.problems:  # in the order they appear in the file
        raise SpecError(sorted(checker.problems, key=lambda p: (p.location.line or 0, p.location.column or 0)))
    assert spec is not None
    return spec


@dataclass
class _Checker:
    doc: Located
    problems: list[Problem] = field(default_factory=list)
    used_ids: set[str] = field(default_factory=set)

    def report(self, path: KeyPath, message: str, key: bool = False) -> None:
        """Record a problem at ``path``: at its key when ``key`` (an unknown name), else at its value."""
        self.problems.append(Problem(self.doc.where(path, key), format_path(path), message))

    def problem_set(self, registry: Registry) -> ProblemSet | None:
        root = self.doc.value
        if not isinstance(root, dict):
            self.report((), f"a spec is a mapping with keys {one_of(TOP_KEYS)}, found {_kind(root)}")
            return None
        self._unknown_keys(root, (), TOP_KEYS)
        title = self._text(root, ("title",), required=True)
        course = self._text(root, ("course",))
        date = self._text(root, ("date",))
        instructions = self._text(root, ("instructions",))
        seed = self._integer(root, ("seed",), default=0, low=0)
        versions = self._integer(root, ("versions",), default=1, low=1, high=MAX_VERSIONS)
        formats = self._formats(root.get("formats", list(DEFAULT_FORMATS)), ("formats",))
        lms = self._lms(root.get("lms", {}), ("lms",))
        engine = root.get("engine", "typst")
        if engine not in ENGINES:
            self.report(("engine",), f"expected {one_of(ENGINES)}, found {engine!r}{did_you_mean(str(engine), ENGINES)}")
        paper = self._choice(root, "paper", PAPERS, "a4")
        layout = self._choice(root, "layout", LAYOUTS, "flow")
        roster = self._text(root, ("roster",))
        roster_path = None
        if roster:
            try:  # like a bank: a spec from someone else may not make genexam read (and quote) your files
                roster_path = resolve_spec_path(roster, Path(self.doc.file).parent)
            except ValueError as exc:
                self.report(("roster",), str(exc))
        raw_problems = root.get("problems")
        problems: list[ProblemSpec] = []
        if not isinstance(raw_problems, list) or not raw_problems:
            self.report(("problems",), "expected a non-empty list of problems, each with a 'family'")
        else:
            ids: dict[str, int] = {}
            for index, raw in enumerate(raw_problems):
                problem = self._problem(raw, ("problems", index), registry, ids)
                if problem is not None:
                    problems.append(problem)
                    if problem.continues:
                        self._check_continues(problems, index)
        return ProblemSet(
            path=Path(self.doc.file), title=title, course=course, date=date, instructions=instructions,
            seed=seed, versions=versions, formats=formats, engine=str(engine), problems=tuple(problems), lms=lms,
            roster=roster_path,
            versions_given="versions" in root, paper=paper, layout=layout,
        )

    # -- pieces ----------------------------------------------------------------

    def _choice(self, mapping: Mapping[str, Any], key: str, allowed: tuple[str, ...], default: str) -> str:
        value = mapping.get(key, default)
        if value not in allowed:
            self.report((key,), f"expected {one_of(allowed)}, found {value!r}{did_you_mean(str(value), allowed)}")
            return default
        return str(value)

    def _check_continues(self, problems: list[ProblemSpec], index: int) -> None:
        """A question made of several problems shows points on each part, so
        each of its problems gives points per part (or has one part)."""
        path: KeyPath = ("problems", index, "continues")
        if index == 0 or len(problems) < 2:
            self.report(path, "the first problem cannot continue a previous one; remove 'continues'")
            return
        for problem in problems[-2:]:
            if not isinstance(problem.points, tuple) and len(problem.parts) > 1:
                self.report(path, f"problem '{problem.id}' and the one it continues form one question, "
                                  f"whose parts each show their points: give '{problem.id}' one number per part "
                                  f"({', '.join(problem.parts)})")

    def _unknown_keys(self, mapping: Mapping[Any, Any], path: KeyPath, allowed: tuple[str, ...]) -> None:
        for key in mapping:
            if key not in allowed:
                self.report(path + (key,), f"unknown key '{key}'{did_you_mean(str(key), allowed)}; "
                                           f"allowed here: {one_of(allowed)}", key=True)

    def _text(self, mapping: Mapping[str, Any], path: KeyPath, required: bool = False) -> str:
        value = mapping.get(path[-1])
        if value is None:
            if required:
                self.report(path, f"'{path[-1]}' is required: add `{path[-1]}: ...` to the spec")
            return ""
        if isinstance(value, (datetime.date, datetime.datetime)):
            return value.isoformat()
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            text = value if isinstance(value, str) else getattr(value, "source", None) or str(value)
            return self._checked_text(text, path, long=path[-1] in LONG_FIELDS)
        self.report(path, f"expected text, found {_kind(value)}")
        return ""

    def _checked_text(self, text: str, path: KeyPath, long: bool) -> str:
        """Text the outputs can print within the limits (the same check for
        validate and build); "" after reporting what is wrong."""
        problems = text_problems(text, long)
        for message in problems:
            self.report(path, message)
        return "" if problems else text

    def _integer(self, mapping: Mapping[str, Any], path: KeyPath, default: int, low: int,
                 high: int | None = None) -> int:
        value = mapping.get(path[-1], default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.report(path, f"expected a whole number, found {value!r}")
            return default
        if value < low or (high is not None and value > high):
            self.report(path, f"expected a whole number from {low}" + (f" to {high}" if high else " up") + f", found {value}")
            return default
        return value

    def _formats(self, raw: Any, path: KeyPath) -> tuple[str, ...]:
        items = [s.strip() for s in raw.split(",")] if isinstance(raw, str) else raw
        if not isinstance(items, list) or not items:
            self.report(path, f"expected a list of formats from {one_of(FORMATS)}, found {raw!r}")
            return FORMATS
        good = []
        for index, item in enumerate(items):
            if item in FORMATS:
                good.append(item)
            else:
                self.report(path + (index,) if not isinstance(raw, str) else path,
                            f"unknown format {item!r}{did_you_mean(str(item), FORMATS)}; expected {one_of(FORMATS)}")
        return tuple(f for f in FORMATS if f in good)

    def _lms(self, raw: Any, path: KeyPath) -> LmsOptions:
        """``lms: {tolerance: 0.001}`` (relative), or ``{tolerance: {absolute: 0.01}}``."""
        if not isinstance(raw, dict):
            self.report(path, f"expected a mapping such as {{tolerance: 0.001}}, found {_kind(raw)}")
            return LmsOptions()
        self._unknown_keys(raw, path, LMS_KEYS)
        if "tolerance" not in raw:
            return LmsOptions()
        value, kind, where = raw["tolerance"], "relative", path + ("tolerance",)
        if isinstance(value, dict):
            if len(value) != 1 or next(iter(value)) not in TOLERANCE_KINDS:
                self.report(where, f"expected a number (relative) or one of {{relative: x}}, {{absolute: x}}, "
                                   f"found {_kind(value)}")
                return LmsOptions()
            kind, value = next(iter(value.items()))
            where = where + (kind,)
        try:
            tolerance = Fraction(parse_number(value))
        except ValueError as exc:
            self.report(where, f"tolerance: {exc}")
            return LmsOptions()
        if tolerance < 0 or (kind == "relative" and tolerance >= 1):
            self.report(where, f"a {kind} tolerance is a number from 0" + (" up to (not including) 1, e.g. 0.001 "
                                                                           "for 0.1 %" if kind == "relative" else " up")
                        + f", found {value}")
            return LmsOptions()
        return LmsOptions(tolerance, kind)

    def _problem(self, raw: Any, path: KeyPath, registry: Registry, ids: dict[str, int]) -> ProblemSpec | None:
        if not isinstance(raw, dict):
            self.report(path, f"a problem is a mapping with at least 'family', found {_kind(raw)}")
            return None
        self._unknown_keys(raw, path, PROBLEM_KEYS)
        name = raw.get("family")
        if not isinstance(name, str):
            self.report(path + ("family",) if "family" in raw else path,
                        "every problem needs 'family: NAME'; `genexam list` shows the families")
            return None
        family = registry.families.get(name)
        if family is None:
            self.report(path + ("family",), registry.unknown(name))
            return None
        reported = len(self.problems)
        overrides = self._overrides(raw.get("params", {}), path + ("params",), family)
        if len(self.problems) > reported and family.parts_for.__func__ is not Family.parts_for.__func__:
            return None  # its parts depend on the parameters just reported: checking them would only echo that
        available = self._available_parts(family, overrides, path + ("params",))
        listed = self._parts(raw.get("parts"), path + ("parts",), family, available)
        points = self._points(raw.get("points"), path + ("points",), listed)
        # Parts are asked in the family's order; points follow the parts they were listed with.
        parts = tuple(p for p in available if p in listed)
        if isinstance(points, tuple):
            points = tuple(points[listed.index(p)] for p in parts)
        where = self._where(raw.get("where", []), path + ("where",), family)
        problem_id = raw.get("id")
        if problem_id is None:
            ids[name] = ids.get(name, 0) + 1
            problem_id = name if ids[name] == 1 else f"{name}-{ids[name]}"
        elif not isinstance(problem_id, str) or not problem_id:
            self.report(path + ("id",), f"expected a non-empty text id, found {problem_id!r}")
            problem_id = str(problem_id)
        else:
            problem_id = self._checked_text(problem_id, path + ("id",), long=False) or problem_id[:40]
        if problem_id in self.used_ids:
            self.report(path + ("id",) if "id" in raw else path,
                        f"problem id '{problem_id}' is used twice; give one of them another `id:`")
        self.used_ids.add(problem_id)
        continues = raw.get("continues", False)
        if not isinstance(continues, bool):
            self.report(path + ("continues",), f"expected true or false, found {continues!r}")
            continues = False
        new_page = raw.get("new_page", False)
        if not isinstance(new_page, bool):
            self.report(path + ("new_page",), f"expected true or false, found {new_page!r}")
            new_page = False
        elif new_page and continues:
            self.report(path + ("new_page",), "a problem that continues the previous question cannot start a new "
                                              "page; put `new_page: true` on the problem it continues")
            new_page = False
        where_path = path + ("where",) if "where" in raw else path
        return ProblemSpec(problem_id, family, parts, points, overrides, where,
                           self.doc.where(where_path), format_path(where_path), continues, new_page)

    def _available_parts(self, family: type[Family], overrides: Mapping[str, Distribution],
                         path: KeyPath) -> tuple[str, ...]:
        """The family's parts given the values the spec fixes (question_bank
        has one per question)."""
        try:
            return family.part_ids(fixed_values(overrides))
        except ValueError as exc:
            self.report(path, str(exc))
            return family.part_ids()

    def _parts(self, raw: Any, path: KeyPath, family: type[Family], available: tuple[str, ...]) -> tuple[str, ...]:
        """The parts asked, in the order the spec lists them."""
        if raw is None:
            return available
        items = [raw] if isinstance(raw, str) else raw
        if not isinstance(items, list) or not items:
            self.report(path, f"expected a list of parts from {one_of(available)}, found {raw!r}")
            return available
        chosen = []
        for index, item in enumerate(items):
            if item not in available:
                self.report(path + (index,), f"family '{family.name}' has no part {item!r}"
                                             f"{did_you_mean(str(item), available)}; its parts are {one_of(available)}")
            elif item in chosen:
                self.report(path + (index,), f"part {item!r} is listed twice")
            else:
                chosen.append(item)
        return tuple(chosen) or available

    def _points(self, raw: Any, path: KeyPath, parts: tuple[str, ...]) -> tuple[Fraction, ...] | Fraction:
        if raw is None:
            self.report(path, "every problem needs 'points': a number, or a list with one number per part")
            return Fraction(0)
        if isinstance(raw, list):
            if len(raw) != len(parts):
                self.report(path, f"{len(raw)} point{'s' * (len(raw) != 1)} given for {len(parts)} "
                                  f"part{'s' * (len(parts) != 1)} ({', '.join(parts)}); "
                                  "give one number per part, or a single number for the whole question")
                return Fraction(0)
            return tuple(self._point(v, path + (i,)) for i, v in enumerate(raw))
        return self._point(raw, path)

    def _point(self, raw: Any, path: KeyPath) -> Fraction:
        try:
            value = Fraction(parse_number(raw))
        except ValueError as exc:
            self.report(path, f"points: {exc}")
            return Fraction(0)
        if value < 0:
            self.report(path, f"points cannot be negative, found {raw}")
        elif (value * 100).denominator != 1:  # 1/3 would print as 0.333333 and totals would not add up
            self.report(path, f"points are whole or have at most two decimals (2, 2.5, 0.25), found {raw}")
        return value

    def _overrides(self, raw: Any, path: KeyPath, family: type[Family]) -> dict[str, Distribution]:
        if not isinstance(raw, dict):
            self.report(path, f"expected a mapping of parameter names to values or distributions, found {_kind(raw)}")
            return {}
        out: dict[str, Distribution] = {}
        for key, value in raw.items():
            if key not in family.param_names():
                self.report(path + (key,), family.no_such_param(str(key)), key=True)
                continue
            try:
                out[key] = family.param(key).distribution_of(value, base=Path(self.doc.file).parent)
            except ValueError as exc:
                self.report(path + (key,), str(exc))
        return out

    def _where(self, raw: Any, path: KeyPath, family: type[Family]) -> tuple[expr.Expression, ...]:
        items = [raw] if isinstance(raw, str) else raw
        if not isinstance(items, list):
            self.report(path, f"expected a list of conditions such as \"d_k <= d_model\", found {_kind(raw)}")
            return ()
        out = []
        for index, item in enumerate(items):
            if not isinstance(item, str):
                self.report(path + (index,), f"a condition is text such as \"d_k <= d_model\", found {item!r}")
                continue
            origin = f"{self.doc.where(path + (index,))}: {format_path(path + (index,))}: constraint"
            try:
                out.append(expr.parse(item, family.param_names(), origin))
            except expr.ExpressionError as exc:
                self.report(path + (index,), str(exc))
        return tuple(out)


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", str: f"the text {value!r}", bool: f"{value}"}.get(
        type(value), f"{value!r}")
