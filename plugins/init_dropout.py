"""init_dropout: torch.nn.init's Xavier and Kaiming initialisations (std and
bound), how the activation variance grows or shrinks through a deep stack, and
inverted dropout's scale and expectation."""

from __future__ import annotations

import functools
from fractions import Fraction
from typing import Any, Mapping

import sympy

from genexam import hookimpl
from genexam.decimals import approx
from genexam.distributions import Choice
from genexam.family import Family, Part, Solution
from genexam.params import Int, OneOf, Param, Rat
from genexam.texfilters import tex

INITS = ("xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal")
NONLINEARITIES = ("relu", "leaky_relu", "linear")
WIDTHS = (64, 100, 128, 200, 256, 300, 512)


def nonlinearity_gain(nonlinearity: str, a: Any) -> sympy.Expr:
    """torch.nn.init.calculate_gain for the activations used here."""
    if nonlinearity == "relu":
        return sympy.sqrt(2)
    if nonlinearity == "leaky_relu":
        return sympy.sqrt(sympy.Integer(2) / (1 + sympy.Rational(a) ** 2))
    return sympy.Integer(1)


def second_moment_factor(nonlinearity: str, a: Any) -> sympy.Rational:
    """E[f(y)^2] / Var(y) for a zero-mean symmetric y: half the mass is kept (relu),
    or scaled by a on the negative side (leaky_relu)."""
    if nonlinearity == "relu":
        return sympy.Rational(1, 2)
    if nonlinearity == "leaky_relu":
        return (1 + sympy.Rational(a) ** 2) / 2
    return sympy.Integer(1)


@functools.lru_cache(maxsize=32)
def _gaussian_second_moment(negative_slope: sympy.Rational) -> sympy.Expr:
    """E[f(y)^2] for y ~ N(0, 1) and f(y) = y for y > 0, negative_slope * y below, by integration."""
    y = sympy.Symbol("y", real=True)
    density = sympy.exp(-y**2 / 2) / sympy.sqrt(2 * sympy.pi)
    return (sympy.integrate(y**2 * density, (y, 0, sympy.oo))
            + sympy.integrate((negative_slope * y) ** 2 * density, (y, -sympy.oo, 0)))


def power_base(value: sympy.Expr) -> str:
    """TeX for ``value`` as the base of a power: in parentheses unless a plain non-negative integer."""
    text = tex(value)
    return text if value.is_Integer and value >= 0 else rf"\left({text}\right)"


class InitDropout(Family):
    name = "init_dropout"
    title = "Weight initialisation and dropout: std, bound, variance through depth, inverted dropout"
    params = (
        Int("fan_in", Choice(WIDTHS), low=1, high=1_000_000, doc="inputs per unit (weight shape fan_out x fan_in)"),
        Int("fan_out", Choice(WIDTHS), low=1, high=1_000_000, doc="outputs of the layer"),
        OneOf("init", INITS, Choice(INITS), doc="torch.nn.init's initialiser"),
        Rat("gain", 1, low=Fraction(1, 100), high=100, doc="xavier's gain (kaiming's comes from the nonlinearity)"),
        OneOf("nonlinearity", NONLINEARITIES, Choice(NONLINEARITIES),
              doc="the activation between layers (and kaiming's gain, calculate_gain(nonlinearity, a))"),
        Rat("a", Choice((Fraction(1, 10), Fraction(1, 5))), low=0, high=1,
            doc="leaky_relu's negative slope (unused otherwise)"),
        OneOf("mode", ("fan_in", "fan_out"), "fan_in", doc="kaiming's mode: which fan keeps its variance"),
        Int("layers", Choice((5, 10, 20, 50)), low=1, high=1000, doc="depth of the stack in part (b)"),
        Rat("p", Choice((Fraction(1, 10), Fraction(1, 5), Fraction(1, 4), Fraction(1, 2))), low=0,
            high=Fraction(99, 100), doc="dropout probability (of zeroing a unit)"),
        Param("x", "rational", Choice((1, 2, 3, 4, 6)), "the value of one unit before dropout",
              low=-1000, high=1000, element="rational"),
    )
    constraints = ("p < 1",)
    parts = (
        Part("a", ("std", "bound"), space="5cm"),
        Part("b", ("activation_var",), space="6cm"),
        Part("c", ("scale", "expectation"), space="4cm"),
    )

    def solve(self, p: Mapping[str, Any]) -> Solution:
        fan_in, fan_out, init = p["fan_in"], p["fan_out"], p["init"]
        xavier = init.startswith("xavier")
        gain = sympy.Rational(p["gain"]) if xavier else nonlinearity_gain(p["nonlinearity"], p["a"])
        if xavier:
            fan = sympy.Rational(fan_in + fan_out, 2)  # the average fan keeps both passes' variance near 1
            variance = gain**2 / fan
        else:
            fan = sympy.Integer(fan_in if p["mode"] == "fan_in" else fan_out)
            variance = gain**2 / fan
        std = sympy.sqrt(variance)
        bound = sympy.sqrt(3) * std if init.endswith("uniform") else None  # U(-b, b) has variance b^2 / 3
        c = second_moment_factor(p["nonlinearity"], p["a"])
        per_layer = fan_in * variance  # Var(W f(y)) / E[f(y)^2]
        factor = per_layer * c  # from one pre-activation to the next
        L = p["layers"]
        activation_var = per_layer**L * c ** (L - 1)
        prob = sympy.Rational(p["p"])
        scale = 1 / (1 - prob)
        x = sympy.Rational(p["x"])
        answers = {"std": std, "bound": bound, "activation_var": activation_var, "scale": scale,
                   "expectation": x}
        steps = {
            "xavier": xavier, "gain": gain, "gain_approx": approx(gain, 4), "fan": fan, "variance": variance,
            "std_approx": approx(std, 4), "bound_approx": approx(bound, 4) if bound is not None else None,
            "c": c, "per_layer": per_layer, "factor": factor, "first": per_layer,
            "activation_var_approx": approx(activation_var, 4),
            "factor_approx": approx(factor, 4), "stable": factor == 1,
            "kept": x * scale, "keep": 1 - prob,
            "variance_dropped": x**2 * prob / (1 - prob),
            "bases": {"gain": power_base(gain), "first": power_base(per_layer), "c": power_base(c)},
        }
        return Solution(answers, steps)

    def check(self, p: Mapping[str, Any]) -> dict[str, Any]:
        # Second route: PyTorch's documented formulas (the uniform bound first,
        # std = bound / sqrt(3)); E[f(y)^2] by integrating against a standard
        # normal, iterated layer by layer; dropout's scale solved from E = x.
        fan_in, fan_out, init = p["fan_in"], p["fan_out"], p["init"]
        if init.startswith("xavier"):
            gain = sympy.Rational(p["gain"])
            bound = gain * sympy.sqrt(sympy.Rational(6, fan_in + fan_out))
            std = gain * sympy.sqrt(sympy.Rational(2, fan_in + fan_out))
        else:
            slope = sympy.Rational(p["a"]) if p["nonlinearity"] == "leaky_relu" else None
            gain = {"relu": sympy.sqrt(2), "linear": sympy.Integer(1)}.get(
                p["nonlinearity"], sympy.sqrt(2 / (1 + (slope or 0) ** 2)))
            fan = fan_in if p["mode"] == "fan_in" else fan_out
            bound = gain * sympy.sqrt(sympy.Rational(3, fan))
            std = gain / sympy.sqrt(fan)
        if init.endswith("uniform"):
            std = bound / sympy.sqrt(3)
        else:
            bound = None
        negative = {"relu": 0, "leaky_relu": sympy.Rational(p["a"]), "linear": 1}[p["nonlinearity"]]
        moment = _gaussian_second_moment(negative)
        variance = sympy.Integer(1)  # of the input
        for layer in range(p["layers"]):
            second = variance if layer == 0 else variance * moment  # E[f(y)^2], Var(y) = variance
            variance = fan_in * std**2 * second
        s, prob, x = sympy.Symbol("s"), sympy.Rational(p["p"]), sympy.Rational(p["x"])
        (scale,) = sympy.solve(sympy.Eq(prob * 0 + (1 - prob) * s, 1), s)
        return {"std": std, "bound": bound, "activation_var": sympy.simplify(variance), "scale": scale,
                "expectation": prob * 0 + (1 - prob) * scale * x}


@hookimpl
def genexam_families() -> list[type[Family]]:
    return [InitDropout]
