"""A bar chart with labelled bars and a dashed reference line, as SVG.

Used for per-token quantities (a sequence's surprisal, token by token, with
its mean). Deterministic like genexam.figures: heights are exact Fractions,
printed with two decimals.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Sequence
from xml.sax.saxutils import escape

from .figures import COLOURS, FONT_FAMILY, GRID, INK


def _f(value: Fraction) -> str:
    hundredths = round(value * 100)
    sign = "-" if hundredths < 0 else ""
    whole, frac = divmod(abs(hundredths), 100)
    return f"{sign}{whole}.{frac:02d}"


def bar_chart(labels: Sequence[str], values: Sequence[Fraction], *, reference: Fraction, reference_label: str,
              y_label: str, top: int) -> str:
    """One bar per label with height ``values[i]`` (0..``top``, an integer
    axis with a tick per unit up to 10, else every few units), and a dashed
    horizontal line at ``reference`` labelled ``reference_label``."""
    if any(v < 0 or v > top for v in values) or not 0 <= reference <= top:
        raise ValueError(f"values must lie in 0..{top}")
    slot = Fraction(46)
    left, right_pad, plot_top, plot_h = Fraction(36), Fraction(10), Fraction(16), Fraction(120)
    width = left + slot * len(values) + right_pad
    height = plot_top + plot_h + 30
    bottom = plot_top + plot_h

    def py(v: Fraction) -> Fraction:
        return bottom - Fraction(v) / top * plot_h

    step = 1 if top <= 10 else max(1, top // 5)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_f(width)}pt" height="{_f(height)}pt" '
        f'viewBox="0 0 {_f(width)} {_f(height)}" font-family="{FONT_FAMILY}">',
        f'<rect x="0" y="0" width="{_f(width)}" height="{_f(height)}" fill="#ffffff"/>',
    ]
    for tick in range(0, top + 1, step):
        y = py(Fraction(tick))
        out.append(f'<line x1="{_f(left)}" y1="{_f(y)}" x2="{_f(width - right_pad)}" y2="{_f(y)}" stroke="{GRID}" '
                   'stroke-width="0.5"/>')
        out.append(f'<text x="{_f(left - 4)}" y="{_f(y + 3)}" font-size="8" fill="{INK}" text-anchor="end">{tick}</text>')
    for i, (label, value) in enumerate(zip(labels, values)):
        x = left + slot * i + 8
        out.append(f'<rect x="{_f(x)}" y="{_f(py(value))}" width="{_f(slot - 16)}" height="{_f(bottom - py(value))}" '
                   f'fill="{COLOURS[0]}"/>')
        out.append(f'<text x="{_f(x + (slot - 16) / 2)}" y="{_f(bottom + 11)}" font-size="8" fill="{INK}" '
                   f'text-anchor="middle">{escape(label)}</text>')
    y = py(reference)
    out.append(f'<line x1="{_f(left)}" y1="{_f(y)}" x2="{_f(width - right_pad)}" y2="{_f(y)}" stroke="{COLOURS[1]}" '
               'stroke-width="1" stroke-dasharray="4 3"/>')
    out.append(f'<text x="{_f(width - right_pad)}" y="{_f(plot_top - 5)}" font-size="8" fill="{COLOURS[1]}" '
               f'text-anchor="end">{escape(reference_label)}</text>')
    out.append(f'<line x1="{_f(left)}" y1="{_f(bottom)}" x2="{_f(width - right_pad)}" y2="{_f(bottom)}" '
               f'stroke="{INK}" stroke-width="0.7"/>')
    out.append(f'<text x="0" y="0" font-size="9" fill="{INK}" text-anchor="middle" '
               f'transform="translate(10 {_f(plot_top + plot_h / 2)}) rotate(-90)">{escape(y_label)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
