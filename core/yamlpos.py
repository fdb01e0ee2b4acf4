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

KeyPath = tuple[Union[str, int], ...]


@dataclass
class Located:
    """A loaded document and the position of every node in it."""

    value: Any
    file: str
    positions: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: KeyPath) -> Location:
        """The location of ``path``, or of its nearest ancestor that has one."""
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
    except yaml.MarkedYAMLError as exc:
        raise SpecError([_marked_problem(exc, file)]) from None
    except yaml.YAMLError as exc:  # pragma: no cover - every PyYAML parse error is marked
        raise SpecError([Problem(Location(file), "", f"not valid YAML: {exc}")]) from None
    if node is None:
        return Located(None, file)
    located = Located(None, file)
    problems: list[Problem] = []
    _record(node, (), located, problems)
    if problems:
        raise SpecError(problems)
    try:
        located.value = yaml.SafeLoader("").construct_document(node)
    except yaml.MarkedYAMLError as exc:
        raise SpecError([_marked_problem(exc, file)]) from None
    return located


def _record(node: yaml.Node, path: KeyPath, located: Located, problems: list[Problem]) -> None:
    located.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else repr(key_node)
            if key in seen:
                problems.append(Problem(
                    Location(located.file, key_node.start_mark.line + 1, key_node.start_mark.column + 1),
                    format_path(path + (key,)),
                    f"duplicate key '{key}' (first given on line {seen[key]}); keep one of them",
                ))
                continue
            seen[key] = key_node.start_mark.line + 1
            _record(value_node, path + (key,), located, problems)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record(item, path + (index,), located, problems)


def _marked_problem(exc: yaml.MarkedYAMLError, file: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    where = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
    what = " ".join(filter(None, [exc.context, exc.problem]))
    if "could not determine a constructor" in what:
        what += " (tags that build objects are not allowed in a spec; remove the '!' tag)"
    return Problem(where, "", f"not valid YAML: {what}")
