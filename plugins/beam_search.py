"""beam_search: greedy decoding, beam search and the true best sequence on a
small next-token probability tree.

The model is given as a table: for every prefix a decoder can reach, the
probability of each next token (the vocabulary and ``<eos>``). A sequence is
complete when it ends in ``<eos>`` or reaches ``max_len`` tokens. Its
log-probability is the sum of its tokens' log-probabilities; complete
sequences are ranked by the length-normalised score

    score(y) = log P(y) / |y|^alpha        (|y| counts every token, <eos> included),

as Hugging Face's ``length_penalty`` does (alpha = 0: plain log-probability).

Beam search, as the statement defines it: each step extends every live beam
by every token of non-zero probability, keeps the ``beam_width`` candidates
of highest log-probability, moves the complete ones among them to the
finished list (so the beam narrows as hypotheses finish), and stops when no
beam is live; the answer is the finished hypothesis of highest score. Ties
go to the sequence that comes first in vocabulary order (``<eos>`` last).
No torch equivalent is needed: the values are exact sums of logarithms of
rationals, and the tests check them by brute force and by a second,
independent beam implementation.
"""

from __future__ import annotations

import random
import re
from fractions import Fraction
from typing import Any, Mapping, Sequence

import mpmath
import sympy

from genexam import hookimpl
from genexam.decimals import approx
from genexam.distributions import Choice, Computed
from genexam.family import Family, Part, Solution
from genexam.params import Data, Int, Rat, Texts
from genexam.texfilters import tex
from genexam.tree_figure import TreeNode, decoding_tree, probability_text
from genexam.values import parse_number

EOS = "<eos>"
F = Fraction
#: Next-token distributions (in tenths) the default draw picks from, before shuffling.
SHAPES = ((5, 3, 2), (6, 3, 1), (4, 4, 2), (7, 2, 1), (4, 3, 3), (5, 4, 1), (6, 4, 0), (8, 1, 1), (5, 5, 0))
#: Scores closer than this (at 60 digits) are a tie, decided by sequence order.
_TIE = mpmath.mpf(10) ** -45


def prefix_key(tokens: Sequence[str]) -> str:
    """The table's key for a prefix: its tokens joined by spaces ('' for the start)."""
    return " ".join(tokens)


def _check_probs(value: Any) -> dict[str, dict[str, Fraction]]:
    """A mapping prefix -> {token: probability}, each distribution summing to 1."""
    if not isinstance(value, Mapping) or not value:
        raise ValueError("probs must map each prefix ('' for the start, else its tokens separated by spaces) "
                         "to a mapping token -> probability")
    out: dict[str, dict[str, Fraction]] = {}
    for prefix, dist in value.items():
        name = "''" if prefix in ("", None) else repr(prefix)
        if not isinstance(dist, Mapping) or not dist:
            raise ValueError(f"probs[{name}] must map tokens to probabilities, found {dist!r}")
        row: dict[str, Fraction] = {}
        for token, raw in dist.items():
            try:
                p = F(parse_number(raw))
            except ValueError:
                raise ValueError(f"probs[{name}][{token!r}] must be a probability such as 0.3 or \"1/3\", "
                                 f"found {raw!r}") from None
            if not 0 <= p <= 1:
                raise ValueError(f"probs[{name}][{token!r}] = {raw} is not a probability from 0 to 1")
            row[str(token)] = p
        if sum(row.values()) != 1:
            raise ValueError(f"probs[{name}] sums to {sum(row.values())}, not 1")
        out["" if prefix is None else str(prefix)] = row
    return out


def reachable_prefixes(vocab: Sequence[str], max_len: int) -> list[tuple[str, ...]]:
    """Every prefix that still needs a next-token distribution: no <eos>, shorter than max_len."""
    out: list[tuple[str, ...]] = [()]
    frontier: list[tuple[str, ...]] = [()]
    for _ in range(max_len - 1):
        frontier = [prefix + (tok,) for prefix in frontier for tok in vocab]
        out += frontier
    return out


def _draw_tree(rng: random.Random, vocab: Sequence[str], max_len: int) -> dict[str, dict[str, Fraction]]:
    tree = {}
    tokens = list(vocab) + [EOS]
    for prefix in reachable_prefixes(vocab, max_len):
        while True:
            shape = list(rng.choice([s for s in SHAPES if len(s) == 3]))
            rng.shuffle(shape)
            weights = shape[: len(tokens)] if len(tokens) == 3 else None
            if weights is None:  # another vocabulary size: random tenths
                cuts = sorted(rng.sample(range(1, 10), len(tokens) - 1))
                weights = [b - a for a, b in zip([0] + cuts, cuts + [10])]
            if prefix == () and weights[-1] > 0:
                continue  # the empty output is no answer: the first token is never <eos>
            break
        tree[prefix_key(prefix)] = {tok: F(w, 10) for tok, w in zip(tokens, weights)}
    return tree


def _probs(rng: random.Random, drawn: Mapping[str, Any]) -> dict[str, dict[str, Fraction]]:
    """A random tree, redrawn (boundedly) until greedy and beam search differ
    (two draws in three) or agree, with no ties anywhere a choice is made."""
    want_differ = rng.random() < 2 / 3
    tree = _draw_tree(rng, drawn["vocab"], drawn["max_len"])
    for _ in range(300):
        try:
            run = decode(drawn["vocab"], tree, drawn["max_len"], drawn["beam_width"], drawn["length_penalty"])
        except ValueError:
            run = None
        if run is not None and not run["ties"] and run["differ"] == want_differ:
            return tree
        tree = _draw_tree(rng, drawn["vocab"], drawn["max_len"])
    return tree


def _score(prob: Fraction, length: int, alpha: Any) -> Any:
    """log P / length^alpha, exactly."""
    return sympy.log(sympy.Rational(prob)) / sympy.Integer(length) ** sympy.Rational(alpha)


def _numeric(prob: Fraction, length: int, alpha: Fraction) -> mpmath.mpf:
    with mpmath.workdps(60):
        return mpmath.log(mpmath.mpf(prob.numerator) / prob.denominator) / mpmath.power(length, mpmath.mpf(alpha.numerator) / alpha.denominator)


def decode(vocab: Sequence[str], tree: Mapping[str, Mapping[str, Fraction]], max_len: int, beam_width: int,
           alpha: Any) -> dict[str, Any]:
    """Greedy, beam search and brute force on the tree (probabilities as Fractions)."""
    tokens = list(vocab) + [EOS]
    order = {tok: k for k, tok in enumerate(tokens)}
    alpha = F(alpha)

    def dist(prefix: tuple[str, ...]) -> Mapping[str, Fraction]:
        key = prefix_key(prefix)
        if key not in tree:
            shown = "the start ('')" if not prefix else repr(key)
            raise ValueError(f"probs has no next-token distribution for {shown}; give one for every prefix "
                             f"without <eos> shorter than max_len = {max_len}")
        row = tree[key]
        unknown = sorted(set(row) - set(tokens))
        if unknown:
            raise ValueError(f"probs[{key!r}] names {unknown[0]!r}, which is neither in vocab {list(vocab)} nor <eos>")
        return row

    def complete(seq: tuple[str, ...]) -> bool:
        return seq[-1] == EOS or len(seq) == max_len

    def rank(seq: tuple[str, ...]) -> tuple[int, ...]:
        return tuple(order[t] for t in seq)

    ties = False
    # greedy: the most probable token at each step
    greedy, g_prob = (), F(1)
    while not greedy or not complete(greedy):
        row = dist(greedy)
        best = max(tokens, key=lambda t: (row.get(t, 0), -order[t]))
        ties |= sum(1 for t in tokens if row.get(t, 0) == row.get(best, 0)) > 1
        greedy, g_prob = greedy + (best,), g_prob * row.get(best, 0)
    # beam search
    live: list[tuple[tuple[str, ...], Fraction]] = [((), F(1))]
    finished: list[tuple[tuple[str, ...], Fraction]] = []
    steps = []
    while live:
        candidates = [(seq + (t,), p * q) for seq, p in live for t, q in dist(seq).items() if q > 0]
        candidates.sort(key=lambda c: (-c[1], rank(c[0])))
        kept = candidates[:beam_width]
        if len(candidates) > beam_width and candidates[beam_width - 1][1] == candidates[beam_width][1]:
            ties = True
        steps.append({"candidates": candidates, "kept": kept})
        finished += [c for c in kept if complete(c[0])]
        live = [c for c in kept if not complete(c[0])]

    def best_of(hyps: list[tuple[tuple[str, ...], Fraction]]) -> tuple[tuple[tuple[str, ...], Fraction], bool]:
        scored = sorted(((_numeric(p, len(s), alpha), s, p) for s, p in hyps), key=lambda h: (-h[0], rank(h[1])))
        tie = len(scored) > 1 and abs(scored[0][0] - scored[1][0]) < _TIE
        if tie:  # a tie within 1e-45: the sequence order decides
            top = [h for h in scored if abs(h[0] - scored[0][0]) < _TIE]
            winner = min(top, key=lambda h: rank(h[1]))
            return (winner[1], winner[2]), True
        return (scored[0][1], scored[0][2]), False

    beam_best, tie_b = best_of(finished)
    # brute force: every complete sequence of non-zero probability
    everything: list[tuple[tuple[str, ...], Fraction]] = []

    def walk(seq: tuple[str, ...], p: Fraction) -> None:
        if seq and complete(seq):
            everything.append((seq, p))
            return
        for t, q in dist(seq).items():
            if q > 0:
                walk(seq + (t,), p * q)

    walk((), F(1))
    brute, tie_f = best_of(everything)
    return {"greedy": (greedy, g_prob), "steps": steps, "finished": finished, "beam": beam_best,
            "brute": brute, "all": everything, "differ": greedy != beam_best[0],
            "ties": ties or tie_b or tie_f}


def _hyp(seq: Sequence[str], prob: Fraction) -> dict[str, Any]:
    return {"sequence": list(seq), "log_prob": sympy.log(sympy.Rational(prob))}


class BeamSearch(Family):
    name = "beam_search"
    title = "Greedy decoding, beam search and the best sequence on a next-token probability tree"
    params = (
        Texts("vocab", ["a", "b"], doc="the tokens besides <eos> (no spaces)"),
        Int("max_len", 3, low=1, high=4, doc="a sequence is complete at <eos> or at this many tokens"),
        Int("beam_width", 2, low=1, high=6, doc="beams kept at each step"),
        Rat("length_penalty", Choice((0, 1)), low=0, high=2,
            doc="alpha in score = log P / length^alpha (length counts <eos>); 0: plain log-probability"),
        Data("probs", Computed(_probs, "a random tree in tenths; greedy and beam differ two draws in three"),
             "a mapping prefix ('' for the start, else tokens separated by spaces) -> {token: probability}",
             doc="next-token probabilities after every prefix without <eos> shorter than max_len",
             validator=_check_probs, optional=False, fixed_only=False),
    )
    constraints = ("len(vocab) >= 1 and len(vocab) <= 3",)
    parts = (
        Part("a", ("greedy",), space="4cm"),
        Part("b", ("beam",), space="7cm"),
        Part("c", ("differ", "brute_force"), space="5cm"),
    )
    # Token sequences are graded token by token; the beams after each step are a
    # table a person reads (log-probabilities and scores are exact formulas).
    answer_kinds = {"greedy.sequence": "word", "beam.best": "word", "brute_force.sequence": "word",
                    "beam.steps": "explained"}

    def solve(self, p: Mapping[str, Any]) -> Solution:
        vocab = _check_vocab(p["vocab"])
        tree = _check_probs(p["probs"])
        alpha = F(p["length_penalty"])
        run = decode(vocab, tree, p["max_len"], p["beam_width"], alpha)
        g_seq, g_prob = run["greedy"]
        b_seq, b_prob = run["beam"]
        f_seq, f_prob = run["brute"]
        beam_steps = [[_hyp(s, q) for s, q in step["kept"]] for step in run["steps"]]
        answers = {
            "greedy": _hyp(g_seq, g_prob),
            "beam": {"steps": beam_steps, "best": list(b_seq), "log_prob": sympy.log(sympy.Rational(b_prob)),
                     "score": _score(b_prob, len(b_seq), alpha)},
            "differ": run["differ"],
            "brute_force": {"sequence": list(f_seq), "log_prob": sympy.log(sympy.Rational(f_prob)),
                            "score": _score(f_prob, len(f_seq), alpha)},
        }
        tokens = list(vocab) + [EOS]
        kept_sets = [{s for s, _ in step["kept"]} for step in run["steps"]]
        max_len = p["max_len"]

        def hyp_steps(seq: Sequence[str], prob: Fraction, **more: Any) -> dict[str, Any]:
            log_prob = sympy.log(sympy.Rational(prob))
            return {"sequence": list(seq), "tex": seq_tex(seq), "prob": prob, "ptex": prob_tex(prob),
                    "length": len(seq), "log_prob": log_prob, "log_approx": approx(log_prob, 4),
                    "complete": seq[-1] == EOS or len(seq) == max_len, **more}

        def scored(seq: Sequence[str], prob: Fraction) -> dict[str, Any]:
            score = _score(prob, len(seq), alpha)
            return hyp_steps(seq, prob, score=score, score_approx=approx(score, 4),
                             numeric=_numeric(prob, len(seq), alpha))

        everything = sorted((scored(s, q) for s, q in run["all"]), key=lambda h: (-h["numeric"], h["tex"]))
        steps = {
            "tokens": tokens, "token_tex": [seq_tex([t]) for t in tokens],
            "rows": [{"prefix": seq_tex(prefix) if prefix else r"\text{(start)}",
                      "probs": [prob_tex(tree[prefix_key(prefix)].get(t, F(0))) for t in tokens]}
                     for prefix in reachable_prefixes(vocab, max_len)],
            "greedy": hyp_steps(g_seq, g_prob, factors=[prob_tex(q) for q in _token_probs(tree, g_seq)]),
            "beam_table": [{"t": k + 1, "candidates": [hyp_steps(s, q, kept=s in kept_sets[k])
                                                       for s, q in step["candidates"]]}
                           for k, step in enumerate(run["steps"])],
            "finished": [scored(s, q) for s, q in run["finished"]],
            "all": everything[:8], "count": len(everything),
            "beam": scored(b_seq, b_prob), "brute": scored(f_seq, f_prob),
            "beam_optimal": list(b_seq) == list(f_seq), "alpha": alpha, "ties": run["ties"],
        }
        figure = decoding_tree(_figure_tree(tree, tokens, p["max_len"]), kept=set().union(*kept_sets),
                               greedy=_prefixes(g_seq), best=tuple(f_seq), eos=EOS)
        return Solution(answers, steps, figures={"tree": figure})

    def check(self, p: Mapping[str, Any]) -> dict[str, Any]:
        # Second route: enumerate every token string up to max_len with
        # itertools.product, keep the complete ones the tree reaches, and
        # score them; greedy as a beam of width 1; beam search written as
        # a level-by-level loop over heapq.nlargest, independent of decode().
        import heapq
        import itertools

        vocab = _check_vocab(p["vocab"])
        tree = _check_probs(p["probs"])
        tokens = list(vocab) + [EOS]
        max_len, width, alpha = p["max_len"], p["beam_width"], F(p["length_penalty"])
        index = {t: k for k, t in enumerate(tokens)}

        def prob(seq: tuple[str, ...]) -> Fraction:
            out = F(1)
            for k, tok in enumerate(seq):
                out *= tree[prefix_key(seq[:k])].get(tok, F(0))
            return out

        def valid(seq: tuple[str, ...]) -> bool:
            return EOS not in seq[:-1] and (seq[-1] == EOS or len(seq) == max_len)

        def order(item: tuple[tuple[str, ...], Fraction]) -> tuple[Any, ...]:
            return (item[1], tuple(-index[t] for t in item[0]) + (1,))

        def beam(k: int) -> tuple[list[list[tuple[tuple[str, ...], Fraction]]], list]:
            live, done, history = [((), F(1))], [], []
            for _ in range(max_len):
                if not live:
                    break
                pool = [(s + (t,), q * tree[prefix_key(s)].get(t, F(0))) for s, q in live for t in tokens]
                pool = [c for c in pool if c[1] > 0]
                top = heapq.nlargest(k, pool, key=order)
                history.append(top)
                done += [c for c in top if valid(c[0])]
                live = [c for c in top if not valid(c[0])]
            return history, done

        def key(item: tuple[tuple[str, ...], Fraction]) -> Any:
            seq, q = item
            with mpmath.workdps(60):
                value = mpmath.log(mpmath.mpf(q.numerator) / q.denominator) / mpmath.power(
                    len(seq), mpmath.mpf(alpha.numerator) / alpha.denominator)
            return value

        def best(items: list[tuple[tuple[str, ...], Fraction]]) -> tuple[tuple[str, ...], Fraction]:
            top = max(key(i) for i in items)
            near = [i for i in items if abs(key(i) - top) < _TIE]
            return min(near, key=lambda i: [index[t] for t in i[0]])

        everything = [(s, prob(s)) for n in range(1, max_len + 1) for s in itertools.product(tokens, repeat=n)
                      if valid(s)]
        brute = best([i for i in everything if i[1] > 0])
        _, g_done = beam(1)
        g_seq, g_prob = g_done[0]
        history, done = beam(width)
        b_seq, b_prob = best(done)
        hyp = lambda s, q: {"sequence": list(s), "log_prob": sympy.log(sympy.Rational(q))}  # noqa: E731
        return {
            "greedy": hyp(g_seq, g_prob),
            "beam": {"steps": [[hyp(s, q) for s, q in step] for step in history], "best": list(b_seq),
                     "log_prob": sympy.log(sympy.Rational(b_prob)), "score": _score(b_prob, len(b_seq), alpha)},
            "differ": list(g_seq) != list(b_seq),
            "brute_force": {"sequence": list(brute[0]), "log_prob": sympy.log(sympy.Rational(brute[1])),
                            "score": _score(brute[1], len(brute[0]), alpha)},
        }


def _check_vocab(vocab: Sequence[str]) -> list[str]:
    for tok in vocab:
        # printed inside \text{...}: letters, digits, ' and - only, so no TeX or Typst markup gets in
        if not re.fullmatch(r"[A-Za-z0-9'-]{1,12}", tok):
            raise ValueError(f"vocab token {tok!r} must be 1 to 12 letters, digits, ' or - (no spaces, no {EOS})")
    if len(set(vocab)) != len(vocab):
        raise ValueError(f"vocab {list(vocab)} names a token twice")
    return list(vocab)


def seq_tex(seq: Sequence[str]) -> str:
    """A token sequence as TeX math: \\text{a}\\,\\text{b}\\,\\langle\\mathrm{eos}\\rangle."""
    return r"\,".join(r"\langle\mathrm{eos}\rangle" if t == EOS else rf"\text{{{t}}}" for t in seq)


def prob_tex(p: Fraction) -> str:
    """A probability as TeX: a finite decimal as digits (0.35), else a fraction."""
    text = probability_text(p)
    return tex(sympy.Rational(p)) if "/" in text else text


def _token_probs(tree: Mapping[str, Mapping[str, Fraction]], seq: Sequence[str]) -> list[Fraction]:
    return [tree[prefix_key(seq[:k])].get(tok, F(0)) for k, tok in enumerate(seq)]


def _prefixes(seq: Sequence[str]) -> set[tuple[str, ...]]:
    return {tuple(seq[: k + 1]) for k in range(len(seq))}


def _figure_tree(tree: Mapping[str, Mapping[str, Fraction]], tokens: list[str], max_len: int) -> TreeNode:
    """The whole decoding tree (branches of probability 0 left out)."""

    def build(prefix: tuple[str, ...], prob: Fraction, edge: Fraction | None) -> TreeNode:
        children = []
        if not prefix or (prefix[-1] != EOS and len(prefix) < max_len):
            row = tree[prefix_key(prefix)]
            children = [build(prefix + (t,), prob * row.get(t, F(0)), row.get(t, F(0)))
                        for t in tokens if row.get(t, F(0)) > 0]
        return TreeNode(prefix, edge, prob, children)

    return build((), F(1), None)


@hookimpl
def genexam_families() -> list[type[Family]]:
    return [BeamSearch]
