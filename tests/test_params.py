"""Parameter declarations: coercion of user values and checks of distributions."""

from __future__ import annotations

from fractions import Fraction

import pytest

from genexam.params import Bool, Int, Matrix, OneOf, Rat, Vector


@pytest.mark.parametrize("param, raw, value", [
    (Int("n", 1, low=1, high=10), 3, 3),
    (Int("n", 1, low=1, high=10), "7", 7),
    (Rat("eta", 1, low=0, high=4), "1/2", Fraction(1, 2)),
    (Rat("eta", 1, low=0, high=4), 0.25, Fraction(1, 4)),
    (Rat("eta", 1, low=0, high=4), "4/2", 2),
    (Bool("bias", False), True, True),
    (OneOf("mode", ("simultaneous", "alternating"), "alternating"), "simultaneous", "simultaneous"),
    (Vector("x", [1], low=-5, high=5, element="rational"), [1, "1/3", -2], [1, Fraction(1, 3), -2]),
    (Matrix("A", [[1]], low=-5, high=5), [[2, 1], [1, 2]], [[2, 1], [1, 2]]),
])
def test_values_are_coerced_exactly(param, raw, value):
    assert param.distribution_of(raw).value == value


@pytest.mark.parametrize("param, raw, message", [
    (Int("n", 1, low=1, high=10), 11, "outside the allowed range"),
    (Int("n", 1, low=1, high=10), "1/2", "expected an integer"),
    (Int("n", 1, low=1, high=10), True, "expected an integer"),
    (Bool("bias", False), "yes", "true or false"),
    (OneOf("mode", ("simultaneous", "alternating"), "alternating"), "alternate", "did you mean 'alternating'"),
    (Vector("x", [1], low=-5, high=5, length=(2, 3)), [1], "a list of 2 to 3"),
    (Matrix("A", [[1]], low=-5, high=5), [[1, 2], [3]], "equal length"),
    (Int("n", 1, low=1, high=10), {"randint": [5, 20]}, "outside the allowed range"),
    (Int("n", 1, low=1, high=10), {"range": [1, 5, "1/2"]}, "must be integers"),
    (Int("n", 1, low=1, high=10), {"randint": [1, 5], "size": 2}, "'size' draws a list"),
    (Vector("x", [1], low=-5, high=5), {"randint": [1, 5]}, "add 'size: N'"),
    (Vector("x", [1], low=-5, high=5, length=(2, 3)), {"randint": [1, 5], "size": 9}, "allowed length"),
    (Matrix("A", [[1]], low=-5, high=5), {"randint": [1, 5], "size": 4}, "choice' of whole matrices"),
    (OneOf("mode", ("simultaneous", "alternating"), "alternating"), {"randint": [1, 2]}, "use a fixed value or 'choice'"),
    (Int("n", 1), {"randint": [1, 5], "range": [1, 2, 1]}, "exactly one of"),
    (Int("n", 1), {"randnt": [1, 5]}, "did you mean 'randint'"),
])
def test_bad_values_say_what_was_expected(param, raw, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        param.distribution_of(raw)


def test_distributions_stay_within_their_support():
    import random

    rng = random.Random(0)
    dist = Rat("eta", 1, low=0, high=4).distribution_of({"range": ["1/4", 1, "1/4"]})
    values = {dist.sample(rng, {}) for _ in range(200)}
    assert values == {Fraction(1, 4), Fraction(1, 2), Fraction(3, 4), 1}
    vec = Vector("x", [1], low=-2, high=2).distribution_of({"choice": [-1, 1], "size": 3})
    assert all(len(v) == 3 and set(v) <= {-1, 1} for v in (vec.sample(rng, {}) for _ in range(50)))
    mat = Matrix("A", [[1]], low=-5, high=5).distribution_of({"choice": [[[1, 0], [0, 1]], [[2, 1], [1, 2]]]})
    assert mat.sample(rng, {}) in ([[1, 0], [0, 1]], [[2, 1], [1, 2]])
