"""Benchmark: what the online exports add to a build of problem_sets/a5.yaml
with 100 versions -- the same build with and without `moodle,qti` (and with
`html` too), side by side.

Target on a 2-core machine: exporting 100 versions to Moodle and Canvas adds
under 2 s.

    python bench/export.py [--runs N] [--versions N]

Each figure is the median of N runs of the whole command in a fresh process,
as a user would run it: wall time, and CPU time (user + system, with pandoc's
processes), which a busy machine inflates less. Uses only the standard library.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "problem_sets" / "a5.yaml"
GENEXAM = [sys.executable, "-m", "genexam.cli"]
BASE = "md,tex,typ,pdf,json"  # a spec's default formats


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(args: list[str], runs: int) -> tuple[float, float]:
    """Median (wall, CPU) seconds of `genexam ARGS` over ``runs`` runs (after one warm-up)."""
    walls, cpus = [], []
    for attempt in range(runs + 1):
        start, cpu = time.perf_counter(), _children_cpu()
        subprocess.run(GENEXAM + args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if attempt:
            walls.append(time.perf_counter() - start)
            cpus.append(_children_cpu() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median reported; default 3)")
    parser.add_argument("--versions", type=int, default=100)
    parser.add_argument("--no-pdf", action="store_true", help="only the json rows (skip the builds with PDFs)")
    args = parser.parse_args()
    print(f"genexam export benchmark: {SPEC.relative_to(REPO)}, {args.versions} versions, "
          f"{os.cpu_count()} cores, median of {args.runs} runs")
    rows = [("json only", "json"), ("json + moodle,qti", "json,moodle,qti"),
            ("json + moodle,qti,html", "json,moodle,qti,html")]
    if not args.no_pdf:
        rows += [("default formats (PDFs)", BASE), ("default + moodle,qti", f"{BASE},moodle,qti")]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, formats in rows:
            out = Path(tmp) / formats.replace(",", "_")
            results[label] = timed([str(SPEC), "-o", str(out), "--versions", str(args.versions),
                                    "--format", formats], args.runs)
            wall, cpu = results[label]
            print(f"  {label:<28} wall {wall:6.2f} s   CPU {cpu:6.2f} s")
    for without, with_ in (("json only", "json + moodle,qti"), ("default formats (PDFs)", "default + moodle,qti")):
        if with_ in results:
            wall = results[with_][0] - results[without][0]
            cpu = results[with_][1] - results[without][1]
            print(f"  moodle,qti add {wall:5.2f} s wall, {cpu:5.2f} s CPU to '{without}' "
                  f"(target < 2 s wall -> {'met' if wall < 2 else 'NOT met'})")


if __name__ == "__main__":
    main()
