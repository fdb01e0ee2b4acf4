"""genexam's family contract for a plugin package's own tests.

One line in a test module gives a package the checks ``genexam check`` runs
(see :mod:`genexam.contract`)::

    from genexam.testing import family_contract

    test_contract = family_contract("my_family")

pytest collects ``test_contract`` once per family named (all installed
families when none is). Loaded as a pytest plugin (the ``pytest11`` entry
point), this module also offers the fixture ``genexam_contract``: call it with
a family name inside any test.
"""

from __future__ import annotations

from typing import Any, Callable

import pytest


def family_contract(*names: str, seeds: int | None = None, converted: int | None = -1) -> Callable[..., None]:
    """A pytest test function running the contract on each family in ``names``
    (default: every installed family); ``seeds`` defaults to 200 and
    ``converted`` (instances converted by pandoc, None for all) to 50."""

    @pytest.mark.parametrize("family_name", list(names) or _installed())
    def test_family_contract(family_name: str) -> None:
        assert_contract(family_name, seeds=seeds, converted=converted)

    return test_family_contract


def assert_contract(name: str, seeds: int | None = None, converted: int | None = -1) -> None:
    """Run the contract on family ``name``; fail the test with every finding."""
    from .contract import CONVERTED, SEEDS, check_family
    from .registry import build_registry

    registry = build_registry()
    if name not in registry.families:
        pytest.fail(registry.unknown(name), pytrace=False)
    report = check_family(registry.families[name], registry, seeds or SEEDS,
                          CONVERTED if converted == -1 else converted)
    if not report.passed:
        pytest.fail(f"family '{name}' breaks the genexam contract:\n  " + "\n  ".join(report.failures()),
                    pytrace=False)


def _installed() -> list[str]:
    from .registry import build_registry

    return list(build_registry().families)


@pytest.fixture
def genexam_contract() -> Callable[..., Any]:
    """``genexam_contract("my_family")`` runs the contract on that family and
    fails the test with every finding."""
    return assert_contract
