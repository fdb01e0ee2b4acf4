"""``genexam check``: the family contract (:mod:`genexam.contract`) over the
installed families -- in worker processes, one family each -- printed as a
table per family; exit 1 on any failure. A plugin that failed to load is a
failure too."""

from __future__ import annotations

import time
from typing import Any, Callable, Sequence

from .contract import CONVERTED, SEEDS, Failure, FamilyReport, Outcome, check_family
from .errors import GenexamError
from .registry import Registry


def check_all(names: Sequence[str] = (), registry: Registry | None = None, seeds: int = SEEDS,
              converted: int | None = CONVERTED, jobs: int = 1,
              progress: Callable[[FamilyReport], None] | None = None) -> list[FamilyReport]:
    """The contract for ``names`` (default: every installed family), plus a
    failed report for each plugin that could not be loaded. With ``jobs`` > 1
    the families are checked in that many processes (reports stay in order)."""
    from .registry import build_registry

    registry = registry or build_registry()
    for name in names:  # every name first: a typo should not wait for the others' checks
        if name not in registry.families and registry.failure_for(name) is None:
            raise GenexamError(registry.unknown(name))
    wanted = list(dict.fromkeys(names)) or list(registry.families)
    reports: list[FamilyReport] = []

    def add(report: FamilyReport) -> None:
        reports.append(report)
        if progress:
            progress(report)

    checkable = [n for n in wanted if n in registry.families]
    if jobs > 1 and len(checkable) > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=min(jobs, len(checkable))) as pool:
            done = iter(pool.map(_check_in_worker, checkable, [seeds] * len(checkable), [converted] * len(checkable)))
            for name in wanted:  # in order, each as soon as it (and those before it) are done
                add(next(done) if name in registry.families else _load_failure(name, registry.failure_for(name)))
    else:
        for name in wanted:
            add(check_family(registry.families[name], registry, seeds, converted) if name in registry.families
                else _load_failure(name, registry.failure_for(name)))
    if not names:  # every plugin that failed to load is a failure of `genexam check`
        for failure in registry.failures:
            if not any(o.check == "load" and o.failures[0].message == failure.message
                       for r in reports for o in r.outcomes):
                add(_load_failure(failure.families[0] if failure.families else failure.plugin, failure))
    return reports


_worker_registry: Registry | None = None


def _check_in_worker(name: str, seeds: int, converted: int | None) -> FamilyReport:
    """One family's contract in a worker process (its registry built once)."""
    global _worker_registry
    from .registry import build_registry

    if _worker_registry is None:
        _worker_registry = build_registry()
    return check_family(_worker_registry.families[name], _worker_registry, seeds, converted)


def _load_failure(name: str, failure: Any) -> FamilyReport:
    return FamilyReport(name, failure.plugin, [Outcome("load", "the plugin", [Failure(failure.message)])])


def run_check(names: Sequence[str] = (), seeds: int = SEEDS, converted: int | None = CONVERTED,
              jobs: int | None = None) -> int:
    """``genexam check``: a table per family; 0 when all pass, 1 otherwise."""
    import sys

    from rich.console import Console

    console = Console(highlight=False, soft_wrap=True)
    start = time.perf_counter()
    import os

    reports = check_all(names, seeds=seeds, converted=converted, jobs=jobs or os.cpu_count() or 1,
                        progress=lambda report: _print_report(console, report))
    failed = [r.family for r in reports if not r.passed]
    elapsed = time.perf_counter() - start
    plural = "family" if len(reports) == 1 else "families"
    if failed:
        console.print(f"genexam check: {len(failed)} of {len(reports)} {plural} FAILED "
                      f"({', '.join(failed)}) in {elapsed:.1f} s")
        sys.stdout.flush()
        return 1
    console.print(f"genexam check: {len(reports)} {plural} passed ({seeds} seeds each) in {elapsed:.1f} s")
    return 0


def _print_report(console: Any, report: FamilyReport) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"{report.family}  [dim]{escape(report.plugin)}[/dim]", title_justify="left",
                  show_header=True, header_style="bold")
    table.add_column("check")
    table.add_column("result")
    table.add_column("covered")
    table.add_column("time", justify="right")
    for o in report.outcomes:
        result = "[dim]skipped[/dim]" if o.skipped else "[green]ok[/green]" if o.passed else \
            f"[red]FAILED[/red] ({len(o.failures)})"
        table.add_row(o.check, result, escape(o.detail), f"{o.seconds:.2f} s" if not o.skipped else "")
    console.print(table)
    for o in report.outcomes:
        for line in o.messages(report.family):
            console.print(f"  [red]{escape(o.check)}[/red]: {escape(line)}")
    if not report.passed:
        console.print()
