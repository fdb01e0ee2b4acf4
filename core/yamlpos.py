"""Safe YAML loading that remembers where every key and value came from.

PyYAML's SafeLoader builds plain values (no tags that construct objects); we
compose the node tree first so each key path keeps its line and column for
error messages, and reject duplicate keys, which PyYAML would silently merge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

import yaml

from .errors import Location, Problem, SpecError
from .limits import NUMBER_DIGITS, YAML_VALUES, character_problems, exceeded
from .values import SourceFloat

KeyPath = tuple[Union[str, int], ...]

#: Aliases can make a small file expand exponentially ("billion laughs");
#: no real spec comes near this many values.
MAX_VALUES = YAML_VALUES.value


class _Constructor(yaml.SafeLoader):
    """PyYAML's safe constructor, except that a float keeps the text it was
    written as (values.SourceFloat), so a number YAML would round is caught."""


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> float:
    value = loader.construct_yaml_float(node)
    return SourceFloat(value, node.value) if isinstance(value, float) else value


_Constructor.add_constructor("tag:yaml.org,2002:float", _construct_float)
_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")


class ValueRefused(ValueError):
    """A ``--set`` value that is valid YAML but holds what no value may."""


def load_value(text: str) -> Any:
    """One YAML value (a ``--set`` value), built as a spec's values are
    (floats keep their text). Raise yaml.YAMLError or ValueError as PyYAML does;
    raise ValueError for text no output can hold or a number over the limit."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    if node is None:
        return None
    problems: list[Problem] = []
    _record(node, (), Located(None, "--set"), problems, set())
    if problems:
        raise ValueRefused(problems[0].message)
    return _Constructor("").construct_document(node)


@dataclass
class Located:
    """A loaded document and the position of every node in it."""

    value: Any
    file: str
    positions: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    #: Where each mapping key itself is written (``positions`` has its value).
    key_positions: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: KeyPath, key: bool = False) -> Location:
        """The location of ``path`` -- of its key rather than its value when
        ``key`` -- or of its nearest ancestor that has one."""
        if key and path in self.key_positions:
            return Location(self.file, *self.key_positions[path])
        for cut in range(len(path), -1, -1):
            if path[:cut] in self.positions:
                line, col = self.positions[path[:cut]]
                return Location(self.file, line, col)
        return Location(self.file)


def format_path(path: KeyPath) -> str:
    """``('problems', 0, 'params')`` -> ``problems[0].params``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def load(text: str, file: str) -> Located:
    """Parse YAML text; raise SpecError with file:line:col on any syntax error."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        if node is None:
            return Located(None, file)
        located = Located(None, file)
        problems: list[Problem] = []
        _record(node, (), located, problems, set())
        if problems:
            raise SpecError(problems)
        located.value = _Constructor("").construct_document(node)
    except yaml.MarkedYAMLError as exc:
        raise SpecError([_marked_problem(exc, file)]) from None
    except yaml.reader.ReaderError as exc:  # a forbidden character: the one unmarked error, placed by its offset
        raise SpecError([Problem(Location.at_offset(file, text, exc.position), "", f"not valid YAML: the character "
                                 f"U+{exc.character:04X} is not allowed (YAML forbids control characters)")]) from None
    except yaml.YAMLError as exc:  # pragma: no cover - every other PyYAML error is marked
        raise SpecError([Problem(Location(file), "", f"not valid YAML: {exc}")]) from None
    except ValueError as exc:  # a timestamp that is no date, such as 2026-02-30 (not a YAMLError)
        if "integer string conversion" in str(exc):  # Python reads at most 4300 digits
            raise SpecError([Problem(_bad_timestamp(node, file, "tag:yaml.org,2002:int"), "",
                                     "a number with more than 4300 digits; write a smaller number")]) from None
        raise SpecError([Problem(_bad_timestamp(node, file), "", f"not a valid date ({exc}); write a date "
                                 "that exists, such as 2026-12-04, or put the text in quotes")]) from None
    except RecursionError:  # PyYAML composes recursively
        raise SpecError([Problem(Location(file), "", "the YAML is nested too deeply to read")]) from None
    return located


def _record(node: yaml.Node, path: KeyPath, located: Located, problems: list[Problem], active: set[int]) -> None:
    """Note the position of ``path`` and of everything under it; ``active``
    holds the nodes being walked, so an alias to an enclosing node is caught."""
    where = Location(located.file, node.start_mark.line + 1, node.start_mark.column + 1)
    if id(node) in active:
        raise SpecError([Problem(where, format_path(path), f"an alias refers to the value anchored at {where}, "
                                                           "which contains it; a spec cannot be recursive")])
    located.positions[path] = (where.line, where.column)
    if len(located.positions) > MAX_VALUES:
        raise SpecError([Problem(where, format_path(path), f"the spec holds more than {MAX_VALUES} values once "
                                                           "its aliases are expanded; use fewer aliases")])
    if isinstance(node, yaml.ScalarNode):
        _check_scalar(node, path, located.file, problems)
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
        active.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                _check_scalar(key_node, path, located.file, problems)
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else repr(key_node)
            if key in seen:
                problems.append(Problem(
                    Location(located.file, key_node.start_mark.line + 1, key_node.start_mark.column + 1),
                    format_path(path + (key,)),
                    f"duplicate key '{key}' (first given on line {seen[key]}); keep one of them",
                ))
                continue
            seen[key] = key_node.start_mark.line + 1
            located.key_positions[path + (key,)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            _record(value_node, path + (key,), located, problems, active)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record(item, path + (index,), located, problems, active)
    active.discard(id(node))


def _bad_timestamp(root: yaml.Node, file: str, tag: str = "tag:yaml.org,2002:timestamp") -> Location:
    """Where the first timestamp (or value of another ``tag``) that cannot be built is written."""
    stack = [root]
    while stack:
        node = stack.pop(0)
        if isinstance(node, yaml.ScalarNode) and node.tag == tag:
            try:
                yaml.SafeLoader("").construct_object(node)
            except ValueError:
                return Location(file, node.start_mark.line + 1, node.start_mark.column + 1)
        elif isinstance(node, yaml.MappingNode):
            stack.extend(n for pair in node.value for n in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return Location(file)


def _marked_problem(exc: yaml.MarkedYAMLError, file: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    where = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
    what = " ".join(filter(None, [exc.context, exc.problem]))
    if "could not determine a constructor" in what:
        what += " (tags that build objects are not allowed in a spec; remove the '!' tag)"
    return Problem(where, "", f"not valid YAML: {what}")


def _check_scalar(node: yaml.ScalarNode, path: KeyPath, file: str, problems: list[Problem]) -> None:
    """What no value may hold, caught before PyYAML builds it: text that is no
    text (a lone surrogate from "\\ud800"), and numbers with more digits than
    the limit (PyYAML's int() would refuse one of 4300 digits with an error
    about dates)."""
    where = Location(file, node.start_mark.line + 1, node.start_mark.column + 1)
    for message in character_problems(node.value):
        if "surrogate" in message:  # other control characters are the text checks' business
            problems.append(Problem(where, format_path(path), message))
    if node.tag in _NUMBER_TAGS:
        digits = sum(c.isdigit() for c in node.value)
        if digits > NUMBER_DIGITS.value:
            problems.append(Problem(where, format_path(path),
                                    f"a number of {digits} digits: {exceeded(NUMBER_DIGITS)}"))
