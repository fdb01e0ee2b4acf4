"""attention_query: attention as copying -- choosing a query q so that
c = sum_i alpha_i v_i, alpha = softmax(k_i^T q), copies one value or averages two."""

from __future__ import annotations

import random
from typing import Any, Mapping

import sympy

from genexam import hookimpl
from genexam.decimals import approx
from genexam.distributions import Choice, Computed
from genexam.family import Family, Part, Solution
from genexam.params import Int, Param, Rat
from genexam.values import to_sympy


def _given(drawn: Mapping[str, Any], name: str) -> Any:
    """A value already known (fixed by the spec, or drawn before), or None."""
    return drawn.get(name)


def _draw_m(rng: random.Random, drawn: Mapping[str, Any]) -> int:
    # As many keys as fixed keys or values; else 3 or 4 (at most a fixed d).
    for name in ("keys", "values"):
        if _given(drawn, name) is not None:
            return len(drawn[name])
    hi = min(4, drawn["d"]) if drawn.get("d") is not None else 4
    return rng.randint(min(3, hi), hi)


def _draw_d(rng: random.Random, drawn: Mapping[str, Any]) -> int:
    # The width of fixed keys; else m, sometimes m + 1.
    if _given(drawn, "keys") is not None:
        return len(drawn["keys"][0])
    return min(6, rng.choice((drawn["m"], drawn["m"], drawn["m"] + 1)))


def _draw_a(rng: random.Random, drawn: Mapping[str, Any]) -> int:
    others = [i for i in range(1, drawn["m"] + 1) if i != drawn.get("b")]
    return rng.choice(others) if others else 1


def _draw_b(rng: random.Random, drawn: Mapping[str, Any]) -> int:
    others = [i for i in range(1, drawn["m"] + 1) if i != drawn["a"]]
    return rng.choice(others) if others else 1


def _draw_keys(rng: random.Random, drawn: Mapping[str, Any]) -> list[list[int]] | None:
    """Signed standard basis vectors e_j of R^d on m distinct axes: orthonormal."""
    m, d = drawn["m"], drawn["d"]
    if m > d:
        return None  # impossible; the constraint m <= d reports it
    axes = rng.sample(range(d), m)
    return [[rng.choice((1, -1)) if j == axis else 0 for j in range(d)] for axis in axes]


def _draw_values(rng: random.Random, drawn: Mapping[str, Any]) -> list[list[int]]:
    """m distinct nonzero vectors of integers from -3 to 3, of width d."""
    m, d = drawn["m"], drawn["d"]
    rows: list[list[int]] = []
    while len(rows) < m:
        row = [rng.randint(-3, 3) for _ in range(d)]
        if any(row) and row not in rows:
            rows.append(row)
    return rows


def _orthonormal(keys: list[list[Any]]) -> list[list[Any]]:
    """The keys, if they are exactly orthonormal; else a ValueError that says which pair fails."""
    for i, ki in enumerate(keys):
        for j in range(i, len(keys)):
            dot = sum(to_sympy(x) * to_sympy(y) for x, y in zip(ki, keys[j]))
            want = 1 if i == j else 0
            if dot != want:
                what = f"k_{i + 1} . k_{i + 1} = {dot}: not a unit vector" if i == j else \
                    f"k_{i + 1} . k_{j + 1} = {dot}: not orthogonal"
                raise ValueError(f"the keys must be orthonormal (k_i . k_j = 1 if i = j, else 0), but {what}")
    return keys


def standard_basis(count: int, width: int) -> list[list[int]]:
    """e_1, ..., e_count of R^width."""
    return [[int(i == j) for j in range(width)] for i in range(count)]


def effective_keys_values(p: Mapping[str, Any]) -> tuple[list[list[Any]], list[list[Any]]]:
    """The keys and values of the instance: null keys are e_1..e_m of R^d,
    null values e_1..e_m of R^m (so that c is the weight vector itself)."""
    m, d = p["m"], p["d"]
    keys = p["keys"] if p["keys"] is not None else standard_basis(m, d)
    values = p["values"] if p["values"] is not None else standard_basis(m, m)
    if m > d:
        raise ValueError(f"m = {m} orthonormal keys need a dimension d >= m, but d = {d}")
    if len(keys) != m or any(len(k) != d for k in keys):
        raise ValueError(f"keys must be m = {m} vectors of dimension d = {d}, found {len(keys)} of "
                         f"dimension {len(keys[0])}")
    if len(values) != m:
        raise ValueError(f"values must be m = {m} vectors (one per key), found {len(values)}")
    for name in ("a", "b"):
        if not 1 <= p[name] <= m:
            raise ValueError(f"{name} = {p[name]} is not a key index 1..{m}")
    if p["a"] == p["b"]:
        raise ValueError(f"a and b must be different keys, both are {p['a']}")
    if not to_sympy(p["beta"]) > 0:
        raise ValueError(f"beta must be positive, found {p['beta']}")
    _orthonormal(keys)
    return [to_sympy(k) for k in keys], [to_sympy(v) for v in values]


class AttentionQuery(Family):
    name = "attention_query"
    title = "Attention as copying: a query that selects or averages values"
    params = (
        Int("m", Computed(_draw_m, "3 or 4 (as many as fixed keys or values)"), low=2, high=6,
            doc="number of keys (and values)"),
        Int("d", Computed(_draw_d, "m, sometimes m + 1 (the width of fixed keys)"), low=2, high=6,
            doc="dimension of the keys and the query, d >= m"),
        Int("a", Computed(_draw_a, "a key index 1..m"), low=1, high=6, doc="first selected key"),
        Int("b", Computed(_draw_b, "a key index 1..m other than a"), low=1, high=6, doc="second selected key"),
        Rat("beta", Choice((2, 3, 4, 5, 10)), low=0, high=100, doc="the scale of the query, beta > 0"),
        Param("keys", "matrix", Computed(_draw_keys, "m distinct signed standard basis vectors of R^d"),
              "the keys k_1..k_m as rows, exactly orthonormal; null: e_1..e_m", low=-1, high=1,
              element="rational", length=(1, 6), optional=True, validator=_orthonormal),
        Param("values", "matrix", Computed(_draw_values, "m distinct nonzero vectors of integers from -3 to 3 in R^d"),
              "the values v_1..v_m as rows; null: e_1..e_m of R^m", low=-20, high=20,
              element="rational", length=(1, 6), optional=True),
    )
    constraints = (
        "m <= d",
        "a != b",
        "a <= m and b <= m",
        "beta > 0",
        "keys == None or (len(keys) == m and len(keys[0]) == d)",
        "values == None or len(values) == m",
    )
    parts = (
        Part("a", (), space="5cm"),
        Part("b", ("query",), space="4cm"),
        Part("c", ("weights", "output", "limit_output"), space="7cm"),
    )

    def solve(self, p: Mapping[str, Any]) -> Solution:
        keys, values = effective_keys_values(p)
        m, a, b, beta = p["m"], p["a"], p["b"], to_sympy(p["beta"])
        k = [sympy.Matrix(key) for key in keys]
        v = [sympy.Matrix(value) for value in values]
        query = beta * (k[a - 1] + k[b - 1])
        # Orthonormal keys: k_i^T q = beta (k_i^T k_a + k_i^T k_b) is beta for
        # i in {a, b} and 0 otherwise, so the softmax has a closed form.
        big = sympy.exp(beta)
        total = 2 * big + (m - 2)
        selected = (a, b)
        weights = [big / total if i in selected else 1 / total for i in range(1, m + 1)]
        others = [i for i in range(1, m + 1) if i not in selected]
        numerator = big * (v[a - 1] + v[b - 1]) + sum((v[i - 1] for i in others), sympy.zeros(len(values[0]), 1))
        output = [n / total for n in numerator]
        limit_output = list((v[a - 1] + v[b - 1]) / 2)
        steps = {
            "key_rows": keys, "value_rows": values, "others": others,
            "scores": [(k[i].T * query)[0] for i in range(m)],
            "copy_query": list(beta * k[a - 1]),
            "copy_weight": big / (big + m - 1),
            "copy_weight_approx": approx(big / (big + m - 1), 4),
            "total": total,
            "numerator": list(numerator),
            "weight_numerators": [big if i in selected else 1 for i in range(1, m + 1)],
            "weights_approx": [approx(w, 4) for w in weights],
            "output_approx": [approx(c, 4) for c in output],
            "standard_keys": p["keys"] is None, "standard_values": p["values"] is None,
        }
        return Solution({"query": list(query), "weights": weights, "output": output,
                         "limit_output": limit_output}, steps)

    def check(self, p: Mapping[str, Any]) -> dict[str, Any]:
        # Second route: no orthonormality algebra. The query is the
        # minimum-norm solution of K q = beta (e_a + e_b) (scores beta on the
        # two keys, 0 elsewhere); the weights are the softmax of the scores
        # K q written out; c = V^T alpha; the limit is sympy.limit in a symbol beta.
        keys, values = effective_keys_values(p)
        m, a, b = p["m"], p["a"], p["b"]
        K, V = sympy.Matrix(keys), sympy.Matrix(values)
        t = sympy.Symbol("t", positive=True)
        target = sympy.Matrix([t if i in (a - 1, b - 1) else 0 for i in range(m)])
        q = K.T * (K * K.T).solve(target)
        scores = K * q
        exps = [sympy.exp(s) for s in scores]
        alpha = sympy.Matrix([e / sum(exps) for e in exps])
        c = V.T * alpha
        beta = to_sympy(p["beta"])
        return {
            "query": list(q.subs(t, beta)),
            "weights": list(alpha.subs(t, beta)),
            "output": list(c.subs(t, beta)),
            "limit_output": [sympy.limit(ci, t, sympy.oo) for ci in c],
        }


@hookimpl
def genexam_families() -> list[type[Family]]:
    return [AttentionQuery]
