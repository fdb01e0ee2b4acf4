"""Benchmark: wall time of building problem_sets/a5.yaml with 1, 10 and 100
versions (all formats, PDFs by Typst), the marginal cost per version, and the
start-up time of `genexam --help`.

Targets on a 2-core machine: 100 versions under 10 s; `genexam --help` under 0.3 s.

    python bench/build.py [--runs N]

Each figure is the median of N runs of the whole command, in a fresh process,
as a user would run it. Uses only the standard library.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "problem_sets" / "a5.yaml"
GENEXAM = [sys.executable, "-m", "genexam.cli"]


def wall(args: list[str], runs: int) -> float:
    """Median wall time in seconds of `genexam ARGS` over ``runs`` runs (after one warm-up)."""
    times = []
    for attempt in range(runs + 1):
        start = time.perf_counter()
        subprocess.run(GENEXAM + args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if attempt:  # the first run warms the disk cache
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median reported; default 3)")
    args = parser.parse_args()
    print(f"genexam build benchmark: {SPEC.relative_to(REPO)}, all formats, Typst PDFs, "
          f"{os.cpu_count()} cores, median of {args.runs} runs")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for versions in (1, 10, 100):
            out = Path(tmp) / f"v{versions}"
            results[versions] = wall([str(SPEC), "-o", str(out), "--versions", str(versions)], args.runs)
            files = len(list(out.iterdir())) - 1  # less the output marker
            print(f"  {versions:>3} versions: {results[versions]:6.2f} s  ({files} files)")
    marginal = (results[100] - results[10]) / 90
    print(f"  marginal cost per version (10 -> 100): {marginal * 1000:.0f} ms")
    print(f"  target: 100 versions < 10 s -> {'met' if results[100] < 10 else 'NOT met'}")
    help_time = wall(["--help"], max(args.runs, 5))
    print(f"  genexam --help: {help_time * 1000:.0f} ms (target < 300 ms -> {'met' if help_time < 0.3 else 'NOT met'})")


if __name__ == "__main__":
    main()
