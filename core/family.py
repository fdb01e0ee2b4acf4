"""The problem-family plugin API.

A family is a subclass of :class:`Family` declaring, top to bottom: its name
and title, its parameters, its constraints, its parts, ``solve`` (exact sympy
answers under stable ids, plus the worked steps) and ``check`` (a second,
independent route to the same answers). Its Jinja2 template, ``<name>.md.j2``
beside the module, holds the statement and solution of each part as Markdown
with TeX math, in blocks named ``statement``, ``part_<id>`` and
``solution_<id>``.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Mapping

from .params import Param


@dataclass(frozen=True)
class Part:
    """One part of a question: which answers it asks for and how much room
    the exam leaves for the student's work."""

    id: str
    answers: tuple[str, ...]
    #: A length both LaTeX and Typst read: a number with cm, mm, in or pt.
    space: str = "4cm"

    def __post_init__(self) -> None:
        if not re.fullmatch(r"\d+(\.\d+)?(cm|mm|in|pt)", self.space):
            raise ValueError(f"part {self.id}: space must be a length such as '4cm', not {self.space!r}")


@dataclass
class Solution:
    """A solved instance: exact answers by id, and intermediate values the
    template shows as worked steps."""

    answers: dict[str, Any]
    steps: dict[str, Any] = field(default_factory=dict)
    #: Figures of the worked solution: name -> SVG text. The template places
    #: one with ``{{ figure("name", "caption") }}``.
    figures: dict[str, str] = field(default_factory=dict)


class Family:
    """Base class of every problem family. Subclasses set the class
    attributes and implement :meth:`solve` and :meth:`check`."""

    name: ClassVar[str]
    title: ClassVar[str]
    params: ClassVar[tuple[Param, ...]]
    #: Conditions on the parameters, in the constraint language of specs' ``where``.
    constraints: ClassVar[tuple[str, ...]] = ()
    parts: ClassVar[tuple[Part, ...]]
    #: File name of the template, next to the module that defines the family.
    template: ClassVar[str] = ""
    #: For `genexam list`, when the parts depend on the parameters: what they are.
    parts_doc: ClassVar[str] = ""
    #: How an answer is graded, where its value alone does not say (see
    #: genexam.gradable.KINDS): e.g. ``{"train_time": "big_o", "cheaper": "word"}``.
    #: Numbers, fractions, irrational values, formulas and booleans need no entry.
    answer_kinds: ClassVar[Mapping[str, str]] = {}
    #: Relative weights of a part's answers when its points are split (default equal).
    answer_weights: ClassVar[Mapping[str, int]] = {}
    #: Relative tolerance for a decimal given for an irrational answer (default 1/1000).
    tolerance: ClassVar[Any] = None

    def solve(self, p: Mapping[str, Any]) -> Solution:
        """Solve the instance with parameters ``p`` exactly."""
        raise NotImplementedError

    def difficulty(self, p: Mapping[str, Any], answers: Mapping[str, Any]) -> dict[str, float]:
        """Measures of how hard an instance is to work by hand, compared across
        versions by `genexam validate --fairness`. The default counts the values
        the student writes, the digits they carry and the terms of symbolic
        answers; a family may return its own (e.g. the length of a table)."""
        from .fairness_measures import default_measures

        return default_measures(answers)

    def check(self, p: Mapping[str, Any]) -> dict[str, Any]:
        """Recompute the answers by a second route, independent of :meth:`solve`.
        Returns answer id -> value; tests require these to equal solve's."""
        raise NotImplementedError

    # -- derived from the declaration ----------------------------------------

    @classmethod
    def parts_for(cls, params: Mapping[str, Any]) -> tuple[Part, ...]:
        """The parts of an instance with ``params``; at spec time ``params``
        holds only the values the spec fixes. Most families have the same
        parts always (``parts``); one whose parts depend on its parameters
        (question_bank: a part per question) overrides this, raising
        ValueError with a message for parameters that make no question."""
        return cls.parts

    @classmethod
    def options_for(cls, solution: Solution, part: str) -> tuple[str, ...]:
        """The options of a multiple-choice part as printed, in this
        instance's order (Markdown, the first is option A); ``()`` for a part
        that is not multiple choice. The LMS exports offer them as choices."""
        return ()

    @classmethod
    def answer_ids(cls, params: Mapping[str, Any] | None = None) -> tuple[str, ...]:
        """Every answer id, in part order (of an instance with ``params``)."""
        seen: dict[str, None] = {}
        for part in cls.parts_for(params or {}):
            seen.update(dict.fromkeys(part.answers))
        return tuple(seen)

    @classmethod
    def param(cls, name: str) -> Param:
        return next(p for p in cls.params if p.name == name)

    @classmethod
    def param_names(cls) -> tuple[str, ...]:
        return tuple(p.name for p in cls.params)

    @classmethod
    def no_such_param(cls, name: str) -> str:
        """The message for a parameter name this family does not have."""
        from .errors import did_you_mean, one_of

        return (f"family '{cls.name}' has no parameter '{name}'{did_you_mean(name, cls.param_names())}; "
                f"its parameters are {one_of(cls.param_names())}")

    @classmethod
    def part_ids(cls, params: Mapping[str, Any] | None = None) -> tuple[str, ...]:
        return tuple(part.id for part in cls.parts_for(params or {}))

    @classmethod
    def template_path(cls) -> Path:
        """The template beside the module that defines the family."""
        return Path(inspect.getfile(cls)).with_name(cls.template or f"{cls.name}.md.j2")
