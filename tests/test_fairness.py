"""Fairness before the exam: `genexam validate --fairness` names versions
whose instances stand out on the families' difficulty measures."""

from __future__ import annotations

from types import SimpleNamespace

import genexam.fairness as fairness
from conftest import PROBLEM_SETS, run_genexam


def test_an_outlying_version_is_named(monkeypatch):
    versions = {label: [SimpleNamespace(number=1, problem=SimpleNamespace(id="p"), digits=digits)]
                for label, digits in zip("ABCDEFGH", [4, 5, 4, 5, 4, 5, 4, 19])}
    monkeypatch.setattr(fairness, "measures", lambda instance: {"digits": instance.digits})
    found, compared = fairness.outliers(versions)
    assert compared == 1 and [(o.version, o.value) for o in found] == [("H", 19)]
    assert "version H: digits = 19" in fairness.fairness_report(versions)


def test_designed_variety_is_not_an_outlier(monkeypatch):
    versions = {label: [SimpleNamespace(number=1, problem=SimpleNamespace(id="p"), values=v)]
                for label, v in zip("ABCDEFGHIJ", [5, 7, 5, 7, 5, 7, 5, 5, 7, 5])}  # 2-D and 3-D instances
    monkeypatch.setattr(fairness, "measures", lambda instance: {"values": instance.values})
    assert fairness.outliers(versions)[0] == []


def test_validate_fairness_reports_on_a_real_spec(tmp_path):
    spec = (PROBLEM_SETS / "test3.yaml").read_text().replace("versions: 2", "versions: 12")
    (tmp_path / "t.yaml").write_text(spec)
    run = run_genexam("validate", "--fairness", str(tmp_path / "t.yaml"))
    assert run.code == 0, run.stderr
    assert "measures compared across 12 versions" in run.stdout
