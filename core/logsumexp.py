"""Exact log-sum-exp in one canonical form.

``log(e^4 + 1 + e^-4)`` and ``4 + log(1 + e^-4 + e^-8)`` are the same number,
but sympy's ``simplify`` does not see it (it never pulls a factor out of a log
of a sum). Families that write a softmax's normaliser therefore use one form,
the one a careful implementation computes: the largest exponent taken out,

    log sum_j e^{s_j} = m + log sum_j e^{s_j - m},  m = max_j s_j,

so every term left in the log is at most 1 and the largest is exactly 1.
:func:`log_sum_exp` builds that form from the exponents;
:func:`canonical_log_sums` rewrites every log of a sum of exponentials in an
expression into it, so an answer reached by another route can be compared.
"""

from __future__ import annotations

from typing import Any, Sequence

import sympy


def log_sum_exp(exponents: Sequence[Any]) -> Any:
    """log(sum_j exp(s_j)) as m + log(sum_j exp(s_j - m)) with m the largest s_j (exact)."""
    values = [sympy.sympify(s) for s in exponents]
    top = _largest(values)
    return top + sympy.log(sympy.Add(*(shifted_exp(s, top) for s in values)))


def canonical_log_sums(expr: Any) -> Any:
    """``expr`` with every log of a sum of exponential terms (c e^{s}, c > 0
    rational) rewritten as m + log(sum c e^{s - m}), m the largest exponent."""
    expr = sympy.sympify(expr)

    def is_log_of_exp_sum(node: Any) -> bool:
        return isinstance(node, sympy.log) and all(
            _exponent(term) is not None for term in sympy.Add.make_args(node.args[0]))

    def rewrite(node: Any) -> Any:
        terms = sympy.Add.make_args(node.args[0])
        top = _largest([_exponent(term) for term in terms])
        return top + sympy.log(_shifted(terms, top))

    return expr.replace(is_log_of_exp_sum, rewrite)


def canonical_exp_sums(expr: Any) -> Any:
    """``expr`` with every sum of exponential terms S = sum c e^{s} (as in a
    softmax's denominator) written e^{m} sum c e^{s - m}, m the largest
    exponent, so that ``e^4 / (e^-4 + 1 + e^4)`` becomes ``1 / (e^-8 + e^-4 + 1)``."""
    expr = sympy.sympify(expr)

    def is_exp_sum(node: Any) -> bool:
        return node.is_Add and all(_exponent(term) is not None for term in node.args) and any(
            _exponent(term) != 0 for term in node.args)

    def rewrite(node: Any) -> Any:
        top = _largest([_exponent(term) for term in node.args])
        return sympy.exp(top) * _shifted(node.args, top)

    return expr.replace(is_exp_sum, rewrite)


def merge_exp_products(expr: Any) -> Any:
    """``expr`` with every product of exponentials e^{a} e^{b} written e^{a + b}
    (exponent expanded); sympy merges them by itself only for rational exponents."""
    expr = sympy.sympify(expr)

    def has_two_exps(node: Any) -> bool:
        return node.is_Mul and sum(1 for f in node.args if _exp_power(f) is not None) > 1

    def merge(node: Any) -> Any:
        exponents = [_exp_power(f) for f in node.args]
        rest = [f for f, e in zip(node.args, exponents) if e is None]
        total = sympy.Add(*(e for e in exponents if e is not None))
        return sympy.Mul(*rest) * sympy.exp(sympy.expand(total, power_exp=False, log=False))

    return expr.replace(has_two_exps, merge)


def canonical(expr: Any) -> Any:
    """All three rewritings: logs of exponential sums, the sums themselves,
    then products of exponentials merged."""
    return merge_exp_products(canonical_exp_sums(canonical_log_sums(merge_exp_products(expr))))


def vanishes(expr: Any) -> bool:
    """Whether ``expr``, a real constant, is exactly 0 although sympy did not
    reduce it (p_0 + p_1 - 1 for softmax probabilities p): tiny when
    evaluated, and its numerator over one common denominator multiplies
    out to 0. False when that algebra does not show it."""
    expr = sympy.sympify(expr)
    if expr.is_Number:
        return expr == 0
    try:
        if abs(expr.evalf(15)) > sympy.Rational(1, 10**12):
            return False
    except (TypeError, ValueError):
        return False
    numerator = sympy.fraction(sympy.together(expr))[0]
    return merge_exp_products(sympy.expand(numerator, power_exp=False, log=False)) == 0


def shifted_exp(exponent: Any, top: Any) -> Any:
    """e^{exponent - top} with the exponent expanded: the canonical term."""
    return sympy.exp(sympy.expand(exponent - top))


def _shifted(terms: Sequence[Any], top: Any) -> Any:
    """sum c e^{s - top} over the terms c e^{s}."""
    return sympy.Add(*(term.as_coeff_Mul()[0] * shifted_exp(_exponent(term), top) for term in terms))


def _exp_power(factor: Any) -> Any:
    """s for a factor e^{s} (sympy writes e^1 as E and e^{1/2} as a power of E), else None."""
    if isinstance(factor, sympy.exp):
        return factor.args[0]
    if factor is sympy.E:
        return sympy.Integer(1)
    if factor.is_Pow and factor.base is sympy.E:
        return factor.exp
    return None


def _exponent(term: Any) -> Any:
    """s for a term c e^{s} (c a positive rational, s real), else None."""
    coefficient, rest = term.as_coeff_Mul()
    if not (coefficient.is_Rational and coefficient > 0):
        return None
    if rest == 1:
        return sympy.Integer(0)
    powers = [_exp_power(f) for f in sympy.Mul.make_args(rest)]  # e^a e^b counts as e^{a + b}
    if any(e is None for e in powers):
        return None
    return sympy.expand(sympy.Add(*powers), power_exp=False, log=False)


def _largest(values: Sequence[Any]) -> Any:
    """The largest of exact real numbers (compared at 50 digits; equal ones are the same)."""
    return max(values, key=lambda v: sympy.N(v, 50))
