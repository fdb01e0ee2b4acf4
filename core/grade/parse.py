"""Reading what a student wrote: a small grammar of genexam's own.

Student text is data. It is tokenised and parsed here by a recursive-descent
parser into sympy objects built node by node; nothing is handed to ``eval``,
``sympify`` or ``parse_expr``. Length, nesting and the size of powers are
bounded *before* sympy computes anything, so ``9^9^9^9`` or a 10,000-character
answer is "unreadable", never a hang.

The grammar (informally)::

    answer   := vector | "O" "(" sum ")" | sum
    vector   := ("(" | "[") item ("," item)+ (")" | "]")    # (1, 2, 3), [1,2,3], [[1,2],[3,4]]
    item     := vector | sum
    sum      := ["+"|"-"] product (("+" | "-") product)*
    product  := power (("*" | "/" | implicit) power)*         # 2n^2, L t n, 2(n+1)
    power    := atom [("^" | "**") unary]                     # right-associative
    unary    := ["+"|"-"] power
    atom     := number ["%"] | name | function "(" sum ")" | "(" sum ")"
    number   := 1070625 | 1,070,625 | 1 070 625 | 0.75 | .5 | 1.5e-3
    function := sqrt | exp | log | ln        # ln(2), or ln 2
    name     := e | pi | a declared symbol (n, L, t, theta_1, ...)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Iterable

import sympy

#: Bounds on one answer (documented in the README's grading section).
MAX_LENGTH = 500  # characters
MAX_DEPTH = 40  # nested parentheses and powers
MAX_EXPONENT = 1000  # |exponent| of a numeric power
MAX_BITS = 20_000  # bits of an integer power's result
MAX_TOKENS = 400

FUNCTIONS = {"sqrt": sympy.sqrt, "exp": sympy.exp, "log": sympy.log, "ln": sympy.log}
CONSTANTS = {"e": sympy.E, "E": sympy.E, "pi": sympy.pi, "π": sympy.pi}  # a declared symbol wins
#: Characters students type for operators, mapped to the grammar's.
_SUBSTITUTES = {"×": "*", "·": "*", "⋅": "*", "−": "-", "–": "-", "÷": "/", "²": "^2", "³": "^3",
                "\u00a0": " ", "\u202f": " "}


class Unreadable(ValueError):
    """The text is not an answer the grammar reads (or is too large to read safely)."""


@dataclass(frozen=True)
class Parsed:
    """A student's answer: a sympy value, a list of them (a vector), or a
    big-O argument; ``percent`` when written with a percent sign."""

    value: object
    big_o: bool = False
    percent: bool = False
    decimal: bool = False  # written with a decimal point or exponent: an approximation


_NUMBER = re.compile(
    r"(?:\d{1,3}(?:,\d{3})+(?![\d,]\d)|\d{1,3}(?: \d{3})+(?!\d)|\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_NAME = re.compile(r"[A-Za-zα-ωΑ-Ωπ]+(?:_\w+)?")
_OPERATORS = ("**", "+", "-", "*", "/", "^", "(", ")", "[", "]", ",", "%")


@dataclass
class _Token:
    kind: str  # "num", "name", "op"
    text: str


def tokenize(text: str) -> list[_Token]:
    """Split an answer into numbers, names and operators."""
    tokens: list[_Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        number = _NUMBER.match(text, i)
        if number and (ch.isdigit() or ch == "."):
            tokens.append(_Token("num", number.group(0)))
            i = number.end()
            continue
        name = _NAME.match(text, i)
        if name:
            tokens.append(_Token("name", name.group(0)))
            i = name.end()
            continue
        op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
        if op is None:
            raise Unreadable(f"unexpected character {ch!r}")
        tokens.append(_Token("op", op))
        i += len(op)
        if len(tokens) > MAX_TOKENS:
            raise Unreadable("too long")
    return tokens


@dataclass
class _Parser:
    tokens: list[_Token]
    symbols: dict[str, sympy.Symbol]
    pos: int = 0
    depth: int = 0
    decimal: bool = False
    percent: bool = False
    _names: list[str] = field(default_factory=list)

    # -- helpers ---------------------------------------------------------------
    def peek(self, offset: int = 0) -> _Token | None:
        at = self.pos + offset
        return self.tokens[at] if at < len(self.tokens) else None

    def accept(self, *ops: str) -> str | None:
        token = self.peek()
        if token is not None and token.kind == "op" and token.text in ops:
            self.pos += 1
            return token.text
        return None

    def expect(self, op: str) -> None:
        if not self.accept(op):
            found = self.peek()
            raise Unreadable(f"expected {op!r}" + (f", found {found.text!r}" if found else " at the end"))

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise Unreadable("nested too deeply")

    # -- grammar ---------------------------------------------------------------
    def answer(self) -> Parsed:
        token = self.peek()
        if token and token.kind == "name" and token.text == "O" and self._is_op(1, "("):
            self.pos += 2
            inner = self.sum()
            self.expect(")")
            self.end()
            return Parsed(inner, big_o=True)
        if self._is_vector():
            items = self.vector()
            self.end()
            return Parsed(items, decimal=self.decimal)
        value = self.sum()
        self.end()
        return Parsed(value, percent=self.percent, decimal=self.decimal)

    def vector(self) -> list:
        """A bracketed, comma-separated list; items may be lists (a table's rows)."""
        closing = ")" if self.accept("(") == "(" else (self.expect("[") or "]")
        self.nest()
        items = [self.item()]
        while self.accept(","):
            items.append(self.item())
        self.expect(closing)
        self.depth -= 1
        return items

    def item(self) -> object:
        return self.vector() if self._is_vector() else self.sum()

    def end(self) -> None:
        if self.peek() is not None:
            raise Unreadable(f"unexpected {self.peek().text!r}")

    def _is_op(self, offset: int, op: str) -> bool:
        token = self.peek(offset)
        return token is not None and token.kind == "op" and token.text == op

    def _is_vector(self) -> bool:
        """At an opening bracket whose span holds a comma at its own level."""
        first = self.peek()
        if first is None or first.kind != "op" or first.text not in "([":
            return False
        level = 0
        for index in range(self.pos, len(self.tokens)):
            token = self.tokens[index]
            if token.kind != "op":
                continue
            if token.text in "([":
                level += 1
            elif token.text in ")]":
                level -= 1
                if level == 0:
                    return False
            elif token.text == "," and level == 1:
                return True
        return False

    def sum(self) -> sympy.Expr:
        sign = self.accept("+", "-")
        value = self.product()
        if sign == "-":
            value = -value
        while (op := self.accept("+", "-")) is not None:
            right = self.product()
            value = value + right if op == "+" else value - right
        return value

    def product(self) -> sympy.Expr:
        value = self.power()
        while True:
            op = self.accept("*", "/")
            if op is None:
                if not self._starts_atom():
                    return value
                op = "*"  # implicit multiplication: 2n, L t n, 2(n + 1), n(61n + 9700)
            right = self.power()
            if op == "/":
                if right == 0:
                    raise Unreadable("division by zero")
                value = value / right
            else:
                value = value * right

    def _starts_atom(self) -> bool:
        token = self.peek()
        if token is None:
            return False
        return token.kind in ("num", "name") or (token.kind == "op" and token.text in "([")

    def power(self) -> sympy.Expr:
        base = self.atom()
        if self.accept("^", "**"):
            self.nest()
            sign = self.accept("+", "-")
            exponent = self.power()
            self.depth -= 1
            if sign == "-":
                exponent = -exponent
            return _bounded_power(base, exponent)
        return base

    def atom(self) -> sympy.Expr:
        token = self.peek()
        if token is None:
            raise Unreadable("incomplete")
        self.pos += 1
        if token.kind == "num":
            value = _number(token.text)
            if any(c in token.text for c in ".eE"):
                self.decimal = True
            if self.accept("%"):
                self.percent = True
                value = value / 100
            return value
        if token.kind == "name":
            return self.name(token.text)
        if token.text in "([":
            self.nest()
            value = self.sum()
            self.expect(")" if token.text == "(" else "]")
            self.depth -= 1
            return value
        raise Unreadable(f"unexpected {token.text!r}")

    def name(self, text: str) -> sympy.Expr:
        if text in FUNCTIONS and self.peek() is not None:
            self.nest()
            if self.accept("("):
                argument = self.sum()
                self.expect(")")
            else:  # ln 2, log n: the function of the power that follows
                argument = self.power()
            self.depth -= 1
            if text in ("log", "ln") and argument.is_number and argument <= 0:
                raise Unreadable("log of a number <= 0")
            if text == "exp" and argument.is_number and abs(argument) > MAX_EXPONENT:
                raise Unreadable("exp of a number too large")
            return FUNCTIONS[text](argument)
        if text in self.symbols:
            return self.symbols[text]
        if text in CONSTANTS:
            return CONSTANTS[text]
        # "Ltn" or "nt": a run of declared one-letter symbols written together
        split = _split_name(text, self.symbols)
        if split is not None:
            return sympy.Mul(*split)
        raise Unreadable(f"unknown name {text!r}")


def _split_name(text: str, symbols: dict[str, sympy.Symbol]) -> list[sympy.Expr] | None:
    """``text`` as a product of declared symbols and constants, longest names first."""
    if not text:
        return []
    for size in range(len(text), 0, -1):
        head = text[:size]
        known = symbols.get(head) or CONSTANTS.get(head)
        if known is not None:
            rest = _split_name(text[size:], symbols)
            if rest is not None:
                return [known, *rest]
    return None


def _number(text: str) -> sympy.Rational:
    """A written number, exactly: 1,070,625 and 1 070 625 are 1070625; 0.75 is 3/4."""
    plain = text.replace(",", "").replace(" ", "")
    try:
        return sympy.Rational(Fraction(plain))
    except (ValueError, ZeroDivisionError):
        raise Unreadable(f"not a number: {text!r}") from None
    except OverflowError:
        raise Unreadable("number too large") from None


def _bounded_power(base: sympy.Expr, exponent: sympy.Expr) -> sympy.Expr:
    """base ** exponent, refused when a numeric power would be huge."""
    if exponent.is_number:
        if not exponent.is_real or abs(exponent) > MAX_EXPONENT:
            raise Unreadable("exponent too large")
        if base.is_Rational and exponent.is_Integer:
            size = max(abs(base.p), abs(base.q)).bit_length()
            if size * abs(int(exponent)) > MAX_BITS:
                raise Unreadable("power too large")
            if base == 0 and exponent < 0:
                raise Unreadable("division by zero")
    return base ** exponent


def parse_answer(text: str, symbols: Iterable[str] = ()) -> Parsed:
    """Parse a student's answer; raise :class:`Unreadable` for anything the
    grammar does not read. ``symbols`` are the names the key uses (n, L, t ...)."""
    if "\x00" in text:
        raise Unreadable("contains a NUL byte")
    if len(text) > MAX_LENGTH:
        raise Unreadable(f"longer than {MAX_LENGTH} characters")
    for written, meant in _SUBSTITUTES.items():
        text = text.replace(written, meant)
    text = text.strip()
    if not text:
        raise Unreadable("blank")
    declared = {name: sympy.Symbol(name) for name in symbols}
    parser = _Parser(tokenize(text), declared)
    try:
        return parser.answer()
    except RecursionError:
        raise Unreadable("nested too deeply") from None
