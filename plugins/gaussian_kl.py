"""gaussian_kl: the VAE's ELBO, its two terms, and KL(N(mu, diag sigma^2) || N(0, I))."""

from __future__ import annotations

import functools
import random
from fractions import Fraction
from typing import Any, Mapping

import sympy

from genexam import hookimpl
from genexam.decimals import approx
from genexam.distributions import Computed
from genexam.family import Family, Part, Solution
from genexam.params import Vector
from genexam.texfilters import tex
from genexam.values import to_sympy

SIGMAS = (Fraction(1, 2), 1, 2)


def _means(rng: random.Random, drawn: Mapping[str, Any]) -> list[int]:
    # As many as a sigma fixed by the spec, if there is one; else 2 or 3.
    length = len(drawn["sigma"]) if "sigma" in drawn else rng.randint(2, 3)
    return [rng.randint(-2, 2) for _ in range(length)]


def _scales(rng: random.Random, drawn: Mapping[str, Any]) -> list[Any]:
    return [rng.choice(SIGMAS) for _ in drawn["mu"]]


def _log_of_primes(value: Any) -> Any:
    """log(n) for an integer n > 1 as sum e_p log(p) over its prime factors."""
    n = value.args[0]
    if not (n.is_Integer and n > 1):
        return value
    return sum((e * sympy.log(q) for q, e in sympy.factorint(n).items()), sympy.Integer(0))


def clean(value: Any) -> Any:
    """An exact expression with logs of rationals split into logs of primes
    and like terms collected: log(9/4) -> 2 log(3) - 2 log(2), log(6) -> log(2) + log(3)."""
    split = sympy.expand_log(sympy.sympify(value), force=True)
    return sympy.expand(split.replace(lambda e: isinstance(e, sympy.log), _log_of_primes))


def log_combination_tex(value: Any) -> str:
    """A rational plus rational multiples of logs of primes, as TeX in a fixed
    order: the rational first, then the logs by increasing prime,
    e.g. '\\frac{3}{4} + 2 \\log 2 - \\log 3'."""
    constant, terms = sympy.sympify(value).as_coeff_add()
    pieces = []  # (negative?, body)
    if constant != 0 or not terms:
        pieces.append((constant < 0, tex(abs(constant))))
    logs = []
    for term in terms:
        coef, rest = term.as_coeff_Mul()
        if not isinstance(rest, sympy.log):  # not of the expected form: print it as sympy does
            return tex(value)
        logs.append((rest.args[0], coef))
    for argument, coef in sorted(logs, key=lambda pair: pair[0]):
        size = abs(coef)
        body = r"\log " + tex(argument) if argument.is_Integer else rf"\log\left({tex(argument)}\right)"
        pieces.append((coef < 0, body if size == 1 else f"{tex(size)} {body}"))
    first_negative, first = pieces[0]
    text = ("-" if first_negative else "") + first
    return text + "".join(f" {'-' if negative else '+'} {body}" for negative, body in pieces[1:])


def dimension_kl(mu: Any, sigma: Any) -> Any:
    """KL(N(mu, sigma^2) || N(0, 1)) = 1/2 (mu^2 + sigma^2 - 1 - log sigma^2)."""
    return clean((mu**2 + sigma**2 - 1 - sympy.log(sigma**2)) / 2)


@functools.lru_cache(maxsize=1)
def _kl_by_integration() -> tuple[Any, Any, Any]:
    """E_q[log q(z) - log p(z)] for q = N(m, s^2), p = N(0, 1), integrated by sympy once
    over the real line with m and s left as symbols."""
    z = sympy.Symbol("z", real=True)
    m = sympy.Symbol("m", real=True)
    s = sympy.Symbol("s", positive=True)

    def normal_pdf(mean: Any, std: Any) -> Any:
        return sympy.exp(-(z - mean) ** 2 / (2 * std**2)) / (std * sympy.sqrt(2 * sympy.pi))

    q, p = normal_pdf(m, s), normal_pdf(0, 1)
    log_ratio = sympy.expand(sympy.expand_log(sympy.log(q) - sympy.log(p), force=True))
    return sympy.integrate(q * log_ratio, (z, -sympy.oo, sympy.oo)), m, s


class GaussianKl(Family):
    name = "gaussian_kl"
    title = "The VAE's ELBO and the KL divergence of a diagonal Gaussian from N(0, I)"
    params = (
        Vector("mu", Computed(_means, "2 or 3 integers from -2 to 2 (as many as a fixed sigma)"),
               low=-10, high=10, element="rational", length=(1, 6), doc="the encoder's mean mu(x)"),
        Vector("sigma", Computed(_scales, "one of 1/2, 1, 2 per entry of mu"), low=0, high=10,
               element="rational", length=(1, 6), doc="the encoder's standard deviations sigma(x), all > 0"),
    )
    constraints = ("len(mu) == len(sigma)", "min(sigma) > 0")
    parts = (
        Part("a", (), space="7cm"),
        Part("b", (), space="4cm"),
        Part("c", ("kl",), space="6cm"),
    )

    def solve(self, p: Mapping[str, Any]) -> Solution:
        mus, sigmas = to_sympy(p["mu"]), to_sympy(p["sigma"])
        rows = []
        for j, (mu, sigma) in enumerate(zip(mus, sigmas), start=1):
            bracket = clean(mu**2 + sigma**2 - 1 - sympy.log(sigma**2))
            rows.append({"j": j, "mu": mu, "sigma": sigma, "mu2": mu**2, "sigma2": sigma**2, "poly": mu**2 + sigma**2 - 1,
                         "log_sigma2": log_combination_tex(clean(sympy.log(sigma**2))),
                         "bracket": bracket, "bracket_tex": log_combination_tex(bracket),
                         "kl": dimension_kl(mu, sigma)})
        kl = clean(sum((row["kl"] for row in rows), sympy.Integer(0)))
        steps = {
            "d": len(rows),
            "rows": rows,
            "bracket_sum": log_combination_tex(clean(sum((row["bracket"] for row in rows), sympy.Integer(0)))),
            "kl_tex": log_combination_tex(kl),
            "kl_approx": approx(kl, 5),
            "exact_is_rational": kl.is_Rational,
        }
        return Solution({"kl": kl}, steps)

    def check(self, p: Mapping[str, Any]) -> dict[str, Any]:
        # Second route: KL as the integral E_q[log q - log p] of the two
        # Gaussian densities in one dimension (sympy integrates it once,
        # symbolically), summed over the independent coordinates.
        integral, m, s = _kl_by_integration()
        total = sum((integral.subs({m: sympy.Rational(mu), s: sympy.Rational(sigma)})
                     for mu, sigma in zip(p["mu"], p["sigma"])), sympy.Integer(0))
        return {"kl": total}


@hookimpl
def genexam_families() -> list[type[Family]]:
    return [GaussianKl]
