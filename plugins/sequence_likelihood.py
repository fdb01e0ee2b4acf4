"""sequence_likelihood: a language model's per-token probabilities of a
sequence -> cross-entropy in nats and bits, perplexity, bits per character."""

from __future__ import annotations

import math
import random
from fractions import Fraction
from typing import Any, Mapping

import sympy

from genexam import hookimpl
from genexam.bar_figure import bar_chart
from genexam.decimals import approx
from genexam.distributions import Computed
from genexam.family import Family, Part, Solution
from genexam.params import Texts, Vector
from genexam.texfilters import tex

SENTENCES = (
    ("The", " cat", " sat", " on", " the", " mat"),
    ("Deep", " nets", " learn", " features"),
    ("I", " like", " green", " tea"),
    ("Attention", " is", " all", " you", " need"),
    ("The", " model", " predicts", " the", " next", " word"),
    ("Dropout", " helps", " a", " lot"),
    ("We", " train", " on", " text"),
)
POWERS_OF_TWO = (Fraction(1, 2), Fraction(1, 4), Fraction(1, 8), Fraction(1, 16))
OTHERS = (Fraction(1, 2), Fraction(1, 3), Fraction(2, 3), Fraction(1, 4), Fraction(3, 4), Fraction(1, 5),
          Fraction(1, 10), Fraction(9, 10))


def _tokens(rng: random.Random, drawn: Mapping[str, Any]) -> list[str]:
    return list(rng.choice(SENTENCES))


def _probs(rng: random.Random, drawn: Mapping[str, Any]) -> list[Fraction]:
    """One probability per token: powers of 1/2 half the time (whole bits), else simple fractions."""
    count = len(drawn["tokens"]) if drawn.get("tokens") is not None else rng.randint(4, 6)
    pool = POWERS_OF_TWO if rng.random() < 0.5 else OTHERS
    return [rng.choice(pool) for _ in range(count)]


def surprisal(q: sympy.Rational) -> sympy.Expr:
    """-ln q written over logs of primes (-ln(9/10) = ln 2 + ln 5 - 2 ln 3), so
    that equal terms combine in sums and a whole number of bits shows as one."""
    terms = [e * sympy.log(prime) for prime, e in sympy.factorint(q.q).items()]
    terms += [-e * sympy.log(prime) for prime, e in sympy.factorint(q.p).items()]
    return sympy.Add(*terms)


def log_tex(nats: sympy.Expr, bits: bool = False) -> str:
    """A combination of logs of primes as a student writes it: '\\ln 2 + \\ln 5 - 2 \\ln 3',
    or in bits (divided by ln 2) '1 + \\log_{2} 5 - 2 \\log_{2} 3'."""
    coeffs: dict[int, sympy.Rational] = {}
    constant = sympy.Integer(0)
    for term in sympy.Add.make_args(sympy.expand(nats)):
        coeff, rest = term.as_coeff_Mul()
        if rest == 1:
            constant += coeff
            continue
        prime = int(rest.args[0])  # rest is log(prime)
        if bits and prime == 2:
            constant += coeff
        else:
            coeffs[prime] = coeffs.get(prime, 0) + coeff
    pieces: list[tuple[bool, str]] = []
    if constant != 0:
        pieces.append((constant < 0, tex(abs(constant))))
    for prime in sorted(coeffs):
        c = coeffs[prime]
        if c == 0:
            continue
        name = rf"\log_{{2}} {prime}" if bits else rf"\ln {prime}"
        pieces.append((c < 0, name if abs(c) == 1 else f"{tex(abs(c))} {name}"))
    if not pieces:
        return "0"
    text = ("-" if pieces[0][0] else "") + pieces[0][1]
    return text + "".join(f" {'-' if negative else '+'} {body}" for negative, body in pieces[1:])


def inverse_root(product: sympy.Rational, T: int) -> sympy.Expr:
    """product^(-1/T) as sympy simplifies it when that is a rational number,
    else kept as the T-th root of 1/product (sympy would split it into prime powers)."""
    value = product ** sympy.Rational(-1, T)
    if value.is_Rational:
        return value
    return sympy.Pow(1 / product, sympy.Rational(1, T), evaluate=False)


def _figure_value(value: sympy.Expr) -> Fraction:
    """A height for the figure: the value to 1/100 (the drawing prints two decimals)."""
    return Fraction(round(Fraction(str(approx(value, 12))) * 100), 100)


class SequenceLikelihood(Family):
    name = "sequence_likelihood"
    title = "Cross-entropy, perplexity and bits per character of a sequence"
    params = (
        Texts("tokens", Computed(_tokens, "a short sentence of 4 to 6 tokens"), optional=True,
              doc="the tokens, spaces included as written (null: no characters given, no bits per character)"),
        Vector("probs", Computed(_probs, "one per token: powers of 1/2 half the time, else simple fractions"),
               low=0, high=1, element="rational", length=(1, 12),
               doc="the model's probability of each token given the ones before it"),
    )
    constraints = ("min(probs) > 0", "tokens == None or len(tokens) == len(probs)")
    parts = (
        Part("a", ("cross_entropy", "cross_entropy_bits"), space="6cm"),
        Part("b", ("perplexity",), space="4cm"),
        Part("c", ("bits_per_char",), space="4cm"),
    )

    def solve(self, p: Mapping[str, Any]) -> Solution:
        probs = [sympy.Rational(q) for q in p["probs"]]
        if any(q <= 0 for q in probs):
            raise ValueError("every probability must be positive: a token of probability 0 has infinite loss")
        T = len(probs)
        nats = [surprisal(q) for q in probs]
        bits = [sympy.expand(n / sympy.log(2)) for n in nats]
        total_nats = sympy.expand(sum(nats, sympy.Integer(0)))
        total_bits = sympy.expand(total_nats / sympy.log(2))
        cross_entropy = sympy.expand(total_nats / T)
        cross_entropy_bits = sympy.expand(total_bits / T)
        product = sympy.Mul(*probs)
        perplexity = inverse_root(product, T)
        chars = sum(len(t) for t in p["tokens"]) if p["tokens"] is not None else None
        bits_per_char = sympy.expand(total_bits / chars) if chars else None
        answers = {"cross_entropy": cross_entropy, "cross_entropy_bits": cross_entropy_bits,
                   "perplexity": perplexity, "bits_per_char": bits_per_char}
        steps = {
            "T": T, "nats": nats, "nats_approx": [approx(v, 4) for v in nats], "bits": bits,
            "bits_approx": [approx(v, 4) for v in bits],
            "total_nats": total_nats, "total_nats_approx": approx(total_nats, 4),
            "total_bits": total_bits, "total_bits_approx": approx(total_bits, 4),
            "cross_entropy_approx": approx(cross_entropy, 4),
            "cross_entropy_bits_approx": approx(cross_entropy_bits, 4),
            "product": product, "perplexity_approx": approx(perplexity, 4),
            "chars": chars, "bits_per_char_approx": approx(bits_per_char, 4) if chars else None,
            "whole_bits": total_bits.is_Rational,
            # whether total / T (and total / chars) reduce, so that "= answer" says something new
            "mean_reduces": total_bits.is_Rational and sympy.gcd(total_bits.p, T) > 1,
            "bpc_reduces": bool(chars) and total_bits.is_Rational and sympy.gcd(total_bits.p, chars or 1) > 1,
            "nats_tex": [log_tex(n) for n in nats], "bits_tex": [log_tex(n, bits=True) for n in nats],
            "total_nats_tex": log_tex(total_nats), "total_bits_tex": log_tex(total_nats, bits=True),
            "cross_entropy_tex": log_tex(cross_entropy), "cross_entropy_bits_tex": log_tex(cross_entropy, bits=True),
            "bits_per_char_tex": log_tex(total_nats / chars, bits=True) if chars else None,
            "labels": [t.strip() or repr(t) for t in p["tokens"]] if p["tokens"] is not None else
            [f"t={i}" for i in range(1, T + 1)],
        }
        heights = [_figure_value(b) for b in bits]
        top = max(1, math.ceil(max(heights)))
        figure = bar_chart(steps["labels"], heights, reference=_figure_value(cross_entropy_bits),
                           reference_label="mean: the cross-entropy", y_label="bits", top=top)
        return Solution(answers, steps, {"surprisal": figure})

    def check(self, p: Mapping[str, Any]) -> dict[str, Any]:
        # Second route: from the likelihood of the whole sequence. The mean
        # negative log-likelihood is -log(prod p) / T with the product taken
        # first; bits by the change of base log_2; perplexity as exp(H) and
        # bits per character as 2^(...) unwound from the perplexity.
        probs = [sympy.Rational(q) for q in p["probs"]]
        T = len(probs)
        likelihood = sympy.Mul(*probs)
        nats = -sympy.log(likelihood) / T
        bits = -sympy.log(likelihood, 2) / T
        chars = sum(len(t) for t in p["tokens"]) if p["tokens"] is not None else None
        return {"cross_entropy": nats, "cross_entropy_bits": bits,
                "perplexity": sympy.exp(nats),
                "bits_per_char": sympy.log(sympy.exp(nats) ** T, 2) / chars if chars else None}


@hookimpl
def genexam_families() -> list[type[Family]]:
    return [SequenceLikelihood]
