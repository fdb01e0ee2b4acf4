"""question_bank: conceptual questions with model answers, and multiple-choice
questions whose options are shuffled per version.

The questions come from the built-in bank (question_bank.yaml beside this
module), from a bank file the spec names (``bank``), or from the spec itself
(``questions``). A spec asks the questions ``ids`` names, in that order, or
draws ``n`` of the questions carrying all of ``tags``. Each question is one
part (a, b, ...); its answer, under the part's id, is ``{"choice": letter,
"answer": the correct option}`` for multiple choice and ``{"answer": model
answer}`` otherwise.
"""

from __future__ import annotations

import functools
import random
import re
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import yaml

from genexam import hookimpl
from genexam.distributions import Computed
from genexam.errors import SpecError, did_you_mean, one_of
from genexam.family import Family, Part, Solution
from genexam.files import read_limited
from genexam.limits import BANK_BYTES, text_problems
from genexam.params import Data, FilePath, Int, SpecPath, Texts
from genexam.yamlpos import KeyPath, format_path, load

BUILTIN_BANK = Path(__file__).with_name("question_bank.yaml")
PART_IDS = string.ascii_lowercase
LETTERS = string.ascii_uppercase
QUESTION_KEYS = ("id", "tags", "question", "answer", "correct", "distractors", "space")
OPEN_SPACE = "5cm"
CHOICE_SPACE = "1.2cm"


@dataclass(frozen=True)
class Question:
    """One bank question. Multiple choice when ``correct`` is set; then
    ``answer`` is an optional explanation for the key."""

    id: str
    tags: tuple[str, ...]
    question: str
    answer: str
    correct: str | None
    distractors: tuple[str, ...]
    space: str

    @property
    def multiple_choice(self) -> bool:
        return self.correct is not None

    @property
    def options(self) -> tuple[str, ...]:
        """The options before shuffling: the correct one first."""
        return (self.correct, *self.distractors) if self.correct is not None else ()


# -- reading banks -------------------------------------------------------------

def parse_questions(raw: Any, where: Callable[[KeyPath], str], default_ids: bool) -> tuple[Question, ...]:
    """Check a list of question mappings; ValueError lists every problem, each
    at ``where(path)`` (a file:line:col, or the key path in the spec)."""
    problems: list[str] = []

    def report(path: KeyPath, message: str) -> None:
        problems.append(f"{where(path)}: {message}")

    if not isinstance(raw, list) or not raw:
        raise ValueError(f"{where(())}: expected a non-empty list of questions, each a mapping with "
                         "'question' and 'answer' (or 'correct' and 'distractors' for multiple choice)")
    questions: list[Question] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        path: KeyPath = (index,)
        if not isinstance(item, dict):
            report(path, f"a question is a mapping with keys {one_of(QUESTION_KEYS)}, found {_kind(item)}")
            continue
        for key in item:
            if key not in QUESTION_KEYS:
                report(path + (key,), f"unknown key '{key}'{did_you_mean(str(key), QUESTION_KEYS)}; "
                                      f"a question has {one_of(QUESTION_KEYS)}")

        def text(key: str, required: bool) -> str:
            value = item.get(key)
            if value is None:
                if required:
                    report(path, f"missing '{key}'")
                return ""
            if not isinstance(value, str) or not value.strip():
                report(path + (key,), f"'{key}' must be non-empty text, found {_kind(value)}")
                return ""
            return _checked_text(value.strip(), path + (key,), report, long=True)

        qid = item.get("id", f"q{index + 1}" if default_ids else None)
        if not isinstance(qid, str) or not qid.strip():
            report(path + ("id",) if "id" in item else path, "every question needs an 'id' (a short name, e.g. 'gpt_vs_bert')")
            qid = f"#{index + 1}"
        elif text_problems(qid, long=False):
            _checked_text(qid, path + ("id",), report, long=False)
            qid = f"#{index + 1}"
        elif qid in seen:
            report(path + ("id",), f"question id '{qid}' is used twice")
        seen.add(qid)
        tags = item.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
            report(path + ("tags",), f"'tags' must be a list of words, found {_kind(tags)}")
            tags = []
        for i, tag in enumerate(tags):
            _checked_text(tag, path + ("tags", i), report, long=False)
        question = text("question", required=True)
        correct = text("correct", required=False) or None
        distractors = item.get("distractors")
        if correct is not None or distractors is not None:
            if correct is None:
                report(path, "a multiple-choice question needs 'correct' (the right option) beside 'distractors'")
            if (not isinstance(distractors, list) or not distractors
                    or not all(isinstance(d, str) and d.strip() for d in distractors)):
                report(path + ("distractors",) if "distractors" in item else path,
                       "a multiple-choice question needs 'distractors': a list of wrong options")
                distractors = []
            elif len(distractors) + 1 > len(LETTERS):
                report(path + ("distractors",), f"at most {len(LETTERS) - 1} distractors")
            elif correct is not None and correct.strip() in {d.strip() for d in distractors}:
                report(path + ("distractors",), "a distractor repeats the correct option")
            answer = text("answer", required=False)
        else:
            answer = text("answer", required=True)
        space = item.get("space", CHOICE_SPACE if correct is not None else OPEN_SPACE)
        try:
            Part("x", (), space=str(space))
        except ValueError:
            report(path + ("space",), f"'space' must be a length such as 5cm, found {_kind(space)}")
            space = OPEN_SPACE
        distractors = [_checked_text(d.strip(), path + ("distractors", i), report, long=True)
                       for i, d in enumerate(distractors or ()) if isinstance(d, str)]
        questions.append(Question(qid.strip(), tuple(t.strip() for t in tags), question, answer, correct,
                                  tuple(distractors), str(space)))
    if problems:
        shown = problems[:8] + ([f"... and {len(problems) - 8} more"] if len(problems) > 8 else [])
        raise ValueError("\n    ".join(shown))
    return tuple(questions)


#: What YAML's double quotes make of TeX: "\top" is a tab, "\beta" a backspace...
_ESCAPED = {"\t": "\\t", "\b": "\\b", "\f": "\\f", "\r": "\\r", "\v": "\\v", "\a": "\\a", "\x1b": "\\e", "\0": "\\0"}


def _no_escapes(text: str, path: KeyPath, report: Callable[[KeyPath, str], None]) -> str:
    """Report the control characters YAML's double quotes make of TeX commands."""
    found = sorted({_ESCAPED[c] for c in text if c in _ESCAPED})
    if found:
        report(path, f"the text holds a control character where {found[0]}... was meant (in double quotes YAML "
                     "reads a backslash as an escape); write it in single quotes or as a block with |")
    return text


def _checked_text(text: str, path: KeyPath, report: Callable[[KeyPath, str], None], long: bool) -> str:
    """The limits every piece of user text meets (genexam.limits), then the
    escapes YAML's double quotes make of TeX."""
    if any(c in _ESCAPED for c in text):  # the likelier mistake, with the more helpful message
        return _no_escapes(text, path, report)
    for message in text_problems(text, long):
        report(path, message)
    return text


def _kind(value: Any) -> str:
    """What a value is, without quoting it: a message about a file that turns
    out not to be a bank must not print its contents."""
    if isinstance(value, bool) or value is None:
        return "true or false" if isinstance(value, bool) else "nothing"
    return {dict: "a mapping", list: "a list", str: "a text", int: "a number", float: "a number"}.get(
        type(value), f"a {type(value).__name__}")


def load_bank(path: Path) -> tuple[Question, ...]:
    """The questions of a bank file (a list, or a mapping with 'questions');
    ValueError names the file, line and key of each problem."""
    try:
        stat = path.stat()
    except OSError:
        raise ValueError(f"no question bank file {path}; give a path relative to the spec") from None
    return _load_bank(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=16)
def _load_bank(file: str, _mtime: int, _size: int) -> tuple[Question, ...]:
    data = read_limited(Path(file), BANK_BYTES, "question bank")  # a regular file, within the size limit
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{file}: byte {exc.start + 1} is not UTF-8: a question bank is a YAML file "
                         "saved as UTF-8") from None
    try:
        located = load(text, file)
    except SpecError as exc:
        # PyYAML quotes what it found ('root:x:0:0'): a file that is not a bank is not echoed.
        first = exc.problems[0]
        message = re.sub(r" ?'[^']*'", "", first.message)
        raise ValueError(f"{first.location}: the question bank is not valid YAML ({message})") from None
    value = located.value
    if not _looks_like_bank(value):
        raise ValueError(f"{file}: not a question bank: expected a list of questions (mappings with 'question'), "
                         f"or a mapping with the one key 'questions'; found {_kind(value)} without them")
    root: KeyPath = ("questions",) if isinstance(value, dict) else ()
    raw = value.get("questions") if isinstance(value, dict) else value
    if isinstance(value, dict) and set(value) != {"questions"}:
        raise ValueError(f"{located.where(())}: a question bank is a list of questions, or a mapping with the "
                         f"one key 'questions'; remove the other keys")
    return parse_questions(raw, lambda path: f"{located.where(root + path)}: "
                                             f"{format_path(root + path) or 'questions'}".rstrip(": "),
                           default_ids=False)


def _looks_like_bank(value: Any) -> bool:
    """A bank, perhaps with mistakes: only then do messages name its keys."""
    if isinstance(value, dict):
        return "questions" in value
    return isinstance(value, list) and any(isinstance(q, dict) and "question" in q for q in value)


def _check_bank(value: SpecPath) -> SpecPath:
    load_bank(value.resolved)
    return value


def _check_inline(value: Any) -> Any:
    parse_questions(value, lambda path: format_path(("questions",) + path), default_ids=True)
    return value


# -- choosing the questions ------------------------------------------------------

def _pool(params: Mapping[str, Any]) -> tuple[Question, ...]:
    """Every question the parameters may choose from."""
    if params.get("questions") is not None:
        return parse_questions(params["questions"], lambda path: format_path(("questions",) + path), default_ids=True)
    return load_bank(_bank_file(params))


def _bank_file(params: Mapping[str, Any]) -> Path:
    """The bank the questions come from: the spec's ``bank`` (resolved against
    the spec's folder), or the built-in one."""
    bank = params.get("bank")
    return bank.resolved if isinstance(bank, SpecPath) else Path(bank) if bank else BUILTIN_BANK


def _candidates(params: Mapping[str, Any], pool: Sequence[Question]) -> list[Question]:
    tags = set(params.get("tags") or ())
    return [q for q in pool if tags <= set(q.tags)]


def _named(params: Mapping[str, Any], pool: Sequence[Question]) -> list[str] | None:
    """The ids asked for by name (``picked`` once drawn, else ``ids``), checked; None when drawn by tag."""
    ids, picked = params.get("ids"), params.get("picked")
    if ids is not None and not ids:
        raise ValueError("ids is empty: list the questions to ask, e.g. ids: [gpt_vs_bert_generation], or leave ids out "
                         "and draw n questions by tags")
    if ids is not None and picked is not None and list(picked) != list(ids):
        raise ValueError(f"picked {list(picked)} differs from ids {list(ids)}: picked records the questions "
                         "ids (or tags and n) choose; give ids only")
    for key in ("picked", "ids"):
        names = params.get(key)
        if names is None:
            continue
        if not names:
            raise ValueError(f"{key} is empty: name at least one question")
        known = [q.id for q in pool]
        for name in names:
            if name not in known:
                source = "the inline questions" if params.get("questions") is not None else "the question bank"
                listing = "" if params.get("questions") is not None else (
                    "; `genexam show question_bank --list` lists its ids and tags"
                    + (f" (add --set bank={params['bank']})" if params.get("bank") else ""))
                raise ValueError(f"{key}: no question '{name}' in {source}{did_you_mean(name, known)}{listing}")
        if len(set(names)) != len(names):
            raise ValueError(f"{key}: a question is listed twice")
        return list(names)
    return None


def _count(params: Mapping[str, Any]) -> int:
    if params.get("n") is not None:
        return params["n"]
    if params.get("questions") is not None and not params.get("tags"):
        return len(params["questions"])  # inline questions: all of them
    return 1


def _choose(params: Mapping[str, Any]) -> tuple[list[Question], list[Question] | None]:
    """(the pool's candidates, the questions named) -- checking the choice can be made."""
    if params.get("ids") is not None and params.get("tags") is not None:
        raise ValueError("give either 'ids' (these questions) or 'tags' (draw among the questions with these tags), not both")
    pool = _pool(params)
    named = _named(params, pool)
    if named is not None:
        if params.get("n") is not None and params["n"] != len(named):
            raise ValueError(f"n is {params['n']} but {len(named)} questions are named; leave n out")
        by_id = {q.id: q for q in pool}
        return list(pool), [by_id[name] for name in named]
    candidates = _candidates(params, pool)
    count = _count(params)
    if len(candidates) < count:
        having = f"with the tags {sorted(params['tags'])}" if params.get("tags") else "in all"
        raise ValueError(f"{count} question{'s' * (count != 1)} asked, but only {len(candidates)} {having}; "
                         "lower n, or use fewer tags")
    if count > len(PART_IDS):
        raise ValueError(f"at most {len(PART_IDS)} questions in one problem; split them over several problems")
    return candidates, None


def _pick(rng: random.Random, drawn: Mapping[str, Any]) -> list[str]:
    candidates, named = _choose(drawn)
    if named is not None:
        return [q.id for q in named]
    return [q.id for q in rng.sample(candidates, _count(drawn))]


def _shuffle(rng: random.Random, drawn: Mapping[str, Any]) -> list[list[int]]:
    by_id = {q.id: q for q in _pool(drawn)}
    orders = []
    for name in drawn["picked"]:
        order = list(range(len(by_id[name].options)))
        rng.shuffle(order)
        orders.append(order)
    return orders


def _check_orders_shape(orders: Any) -> Any:
    """A user-given ``orders`` is a list of lists of whole numbers (which
    permutation each must be depends on the questions: checked in solve)."""
    if not isinstance(orders, list) or not all(
            isinstance(order, list) and all(isinstance(i, int) and not isinstance(i, bool) for i in order)
            for order in orders):
        raise ValueError(f"orders must be a list with one list of option positions (0, 1, ...) per question, "
                         f"e.g. [[2, 0, 1], []], found {_kind(orders)} of other values")
    return orders


class QuestionBank(Family):
    name = "question_bank"
    title = "Conceptual and multiple-choice questions from a bank"
    params = (
        FilePath("bank", None, doc="a YAML question bank, relative to the spec (default: the built-in bank)",
                 validator=_check_bank),
        Data("questions", None, "a list of questions: mappings with 'question' and 'answer', or 'question', "
             "'correct' and 'distractors'", doc="questions written in the spec instead of a bank",
             validator=_check_inline),
        Texts("tags", None, optional=True, fixed_only=True, doc="draw among the questions that have all these tags"),
        Texts("ids", None, optional=True, fixed_only=True, doc="ask exactly these questions, in this order"),
        Int("n", None, low=1, high=len(PART_IDS), optional=True, fixed_only=True,
            doc="how many questions to draw (default: all inline questions, else 1)"),
        Texts("picked", Computed(_pick, "the questions named by ids, or n drawn among those with the tags"),
              optional=True, fixed_only=True, doc="the questions asked (drawn)"),
        Data("orders", Computed(_shuffle, "each multiple-choice question's options in a random order"),
             "a list with one permutation of option positions per question ([] for an open one)",
             doc="the order the options are printed in (drawn)", fixed_only=False, validator=_check_orders_shape),
    )
    parts = (Part("a", ("a",), space=OPEN_SPACE),)
    template = "question_bank.md.j2"
    parts_doc = ("one part per question, (a), (b), ...; each part's answer is {choice, answer} "
                 "for multiple choice, {answer} otherwise")

    @classmethod
    def catalogue(cls, params: Mapping[str, Any]) -> str:
        """`genexam show question_bank --list`: every question of the bank (or
        the inline questions) with its id, tags and kind."""
        pool = _candidates(params, _pool(params))  # with --set tags=[...], those with all the tags
        tagged = f" tagged {', '.join(params['tags'])}" if params.get("tags") else ""
        lines = [f"{len(pool)} question{'s' * (len(pool) != 1)}{tagged} in "
                 f"{'the inline questions' if params.get('questions') is not None else _bank_file(params)}:"]
        width = max((len(q.id) for q in pool), default=0)
        for q in pool:
            kind = "multiple choice" if q.multiple_choice else "open"
            text = " ".join(q.question.split())
            lines.append(f"  {q.id:<{width}}  [{', '.join(q.tags)}] ({kind}) {text[:70]}{'...' if len(text) > 70 else ''}")
        tags = sorted({t for q in pool for t in q.tags})
        lines.append(f"tags: {', '.join(tags) or 'none'}")
        return "\n".join(lines)

    @classmethod
    def parts_for(cls, params: Mapping[str, Any]) -> tuple[Part, ...]:
        candidates, named = _choose(params)
        if named is not None:
            return tuple(Part(pid, (pid,), space=q.space) for pid, q in zip(PART_IDS, named))
        space = max((q.space for q in candidates), key=_centimetres, default=OPEN_SPACE)
        return tuple(Part(pid, (pid,), space=space) for pid in PART_IDS[:_count(params)])

    def solve(self, p: Mapping[str, Any]) -> Solution:
        by_id = {q.id: q for q in _pool(p)}
        questions = [by_id[name] for name in p["picked"]]
        orders = _checked_orders(p["orders"], questions)
        answers: dict[str, Any] = {}
        shown: dict[str, Any] = {}
        for pid, question, order in zip(PART_IDS, questions, orders):
            if question.multiple_choice:
                options = [question.options[i] for i in order]
                answers[pid] = {"choice": LETTERS[order.index(0)], "answer": question.correct}
            else:
                options = []
                answers[pid] = {"answer": question.answer}
            shown[pid] = {"id": question.id, "question": question.question, "options": options,
                          "letters": LETTERS[:len(options)], "explanation": question.answer}
        return Solution(answers, {"questions": shown})

    @classmethod
    def options_for(cls, solution: Solution, part: str) -> tuple[str, ...]:
        return tuple(solution.steps["questions"][part]["options"])

    def check(self, p: Mapping[str, Any]) -> dict[str, Any]:
        # Second route: the raw YAML (not the parsed Question objects), and the
        # letter found by looking for the correct text among the printed options.
        if p.get("questions") is not None:
            raw = [dict(q, id=q.get("id", f"q{i + 1}")) for i, q in enumerate(p["questions"])]
        else:
            # libyaml's safe loader when present: the same data, ~10x faster than the pure-Python one
            data = yaml.load(_bank_file(p).read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
            raw = data["questions"] if isinstance(data, dict) else data
        answers: dict[str, Any] = {}
        for pid, name, order in zip(PART_IDS, p["picked"], p["orders"]):
            entry = next(q for q in raw if q["id"] == name)
            if "correct" in entry:
                printed = [([entry["correct"]] + list(entry["distractors"]))[i].strip() for i in order]
                answers[pid] = {"choice": chr(ord("A") + printed.index(entry["correct"].strip())),
                                "answer": entry["correct"].strip()}
            else:
                answers[pid] = {"answer": entry["answer"].strip()}
        return answers


def _checked_orders(orders: Any, questions: Sequence[Question]) -> list[list[int]]:
    """A user-given ``orders`` must hold one permutation per question."""
    _check_orders_shape(orders)
    if len(orders) != len(questions):
        raise ValueError(f"orders must hold one list per question ({len(questions)}), found {len(orders)} lists")
    for order, question in zip(orders, questions):
        if sorted(order) != list(range(len(question.options))):
            raise ValueError(f"orders: {order!r} is not an order of the {len(question.options)} options "
                             f"of question '{question.id}'")
    return orders


def _centimetres(length: str) -> float:
    units = {"cm": 1.0, "mm": 0.1, "in": 2.54, "pt": 2.54 / 72.27}
    return float(length[:-2]) * units[length[-2:]]


@hookimpl
def genexam_families() -> list[type[Family]]:
    return [QuestionBank]
