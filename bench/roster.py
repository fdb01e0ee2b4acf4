"""Benchmark: a 200-student roster build of problem_sets/a5.yaml (exam +
key, Typst PDFs, all formats), beside the time Typst alone takes to compile
the same .typ files on every core, and a rebuild of the unchanged spec
(from genexam's cache). Both ways of handing out copies: students sharing
a5's 2 versions (Typst reuses a version's layout from copy to copy, so its
floor is low and genexam's own work per copy -- eight QR codes, the joined
print.pdf -- weighs most), and each student with an instance of their own
(400 distinct documents).

Targets on a 2-core machine: the build within 1.3x of the Typst floor; the
rebuild under 0.3x of the first build, with byte-identical output.

    python bench/roster.py [--students 200] [--mode shared|per-student|both]

Uses a fresh, empty cache folder (GENEXAM_CACHE_DIR) so the first build
starts cold. Needs only genexam's own dependencies.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "problem_sets" / "a5.yaml"
GENEXAM = [sys.executable, "-m", "genexam.cli"]


def roster(path: Path, students: int) -> None:
    rows = [f"s{i:04d},Student {i:04d}" for i in range(1, students + 1)]
    path.write_text("id,name\n" + "\n".join(rows) + "\n", encoding="utf-8")


def timed_build(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time, and CPU time of genexam and every process it started."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(GENEXAM + args, check=True, env=env, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


_compiler = None


def _compile(job: tuple[str, str]) -> float:
    """One .typ file with a reused compiler per process, the fonts genexam gives Typst."""
    global _compiler
    import typst

    from genexam.render.stamp import font_folders

    folder, name = job
    if _compiler is None:
        _compiler = typst.Compiler(ignore_system_fonts=True, font_paths=font_folders())
    root = Path(folder)
    files = {str(p.relative_to(root)): p.read_bytes() for p in (root / "figures").glob("*.svg")}
    main = (root / name).read_bytes()
    start = time.process_time()
    _compiler.compile({"main.typ": main, **files} if files else main, format="pdf")
    return time.process_time() - start


def typst_floor(folder: Path) -> tuple[float, float, int]:
    """Wall time to compile every .typ file in ``folder`` on every core, and Typst's CPU time."""
    jobs = [(str(folder), p.name) for p in sorted(folder.glob("*.typ"))]
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(_compile, jobs[:2]))  # start the workers and load fonts: not part of the floor
        start = time.perf_counter()
        cpu = sum(pool.map(_compile, jobs, chunksize=4))
        return time.perf_counter() - start, cpu, len(jobs)


def qr_cost(folder: Path) -> tuple[float, int]:
    """CPU time to encode and draw (SVG and LaTeX) every page's QR code of the copies in ``folder``."""
    from genexam.render import stamp

    roster = json.loads((folder / "answers.json").read_text(encoding="utf-8"))["roster"]
    payloads = [stamp.qr_payload(roster["digest"], s["version"], s["id"], page)
                for s in roster["students"] for page in range(1, s["pages"] + 1)]
    start = time.process_time()
    for payload in payloads:
        stamp.qr_svg(payload)
        stamp.qr_tex(payload)
    return time.process_time() - start, len(payloads)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def run_mode(students: int, per_student: bool, tmp_path: Path) -> None:
    """Build, rebuild and Typst floor for one way of handing out copies; print the figures."""
    tmp_path.mkdir()
    roster(tmp_path / "class.csv", students)
    spec = SPEC
    if per_student:
        spec = tmp_path / "a5.yaml"
        spec.write_text(SPEC.read_text(encoding="utf-8").replace("versions: 2\n", ""), encoding="utf-8")
    env = {**os.environ, "GENEXAM_CACHE_DIR": str(tmp_path / "cache")}
    build = [str(spec), "--roster", str(tmp_path / "class.csv"), "-q"]
    first, first_cpu = timed_build(build + ["-o", str(tmp_path / "first")], env)
    again, _ = timed_build(build + ["-o", str(tmp_path / "again")], env)
    same = snapshot(tmp_path / "first") == snapshot(tmp_path / "again")
    floor, floor_cpu, documents = typst_floor(tmp_path / "first")
    qr, codes = qr_cost(tmp_path / "first")
    mode = "each their own instance and key" if per_student else "a5's 2 versions, shared"
    print(f"{SPEC.name}, {students} students ({mode}), exam + key, all formats, Typst, {os.cpu_count()} cores")
    print(f"  {'':<40} {'wall':>9} {'CPU':>9}")
    print(f"  {'genexam build (cold cache)':<40} {first:7.2f} s {first_cpu:7.2f} s")
    print(f"  {'Typst alone, same ' + str(documents) + ' .typ files':<40} {floor:7.2f} s {floor_cpu:7.2f} s")
    print(f"  {f'  of the build: {codes} QR codes (segno)':<40} {'':>9} {qr:7.2f} s")
    ratio = first / floor
    print(f"  build / Typst floor: {ratio:.2f}x wall, {first_cpu / floor_cpu:.2f}x CPU "
          f"(target <= 1.3x -> {'met' if ratio <= 1.3 else 'NOT met'})")
    print(f"  {'rebuild, unchanged spec (cached)':<40} {again:7.2f} s  = {again / first:.2f}x of the first "
          f"(target < 0.3x -> {'met' if again < 0.3 * first else 'NOT met'}); "
          f"byte-identical: {'yes' if same else 'NO'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--mode", choices=("shared", "per-student", "both"), default="both",
                        help="students share a5's 2 versions, or each has their own instance "
                             "(a spec without `versions`: the roster's default), or both, one after the other")
    args = parser.parse_args()
    print("genexam roster benchmark")
    with tempfile.TemporaryDirectory() as tmp:
        for per_student in {"shared": [False], "per-student": [True], "both": [False, True]}[args.mode]:
            run_mode(args.students, per_student, Path(tmp) / ("per-student" if per_student else "shared"))


if __name__ == "__main__":
    main()
