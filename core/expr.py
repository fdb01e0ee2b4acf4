"""A small, safe evaluator for constraint expressions such as ``d_k <= d_model``.

Specs and families state constraints as text. They are parsed with :mod:`ast`
and evaluated by walking a whitelist of node types -- never with ``eval`` --
so a spec cannot run code. Numbers are exact: ``/`` gives a Fraction.
"""

from __future__ import annotations

import ast
import operator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Iterable, Mapping

from .errors import did_you_mean, one_of

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: lambda a, b: _safe_mul(a, b),
    ast.Div: lambda a, b: Fraction(a) / Fraction(b),
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: lambda a, b: _safe_pow(a, b),
}
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


def _safe_mul(a: Any, b: Any) -> Any:
    # 'a' * 10**9 would exhaust memory; constraints never repeat text or lists much.
    if isinstance(a, (str, list, tuple)) or isinstance(b, (str, list, tuple)):
        count = b if isinstance(a, (str, list, tuple)) else a
        if isinstance(count, int) and count > 1000:
            raise ExpressionError(f"repeating a text or list {count} times is too much (at most 1000)")
    return a * b


def _safe_pow(base: Any, exponent: Any) -> Any:
    # A huge exponent would hang the build; constraints never need one.
    if abs(exponent) > 64:
        raise ExpressionError(f"exponent {exponent} is too large (at most 64)")
    if isinstance(exponent, int) and exponent < 0:
        return Fraction(base) ** exponent
    return base**exponent


class ExpressionError(ValueError):
    """A constraint that does not parse, names an unknown value, or fails to evaluate."""


@dataclass(frozen=True)
class Expression:
    """A parsed constraint; ``text`` is what the user wrote."""

    text: str
    tree: ast.Expression
    names: frozenset[str]

    def evaluate(self, values: Mapping[str, Any]) -> Any:
        """Evaluate against ``values`` (parameter name -> value)."""
        return _Evaluator(values).visit(self.tree.body)


def parse(text: str, allowed_names: Iterable[str]) -> Expression:
    """Parse ``text``; reject syntax outside the whitelist and unknown names."""
    allowed = set(allowed_names)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"cannot parse {text!r}: {exc.msg}") from None
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
    return Expression(text=text.strip(), tree=tree, names=frozenset(names))


_ALLOWED_NODES = (
    ast.Expression, ast.Constant, ast.Name, ast.Load, ast.BinOp, ast.UnaryOp, ast.BoolOp,
    ast.Compare, ast.Call, ast.Subscript, ast.List, ast.Tuple, ast.And, ast.Or,
    *_BINARY, *_COMPARE, *_UNARY,
)


class _Evaluator(ast.NodeVisitor):
    def __init__(self, values: Mapping[str, Any]):
        self.values = values

    def visit_Constant(self, node: ast.Constant) -> Any:
        if isinstance(node.value, float):
            return Fraction(str(node.value))
        return node.value

    def visit_Name(self, node: ast.Name) -> Any:
        if node.id in FUNCTIONS:
            return FUNCTIONS[node.id]
        return self.values[node.id]

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        return _BINARY[type(node.op)](self.visit(node.left), self.visit(node.right))

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
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True

    def visit_Call(self, node: ast.Call) -> Any:
        func = FUNCTIONS[node.func.id]  # type: ignore[attr-defined]
        return func(*(self.visit(a) for a in node.args))

    def visit_Subscript(self, node: ast.Subscript) -> Any:
        return self.visit(node.value)[self.visit(node.slice)]

    def visit_List(self, node: ast.List) -> list:
        return [self.visit(e) for e in node.elts]

    visit_Tuple = visit_List

    def generic_visit(self, node: ast.AST) -> Any:  # pragma: no cover - parse() rejects these
        raise ExpressionError(f"{type(node).__name__} is not allowed")
