"""precision_recall: the source exam's answers through the CLI, relevant items
never retrieved, a third route over every short list, and core/figures.py."""

from __future__ import annotations

import itertools
import subprocess
import sys
import xml.etree.ElementTree as ET
from fractions import Fraction

import pytest
import sympy

from conftest import run_solve
from test_cli import solve

SVG = "{http://www.w3.org/2000/svg}"


def rationals(values):
    return [sympy.Rational(v) for v in values]


def test_source_exam_test3_q2():
    # SOURCE_EXAMS.md, test3 2(a): relevant at ranks 1, 2, 6, 8 of 8, 4 relevant in all
    record = solve("precision_recall", "relevance=[1,1,0,0,0,1,0,1]")
    assert record["params"] == {"relevance": [1, 1, 0, 0, 0, 1, 0, 1], "total_relevant": 4}
    answers = record["answers"]
    assert rationals(answers["precision"]) == rationals(["1", "1", "2/3", "1/2", "2/5", "1/2", "3/7", "1/2"])
    assert rationals(answers["recall"]) == rationals(["1/4", "1/2", "1/2", "1/2", "1/2", "3/4", "3/4", "1"])
    assert sympy.Rational(answers["average_precision"]) == sympy.Rational(3, 4)


def test_relevant_items_never_retrieved_count_in_recall_and_ap():
    # 6 relevant in all, 4 retrieved: AP = (1 + 1 + 1/2 + 1/2) / 6 = 1/2, not 3/4
    answers = solve("precision_recall", "relevance=[1,1,0,0,0,1,0,1]", "total_relevant=6")["answers"]
    assert rationals(answers["precision"]) == rationals(["1", "1", "2/3", "1/2", "2/5", "1/2", "3/7", "1/2"])
    recall = rationals(answers["recall"])
    assert recall == rationals(["1/6", "1/3", "1/3", "1/3", "1/3", "1/2", "1/2", "2/3"])
    assert max(recall) < 1
    assert sympy.Rational(answers["average_precision"]) == sympy.Rational(1, 2)


@pytest.mark.parametrize("sets, needle", [
    (("relevance=[0,0,0,0]",), "sum(relevance) >= 1"),
    (("relevance=[1,1,0,1]", "total_relevant=2"), "total_relevant >= sum(relevance)"),
    (("relevance=[1,2,0]",), "relevance"),
])
def test_impossible_parameters_give_a_clear_message(sets, needle):
    run = run_solve("precision_recall", *sets, json=True)
    assert run.code == 2
    assert needle in run.stderr and "Traceback" not in run.stderr


def test_solve_and_check_agree_with_a_third_route_on_every_short_list():
    """Third route: AP = (1/R) sum_j j / rank_j over the relevant ranks, and the
    curve's definition P@k = r_k / k, R@k = r_k / R, over all 0/1 lists up to length 6."""
    from genexam.plugins.precision_recall import PrecisionRecall

    family = PrecisionRecall()
    for length in range(1, 7):
        for relevance in itertools.product((0, 1), repeat=length):
            if not any(relevance):
                continue
            ranks = [k for k, rel in enumerate(relevance, start=1) if rel]
            for total in (len(ranks), len(ranks) + 2):
                params = {"relevance": list(relevance), "total_relevant": total}
                answers = family.solve(params).answers
                second = family.check(params)
                hits = [sum(relevance[:k]) for k in range(1, length + 1)]
                assert answers["precision"] == [sympy.Rational(h, k) for k, h in enumerate(hits, start=1)]
                assert answers["recall"] == [sympy.Rational(h, total) for h in hits]
                ap = sum(Fraction(j, rank) for j, rank in enumerate(ranks, start=1)) / total
                assert answers["average_precision"] == sympy.Rational(ap.numerator, ap.denominator)
                assert [Fraction(x) for x in second["precision"]] == [Fraction(int(v.p), int(v.q)) for v in answers["precision"]]
                assert second["average_precision"] == ap


def test_interpolated_area_differs_from_ap():
    """AP is the area under the raw curve, not under the interpolated one:
    [0, 1, 1] has AP = (1/2 + 2/3) / 2 = 7/12, the interpolated area 2/3."""
    answers = solve("precision_recall", "relevance=[0,1,1]")["answers"]
    assert sympy.Rational(answers["average_precision"]) == sympy.Rational(7, 12)


def test_default_draws_are_hand_sized():
    import random

    from genexam.plugins.precision_recall import PrecisionRecall
    from genexam.sampling import draw_params

    for seed in range(300):
        p = draw_params(PrecisionRecall, random.Random(seed))
        assert 6 <= len(p["relevance"]) <= 10 and 2 <= sum(p["relevance"]) < len(p["relevance"])
        assert p["total_relevant"] == sum(p["relevance"])
        assert PrecisionRecall().solve(p).answers["average_precision"].q <= 72, p


def test_fixed_total_relevant_limits_the_drawn_list():
    import random

    from genexam.distributions import Fixed
    from genexam.plugins.precision_recall import PrecisionRecall
    from genexam.sampling import draw_params

    for seed in range(50):
        p = draw_params(PrecisionRecall, random.Random(seed), {"total_relevant": Fixed(1)})
        assert sum(p["relevance"]) == 1


def test_unretrieved_items_render_without_typst_warnings(registry, tmp_path):
    from genexam.build import build
    from genexam.spec import parse_spec

    text = ("title: pr\nseed: 2\nversions: 6\nproblems:\n  - family: precision_recall\n    points: [4, 2]\n"
            "    params: {total_relevant: {choice: [5, 6, 7]}}\n")
    result = build(parse_spec(text, "<pr>", registry), registry, tmp_path, write=False, warn=None)
    assert result.warnings == []
    key = result.files["key-A.md"].decode()
    assert "never retrieved" in key and "Recall never reaches 1" in key
    assert any(name.startswith("figures/") and name.endswith(".svg") for name in result.files)


# -- core/figures.py ----------------------------------------------------------

def _frame(root):
    """The plot frame: the rect with fill="none"."""
    (rect,) = [r for r in root.iter(SVG + "rect") if r.get("fill") == "none"]
    x, y = float(rect.get("x")), float(rect.get("y"))
    return x, y, x + float(rect.get("width")), y + float(rect.get("height"))


def test_line_chart_is_valid_svg_with_size_and_labels():
    from genexam.figures import line_chart

    svg = line_chart([(0, 0), (Fraction(1, 2), 1), (1, Fraction(1, 3))], x_label="Recall", y_label="Precision & more")
    root = ET.fromstring(svg.encode())
    assert root.tag == SVG + "svg"
    assert root.get("width") == "255.00pt" and root.get("height") == "170.00pt"
    assert root.get("viewBox") == "0 0 255.00 170.00"
    texts = [t.text for t in root.iter(SVG + "text")]
    for label in ("0", "0.25", "0.5", "0.75", "1", "Recall", "Precision & more"):
        assert label in texts
    assert len(list(root.iter(SVG + "circle"))) == 3
    assert len(list(root.iter(SVG + "polyline"))) == 1


def test_points_are_mapped_into_the_plot_area():
    from genexam.figures import line_chart

    points = [(0, 0), (Fraction(1, 4), 1), (Fraction(1, 2), Fraction(1, 2)), (1, 1), (1, 0)]
    root = ET.fromstring(line_chart(points, x_label="x", y_label="y"))
    left, top, right, bottom = _frame(root)
    centres = [(float(c.get("cx")), float(c.get("cy"))) for c in root.iter(SVG + "circle")]
    for cx, cy in centres:
        assert left < cx < right and top < cy < bottom
    (x0, y0), (xq, y1), (xh, yh), (x1, _), _ = centres
    assert x0 < xq < xh < x1 and y1 < yh < y0  # x grows rightwards, y upwards
    assert xh == pytest.approx((x0 + x1) / 2, abs=0.01) and yh == pytest.approx((y0 + y1) / 2, abs=0.01)
    assert xq == pytest.approx(x0 + (x1 - x0) / 4, abs=0.01)
    polyline = next(root.iter(SVG + "polyline")).get("points").split()
    assert [tuple(map(float, p.split(","))) for p in polyline] == centres


def test_step_series_holds_each_value_until_the_next_x():
    from genexam.figures import line_chart

    root = ET.fromstring(line_chart([(0, 1), (Fraction(1, 2), Fraction(1, 2)), (1, Fraction(1, 2))],
                                    x_label="x", y_label="y", step=True, markers=False))
    corners = [tuple(map(float, p.split(","))) for p in next(root.iter(SVG + "polyline")).get("points").split()]
    assert len(corners) == 5
    assert corners[0][1] == corners[1][1] and corners[1][0] == corners[2][0]  # across, then down
    assert list(root.iter(SVG + "circle")) == []


def test_chart_output_is_deterministic_across_processes():
    code = ("from fractions import Fraction as F; from genexam.figures import line_chart; "
            "print(line_chart([(0, 0), (F(1, 3), F(2, 7)), (1, 1)], x_label='a', y_label='b'), end='')")
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": str(seed)}).stdout for seed in (1, 2)}
    assert len(runs) == 1
    from genexam.figures import line_chart

    assert runs == {line_chart([(0, 0), (Fraction(1, 3), Fraction(2, 7)), (1, 1)], x_label="a", y_label="b")}


def test_chart_refuses_points_outside_the_range_and_floats():
    from genexam.figures import line_chart

    with pytest.raises(ValueError, match="outside"):
        line_chart([(0, 0), (2, 1)], x_label="x", y_label="y")
    with pytest.raises(TypeError, match="exact"):
        line_chart([(0.5, 0)], x_label="x", y_label="y")


def test_pr_figure_has_one_marker_per_rank_at_its_recall_and_precision():
    from genexam.plugins.precision_recall import PrecisionRecall

    solution = PrecisionRecall().solve({"relevance": [1, 1, 0, 0, 0, 1, 0, 1], "total_relevant": 4})
    root = ET.fromstring(solution.figures["pr_curve"])
    top = _frame(root)[1]
    markers = [(float(c.get("cx")), float(c.get("cy"))) for c in root.iter(SVG + "circle")]
    markers = [(x, y) for x, y in markers if y > top]  # not the legend's sample, above the frame
    recall, precision = solution.answers["recall"], solution.answers["precision"]
    assert len(markers) == 8
    # linear maps: cx = a + b * recall, cy = c - d * precision, with b, d > 0
    (xa, ya), (xb, _) = markers[0], markers[-1]
    b = (xb - xa) / float(recall[-1] - recall[0])
    for (cx, cy), r, p in zip(markers, recall, precision):
        assert cx == pytest.approx(xa + b * float(r - recall[0]), abs=0.02)
    d = (markers[3][1] - markers[0][1]) / float(precision[0] - precision[3])
    for (cx, cy), p in zip(markers, precision):
        assert cy == pytest.approx(ya + d * float(precision[0] - p), abs=0.02)
    assert b > 0 and d > 0
