"""A small, safe evaluator for constraint expressions such as ``d_k <= d_model``.

Specs and families state constraints as text. They are parsed with :mod:`ast`
and evaluated by walking a whitelist of node types -- never with ``eval`` --
so a spec cannot run code. Numbers are exact: ``/`` gives a Fraction.
"""

from __future__ import annotations

import ast
import math
import operator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Iterable, Mapping

from .errors import did_you_mean, one_of
from .limits import EXPR_BITS, EXPR_CHARS, EXPR_DEPTH, EXPR_EXPONENT, EXPR_LENGTH, EXPR_STEPS, exceeded

_COMPARE: dict[type, Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
_UNARY: dict[type, Callable[[Any], Any]] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
    ast.Not: operator.not_,
}
#: The functions a constraint may call. Those that walk a list are evaluated
#: by the budgeted evaluator itself (see _Evaluator.call).
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "abs": abs,
    "len": len,
    "min": min,
    "max": max,
    "sum": sum,
    "all": all,
    "any": any,
    "dot": lambda a, b: sum(x * y for x, y in zip(a, b, strict=True)),
}
_BINARY_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)


class ExpressionError(ValueError):
    """A constraint that does not parse, names an unknown value, or fails to evaluate."""


class BudgetExceeded(ExpressionError):
    """Evaluating a constraint would pass one of the limits in genexam.limits:
    not a draw that fails, but a constraint that must be rewritten."""


@dataclass(frozen=True)
class Expression:
    """A parsed constraint; ``text`` is what the user wrote."""

    text: str
    tree: ast.Expression
    names: frozenset[str]

    #: Where the user wrote it (file:line:col: key path), for messages; "" for a family's own.
    origin: str = ""

    def evaluate(self, values: Mapping[str, Any]) -> Any:
        """Evaluate against ``values`` (parameter name -> value). Raise
        BudgetExceeded when the evaluation would pass a limit (size of a
        value, exponent, steps), before doing that work."""
        return _Evaluator(values).visit(self.tree.body)


def parse(text: str, allowed_names: Iterable[str], origin: str = "") -> Expression:
    """Parse ``text``; reject syntax outside the whitelist, unknown names, and
    constraints longer or more deeply nested than the limits."""
    allowed = set(allowed_names)
    if len(text) > EXPR_CHARS.value:
        raise ExpressionError(f"the constraint is {len(text)} characters long: {exceeded(EXPR_CHARS)}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"cannot parse {text!r}: {exc.msg}") from None
    except (RecursionError, MemoryError):  # Python's own parser gives up on deep nesting
        raise ExpressionError(f"the constraint is nested too deeply to parse: {exceeded(EXPR_DEPTH)}") from None
    depth = _depth(tree)
    if depth > EXPR_DEPTH.value:
        raise ExpressionError(f"the constraint nests {depth} levels deep: {exceeded(EXPR_DEPTH)}; "
                              "split it into several conditions")
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if node.id in FUNCTIONS:
                continue
            if node.id not in allowed:
                raise ExpressionError(
                    f"unknown name '{node.id}' in {text!r}{did_you_mean(node.id, allowed)}; "
                    f"the names here are {one_of(allowed)}"
                )
            names.add(node.id)
        elif isinstance(node, ast.Call):
            if not (isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS) or node.keywords:
                raise ExpressionError(
                    f"only the functions {one_of(FUNCTIONS)} may be called in {text!r}"
                )
        elif not isinstance(node, _ALLOWED_NODES):
            raise ExpressionError(f"{type(node).__name__} is not allowed in a constraint: {text!r}")
    return Expression(text=text.strip(), tree=tree, names=frozenset(names), origin=origin)


def _depth(tree: ast.AST) -> int:
    """The nesting depth of a syntax tree, without recursion."""
    deepest = 0
    stack = [(tree, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in ast.iter_child_nodes(node))
    return deepest


_ALLOWED_NODES = (
    ast.Expression, ast.Constant, ast.Name, ast.Load, ast.BinOp, ast.UnaryOp, ast.BoolOp,
    ast.Compare, ast.Call, ast.Subscript, ast.List, ast.Tuple, ast.And, ast.Or,
    *_BINARY_OPS, *_COMPARE, *_UNARY,
)


class _Evaluator(ast.NodeVisitor):
    """Walks a parsed constraint, counting steps and checking every value it
    makes against the limits before making it."""

    def __init__(self, values: Mapping[str, Any]):
        self.values = values
        self.steps = 0

    # -- the budget ------------------------------------------------------------

    def charge(self, steps: int) -> None:
        self.steps += steps
        if self.steps > EXPR_STEPS.value:
            raise BudgetExceeded(f"evaluating it takes more than {EXPR_STEPS.value} steps: {exceeded(EXPR_STEPS)}")

    def charge_size(self, value: Any) -> None:
        """Charge one step per element of ``value``, nested lists included --
        what comparing, summing or searching it costs. Stops at the budget, so
        a list holding the same long list 10**4 times is not walked to the end."""
        stack = [value]
        while stack:
            item = stack.pop()
            if isinstance(item, (list, tuple)):
                self.charge(len(item) + 1)
                stack.extend(item)
            elif isinstance(item, str):
                self.charge(len(item) // 64 + 1)
            else:
                self.charge(1)

    def visit(self, node: ast.AST) -> Any:
        self.charge(1)
        return _checked(super().visit(node))

    # -- nodes -------------------------------------------------------------------

    def visit_Constant(self, node: ast.Constant) -> Any:
        if isinstance(node.value, float):
            return Fraction(str(node.value))
        return node.value

    def visit_Name(self, node: ast.Name) -> Any:
        if node.id in FUNCTIONS:
            return FUNCTIONS[node.id]
        return self.values[node.id]

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        left, right = self.visit(node.left), self.visit(node.right)
        return self.binary(type(node.op), left, right)

    def binary(self, op: type, a: Any, b: Any) -> Any:
        if op is ast.Add:
            if isinstance(a, (str, list, tuple)) and isinstance(b, (str, list, tuple)):
                _check_length(len(a) + len(b))
                self.charge(len(a) + len(b))
            return a + b
        if op is ast.Sub:
            return a - b
        if op is ast.Mult:
            return self.multiply(a, b)
        if op is ast.Div:
            return Fraction(a) / Fraction(b)
        if op is ast.FloorDiv:
            return a // b
        if op is ast.Mod:
            return a % b
        return _power(a, b)

    def multiply(self, a: Any, b: Any) -> Any:
        if isinstance(a, (str, list, tuple)) or isinstance(b, (str, list, tuple)):
            sequence, count = (a, b) if isinstance(a, (str, list, tuple)) else (b, a)
            if isinstance(count, int) and not isinstance(count, bool):
                _check_length(len(sequence) * max(count, 0))  # before the repetition is made
                self.charge(len(sequence) * max(count, 0))
        return a * b

    def visit_UnaryOp(self, node: ast.UnaryOp) -> Any:
        return _UNARY[type(node.op)](self.visit(node.operand))

    def visit_BoolOp(self, node: ast.BoolOp) -> Any:
        if isinstance(node.op, ast.And):
            return all(self.visit(v) for v in node.values)
        return any(self.visit(v) for v in node.values)

    def visit_Compare(self, node: ast.Compare) -> bool:
        left = self.visit(node.left)
        for op, right_node in zip(node.ops, node.comparators):
            right = self.visit(right_node)
            self.charge_size(left)
            self.charge_size(right)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True

    def visit_Call(self, node: ast.Call) -> Any:
        name = node.func.id  # type: ignore[attr-defined]
        args = [self.visit(a) for a in node.args]
        for arg in args:
            self.charge_size(arg)
        if name == "sum":
            return self.sum(*args)
        if name == "dot":
            return self.dot(*args)
        return FUNCTIONS[name](*args)

    def sum(self, items: Any, start: Any = 0, *extra: Any) -> Any:
        """sum(), with every addition checked (sum of lists concatenates them)."""
        if extra:
            raise TypeError(f"sum expected at most 2 arguments, got {2 + len(extra)}")
        if isinstance(start, str):
            raise TypeError("sum() can't sum strings")
        total = start
        for item in items:
            total = _checked(self.binary(ast.Add, total, item))
        return total

    def dot(self, a: Any, b: Any) -> Any:
        total: Any = 0
        for x, y in zip(a, b, strict=True):
            total = _checked(self.binary(ast.Add, total, _checked(self.multiply(x, y))))
        return total

    def visit_Subscript(self, node: ast.Subscript) -> Any:
        return self.visit(node.value)[self.visit(node.slice)]

    def visit_List(self, node: ast.List) -> list:
        return [self.visit(e) for e in node.elts]

    visit_Tuple = visit_List

    def generic_visit(self, node: ast.AST) -> Any:  # pragma: no cover - parse() rejects these
        raise ExpressionError(f"{type(node).__name__} is not allowed")


def _power(base: Any, exponent: Any) -> Any:
    """``**`` with the size of the result bounded before it is computed."""
    if isinstance(exponent, (int, Fraction)) and not isinstance(exponent, bool):
        if abs(exponent) > EXPR_EXPONENT.value:
            raise BudgetExceeded(f"exponent {exponent} is too large (at most {EXPR_EXPONENT.value}): "
                                 f"{exceeded(EXPR_EXPONENT)}")
        if isinstance(base, (int, Fraction)) and not isinstance(base, bool):
            bits = max(Fraction(base).numerator.bit_length(), Fraction(base).denominator.bit_length())
            if bits * abs(math.ceil(exponent)) > EXPR_BITS.value:
                raise BudgetExceeded(f"the power would have about {bits * abs(math.ceil(exponent))} bits: "
                                     f"{exceeded(EXPR_BITS)}")
        if isinstance(exponent, int) and exponent < 0:
            return Fraction(base) ** exponent
    return base**exponent


def _check_length(length: int) -> None:
    if length > EXPR_LENGTH.value:
        raise BudgetExceeded(f"it would build a text or list of {length} elements: {exceeded(EXPR_LENGTH)}")


def _checked(value: Any) -> Any:
    """Refuse a value over the size limits (made by an operation the checks
    before it could not bound exactly, such as a product)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if value.bit_length() > EXPR_BITS.value:
            raise BudgetExceeded(f"a number of {value.bit_length()} bits: {exceeded(EXPR_BITS)}")
    elif isinstance(value, Fraction):
        bits = max(value.numerator.bit_length(), value.denominator.bit_length())
        if bits > EXPR_BITS.value:
            raise BudgetExceeded(f"a fraction of {bits} bits: {exceeded(EXPR_BITS)}")
    elif isinstance(value, (str, list, tuple)):
        _check_length(len(value))
    return value
