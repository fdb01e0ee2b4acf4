"""Benchmark: wall time of `genexam check` over the built-in families (200
seeds each: drawn, solved and checked; every instance rendered to Markdown, 50
converted to LaTeX and Typst, exam and key of two compiled by Typst), and
where the time goes, per family and per check.

Target on this 2-core machine: under 60 s, so authors run it often.

    python bench/check.py [--jobs N]

Runs `genexam check` once in a fresh process (as a user would) for the wall
time and its CPU time, then the contract in this process, one family at a
time, for the breakdown. Uses the standard library and genexam.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--no-breakdown", action="store_true", help="only the wall time of the command")
    args = parser.parse_args()

    from genexam.registry import build_registry

    registry = build_registry()
    builtin = [name for name in registry.families if registry.is_builtin(name)]
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    run = subprocess.run([sys.executable, "-m", "genexam.cli", "check", "--jobs", str(args.jobs), *builtin],
                         capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    load = os.getloadavg()[0]
    print(f"genexam check, {len(builtin)} built-in families, --jobs {args.jobs}: {elapsed:.1f} s wall, "
          f"{cpu:.1f} s CPU (load average {load:.1f} on {os.cpu_count()} cores); exit {run.returncode}")
    if run.returncode != 0:
        print(run.stdout[-3000:], run.stderr[-2000:])
    if args.no_breakdown:
        return

    from genexam.contract import check_family

    print(f"\n{'family':<26}{'total':>8}" + "".join(f"{c:>15}" for c in
                                                    ("declaration", "draws", "solve = check", "templates", "Typst")))
    for name in builtin:
        report = check_family(registry.families[name], registry)
        seconds = [o.seconds for o in report.outcomes]
        print(f"{name:<26}{sum(seconds):>7.1f}s" + "".join(f"{s:>14.2f}s" for s in seconds))


if __name__ == "__main__":
    main()
