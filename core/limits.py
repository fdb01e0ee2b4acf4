"""Every limit genexam puts on untrusted input, in one place.

A spec or a question bank may come from someone else. Each limit below stops
one kind of unbounded work (memory, time, recursion) *before* it is done, and
the refusal names the limit, its value and why it exists. The README's
"Limits" table lists the same values; tests/test_limits.py checks that the
two agree.

:func:`text_problems` is the one check of a piece of user text (spec fields,
instructions, bank questions and answers): the spec checker calls it, so
``genexam validate`` and a build refuse exactly the same text.
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Limit:
    """One limit: its value and the reason it exists (shown in the README).

    ``GENEXAM_LIMIT_<KEY>=N`` in the environment replaces the value, for a
    trusted input that needs more (or for tests that must reach the external
    tools' own time-outs with the issue's reproductions)."""

    key: str
    name: str
    default: int
    why: str
    value: int = field(init=False)

    def __post_init__(self) -> None:
        text = os.environ.get(f"GENEXAM_LIMIT_{self.key}", "")
        object.__setattr__(self, "value", int(text) if text.isdigit() else self.default)

    def __int__(self) -> int:
        return self.value


# -- files ---------------------------------------------------------------------

SPEC_BYTES = Limit("SPEC_BYTES", "spec file size (bytes)", 1_000_000,
                   "a spec is a few kilobytes; a larger file is a mistake, read no further than this")
BANK_BYTES = Limit("BANK_BYTES", "question bank file size (bytes)", 2_000_000,
                   "read with the cap enforced while reading: /dev/zero or a huge file cannot exhaust memory")
ROSTER_BYTES = Limit("ROSTER_BYTES", "roster file size (bytes)", 5_000_000,
                     "a class list of thousands is a few hundred kilobytes; read with the cap enforced while reading")
YAML_VALUES = Limit("YAML_VALUES", "values in a YAML document, aliases expanded", 100_000,
                    "a few aliases can expand to billions of values (\"billion laughs\")")

# -- numbers and distributions ---------------------------------------------------

NUMBER_DIGITS = Limit("NUMBER_DIGITS", "digits of a number (integer, numerator, denominator, decimal)", 100,
                      "exact arithmetic on huge numbers is slow; no exam parameter needs more")
LIST_SIZE = Limit("LIST_SIZE", "values drawn by one distribution (`size:`)", 1000,
                  "a drawn list is printed in the exam; the families' own length limits are lower still")
VERSIONS = Limit("VERSIONS", "versions of a problem set", 702, "labels A..ZZ")
DRAWS = Limit("DRAWS", "draws per problem and version until `where` holds", 1000,
              "an unsatisfiable constraint ends with a clear error, not a hang")

# -- `where` constraints ---------------------------------------------------------

EXPR_CHARS = Limit("EXPR_CHARS", "characters in one constraint", 1000,
                   "constraints are one line of arithmetic and comparisons")
EXPR_DEPTH = Limit("EXPR_DEPTH", "nesting depth of one constraint", 100,
                   "the evaluator recurses once per level; deeper nesting would overflow Python's stack")
EXPR_STEPS = Limit("EXPR_STEPS", "evaluation steps of one constraint (nodes plus elements handled)", 100_000,
                   "bounds the time one evaluation takes (a draw may be evaluated 1000 times)")
EXPR_BITS = Limit("EXPR_BITS", "bits of an integer, numerator or denominator inside a constraint", 4096,
                  "`((10**64)**64)**64` would take gigabytes; about 1233 decimal digits is plenty")
EXPR_EXPONENT = Limit("EXPR_EXPONENT", "exponent of `**` in a constraint", 64,
                      "a huge exponent hangs before any size check")
EXPR_LENGTH = Limit("EXPR_LENGTH", "length of a text or list built inside a constraint", 10_000,
                    "`[0]*1000*1000*1000` or `sum([[0]*1000]*1000, [])` would take gigabytes")

# -- text -----------------------------------------------------------------------

SHORT_TEXT = Limit("SHORT_TEXT", "characters in the title, course, date, a problem id, a question id or tag", 500,
                   "one line in the page header; a 300 KB title took 6.7 GB in Typst")
LONG_TEXT = Limit("LONG_TEXT", "characters in the instructions or one bank question, answer or option", 20_000,
                  "several pages of text; Typst's and pandoc's memory grow with it")
BRACKET_DEPTH = Limit("BRACKET_DEPTH", "nesting depth of square brackets [ ] in text", 5,
                      "pandoc's Markdown reader takes exponential time on nested brackets (10 deep: 6 s, 12: minutes)")
SCRIPT_DEPTH = Limit("SCRIPT_DEPTH", "nesting depth of super-/subscripts with braces (x^{x^{...}}) in math", 8,
                     "pandoc's Typst writer takes exponential time on them (16 deep: 1 s, 25: minutes)")
ROSTER_STUDENTS = Limit("ROSTER_STUDENTS", "students in a roster", 5000,
                        "every student is a typeset copy: 5000 copies take minutes and gigabytes of PDFs")
STUDENT_ID = Limit("STUDENT_ID", "characters in a student id", 64,
                   "the id is printed in every page's footer and held in every page's QR code, which holds "
                   "a few hundred characters at most")
STUDENT_NAME = Limit("STUDENT_NAME", "characters in a student's name", 200,
                     "the name is printed in the name field on page 1")
NESTING = Limit("NESTING", "nesting depth of brackets, braces and parentheses together in text", 24,
                "an 850-deep \\frac crashed Typst with a stack overflow; real formulas nest a few levels")

LIMITS: tuple[Limit, ...] = (
    SPEC_BYTES, BANK_BYTES, ROSTER_BYTES, YAML_VALUES, NUMBER_DIGITS, LIST_SIZE, VERSIONS, DRAWS,
    EXPR_CHARS, EXPR_DEPTH, EXPR_STEPS, EXPR_BITS, EXPR_EXPONENT, EXPR_LENGTH,
    SHORT_TEXT, LONG_TEXT, BRACKET_DEPTH, SCRIPT_DEPTH, NESTING, ROSTER_STUDENTS, STUDENT_ID, STUDENT_NAME,
)


def exceeded(limit: Limit, found: object | None = None) -> str:
    """The standard wording of a refusal: which limit, its value, what was found, and why."""
    seen = f" (found {found})" if found is not None else ""
    return f"over the limit on {limit.name}: at most {limit.value}{seen}; {limit.why}"


# -- text -----------------------------------------------------------------------

#: C0 controls other than tab and newline, and DEL: what YAML's double quotes
#: make of TeX written there ("\beta" is a backspace), never wanted in print.
_CONTROL = {chr(c) for c in range(32) if chr(c) not in "\t\n"} | {"\x7f"}
_OPEN = {"[": "]", "{": "}", "(": ")"}
_CLOSE = {v: k for k, v in _OPEN.items()}


def text_problems(text: str, long: bool) -> list[str]:
    """What is wrong with a piece of user text, as messages (empty when fine).

    ``long`` selects the limit for instructions and bank text rather than for
    one-line fields. Checks, in order: characters that cannot be printed (lone
    surrogates, control characters), length, then nesting depth -- the depth
    scan is linear and runs only on text within the length limit."""
    problems = [*character_problems(text)]
    limit = LONG_TEXT if long else SHORT_TEXT
    if len(text) > limit.value:
        return problems + [exceeded(limit, f"{len(text)} characters") + "; shorten the text"]
    problems += _nesting_problems(text)
    return problems


def character_problems(text: str) -> list[str]:
    """Characters no output format can hold: lone surrogates (not characters
    at all; "\\ud800" in YAML's double quotes) and control characters."""
    for index, char in enumerate(text):
        if 0xD800 <= ord(char) <= 0xDFFF:
            return [f"character {index + 1} is U+{ord(char):04X}, half of a UTF-16 surrogate pair, which is not a "
                    "character and cannot be written to any file; write the character itself (e.g. \\U0001F600 "
                    "in double quotes, not two \\u escapes)"]
        if char in _CONTROL:
            name = unicodedata.name(char, f"U+{ord(char):04X}")
            return [f"character {index + 1} is the control character U+{ord(char):04X} ({name}), which cannot be "
                    "printed; in double quotes YAML reads a backslash as an escape (\"\\beta\" holds a backspace): "
                    "write TeX in single quotes or as a block with |"]
    return []


def _nesting_problems(text: str) -> list[str]:
    """Nesting of [ ], of braced scripts in math, and of all brackets together.

    One pass; it stops at the first limit passed, so the stack never holds
    more than NESTING + 1 brackets and the scan stays linear."""
    stack: list[str] = []  # open brackets; "^" marks a brace opened right after ^ or _
    counts = {"[": 0, "^": 0}
    previous = ""
    escaped = False
    for char in text:
        if escaped:  # \{ and \[ are text or TeX delimiters, not nesting
            escaped, previous = False, char
            continue
        if char == "\\":
            escaped, previous = True, char
            continue
        if char in _OPEN:
            kind = "^" if char == "{" and previous in ("^", "_") else char
            stack.append(kind)
            if kind in counts:
                counts[kind] += 1
            for found, limit in ((counts["["], BRACKET_DEPTH), (counts["^"], SCRIPT_DEPTH), (len(stack), NESTING)):
                if found > limit.value:
                    return [exceeded(limit, f"more than {limit.value} levels") + "; nest less deeply"]
        elif char in _CLOSE and stack:
            # An unmatched closer (a list label "1)") ends nothing; a mismatched one closes its partner.
            wanted = ("{", "^") if char == "}" else (_CLOSE[char],)
            for depth in range(len(stack) - 1, -1, -1):
                if stack[depth] in wanted:
                    for kind in stack[depth:]:
                        if kind in counts:
                            counts[kind] -= 1
                    del stack[depth:]
                    break
        previous = char
    return []
