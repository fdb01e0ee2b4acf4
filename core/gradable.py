"""One definition of "a gradable answer", shared by the LMS exports and `grade`.

Both read the hub, answers.json (or the same records built in memory), and
never reach back into the spec. Each asked answer of each problem of each
version becomes a :class:`GradableAnswer`: where it is printed (question
number and part letter), its kind, its exact value, its tolerance and its
share of the part's points. Vectors, tables and mappings are graded entry by
entry (:meth:`GradableAnswer.entries`).

Values in answers.json are JSON numbers, booleans, lists, or strings in
sympy's syntax. They are decoded by :func:`decode_value`, a whitelist walk of
Python's syntax tree -- never ``sympify`` or ``eval``: answers.json is a file a
user hands to ``genexam grade``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Iterator, Mapping, Sequence

import sympy

#: The kinds of answer, from what decides equality:
#: integer, rational -- exact; real -- an irrational exact value, a decimal within a
#: relative tolerance is accepted; expression -- a formula in the family's symbols;
#: big_o -- equal when the dominant terms agree; choice -- a multiple-choice letter;
#: boolean -- yes/no; word -- one of a few words (e.g. "rnn"); explained -- a written
#: explanation, graded by a person (the value is the model answer).
KINDS = ("integer", "rational", "real", "expression", "big_o", "choice", "boolean", "word", "explained")

#: Relative tolerance for a decimal given for an irrational answer, unless the
#: spec or the family says otherwise.
DEFAULT_TOLERANCE = Fraction(1, 1000)

Entry = tuple[Any, ...]


@dataclass(frozen=True)
class GradableAnswer:
    """One asked answer of one problem of one version."""

    version: str
    question: int  # the printed question number
    label: str  # the printed part letter; "" for a question printed without one
    problem: str  # the spec's problem id
    part: str  # the family's part id
    answer: str  # the family's answer id; "" for a part explained in words
    kind: str  # of the value, or of every entry of a vector/table/mapping
    value: Any  # sympy number/expression, list/dict of them, "C", bool, a word, or the model answer
    points: Fraction  # this answer's share of the part's points
    tolerance: Fraction | None = None  # relative; for kind "real" only

    @property
    def column(self) -> str:
        """The responses.csv column: ``2b`` for a part with one answer,
        ``3a.total_mults`` for one answer of a part with several."""
        return self.part_column if self.single else f"{self.part_column}.{self.answer}"

    @property
    def part_column(self) -> str:
        return f"{self.question}{self.label}"

    #: Set by :func:`gradable_answers`: the part asks only this answer.
    single: bool = True

    @property
    def structured(self) -> bool:
        """A vector, table or mapping: graded entry by entry."""
        return isinstance(self.value, (list, dict))

    def entries(self) -> Iterator[tuple[Entry, Any, Fraction]]:
        """(position, value, points) of each entry: the value itself at ``()``
        for a scalar; the points split equally over a structure's entries."""
        leaves = list(_leaves(self.value, ()))
        share = self.points / len(leaves) if leaves else Fraction(0)
        for position, value in leaves:
            yield position, value, share


def _leaves(value: Any, position: Entry) -> Iterator[tuple[Entry, Any]]:
    if isinstance(value, list):
        for i, item in enumerate(value):
            yield from _leaves(item, position + (i,))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, position + (key,))
    else:
        yield position, value


def gradable_answers(document: Mapping[str, Any], tolerance: Fraction = DEFAULT_TOLERANCE
                     ) -> list[GradableAnswer]:
    """Every gradable answer of an answers.json document, in version, question
    and part order. Answers that are null (not asked of this instance, such as
    a conv's output size when no input size is given) are left out."""
    out: list[GradableAnswer] = []
    for version in document["versions"]:
        for record in version["problems"]:
            out += problem_answers(version["version"], record, tolerance)
    return out


def problem_answers(version: str, record: Mapping[str, Any],
                    tolerance: Fraction = DEFAULT_TOLERANCE) -> list[GradableAnswer]:
    """The gradable answers of one problem record of answers.json."""
    parts: list[str] = record["parts"]
    labels: list[str] = record["labels"]
    points = _part_points(record["points"], len(parts))
    asked: Mapping[str, Sequence[str]] = record.get("part_answers") or {}
    declared: Mapping[str, str] = record.get("kinds") or {}
    answers: Mapping[str, Any] = record["answers"]
    weights: Mapping[str, Any] = record.get("weights") or {}
    if record.get("tolerance") is not None:  # the family's own
        tolerance = Fraction(str(record["tolerance"]))
    out: list[GradableAnswer] = []
    for part, label, part_points in zip(parts, labels, points):
        ids = [a for a in asked.get(part, _bank_part(part, answers)) if answers.get(a) is not None]
        common = dict(version=version, question=record["number"], label=label, problem=record["id"], part=part)
        if not ids:  # explained in words: a person grades it
            out.append(GradableAnswer(**common, answer="", kind="explained", value="", points=part_points))
            continue
        weight = {a: Fraction(str(weights.get(a, 1))) for a in ids}
        total_weight = sum(weight.values(), Fraction(0))
        single = len(ids) == 1 and not _is_mapping(answers[ids[0]])
        for answer_id in ids:
            share = part_points * weight[answer_id] / total_weight
            for name, raw, kind_declared in _sub_answers(answer_id, answers[answer_id], declared):
                kind, value = _classify(raw, kind_declared)
                out.append(GradableAnswer(**common, answer=name, kind=kind, value=value,
                                          points=share / _count(answers[answer_id]),
                                          tolerance=tolerance if kind == "real" else None, single=single))
    return out


def _is_mapping(raw: Any) -> bool:
    """An answer made of named sub-answers (not a question-bank part's answer)."""
    return isinstance(raw, dict) and not _is_bank(raw)


def _is_bank(raw: Any) -> bool:
    return isinstance(raw, dict) and set(raw) <= {"choice", "answer"} and "answer" in raw


def _count(raw: Any) -> int:
    return len(raw) if _is_mapping(raw) and raw else 1


def _sub_answers(answer_id: str, raw: Any, declared: Mapping[str, str]) -> list[tuple[str, Any, str | None]]:
    """A mapping answer (beam search's ``{"sequence": ..., "log_prob": ...}``)
    is graded as one answer per key, ``greedy.sequence``, each with its own
    kind (declared under that dotted name, or the whole answer's); other
    answers are themselves."""
    if not _is_mapping(raw) or not raw:
        return [(answer_id, raw, declared.get(answer_id))]
    return [(f"{answer_id}.{key}", sub, declared.get(f"{answer_id}.{key}") or declared.get(answer_id))
            for key, sub in raw.items()]


def _bank_part(part: str, answers: Mapping[str, Any]) -> list[str]:
    """Without ``part_answers`` (older answers.json): a question-bank part's
    answer is keyed by the part id itself."""
    return [part] if part in answers else []


def _part_points(points: Any, count: int) -> list[Fraction]:
    """Points per asked part: as listed, or a question's total split equally."""
    if isinstance(points, list):
        return [Fraction(str(p)) for p in points]
    total = Fraction(str(points))
    return [total / count] * count


def _classify(raw: Any, declared: str | None) -> tuple[str, Any]:
    """(kind, decoded value) of an answers.json value."""
    if _is_bank(raw):
        if raw.get("choice"):
            return "choice", raw["choice"]
        return "explained", raw["answer"]
    if declared and declared not in KINDS:
        raise DecodeError(f"unknown answer kind {declared!r}")
    if declared == "explained":  # a person grades it; the key shows the value as written
        return declared, raw
    if declared == "word":  # the family says: text (a word, or a sequence of tokens), not a formula
        return declared, raw
    value = decode_value(raw)
    return declared or _kind_of(value), value


def _kind_of(value: Any) -> str:
    if isinstance(value, list):
        kinds = {_kind_of(v) for v in flatten(value)}
    elif isinstance(value, dict):
        kinds = {_kind_of(v) for v in value.values()}
    else:
        return scalar_kind(value)
    # a vector of integers and fractions is graded as rationals, entry by entry
    for kind in ("expression", "real", "rational", "integer", "boolean", "word"):
        if kind in kinds:
            return kind
    return "word"


def flatten(values: list) -> Iterator[Any]:
    """The entries of a vector or a table (nested lists), in reading order."""
    for v in values:
        if isinstance(v, list):
            yield from flatten(v)
        else:
            yield v


def scalar_kind(value: Any) -> str:
    """The kind of one decoded scalar."""
    if isinstance(value, bool) or isinstance(value, sympy.logic.boolalg.BooleanAtom):
        return "boolean"
    if isinstance(value, str):
        return "word"
    if isinstance(value, sympy.Integer):
        return "integer"
    if isinstance(value, sympy.Rational):
        return "rational"
    if isinstance(value, sympy.Basic) and value.free_symbols:
        return "expression"
    return "real"


# -- decoding answers.json values ---------------------------------------------

#: Functions sympy's printer writes in answers.json, by name.
FUNCTIONS = {
    "exp": sympy.exp, "log": sympy.log, "sqrt": sympy.sqrt, "tanh": sympy.tanh, "sinh": sympy.sinh,
    "cosh": sympy.cosh, "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan, "atan": sympy.atan,
    "Abs": sympy.Abs, "Max": sympy.Max, "Min": sympy.Min, "floor": sympy.floor, "ceiling": sympy.ceiling,
    "Rational": sympy.Rational, "Integer": sympy.Integer, "Float": sympy.Float, "O": sympy.O,
}
CONSTANTS = {"E": sympy.E, "pi": sympy.pi, "oo": sympy.oo}
#: Bounds on a decoded string: answers.json is generated, but a user passes it in.
MAX_TEXT = 20_000
MAX_EXPONENT = 10_000
MAX_BITS = 100_000  # of an integer power


class DecodeError(ValueError):
    """An answers.json value that is not a value genexam writes."""


def decode_value(raw: Any) -> Any:
    """An answers.json value as sympy objects: numbers -> Integer/Rational,
    strings in sympy syntax -> expressions (through a whitelist of syntax
    nodes, functions and constants), lists and dicts recursively; booleans and
    None stay. A string that does not parse as an expression (prose) stays a
    string; a family marks one-word answers such as "rnn" as kind "word"."""
    if raw is None or isinstance(raw, bool):
        return raw
    if isinstance(raw, int):
        return sympy.Integer(raw)
    if isinstance(raw, float):
        return sympy.Rational(str(raw))
    if isinstance(raw, list):
        return [decode_value(v) for v in raw]
    if isinstance(raw, dict):
        return {str(k): decode_value(v) for k, v in raw.items()}
    if isinstance(raw, str):
        return decode_expression(raw)
    raise DecodeError(f"unexpected value {raw!r}")


def decode_expression(text: str) -> Any:
    """A string in sympy syntax as a sympy object; prose is returned as the
    string itself."""
    if len(text) > MAX_TEXT:
        raise DecodeError(f"value longer than {MAX_TEXT} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        return text  # prose
    try:
        return _node(tree.body)
    except RecursionError:
        raise DecodeError("expression nested too deeply") from None


_BINARY = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
           ast.Div: lambda a, b: a / b}


def _node(node: ast.AST) -> Any:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool):
            return sympy.true if node.value else sympy.false
        if isinstance(node.value, int):
            return sympy.Integer(node.value)
        if isinstance(node.value, float):
            return sympy.Float(repr(node.value))
        raise DecodeError(f"unexpected constant {node.value!r}")
    if isinstance(node, ast.Name):
        return CONSTANTS.get(node.id) or sympy.Symbol(node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        operand = _node(node.operand)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Pow):
            base, exponent = _node(node.left), _node(node.right)
            if exponent.is_Number and (abs(exponent) > MAX_EXPONENT or (
                    base.is_Integer and abs(exponent) * max(1, int(base).bit_length()) > MAX_BITS)):
                raise DecodeError("a power too large to be a value genexam writes")
            return base ** exponent
        operation = _BINARY.get(type(node.op))
        if operation is None:
            raise DecodeError(f"operator {type(node.op).__name__} is not written in answers.json")
        return operation(_node(node.left), _node(node.right))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS \
            and not node.keywords:
        return FUNCTIONS[node.func.id](*(_node(a) for a in node.args))
    if isinstance(node, (ast.Tuple, ast.List)):
        return [_node(e) for e in node.elts]
    raise DecodeError(f"{ast.dump(node)[:60]} is not a value genexam writes")
