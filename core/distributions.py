"""Distributions a parameter's value is drawn from.

In a spec, a parameter is either a fixed value or one of
``{randint: [lo, hi]}``, ``{choice: [...]}``, ``{range: [lo, hi, step]}``
(both ends inclusive); ``size: k`` draws a list of k values. A family's own
defaults may also be :class:`Computed` from the values drawn before them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Mapping, Sequence

from .values import normalize


class Distribution:
    """Base class: something that can draw a value with a passed-in RNG."""

    def sample(self, rng: random.Random, drawn: Mapping[str, Any]) -> Any:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class Fixed(Distribution):
    value: Any

    def sample(self, rng: random.Random, drawn: Mapping[str, Any]) -> Any:
        return self.value

    def describe(self) -> str:
        return _show(self.value)


def fixed_values(overrides: Mapping[str, Distribution]) -> dict[str, Any]:
    """The values a spec or ``--set`` fixes (name -> value), known before anything is drawn."""
    return {name: dist.value for name, dist in overrides.items() if isinstance(dist, Fixed)}


@dataclass(frozen=True)
class RandInt(Distribution):
    """Integers lo..hi inclusive; a list of ``size`` of them when size is set."""

    lo: int
    hi: int
    size: int | None = None

    def sample(self, rng: random.Random, drawn: Mapping[str, Any]) -> Any:
        return _sized(self.size, lambda: rng.randint(self.lo, self.hi))

    def support(self) -> list[Any]:
        return [self.lo, self.hi]

    def describe(self) -> str:
        return _with_size(f"randint {self.lo}..{self.hi}", self.size)


@dataclass(frozen=True)
class Choice(Distribution):
    options: tuple[Any, ...]
    size: int | None = None

    def sample(self, rng: random.Random, drawn: Mapping[str, Any]) -> Any:
        return _sized(self.size, lambda: self.options[rng.randrange(len(self.options))])

    def support(self) -> list[Any]:
        return list(self.options)

    def describe(self) -> str:
        return _with_size("choice of " + ", ".join(_show(o) for o in self.options), self.size)


@dataclass(frozen=True)
class Range(Distribution):
    """lo, lo+step, ... up to and including hi (when hi is on the grid)."""

    lo: int | Fraction
    hi: int | Fraction
    step: int | Fraction
    size: int | None = None

    @property
    def count(self) -> int:
        """How many values the grid holds (computed, never listed: it may be 10**11)."""
        return int((Fraction(self.hi) - Fraction(self.lo)) // Fraction(self.step)) + 1

    def value_at(self, index: int) -> int | Fraction:
        """The grid's value number ``index`` (0 is lo)."""
        if isinstance(self.lo, int) and isinstance(self.step, int):  # the usual case, without Fractions
            return self.lo + index * self.step
        return normalize(Fraction(self.lo) + index * Fraction(self.step))

    def sample(self, rng: random.Random, drawn: Mapping[str, Any]) -> Any:
        # Drawn by index: the same random numbers and values as picking from
        # the listed grid, without building it.
        count = self.count
        return _sized(self.size, lambda: self.value_at(rng.randrange(count)))

    def support(self) -> list[Any]:
        """The smallest and largest value: the grid is monotone, so these bound it."""
        return [self.value_at(0), self.value_at(self.count - 1)]

    def describe(self) -> str:
        return _with_size(f"range {_show(self.lo)}..{_show(self.hi)} step {_show(self.step)}", self.size)


@dataclass(frozen=True)
class Computed(Distribution):
    """A family default drawn by code, e.g. a vector of the same length as another."""

    function: Callable[[random.Random, Mapping[str, Any]], Any]
    text: str

    def sample(self, rng: random.Random, drawn: Mapping[str, Any]) -> Any:
        return self.function(rng, drawn)

    def describe(self) -> str:
        return self.text


def _sized(size: int | None, draw: Callable[[], Any]) -> Any:
    return draw() if size is None else [draw() for _ in range(size)]


def _with_size(text: str, size: int | None) -> str:
    return text if size is None else f"{size} x {text}"


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def show_value(value: Any) -> str:
    """A value as it would be written in a spec (true/false, [1, 2], 1/2)."""
    return _show(value)


def leaves(values: Sequence[Any]) -> list[Any]:
    """Flatten nested lists (for range checks on vectors and matrices)."""
    out: list[Any] = []
    for v in values:
        out.extend(leaves(v) if isinstance(v, (list, tuple)) else [v])
    return out
