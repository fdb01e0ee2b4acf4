"""Parameter declarations: what a family accepts, its default distribution,
and the allowed range. :func:`Param.coerce` turns a user-written value (from a
spec or ``--set``) into the engine's exact form, or says what was expected."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable, Mapping

from .distributions import Choice, Distribution, Fixed, RandInt, Range, leaves, show_value
from .files import resolve_spec_path
from .limits import LIST_SIZE, exceeded, text_problems
from .values import NumberRefused, parse_number

KINDS = ("int", "rational", "bool", "choice", "vector", "matrix", "text", "texts", "path", "data")


class ContentError(ValueError):
    """A value of the right kind whose content is wrong (a question bank
    with a mistake): its message says everything."""


class SpecPath(str):
    """A file path as the spec wrote it (what answers.json and the memo keys
    see), carrying where it resolves: relative to the spec's folder."""

    resolved: Path

    def __new__(cls, written: str, base: Path | None) -> "SpecPath":
        self = super().__new__(cls, written)
        self.resolved = resolve_spec_path(written, base)  # refuses a path leading outside the spec's folder
        return self


@dataclass(frozen=True)
class Param:
    """One parameter of a family.

    kind: ``int``, ``rational`` (exact, e.g. "1/2"), ``bool``, ``choice`` (one of
    ``options``), ``vector`` (list of ``element`` numbers), ``matrix`` (list of
    equal-length rows), ``text`` (a string), ``texts`` (a list of strings),
    ``path`` (a file, relative to the spec) or ``data`` (any YAML structure,
    which ``validator`` checks). ``low``/``high`` bound numbers, elementwise for
    vectors and matrices; ``length`` bounds a vector's length or a matrix's
    size. An ``optional`` parameter may be null (None), its usual default.
    ``validator`` (value -> value, raising ValueError with a message) checks
    what the kind alone cannot, such as the contents of a file.
    """

    name: str
    kind: str
    default: Any
    doc: str = ""
    low: int | Fraction | None = None
    high: int | Fraction | None = None
    options: tuple[Any, ...] = ()
    element: str = "int"
    length: tuple[int, int] = (1, 8)
    optional: bool = False
    validator: Callable[[Any], Any] | None = None
    #: How ``expected()`` describes a ``data`` or ``path`` value.
    shape: str = ""
    #: Only a fixed value, never a distribution: it decides the question's
    #: parts (question_bank's number of questions), known when the spec is read.
    fixed_only: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"parameter {self.name}: kind must be one of {KINDS}, not {self.kind!r}")

    @property
    def default_distribution(self) -> Distribution:
        return self.default if isinstance(self.default, Distribution) else Fixed(self.default)

    def expected(self) -> str:
        """What a valid value looks like, for error messages and `genexam list`."""
        text = self._expected()
        return f"{text}, or null" if self.optional else text

    def _expected(self) -> str:
        bounds = _bounds(self.low, self.high)
        if self.shape:
            return self.shape
        if self.kind == "text":
            return "a piece of text"
        if self.kind == "texts":
            return "a list of strings"
        if self.kind == "path":
            return "a file name, relative to the spec"
        if self.kind == "data":
            return "a YAML structure"
        if self.kind == "int":
            return f"an integer{bounds}"
        if self.kind == "rational":
            return f"an exact number (3, -2, 0.5 or \"1/3\"){bounds}"
        if self.kind == "bool":
            return "true or false"
        if self.kind == "choice":
            return "one of " + ", ".join(show_value(o) for o in self.options)
        what = "integers" if self.element == "int" else "exact numbers"
        lo, hi = self.length
        if self.kind == "vector":
            return f"a list of {lo} to {hi} {what}{bounds}"
        return f"a matrix (list of rows) of {lo} to {hi} rows of {what}{bounds}"

    # -- checking user values ------------------------------------------------

    def coerce(self, raw: Any, base: Path | None = None) -> Any:
        """Check and convert one fixed value; raise ValueError naming what was
        expected. ``base`` is the folder a ``path`` is relative to (the spec's)."""
        if raw is None and self.optional:
            return None
        value = self._coerce(raw, base)
        if self.validator is None:
            return value
        try:
            return self.validator(value)
        except ValueError as exc:
            raise ContentError(str(exc)) from None

    def _coerce(self, raw: Any, base: Path | None) -> Any:
        if self.kind in ("text", "path"):
            if not isinstance(raw, str) or not raw.strip():
                raise ValueError(f"expected {self.expected()}, found {raw!r}")
            _check_text(raw)
            return SpecPath(raw, base) if self.kind == "path" else raw
        if self.kind == "texts":
            if not isinstance(raw, list) or not all(isinstance(t, str) and t.strip() for t in raw):
                raise ValueError(f"expected {self.expected()}, found {raw!r}")
            for text in raw:
                _check_text(text)
            return list(raw)
        if self.kind == "data":
            return raw
        if self.kind == "bool":
            if isinstance(raw, bool):
                return raw
            raise ValueError(f"expected true or false, found {raw!r}")
        if self.kind == "choice":
            if raw in self.options and type(raw) is type(self.options[0]):
                return raw
            from .errors import did_you_mean

            hint = did_you_mean(str(raw), [str(o) for o in self.options])
            raise ValueError(f"expected {self.expected()}, found {raw!r}{hint}")
        if self.kind in ("int", "rational"):
            return self._number(raw, self.kind)
        if self.kind == "vector":
            return self._vector(raw)
        return self._matrix(raw)

    def _number(self, raw: Any, kind: str) -> int | Fraction:
        try:
            value = parse_number(raw)
        except NumberRefused:
            raise
        except ValueError:
            raise ValueError(f"expected {self.expected() if self.kind == kind else _expected_element(kind, self)}, found {raw!r}") from None
        if kind == "int" and not isinstance(value, int):
            raise ValueError(f"expected an integer, found {raw!r}")
        if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
            raise ValueError(f"{show_value(value)} is outside the allowed range{_bounds(self.low, self.high)}")
        return value

    def _vector(self, raw: Any) -> list:
        if not isinstance(raw, list):
            raise ValueError(f"expected {self.expected()}, found {raw!r}")
        lo, hi = self.length
        if not lo <= len(raw) <= hi:
            raise ValueError(f"expected {self.expected()}, found a list of {len(raw)}")
        return [self._number(v, self.element) for v in raw]

    def _matrix(self, raw: Any) -> list:
        if not isinstance(raw, list) or not all(isinstance(r, list) for r in raw) or not raw:
            raise ValueError(f"expected {self.expected()}, found {raw!r}")
        lo, hi = self.length
        widths = {len(r) for r in raw}
        if len(widths) != 1:
            raise ValueError(f"the rows of a matrix must have equal length, found lengths {sorted(widths)}")
        if not lo <= len(raw) <= hi or not lo <= widths.pop() <= hi:
            raise ValueError(f"expected {self.expected()}")
        return [[self._number(v, self.element) for v in row] for row in raw]

    def check_distribution(self, dist: Distribution) -> None:
        """Check every value a spec's distribution can produce lies in range."""
        if isinstance(dist, Fixed):
            return
        if self.fixed_only:
            raise ValueError(f"{self.name} takes a fixed value, not a distribution: it decides the question's parts")
        if self.kind in ("text", "texts", "path", "data"):
            if not (isinstance(dist, Choice) and dist.size is None):
                raise ValueError(f"{self.name} is {self.expected()}: give a fixed value, or 'choice' of values")
            for option in dist.options:
                self.coerce(option)
            return
        scalar_kind = self.kind if self.kind in ("int", "rational", "bool", "choice") else None
        size = getattr(dist, "size", None)
        if scalar_kind is None and size is None and not isinstance(dist, Choice):
            raise ValueError(f"{self.name} is {self.expected()}: add 'size: N' to draw a list of N values")
        if scalar_kind is not None and size is not None:
            raise ValueError(f"'size' draws a list, but {self.name} is {self.expected()}")
        if self.kind == "matrix" and size is not None:  # size draws a flat list, not rows
            raise ValueError(f"{self.name} is {self.expected()}: give a fixed matrix, or 'choice' of whole matrices")
        if isinstance(dist, Choice) and scalar_kind is None and size is None:
            for option in dist.options:  # a choice between whole vectors
                self.coerce(option)
            return
        target = scalar_kind or self.element
        if size is not None and self.kind == "vector" and not self.length[0] <= size <= self.length[1]:
            raise ValueError(f"size {size} is outside the allowed length {self.length[0]}..{self.length[1]}")
        if isinstance(dist, (RandInt, Range)) and target not in ("int", "rational"):
            raise ValueError(f"{self.name} is {self.expected()}; use a fixed value or 'choice'")
        if isinstance(dist, Range) and target == "int" and not all(isinstance(v, int) for v in (dist.lo, dist.step)):
            raise ValueError(f"{self.name} is an integer, so the range's start and step must be integers")
        for value in dist.support():
            if target in ("int", "rational"):
                self._number(value, target)
            else:
                Param(self.name, target, None, options=self.options).coerce(value)

    def distribution_of(self, raw: Any, base: Path | None = None) -> Distribution:
        """What a spec or ``--set`` gives for this parameter -- a fixed value or a
        distribution -- checked against its kind and range. The ValueError says
        what was expected. ``base``: the folder relative paths start from."""
        try:
            dist = None if self.kind == "data" else parse_distribution(raw)
            if dist is None:
                return Fixed(self.coerce(raw, base))
            self.check_distribution(dist)
            return dist
        except ContentError:
            raise
        except ValueError as exc:
            message, expected = str(exc), self.expected()
            raise ValueError(message if expected in message else f"{message}; {self.name} is {expected}") from None

    def in_range(self, value: Any) -> bool:
        """Whether a drawn value respects the declared bounds (used by tests)."""
        if value is None:
            return self.optional
        try:
            if self.kind in ("vector", "matrix"):
                values = leaves(value)
                if self.kind == "vector" and not self.length[0] <= len(value) <= self.length[1]:
                    return False
                return all(self._number(v, self.element) is not None for v in values)
            self.coerce(value)
            return True
        except ValueError:
            return False


def _check_text(text: str) -> None:
    """A text parameter (an id, a tag, a file name) is one short line of printable text."""
    problems = text_problems(text, long=False)
    if problems:
        raise ValueError(problems[0])


def _expected_element(kind: str, param: Param) -> str:
    word = "an integer" if kind == "int" else "an exact number"
    return word + _bounds(param.low, param.high)


def _bounds(low: Any, high: Any) -> str:
    if low is not None and high is not None:
        return f" from {show_value(low)} to {show_value(high)}"
    if low is not None:
        return f" >= {show_value(low)}"
    if high is not None:
        return f" <= {show_value(high)}"
    return ""


# -- constructors that read like a declaration --------------------------------

def Int(name: str, default: Any, low: int | None = None, high: int | None = None, doc: str = "",
        optional: bool = False, fixed_only: bool = False) -> Param:
    return Param(name, "int", default, doc, low, high, optional=optional, fixed_only=fixed_only)


def Rat(name: str, default: Any, low: Any = None, high: Any = None, doc: str = "") -> Param:
    return Param(name, "rational", default, doc, low, high, element="rational")


def Bool(name: str, default: Any, doc: str = "") -> Param:
    return Param(name, "bool", default, doc)


def OneOf(name: str, options: tuple[Any, ...], default: Any, doc: str = "") -> Param:
    return Param(name, "choice", default, doc, options=tuple(options))


def Vector(name: str, default: Any, low: Any = None, high: Any = None, element: str = "int",
           length: tuple[int, int] = (1, 8), doc: str = "", optional: bool = False) -> Param:
    return Param(name, "vector", default, doc, low, high, element=element, length=length, optional=optional)


def Matrix(name: str, default: Any, low: Any = None, high: Any = None, element: str = "int",
           length: tuple[int, int] = (1, 6), doc: str = "", optional: bool = False) -> Param:
    return Param(name, "matrix", default, doc, low, high, element=element, length=length, optional=optional)


def Text(name: str, default: Any, doc: str = "", optional: bool = False) -> Param:
    return Param(name, "text", default, doc, optional=optional)


def Texts(name: str, default: Any, doc: str = "", optional: bool = False, fixed_only: bool = False) -> Param:
    return Param(name, "texts", default, doc, optional=optional, fixed_only=fixed_only)


def FilePath(name: str, default: Any, doc: str = "", validator: Callable[[Any], Any] | None = None) -> Param:
    return Param(name, "path", default, doc, optional=True, validator=validator, fixed_only=True)


def Data(name: str, default: Any, shape: str, doc: str = "", validator: Callable[[Any], Any] | None = None,
         optional: bool = True, fixed_only: bool = True) -> Param:
    return Param(name, "data", default, doc, optional=optional, validator=validator, shape=shape,
                 fixed_only=fixed_only)


def parse_distribution(raw: Any) -> Distribution | None:
    """A spec mapping such as ``{randint: [1, 5]}`` -> Distribution; None for a
    fixed value. Raise ValueError naming the expected form."""
    if not isinstance(raw, Mapping):
        return None
    keys = set(raw) - {"size"}
    forms = {"randint", "choice", "range"}
    if len(keys) != 1 or not keys <= forms:
        from .errors import did_you_mean

        unknown = sorted(keys - forms)
        hint = did_you_mean(unknown[0], forms) if unknown else ""
        raise ValueError(
            f"a distribution has exactly one of 'randint', 'choice' or 'range' (and optionally 'size'), "
            f"found {sorted(map(str, raw))}{hint}"
        )
    form = keys.pop()
    args = raw[form]
    size = raw.get("size")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 1):
        raise ValueError(f"'size' must be a positive integer, found {size!r}")
    if size is not None and size > LIST_SIZE.value:
        raise ValueError(f"'size: {size}': {exceeded(LIST_SIZE)}")
    if form == "choice":
        if not isinstance(args, list) or not args:
            raise ValueError(f"'choice' takes a non-empty list of values, found {args!r}")
        return Choice(tuple(_exact(a) for a in args), size)
    if form == "randint":
        if not isinstance(args, list) or len(args) != 2:
            raise ValueError(f"'randint' takes [lo, hi], found {args!r}")
        lo, hi = (parse_number(a) for a in args)
        if not (isinstance(lo, int) and isinstance(hi, int)):
            raise ValueError(f"'randint' takes two integers, found {args!r}; use 'range' for fractions")
        if lo > hi:
            raise ValueError(f"randint [{lo}, {hi}] is empty: lo > hi; swap them")
        return RandInt(lo, hi, size)
    if not isinstance(args, list) or len(args) != 3:
        raise ValueError(f"'range' takes [lo, hi, step], found {args!r}")
    lo, hi, step = (parse_number(a) for a in args)
    if step <= 0:
        raise ValueError(f"range step must be positive, found {step}")
    if lo > hi:
        raise ValueError(f"range [{lo}, {hi}, {step}] is empty: lo > hi; swap them")
    return Range(lo, hi, step, size)


def _exact(raw: Any) -> Any:
    """Numbers written as "1/2" become exact; everything else stays as written."""
    if isinstance(raw, (int, float, str)) and not isinstance(raw, bool):
        try:
            return parse_number(raw)
        except ValueError:
            return raw
    if isinstance(raw, list):
        return [_exact(r) for r in raw]
    return raw
