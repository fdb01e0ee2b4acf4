"""Small, dependency-free SVG charts for worked solutions.

:func:`chart` draws one or more data series (lines with optional point markers,
optionally as steps or dashed) on a framed plot with grid lines, ticks, tick
labels and axis labels, and returns a complete standalone SVG document.
:func:`line_chart` is the one-series shorthand.

The output is deterministic: coordinates are computed exactly (Fractions) and
printed with two fixed decimals, and nothing depends on the clock, the locale
or a random state, so the same data always give byte-identical SVG. Sizes are
in points (1/72 in): the ``viewBox`` is in points too, so a figure of the
default size prints at 9 cm x 6 cm. Text uses the exam's font (New Computer
Modern in Typst, Latin Modern in LaTeX) with a generic ``serif`` fallback.

Example::

    svg = line_chart([(0, 0), (Fraction(1, 2), 1), (1, Fraction(1, 2))],
                     x_label="Recall", y_label="Precision")
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Sequence, Union
from xml.sax.saxutils import escape, quoteattr

#: An exact number: int, Fraction or sympy Rational (any numbers.Rational).
Number = Union[int, Fraction, numbers.Rational]
Point = tuple[Number, Number]

QUARTERS: tuple[Fraction, ...] = tuple(Fraction(k, 4) for k in range(5))
FONT_FAMILY = "New Computer Modern, Latin Modern Roman, CMU Serif, serif"
#: Colours that stay apart in greyscale too (with the dash pattern).
COLOURS = ("#1f4e99", "#c0504d", "#4d7f3a", "#7f5a9e")
GRID = "#d9d9d9"
INK = "#222222"

# Layout, in points.
_TICK = 3
_TICK_FONT = 8
_LABEL_FONT = 9
_LEGEND_FONT = 8
_MARKER_RADIUS = Fraction(9, 4)


@dataclass(frozen=True)
class Series:
    """One data series. ``step``: hold each y until the next point's x (a
    staircase, as matplotlib's ``where="post"``). ``label`` appears in a legend
    above the plot when any series has one."""

    points: Sequence[Point]
    label: str = ""
    markers: bool = True
    step: bool = False
    dashed: bool = False
    colour: str = ""


def line_chart(points: Sequence[Point], *, x_label: str, y_label: str,
               x_range: tuple[Number, Number] = (0, 1), y_range: tuple[Number, Number] = (0, 1),
               ticks: Sequence[Number] = QUARTERS, markers: bool = True, step: bool = False,
               width: Number = 255, height: Number = 170) -> str:
    """One series of points joined by straight lines (or steps), as an SVG document."""
    return chart([Series(points, markers=markers, step=step)], x_label=x_label, y_label=y_label,
                 x_range=x_range, y_range=y_range, x_ticks=ticks, y_ticks=ticks, width=width, height=height)


def chart(series: Sequence[Series], *, x_label: str, y_label: str,
          x_range: tuple[Number, Number] = (0, 1), y_range: tuple[Number, Number] = (0, 1),
          x_ticks: Sequence[Number] = QUARTERS, y_ticks: Sequence[Number] = QUARTERS,
          width: Number = 255, height: Number = 170, font_family: str = FONT_FAMILY) -> str:
    """Several series on one plot, as a standalone SVG document (``width`` x
    ``height`` points). Series are drawn in order, later ones on top, each in
    its ``colour`` or the next of :data:`COLOURS`; the legend lists the
    labelled ones in the same order. Every point must lie within ``x_range``
    x ``y_range``; the frame leaves a 3% margin around that range so that
    points on its edge (a precision of 1) are not hidden under the frame.
    Grid lines and tick labels sit at ``x_ticks`` and ``y_ticks``."""
    x0, x1 = _exact(x_range[0]), _exact(x_range[1])
    y0, y1 = _exact(y_range[0]), _exact(y_range[1])
    if not (x0 < x1 and y0 < y1):
        raise ValueError(f"empty range: x {x_range}, y {y_range}")
    for s in series:
        for x, y in s.points:
            if not (x0 <= _exact(x) <= x1 and y0 <= _exact(y) <= y1):
                raise ValueError(f"point ({x}, {y}) lies outside the plot range x {x_range}, y {y_range}")
    width, height = _exact(width), _exact(height)
    legend = [s for s in series if s.label]
    top = Fraction(20) if legend else Fraction(8)
    left, right, bottom = Fraction(42), width - 10, height - 32
    # The data range maps onto the frame less a 3% margin on every side.
    mx, my = (right - left) * Fraction(3, 100), (bottom - top) * Fraction(3, 100)

    def px(x: Number) -> Fraction:
        return left + mx + (_exact(x) - x0) / (x1 - x0) * (right - left - 2 * mx)

    def py(y: Number) -> Fraction:
        return bottom - my - (_exact(y) - y0) / (y1 - y0) * (bottom - top - 2 * my)

    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_f(width)}pt" height="{_f(height)}pt" '
        f'viewBox="0 0 {_f(width)} {_f(height)}" font-family={quoteattr(font_family)}>',
        f'<rect x="0" y="0" width="{_f(width)}" height="{_f(height)}" fill="#ffffff"/>',
        '<g stroke-width="0.5" stroke="' + GRID + '">',
    ]
    out += [_line(px(t), top, px(t), bottom) for t in x_ticks]
    out += [_line(left, py(t), right, py(t)) for t in y_ticks]
    out.append("</g>")
    out.append(f'<g stroke="{INK}" stroke-width="0.6">')
    out += [_line(px(t), bottom, px(t), bottom + _TICK) for t in x_ticks]
    out += [_line(left - _TICK, py(t), left, py(t)) for t in y_ticks]
    out.append(f'<rect x="{_f(left)}" y="{_f(top)}" width="{_f(right - left)}" height="{_f(bottom - top)}" '
               'fill="none"/>')
    out.append("</g>")
    out.append(f'<g font-size="{_TICK_FONT}" fill="{INK}">')
    out += [_text(px(t), bottom + _TICK + _TICK_FONT + 1, _tick_label(t), "middle") for t in x_ticks]
    out += [_text(left - _TICK - 2, py(t) + Fraction(_TICK_FONT * 7, 20), _tick_label(t), "end") for t in y_ticks]
    out.append("</g>")
    out.append(f'<g font-size="{_LABEL_FONT}" fill="{INK}">')
    out.append(_text((left + right) / 2, height - 6, x_label, "middle"))
    ly = (top + bottom) / 2
    out.append(f'<text x="0" y="0" text-anchor="middle" transform="translate({_f(Fraction(11))} {_f(ly)}) '
               f'rotate(-90)">{escape(y_label)}</text>')
    out.append("</g>")
    for index, s in enumerate(series):
        colour = s.colour or COLOURS[index % len(COLOURS)]
        out += _series(s, colour, px, py)
    if legend:
        out += _legend(series, right, top)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _series(s: Series, colour: str, px: Callable[[Number], Fraction],
            py: Callable[[Number], Fraction]) -> list[str]:
    points = [(_exact(x), _exact(y)) for x, y in s.points]
    if s.step:
        corners: list[tuple[Fraction, Fraction]] = []
        for (xa, ya), (xb, _) in zip(points, points[1:]):
            corners += [(xa, ya), (xb, ya)]
        points_drawn = corners + points[-1:]
    else:
        points_drawn = points
    dash = ' stroke-dasharray="4 2.5"' if s.dashed else ""
    out = []
    if len(points_drawn) > 1:
        coords = " ".join(f"{_f(px(x))},{_f(py(y))}" for x, y in points_drawn)
        out.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="1.1" '
                   f'stroke-linejoin="round"{dash}/>')
    if s.markers:
        out.append(f'<g fill="{colour}" stroke="#ffffff" stroke-width="0.4">')
        out += [f'<circle cx="{_f(px(x))}" cy="{_f(py(y))}" r="{_f(_MARKER_RADIUS)}"/>' for x, y in points]
        out.append("</g>")
    return out


def _legend(series: Sequence[Series], right: Fraction, top: Fraction) -> list[str]:
    """One row above the frame, right-aligned: a line sample and the label per series."""
    sample, gap = Fraction(16), Fraction(10)
    items = [(s, COLOURS[i % len(COLOURS)] if not s.colour else s.colour) for i, s in enumerate(series) if s.label]
    # Text width estimated at 0.5 em per character: the legend only needs to fit, not to be exact.
    widths = [sample + 3 + Fraction(len(s.label) * _LEGEND_FONT, 2) for s, _ in items]
    x = right - sum(widths) - gap * (len(items) - 1)
    y = top - 7
    out = [f'<g font-size="{_LEGEND_FONT}" fill="{INK}">']
    for (s, colour), w in zip(items, widths):
        dash = ' stroke-dasharray="4 2.5"' if s.dashed else ""
        out.append(f'<line x1="{_f(x)}" y1="{_f(y)}" x2="{_f(x + sample)}" y2="{_f(y)}" stroke="{colour}" '
                   f'stroke-width="1.1"{dash}/>')
        if s.markers:
            out.append(f'<circle cx="{_f(x + sample / 2)}" cy="{_f(y)}" r="{_f(_MARKER_RADIUS)}" fill="{colour}" '
                       'stroke="#ffffff" stroke-width="0.4"/>')
        out.append(_text(x + sample + 3, y + Fraction(_LEGEND_FONT * 7, 20), s.label, "start"))
        x += w + gap
    out.append("</g>")
    return out


def _line(xa: Fraction, ya: Fraction, xb: Fraction, yb: Fraction) -> str:
    return f'<line x1="{_f(xa)}" y1="{_f(ya)}" x2="{_f(xb)}" y2="{_f(yb)}"/>'


def _text(x: Fraction, y: Fraction, text: str, anchor: str) -> str:
    return f'<text x="{_f(x)}" y="{_f(y)}" text-anchor="{anchor}">{escape(text)}</text>'


def _exact(value: Number) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, numbers.Rational):
        raise TypeError(f"expected an exact number (int, Fraction or Rational), found {value!r}")
    return Fraction(int(value.numerator), int(value.denominator))


def _f(value: Fraction) -> str:
    """A coordinate with exactly two decimals (rounded half to even), e.g. 12.50."""
    hundredths = round(value * 100)
    sign = "-" if hundredths < 0 else ""
    whole, frac = divmod(abs(hundredths), 100)
    return f"{sign}{whole}.{frac:02d}"


def _tick_label(value: Number) -> str:
    """A tick value as short as it is exact: 0, 0.25, 0.5, 1; else two decimals."""
    v = _exact(value)
    for places in range(4):
        scaled = v * 10**places
        if scaled.denominator == 1:
            digits = str(abs(scaled.numerator)).rjust(places + 1, "0")
            sign = "-" if v < 0 else ""
            return sign + (digits if places == 0 else f"{digits[:-places]}.{digits[-places:]}")
    return _f(v).rstrip("0").rstrip(".")
