"""seq_model_complexity: time and space of an L-layer RNN and Transformer of
width n on t tokens, at training and at test time (autoregressive decoding).

solve() writes the exact multiplication and memory counts as polynomials in
t, n, L (symbolic sums over the decoding steps) and reduces each to its
dominant monomials; check() runs the forward passes shape by shape on a small
machine that counts multiplications and live numbers, recovers each polynomial
by interpolation from the counts on a grid (verified at further points), and
finds the dominant terms by limits of ratios along growth directions.
"""

from __future__ import annotations

import functools
import itertools
from typing import Any, Mapping

import sympy

from genexam import hookimpl
from genexam.decimals import approx
from genexam.distributions import Choice, RandInt
from genexam.family import Family, Part, Solution
from genexam.params import Bool, Int

T, N, L = sympy.symbols("t n L", positive=True)
GENS = (T, N, L)
I = sympy.Symbol("i", positive=True, integer=True)  # the decoding step

#: Multiplications per entry of the elementwise steps that are counted.
SOFTMAX_PER_SCORE = 1  # dividing each exponential by its row's sum
LAYERNORM_PER_ENTRY = 3  # the square for the variance, the scaling by 1/sigma, the gain

ANSWER_IDS = ("rnn_train_time", "rnn_train_space", "rnn_test_time", "rnn_test_space",
              "transformer_train_time", "transformer_train_space", "transformer_test_time",
              "transformer_test_space")


def dominant_terms(expr: Any, gens: tuple[sympy.Symbol, ...] = GENS) -> sympy.Expr:
    """The argument of the big-O of a polynomial with positive coefficients in
    variables that all may grow: its monomials with coefficients dropped,
    keeping only those not dominated by another (a monomial whose exponents
    are all <= another's is dropped)."""
    poly = sympy.Poly(sympy.expand(expr), *gens)
    if any(not (c > 0) for c in poly.coeffs()):
        raise ValueError(f"dominant_terms needs positive coefficients: {expr}")
    monoms = poly.monoms()
    kept = [m for m in monoms
            if not any(o != m and all(a <= b for a, b in zip(m, o)) for o in monoms)]
    return sympy.Add(*(sympy.Mul(*(g**e for g, e in zip(gens, m))) for m in kept))


def bigo_tex(expr: sympy.Expr) -> str:
    """A big-O argument as TeX in the textbook order: L outside, t before n
    (L(t^{2} n + t n^{2}))."""
    terms = sorted(sympy.Add.make_args(expr),
                   key=lambda m: tuple(-sympy.degree(m, g) for g in (L, T, N)))

    def mono(m: sympy.Expr, gens: tuple[sympy.Symbol, ...]) -> str:
        parts = []
        for g in gens:
            e = sympy.degree(m, g)
            if e:
                parts.append(sympy.latex(g) + (f"^{{{e}}}" if e > 1 else ""))
        return " ".join(parts) or "1"

    if len(terms) > 1 and all(sympy.degree(m, L) == 1 for m in terms):
        return "L(" + " + ".join(mono(m, (T, N)) for m in terms) + ")"
    return " + ".join(mono(m, (L, T, N)) for m in terms)


def poly_tex(expr: Any) -> str:
    """A polynomial in L, i, t, n as TeX, the letters in that order in every
    term (2 L t^{2} n, not sympy's 2 L n t^{2}), higher degrees first."""
    from genexam.texfilters import tex

    gens = (L, I, T, N)
    poly = sympy.Poly(sympy.expand(expr), *gens)
    out = []
    for monom, coeff in poly.terms(order="grlex"):
        letters = " ".join(sympy.latex(g) + (f"^{{{e}}}" if e > 1 else "") for g, e in zip(gens, monom) if e)
        if not letters:
            body = tex(coeff)
        elif coeff == 1:
            body = letters
        elif coeff.q == 1:
            body = f"{tex(coeff)} {letters}"
        else:
            body = rf"\frac{{{coeff.p}}}{{{coeff.q}}} {letters}"
        out.append(body)
    return " + ".join(out) if out else "0"


def transformer_layer(q: Any, k: Any, f: Any) -> dict[str, tuple[Any, Any]]:
    """One Transformer layer computing q new rows that attend to k positions
    (training: q = k = t): step -> (multiplications, numbers it stores)."""
    return {
        "qkv": (3 * q * N**2, q * N + 2 * k * N),  # Q, K, V = X W_Q, X W_K, X W_V
        "scores": (q * k * N, q * k),  # S = Q K^T
        "softmax": (SOFTMAX_PER_SCORE * q * k, q * k),  # A = softmax(S)
        "weighted": (q * k * N, q * N),  # O = A V
        "out": (q * N**2, q * N),  # P = O W_O
        "norm1": (LAYERNORM_PER_ENTRY * q * N, 2 * q * N),  # R = X + P, Y = LN(R)
        "ffn1": (f * q * N**2, 2 * f * q * N),  # H = Y W_1, G = ReLU(H)
        "ffn2": (f * q * N**2, q * N),  # M = G W_2
        "norm2": (LAYERNORM_PER_ENTRY * q * N, 2 * q * N),  # R' = Y + M, Z = LN(R')
    }


class SeqModelComplexity(Family):
    name = "seq_model_complexity"
    title = "Time and space of an RNN and a Transformer, at training and at test time"
    params = (
        Int("t", Choice((10, 20, 50, 100, 200, 500, 1000)), low=1, high=1_000_000, doc="sequence length"),
        Int("n", Choice((16, 32, 64, 128, 256, 512)), low=1, high=100_000, doc="width of every layer"),
        Int("L", RandInt(2, 8), low=1, high=1_000, doc="number of layers"),
        Int("ffn_mult", 4, low=1, high=64, doc="the Transformer's feed-forward hidden width is ffn_mult * n"),
        Bool("kv_cache", True, doc="whether the Transformer decodes with a key-value cache"),
    )
    parts = (
        Part("a", ("rnn_train_time", "rnn_train_space", "rnn_test_time", "rnn_test_space"), space="6cm"),
        Part("b", ("transformer_train_time", "transformer_train_space", "transformer_test_time",
                   "transformer_test_space"), space="8cm"),
        Part("c", ("rnn_mults", "transformer_mults", "recurrence_mults", "attention_mults", "cheaper"), space="7cm"),
    )
    answer_kinds = {**{answer: "big_o" for answer in ANSWER_IDS}, "cheaper": "word"}

    def solve(self, p: Mapping[str, Any]) -> Solution:
        f, cache = sympy.Integer(p["ffn_mult"]), p["kv_cache"]

        # RNN: per layer and step, W_xh h^{l-1}_s and W_hh h^l_{s-1}, each n x n times n.
        rnn_step_mults = 2 * N**2
        rnn_step_tensors = 2 * N  # the pre-activation a and the state h
        exact = {
            "rnn_train_time": L * T * rnn_step_mults,
            # the inputs, the zero initial state of each layer, then a and h at every layer and step
            "rnn_train_space": T * N + L * N + L * T * rnn_step_tensors,
            "rnn_test_time": T * L * rnn_step_mults,
            # the L states carried between tokens, plus layer 1's embedded token, a and new state
            "rnn_test_space": L * N + 3 * N,
        }

        train_rows = transformer_layer(T, T, f)
        step_rows = transformer_layer(1, I, f) if cache else transformer_layer(I, I, f)
        per_layer_train = sum(m for m, _ in train_rows.values())
        per_layer_stored = sum(st for _, st in train_rows.values())
        per_layer_step = sympy.expand(sum(m for m, _ in step_rows.values()))
        if cache:
            # the peak: the last layer of the last step, when every layer's cache holds t positions
            carried = 2 * L * T * N
            last = transformer_layer(1, T, f)
            working = N + sum(st for _, st in last.values()) - 2 * T * N  # its input; K, V are the cache
        else:
            carried = sympy.Integer(0)  # only the tokens, which are not counted
            working = T * N + per_layer_stored  # the last step's pass over t tokens, one layer at a time
        exact.update({
            "transformer_train_time": L * per_layer_train,
            "transformer_train_space": T * N + L * per_layer_stored,
            "transformer_test_time": L * sympy.summation(per_layer_step, (I, 1, T)),
            "transformer_test_space": carried + working,
        })
        exact = {k: sympy.expand(v) for k, v in exact.items()}
        answers: dict[str, Any] = {k: dominant_terms(v) for k, v in exact.items()}

        at = {T: p["t"], N: p["n"], L: p["L"]}
        rnn_mults = int(exact["rnn_train_time"].subs(at))
        transformer_mults = int(exact["transformer_train_time"].subs(at))
        answers["rnn_mults"] = rnn_mults
        answers["transformer_mults"] = transformer_mults

        # Vaswani et al.'s comparison: only the step that mixes tokens, the
        # recurrence W_hh h against attention (scores, softmax, weighted sum).
        # The whole pass always favours the RNN; this depends on t against n.
        t, n = p["t"], p["n"]
        attention_mults = int((L * sum(train_rows[k][0] for k in ("scores", "softmax", "weighted"))).subs(at))
        recurrence_mults = int((L * T * N**2).subs(at))
        answers["recurrence_mults"] = recurrence_mults
        answers["attention_mults"] = attention_mults
        # fewer multiplications wins; a tie goes to the RNN
        answers["cheaper"] = "transformer" if attention_mults < recurrence_mults else "rnn"
        layer_terms = sympy.Poly(sympy.expand(per_layer_train), L, I, T, N).terms(order="grlex")
        work = {
            "exact_counts": exact,
            "exact": {k: poly_tex(v) for k, v in exact.items()},
            "bigo": {k: bigo_tex(answers[k]) for k in ANSWER_IDS},
            "rows": {k: {"train": poly_tex(train_rows[k][0]), "step": poly_tex(step_rows[k][0]),
                         "stored": poly_tex(train_rows[k][1])} for k in train_rows},
            "per_layer_train": poly_tex(per_layer_train),
            "per_layer_step": poly_tex(per_layer_step),
            "per_layer_stored": poly_tex(per_layer_stored),
            "working": poly_tex(working),
            # the per-layer training count term by term at the instance's numbers, in poly_tex's order
            "per_layer_values": [int(c * t**m[2] * n**m[3]) for m, c in layer_terms],
            "ratio": sympy.Rational(transformer_mults, rnn_mults),
            "ratio_approx": approx(sympy.Rational(transformer_mults, rnn_mults), 3),
            "ratio_in_tn": sympy.expand(exact["transformer_train_time"] / exact["rnn_train_time"]),
            "t_over_n": sympy.Rational(t, n),
            "n_less_t": n < t,
            # Vaswani et al.'s comparison: only the step that mixes tokens
            "recurrence_mults": recurrence_mults,
            "attention_mults": attention_mults,
            "mixing_ratio": sympy.Rational(attention_mults, recurrence_mults),
            "mixing_ratio_approx": approx(sympy.Rational(attention_mults, recurrence_mults), 3),
        }
        return Solution(answers, work)

    def check(self, p: Mapping[str, Any]) -> dict[str, Any]:
        f, cache, t, n, layers = p["ffn_mult"], p["kv_cache"], p["t"], p["n"], p["L"]
        answers: dict[str, Any] = {name: bigo for name, _, bigo in fitted_counts(f, cache)}
        rnn = Machine()
        rnn_train(rnn, t, n, layers)
        transformer = Machine()
        transformer_train(transformer, t, n, layers, f)
        answers["rnn_mults"] = rnn.mults
        answers["transformer_mults"] = transformer.mults
        recurrence, attention = Machine(), Machine()
        for _ in range(layers):
            for _ in range(t):
                recurrence.product((n, n), (n, 1))  # W_hh h_{s-1}
            attention_mixing(attention, t, n)
        answers["recurrence_mults"] = recurrence.mults
        answers["attention_mults"] = attention.mults
        answers["cheaper"] = min((recurrence.mults, 0, "rnn"), (attention.mults, 1, "transformer"))[2]
        return answers


# -- check's route: a machine that runs the forward passes shape by shape ---------


class Machine:
    """Counts the multiplications of matrix products and elementwise steps,
    and the numbers live in memory (weights are shapes, never allocated)."""

    def __init__(self) -> None:
        self.mults = 0
        self.live = 0
        self.peak = 0

    def new(self, rows: int, cols: int) -> tuple[int, int]:
        self.live += rows * cols
        self.peak = max(self.peak, self.live)
        return (rows, cols)

    def free(self, *tensors: tuple[int, int]) -> None:
        for rows, cols in tensors:
            self.live -= rows * cols

    def product(self, a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
        """A matrix product accumulated into a buffer the caller allocates."""
        assert a[1] == b[0], f"shapes {a} and {b} do not chain"
        self.mults += a[0] * a[1] * b[1]
        return (a[0], b[1])

    def matmul(self, a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
        return self.new(*self.product(a, b))

    def elementwise(self, a: tuple[int, int], per_entry: int = 0) -> tuple[int, int]:
        self.mults += per_entry * a[0] * a[1]
        return self.new(*a)


def transpose(a: tuple[int, int]) -> tuple[int, int]:
    return (a[1], a[0])


def attention_mixing(m: Machine, t: int, n: int) -> None:
    """The token-mixing step of one layer on t tokens: S = Q K^T, softmax, A V."""
    q = k = v = (t, n)
    a = m.elementwise(m.matmul(q, transpose(k)), SOFTMAX_PER_SCORE)
    m.matmul(a, v)


def rnn_train(m: Machine, t: int, n: int, layers: int) -> None:
    inputs = [m.new(n, 1) for _ in range(t)]  # column vectors, kept
    w = (n, n)
    for _ in range(layers):
        h = m.new(n, 1)  # h_0 = 0, kept
        outputs = []
        for s in range(t):
            m.product(w, inputs[s])  # W_xh x, summed with
            m.product(w, h)  # W_hh h into the pre-activation
            a = m.new(n, 1)
            h = m.elementwise(a)  # tanh
            outputs.append(h)
        inputs = outputs


def rnn_decode(m: Machine, t: int, n: int, layers: int) -> None:
    w = (n, n)
    states = [m.new(n, 1) for _ in range(layers)]
    for _ in range(t):
        x = m.new(n, 1)  # the embedded token
        for layer in range(layers):
            m.product(w, x)
            m.product(w, states[layer])
            a = m.new(n, 1)
            h = m.elementwise(a)
            m.free(a, states[layer])
            if layer == 0:
                m.free(x)
            states[layer] = h
            x = h


def transformer_block(m: Machine, x: tuple[int, int], n: int, f: int, keep: bool, cache: list | None = None) -> tuple[int, int]:
    """One layer on the rows of x. With a cache list, k and v of the new rows
    are appended to it and attention reads all cached rows; otherwise attention
    reads the rows of x. keep: keep every tensor (training)."""
    w = (n, n)
    q = m.matmul(x, w)
    k = m.matmul(x, w)
    v = m.matmul(x, w)
    if cache is not None:
        cache.append((k, v))
        k_all = (sum(kk[0] for kk, _ in cache), n)
        v_all = k_all
    else:
        k_all, v_all = k, v
    s = m.matmul(q, transpose(k_all))
    a = m.elementwise(s, SOFTMAX_PER_SCORE)
    o = m.matmul(a, v_all)
    proj = m.matmul(o, w)
    r = m.elementwise(proj)  # x + proj
    y = m.elementwise(r, LAYERNORM_PER_ENTRY)
    h = m.matmul(y, (n, f * n))
    g = m.elementwise(h)  # ReLU
    mm = m.matmul(g, (f * n, n))
    r2 = m.elementwise(mm)  # y + mm
    z = m.elementwise(r2, LAYERNORM_PER_ENTRY)
    if not keep:
        m.free(x, q, s, a, o, proj, r, y, h, g, mm, r2)
        if cache is None:
            m.free(k, v)
    return z


def transformer_train(m: Machine, t: int, n: int, layers: int, f: int) -> None:
    x = m.new(t, n)
    for _ in range(layers):
        x = transformer_block(m, x, n, f, keep=True)


def transformer_decode(m: Machine, t: int, n: int, layers: int, f: int, cache: bool) -> None:
    caches: list[list] = [[] for _ in range(layers)]
    for i in range(1, t + 1):
        x = m.new(1, n) if cache else m.new(i, n)  # the new token, or all tokens so far
        for layer in range(layers):
            x = transformer_block(m, x, n, f, keep=False, cache=caches[layer] if cache else None)
        m.free(x)


def _measure(name: str, t: int, n: int, layers: int, f: int, cache: bool) -> int:
    m = Machine()
    if name.startswith("rnn_train"):
        rnn_train(m, t, n, layers)
    elif name.startswith("rnn_test"):
        rnn_decode(m, t, n, layers)
    elif name.startswith("transformer_train"):
        transformer_train(m, t, n, layers, f)
    else:
        transformer_decode(m, t, n, layers, f, cache)
    assert m.live >= 0
    return m.mults if name.endswith("time") else m.peak


#: Interpolation grid (degree <= 3 in t, <= 2 in n, <= 1 in L) and extra points that test the fit.
GRID = ((1, 2, 3, 4), (1, 2, 3), (1, 2))
PROBES = ((5, 4, 3), (7, 1, 4), (2, 6, 3), (6, 5, 2))
DIRECTIONS = tuple(itertools.product(range(1, 5), repeat=3))


def _lagrange(var: sympy.Symbol, nodes: tuple[int, ...], j: int) -> sympy.Expr:
    return sympy.Mul(*((var - x) / sympy.Integer(nodes[j] - x) for x in nodes if x != nodes[j]))


@functools.lru_cache(maxsize=64)
def fitted_counts(f: int, cache: bool) -> tuple[tuple[str, sympy.Expr, sympy.Expr], ...]:
    """(answer id, exact polynomial, big-O argument) for each count. The
    polynomial is interpolated from the machine's counts on a grid and
    verified at further points; its dominant monomials are those whose ratio
    to it has a positive limit along some direction (t, n, L) = (s^a, s^b, s^c),
    s -> oo (with positive coefficients: when both have the same degree in s)."""
    s = sympy.Symbol("s", positive=True)
    out = []
    for name in ANSWER_IDS:
        poly = 0
        for (a, tv), (b, nv), (c, lv) in itertools.product(*(list(enumerate(g)) for g in GRID)):
            value = _measure(name, tv, nv, lv, f, cache)
            poly += value * _lagrange(T, GRID[0], a) * _lagrange(N, GRID[1], b) * _lagrange(L, GRID[2], c)
        poly = sympy.expand(poly)
        for tv, nv, lv in PROBES:
            measured = _measure(name, tv, nv, lv, f, cache)
            assert poly.subs({T: tv, N: nv, L: lv}) == measured, f"{name}: the fit misses ({tv}, {nv}, {lv})"
        terms = [term / sympy.Poly(term, *GENS).coeffs()[0] for term in sympy.Add.make_args(poly)]
        kept = set()
        for a, b, c in DIRECTIONS:
            path = {T: s**a, N: s**b, L: s**c}
            top = sympy.Poly(poly.subs(path), s).degree()
            for term in terms:
                if sympy.Poly(term.subs(path), s).degree() == top:
                    kept.add(term)
        out.append((name, poly, sympy.Add(*kept)))
    return tuple(out)


@hookimpl
def genexam_families() -> list[type[Family]]:
    return [SeqModelComplexity]
