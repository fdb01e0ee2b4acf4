"""Benchmark: a spec with three wide `range` parameters against the same
spans as `randint` (issue 7's valid-but-slow case): 702 versions of
attention_ops with n in 1..100000, d_k and d_v in 1..65536 and
`where: ["n % 50 == 0"]`, JSON only.

Target: the range spec builds about as fast as the randint one (a few
seconds on 2 cores); before ranges were drawn by index it ran past 60 s.
Both draw the same values, which tests/test_limits.py checks.

    python bench/ranges.py [--runs N] [--versions N]

Each figure is the median of N runs of the whole command in a fresh process.
Uses only the standard library.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GENEXAM = [sys.executable, "-m", "genexam.cli"]


def spec(form: str, versions: int) -> str:
    draw = "{range: [1, %d, 1]}" if form == "range" else "{randint: [1, %d]}"
    return (f"title: Ranges\nseed: 3\nversions: {versions}\nformats: [json]\nproblems:\n"
            f"  - family: attention_ops\n    points: 1\n    params:\n"
            f"      n: {draw % 100000}\n      d_k: {draw % 65536}\n      d_v: {draw % 65536}\n"
            f"    where: [\"n % 50 == 0\"]\n")


def wall(path: Path, out: Path, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([*GENEXAM, str(path), "-o", str(out)], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--versions", type=int, default=702)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        for form in ("range", "randint"):
            path = root / f"{form}.yaml"
            path.write_text(spec(form, args.versions))
            print(f"{form:8} {args.versions} versions: {wall(path, root / form, args.runs):.2f} s "
                  f"(median of {args.runs})")


if __name__ == "__main__":
    main()
