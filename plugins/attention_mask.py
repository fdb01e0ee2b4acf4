"""attention_mask: scaled dot-product attention of 2-4 tokens of width 2, with
or without a causal mask and with or without sinusoidal positional encodings
("Attention is all you need": pe(pos, 2i) = sin(pos / 10000^(2i/d)),
pe(pos, 2i+1) = cos(pos / 10000^(2i/d)))."""

from __future__ import annotations

import random
from typing import Any, Mapping

import sympy

from genexam import hookimpl
from genexam.decimals import approx
from genexam.distributions import Choice, Computed
from genexam.family import Family, Part, Solution
from genexam.logsumexp import canonical, shifted_exp
from genexam.params import Int, OneOf, Param
from genexam.values import to_sympy

WIDTH = 2  # d: the width of every query, key and value


def _expand(x: Any) -> Any:
    """Multiplied out, but keeping e^{a + b} whole (one canonical form for both routes)."""
    return sympy.expand(x, power_exp=False, log=False)


def _draw_n(rng: random.Random, drawn: Mapping[str, Any]) -> int:
    for name in ("q", "k", "v"):
        if drawn.get(name) is not None:
            return len(drawn[name])
    return rng.choice((2, 3, 3))


def _rows(rng: random.Random, drawn: Mapping[str, Any]) -> list[list[int]]:
    """n distinct rows of two integers from -2 to 2, none all zero (equal keys would get equal weights)."""
    rows: list[list[int]] = []
    while len(rows) < drawn["n"]:
        row = [rng.randint(-2, 2) for _ in range(WIDTH)]
        if any(row) and row not in rows:
            rows.append(row)
    return rows


def _matrix(name: str, what: str) -> Param:
    return Param(name, "matrix", Computed(_rows, "n distinct rows of two integers from -2 to 2, none all zero"),
                 f"the {what} of the n tokens, one row of width 2 per token", low=-9, high=9,
                 element="rational", length=(2, 4))


def sinusoidal(pos: int, i: int, d: int = WIDTH) -> Any:
    """pe(pos, i) of "Attention is all you need": sin for even i, cos for odd i,
    at frequency 1 / 10000^(2 floor(i/2) / d)."""
    angle = sympy.Integer(pos) / sympy.Integer(10000) ** sympy.Rational(2 * (i // 2), d)
    return sympy.sin(angle) if i % 2 == 0 else sympy.cos(angle)


def _validated(p: Mapping[str, Any]) -> tuple[list[list[Any]], ...]:
    n = p["n"]
    mats = []
    for name in ("q", "k", "v"):
        rows = p[name]
        if len(rows) != n or any(len(r) != WIDTH for r in rows):
            raise ValueError(f"{name} must have n = {n} rows of width {WIDTH}, found {len(rows)} of width "
                             f"{len(rows[0])}")
        mats.append([to_sympy(list(r)) for r in rows])
    return tuple(mats)


def _dot(a: list[Any], b: list[Any]) -> Any:
    return _expand(sum(x * y for x, y in zip(a, b)))


def cos_of_differences(expr: Any) -> Any:
    """``expr`` (a polynomial in sines and cosines) with every c sin a sin b + c cos a cos b
    written c cos(a - b), and c sin^2 a + c cos^2 a written c."""
    terms = dict(_expand(expr).as_coefficients_dict())
    for mono, c in list(terms.items()):
        factors = mono.as_powers_dict() if mono in terms else {}
        sines = [f for f, e in factors.items() for _ in range(int(e)) if isinstance(f, sympy.sin)]
        if len(sines) != 2 or sum(int(e) for e in factors.values()) != 2:
            continue
        a, b = sines[0].args[0], sines[1].args[0]
        partner = sympy.cos(a) * sympy.cos(b)
        if terms.get(partner) == c:
            del terms[mono], terms[partner]
            merged = sympy.cos(a - b)
            terms[merged] = terms.get(merged, 0) + c
    return _expand(sympy.Add(*(c * m for m, c in terms.items())))


def _split_sum_denominator(term: Any) -> tuple[Any, Any]:
    """(numerator, denominator) of a term whose denominator is a sum (1/(e^a + 1));
    unlike sympy.fraction, e^{-a} stays in the numerator."""
    num, den = [], []
    for factor in sympy.Mul.make_args(term):
        if factor.is_Pow and factor.exp.is_negative and factor.base.is_Add:
            den.append(factor.base ** -factor.exp)
        else:
            num.append(factor)
    return sympy.Mul(*num), sympy.Mul(*den)


def _common_denominator(expr: Any) -> Any:
    """A sum of fractions that share one denominator (a row of softmax weights
    times values) written as one fraction; anything else unchanged."""
    pairs = [_split_sum_denominator(term) for term in sympy.Add.make_args(expr)]
    denominators = {den for num, den in pairs if num != 0}
    if len(denominators) != 1:
        return expr
    return sympy.Add(*(num for num, _ in pairs)) / denominators.pop()


def _largest(values: list[Any]) -> Any:
    return max(values, key=lambda v: sympy.N(v, 50))


class AttentionMask(Family):
    name = "attention_mask"
    title = "Scaled dot-product attention with a causal mask and sinusoidal positional encodings"
    params = (
        Int("n", Computed(_draw_n, "2 or 3 (as many as the rows of a fixed q, k or v)"), low=2, high=4,
            doc="number of tokens"),
        _matrix("q", "queries"),
        _matrix("k", "keys"),
        _matrix("v", "values"),
        Param("causal", "bool", Choice((True, False)),
              "whether token i may attend only to tokens j <= i (scores above the diagonal set to -infinity)"),
        Param("positional", "bool", Choice((True, False)),
              "whether the sinusoidal positional encoding pe(pos) of each token (pos = 0, 1, ...) is added"),
        OneOf("pe_to", ("qk", "qkv"), Choice(("qk", "qkv")),
              doc="what pe is added to when positional: the queries and keys only, or the values too"),
    )
    constraints = (
        "len(q) == n and len(k) == n and len(v) == n",
        "len(q[0]) == 2 and len(k[0]) == 2 and len(v[0]) == 2",
    )
    parts = (
        Part("a", ("pe", "scores"), space="6cm"),
        Part("b", ("weights",), space="6cm"),
        Part("c", ("output",), space="5cm"),
    )

    def solve(self, p: Mapping[str, Any]) -> Solution:
        q, k, v = _validated(p)
        n, positional = p["n"], p["positional"]
        # d = 2: the only frequency is 1/10000^0 = 1, so pe(pos) = (sin pos, cos pos).
        pe = [[sympy.sin(pos), sympy.cos(pos)] for pos in range(n)]
        add = positional
        qq = [[a + b for a, b in zip(q[i], pe[i])] if add else q[i] for i in range(n)]
        kk = [[a + b for a, b in zip(k[i], pe[i])] if add else k[i] for i in range(n)]
        vv = [[a + b for a, b in zip(v[i], pe[i])] if add and p["pe_to"] == "qkv" else v[i] for i in range(n)]
        # q'_i . k'_j = q_i . k_j + q_i . pe_j + pe_i . k_j + pe_i . pe_j, and
        # pe_i . pe_j = sin i sin j + cos i cos j = cos(i - j): it depends on the offset only.
        parts = [[{"qk": _dot(q[i], k[j]), "qpe": _dot(q[i], pe[j]), "pek": _dot(pe[i], k[j]),
                   "pepe": sympy.cos(i - j)} for j in range(n)] for i in range(n)]
        dots = [[_expand(sum(cell.values()) if add else cell["qk"]) for cell in row] for row in parts]
        scores = [[_expand(dot / sympy.sqrt(WIDTH)) for dot in row] for row in dots]
        allowed = [[not p["causal"] or j <= i for j in range(n)] for i in range(n)]
        weights, numerators, denominators, tops = [], [], [], []
        for i in range(n):
            seen = [scores[i][j] for j in range(n) if allowed[i][j]]
            top = _largest(seen)  # subtracted before exp, as implementations do: nothing overflows
            exps = [shifted_exp(scores[i][j], top) if allowed[i][j] else sympy.Integer(0) for j in range(n)]
            total = sympy.Add(*exps)
            weights.append([e / total for e in exps])
            numerators.append([sympy.Add(*(exps[j] * vv[j][c] for j in range(n))) for c in range(WIDTH)])
            tops.append(top)
            denominators.append(total)
        # c_i = sum_j A_ij v'_j over one common denominator (compact: its decimal evaluates fast).
        output = [[numerators[i][c] / denominators[i] for c in range(WIDTH)] for i in range(n)]
        def dec(rows: list[list[Any]]) -> list[list[Any]]:  # exact where rational, else 4 digits
            return [[x if x.is_Rational else approx(x, 4) for x in row] for row in rows]

        steps = {
            "d": WIDTH, "pe_rows": pe, "pe_approx": dec(pe), "qq": qq, "kk": kk, "vv": vv,
            "qq_approx": dec(qq), "kk_approx": dec(kk), "vv_approx": dec(vv),
            "values_shifted": add and p["pe_to"] == "qkv",
            "dots": dots, "parts": parts, "scores_approx": dec(scores), "allowed": allowed,
            "weights_approx": dec(weights), "output_approx": dec(output), "tops": tops,
            "exact_weights": not positional,  # short enough to print: multiples of sqrt(2)/2 in the exponents
            "rational_scores": all(x.is_Rational for row in dots for x in row),
        }
        answers = {"pe": pe if positional else None, "scores": scores, "weights": weights, "output": output}
        return Solution(answers, steps)

    def check(self, p: Mapping[str, Any]) -> dict[str, Any]:
        # Second route, as PyTorch computes it: matrices, pe from the general
        # formula with its 10000^(2i/d), an additive mask of -infinity
        # (sympy's exp(-oo) = 0), the softmax without the max subtracted,
        # then c = A V' as a matrix product. Written in the canonical form of
        # exponential sums so it compares with solve exactly.
        q, k, v = _validated(p)
        n = p["n"]
        pe = sympy.Matrix(n, WIDTH, lambda pos, i: sinusoidal(pos, i))
        zero = sympy.zeros(n, WIDTH)
        Q = sympy.Matrix(q) + (pe if p["positional"] else zero)
        K = sympy.Matrix(k) + (pe if p["positional"] else zero)
        V = sympy.Matrix(v) + (pe if p["positional"] and p["pe_to"] == "qkv" else zero)
        S = (Q * K.T).applyfunc(lambda x: _expand(cos_of_differences(x) / sympy.sqrt(WIDTH)))
        mask = sympy.Matrix(n, n, lambda i, j: -sympy.oo if p["causal"] and j > i else 0)
        E = (S + mask).applyfunc(sympy.exp)
        A = sympy.Matrix(n, n, lambda i, j: canonical(E[i, j] / sum(E.row(i))))
        C = (A * V).applyfunc(_common_denominator)
        return {"pe": pe.tolist() if p["positional"] else None, "scores": S.tolist(), "weights": A.tolist(),
                "output": C.tolist()}


@hookimpl
def genexam_families() -> list[type[Family]]:
    return [AttentionMask]
