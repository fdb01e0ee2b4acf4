"""report.md (and report.pdf): the class's scores, item statistics, a
histogram and the version-fairness table."""

from __future__ import annotations

from fractions import Fraction
from typing import Sequence

from ..render.pandoc import escape_markdown
from ..texfilters import points as format_points
from .marking import StudentResult
from .stats import ALPHA, PERMUTATIONS, histogram, item_stats, version_fairness

HISTOGRAM = "figures/histogram.svg"


def histogram_svg(counts: Sequence[int]) -> str:
    """A bar chart of students per 10 % band, as deterministic SVG."""
    width, height, left, bottom, top = 480, 240, 40, 30, 14
    plot_w, plot_h = width - left - 10, height - bottom - top
    tallest = max(counts) or 1
    bar = plot_w / len(counts)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="black"/>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="black"/>']
    for i, count in enumerate(counts):
        h = plot_h * count / tallest
        x = left + i * bar
        parts.append(f'<rect x="{x + 2:.1f}" y="{top + plot_h - h:.1f}" width="{bar - 4:.1f}" height="{h:.1f}" '
                     'fill="#4a78b0"/>')
        if count:
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{top + plot_h - h - 3:.1f}" text-anchor="middle">{count}</text>')
        parts.append(f'<text x="{x + bar / 2:.1f}" y="{top + plot_h + 14:.1f}" text-anchor="middle">{i * 10}</text>')
    parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 2}" text-anchor="middle">score (%), in bands of 10</text>')
    parts.append(f'<text x="12" y="{top + plot_h / 2:.1f}" text-anchor="middle" '
                 f'transform="rotate(-90 12 {top + plot_h / 2:.1f})">students</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _f(value: float | None, digits: int = 2) -> str:
    return "--" if value is None else f"{value:.{digits}f}"


def report_markdown(results: Sequence[StudentResult], title: str, max_points: Fraction) -> str:
    """The whole report as Markdown."""
    totals = [float(r.total) for r in results]
    pending = sum(1 for r in results if not r.complete)
    mean = sum(totals) / len(totals) if totals else 0.0
    lines = [f"# {escape_markdown(title, inline=True)}: grading report", "",
             f"{len(results)} students; mean {mean:.2f} of {format_points(max_points)} points "
             f"({mean / float(max_points) * 100 if max_points else 0:.1f} %)."
             + (f" {pending} students have answers awaiting review (counted as 0 here)." if pending else ""), "",
             f"![Scores of the class]({HISTOGRAM})", "",
             "## Version fairness", "",
             f"Mean score per version against the rest of the class; the p-value is from a permutation test "
             f"({PERMUTATIONS} shuffles of the version labels). Versions with p < {ALPHA} are flagged: "
             "with many versions a few flags arise by chance.", "",
             "| version | students | mean (%) | vs. the rest (points of %) | p-value | flag |",
             "|---|---:|---:|---:|---:|---|"]
    for row in version_fairness(results, max_points):
        lines.append(f"| {row.version} | {row.students} | {row.mean_percent:.1f} | {round(row.difference, 1) + 0.0:+.1f} | "
                     f"{_f(row.p_value, 3)} | {'**differs**' if row.flagged else ''} |")
    lines += ["", "## Items", "",
              "Difficulty is the mean share of the points earned (1 = everyone right); discrimination is the "
              "correlation of the item's points with the rest of the exam (point-biserial for right/wrong items).",
              "", "| part | version | students | points | mean | difficulty | discrimination |",
              "|---|---|---:|---:|---:|---:|---:|"]
    for item in item_stats(results):
        lines.append(f"| {item.part} | {item.version} | {item.students} | {item.max_points:g} | {item.mean:.2f} | "
                     f"{item.difficulty:.2f} | {_f(item.discrimination)} |")
    return "\n".join(lines) + "\n"


def report_files(results: Sequence[StudentResult], title: str, max_points: Fraction) -> dict[str, str]:
    """report.md and its histogram."""
    return {"report.md": report_markdown(results, title, max_points),
            HISTOGRAM: histogram_svg(histogram(results, max_points))}
