"""precision_recall: precision and recall at each rank of a ranked result list, and average precision."""

from __future__ import annotations

import random
from fractions import Fraction
from typing import Any, Mapping

import sympy

from genexam import hookimpl
from genexam.distributions import Computed
from genexam.figures import COLOURS, Series, chart
from genexam.family import Family, Part, Solution
from genexam.params import Int, Vector


def _ranked_list(rng: random.Random, drawn: Mapping[str, Any]) -> list[int]:
    """6 to 10 results, 2 to 5 of them relevant (never all), at random ranks;
    no more relevant ones than a total_relevant the spec fixes. Redrawn until
    the average precision works by hand: the precisions at the relevant ranks
    add up to a fraction with denominator at most 24, and AP has one of at
    most 72 (ranks 5, 7, 8, 9 would give 3289/10080). This is the default
    draw's taste, not a constraint: a list the spec fixes is kept."""
    for _ in range(200):
        length = rng.randint(6, 10)
        most = min(5, length - 2, drawn.get("total_relevant") or 5)
        count = rng.randint(min(2, most), most)
        ranks = set(rng.sample(range(length), count))
        relevance = [int(i in ranks) for i in range(length)]
        hits, terms = 0, Fraction(0)
        for k, rel in enumerate(relevance, start=1):
            hits += rel
            terms += Fraction(hits, k) if rel else 0
        ap = terms / (drawn.get("total_relevant") or hits)
        if terms.denominator <= 24 and ap.denominator <= 72:
            break
    return relevance


def _retrieved(rng: random.Random, drawn: Mapping[str, Any]) -> int:
    return max(1, sum(drawn["relevance"]))


def pr_curve(precision: list[sympy.Rational], recall: list[sympy.Rational],
             interpolated: list[tuple[sympy.Rational, sympy.Rational]]) -> str:
    """The figure of the key: (recall, precision) after each rank, joined in
    rank order, on top of the interpolated precision, a dashed staircase."""
    steps = Series(interpolated, label="interpolated", markers=False, step=True, dashed=True, colour=COLOURS[1])
    raw = Series(list(zip(recall, precision)), label="precision at rank k", colour=COLOURS[0])
    return chart([steps, raw], x_label="Recall", y_label="Precision")


class PrecisionRecall(Family):
    name = "precision_recall"
    title = "Precision, recall and average precision of a ranked result list"
    params = (
        Vector("relevance",
               Computed(_ranked_list, "6 to 10 results, 2 to 5 of them relevant, at random ranks, "
                                      "with an average precision that works by hand"),
               low=0, high=1, length=(1, 20), doc="1 if the result at that rank is relevant, else 0, in rank order"),
        Int("total_relevant", Computed(_retrieved, "the number of relevant results retrieved, sum(relevance)"),
            low=1, high=100, doc="relevant items in the whole collection: at least sum(relevance); more means some were never retrieved"),
    )
    constraints = ("sum(relevance) >= 1", "total_relevant >= sum(relevance)")
    parts = (
        Part("a", ("precision", "recall"), space="7cm"),
        Part("b", ("average_precision",), space="4cm"),
    )

    def solve(self, p: Mapping[str, Any]) -> Solution:
        relevance, total = list(p["relevance"]), p["total_relevant"]
        if not any(relevance):
            raise ValueError("relevance must mark at least one result relevant (a 1)")
        if total < sum(relevance):
            raise ValueError(f"total_relevant = {total} is less than the {sum(relevance)} relevant results retrieved")
        rows, hits = [], 0
        for k, rel in enumerate(relevance, start=1):
            hits += rel
            rows.append({"rank": k, "relevant": bool(rel), "hits": hits,
                         "precision": sympy.Rational(hits, k), "recall": sympy.Rational(hits, total)})
        precision = [row["precision"] for row in rows]
        recall = [row["recall"] for row in rows]
        relevant_rows = [row for row in rows if row["relevant"]]
        terms = [row["precision"] for row in relevant_rows]
        ap = sum(terms, sympy.Integer(0)) / total
        # Interpolated precision at the j-th recall level: the best precision
        # at that rank or any later one (any recall at least as high).
        best = [max(precision[row["rank"] - 1:]) for row in relevant_rows]
        levels = [row["recall"] for row in relevant_rows]
        staircase = [(sympy.Integer(0), best[0])] + list(zip(levels, best[1:])) + [(levels[-1], best[-1])]
        steps = {
            "rows": rows, "length": len(relevance), "retrieved": hits, "missed": total - hits,
            "relevant_ranks": [row["rank"] for row in relevant_rows], "terms": terms,
            "term_sum": sum(terms, sympy.Integer(0)), "interpolated": best,
            # Whether sum/total is a fraction that cancels (2/4 = 1/2): then the key shows both.
            "sum_reduces": ap != sum(terms, sympy.Integer(0)) and sympy.gcd(sum(terms, sympy.Integer(0)), total) != 1,
        }
        answers = {"precision": precision, "recall": recall, "average_precision": ap}
        return Solution(answers, steps, figures={"pr_curve": pr_curve(precision, recall, staircase)})

    def check(self, p: Mapping[str, Any]) -> dict[str, Any]:
        # Second route: set operations on each retrieved prefix, in stdlib
        # Fractions; average precision as the area under the (uninterpolated)
        # precision-recall step curve, sum over ranks of P@k times the recall
        # gained at rank k -- recall rises by 1/total exactly at the relevant
        # ranks, so this is the mean of P@k over the relevant items.
        relevant = {k for k, rel in enumerate(p["relevance"], start=1) if rel == 1}
        total = p["total_relevant"]
        precision, recall = [], []
        for k in range(1, len(p["relevance"]) + 1):
            found = len(set(range(1, k + 1)) & relevant)
            precision.append(Fraction(found, k))
            recall.append(Fraction(found, total))
        area = sum((pk * (rk - r_before) for pk, rk, r_before in zip(precision, recall, [Fraction(0)] + recall)),
                   Fraction(0))
        return {"precision": precision, "recall": recall, "average_precision": area}


@hookimpl
def genexam_families() -> list[type[Family]]:
    return [PrecisionRecall]
