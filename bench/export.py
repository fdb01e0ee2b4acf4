"""Benchmark: what the online exports add to a build of problem_sets/a5.yaml
with 100 versions -- the same build with and without `moodle,qti` (and with
`html` too), side by side.

Target on a 2-core machine: exporting 100 versions to Moodle and Canvas adds
under 2 s.

    python bench/export.py [--runs N] [--versions N]

Each figure is the median of N runs of the whole command in a fresh process,
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
BASE = "md,tex,typ,pdf,json"  # a spec's default formats


def wall(args: list[str], runs: int) -> float:
    """Median wall time in seconds of `genexam ARGS` over ``runs`` runs (after one warm-up)."""
    times = []
    for attempt in range(runs + 1):
        start = time.perf_counter()
        subprocess.run(GENEXAM + args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if attempt:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median reported; default 3)")
    parser.add_argument("--versions", type=int, default=100)
    args = parser.parse_args()
    print(f"genexam export benchmark: {SPEC.relative_to(REPO)}, {args.versions} versions, "
          f"{os.cpu_count()} cores, median of {args.runs} runs")
    rows = [("json only", "json"), ("json + moodle,qti", "json,moodle,qti"),
            ("default formats (PDFs)", BASE), ("default + moodle,qti", f"{BASE},moodle,qti"),
            ("default + moodle,qti,html", f"{BASE},moodle,qti,html")]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, formats in rows:
            out = Path(tmp) / formats.replace(",", "_")
            results[label] = wall([str(SPEC), "-o", str(out), "--versions", str(args.versions), "--format", formats],
                                  args.runs)
            print(f"  {label:<28} {results[label]:6.2f} s")
    for without, with_ in (("json only", "json + moodle,qti"), ("default formats (PDFs)", "default + moodle,qti")):
        added = results[with_] - results[without]
        print(f"  moodle,qti add {added:5.2f} s to '{without}' (target < 2 s -> {'met' if added < 2 else 'NOT met'})")


if __name__ == "__main__":
    main()
