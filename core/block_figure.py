"""A block diagram of tensor shapes through a stack of layers, as SVG.

Each tensor (the input, then each layer's output) is a box whose height grows
with its spatial size and whose width grows with its channels; the layer that
maps one to the next labels the arrow between them. Like genexam.figures, the
output is deterministic: exact coordinates printed with two decimals, no clock,
locale or random state.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Sequence
from xml.sax.saxutils import escape

from .figures import COLOURS, FONT_FAMILY, INK

_FONT = 8
_SMALL = 7
_SLOT = Fraction(88)  # horizontal room per tensor, points
_MAX_BOX = Fraction(64)  # tallest box, points
_MIN_BOX = Fraction(10)


def _f(value: Fraction) -> str:
    hundredths = round(value * 100)
    sign = "-" if hundredths < 0 else ""
    whole, frac = divmod(abs(hundredths), 100)
    return f"{sign}{whole}.{frac:02d}"


def _size(value: int, largest: int, low: Fraction, high: Fraction) -> Fraction:
    """A box side on a square-root scale of ``value`` (1..largest), from low to high points."""
    if largest <= 1:
        return high
    # Integer square roots keep the layout exact and platform-independent.
    return low + (high - low) * Fraction(math.isqrt(value * 10_000), math.isqrt(largest * 10_000))


def shape_diagram(shapes: Sequence[tuple[int, int, int]], labels: Sequence[Sequence[str]]) -> str:
    """``shapes``: (C, H, W) of the input and after each layer; ``labels``: for
    each layer, one or two short lines naming it (drawn above its arrow)."""
    if len(labels) != len(shapes) - 1:
        raise ValueError("one label per layer: len(labels) must be len(shapes) - 1")
    largest_hw = max(h * w for _, h, w in shapes)
    largest_c = max(c for c, _, _ in shapes)
    width = _SLOT * len(shapes) + 8
    height = _MAX_BOX + 58
    mid = Fraction(22) + _MAX_BOX / 2
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_f(width)}pt" height="{_f(height)}pt" '
        f'viewBox="0 0 {_f(width)} {_f(height)}" font-family="{FONT_FAMILY}">',
        f'<rect x="0" y="0" width="{_f(width)}" height="{_f(height)}" fill="#ffffff"/>',
    ]
    centres = []
    for i, (c, h, w) in enumerate(shapes):
        box_h = _size(h * w, largest_hw, _MIN_BOX, _MAX_BOX)
        box_w = _size(c, largest_c, Fraction(8), Fraction(34))
        cx = _SLOT * i + _SLOT / 2 + 4
        centres.append((cx, box_w))
        fill = "#dbe4f3" if i else "#eeeeee"
        out.append(f'<rect x="{_f(cx - box_w / 2)}" y="{_f(mid - box_h / 2)}" width="{_f(box_w)}" '
                   f'height="{_f(box_h)}" fill="{fill}" stroke="{COLOURS[0]}" stroke-width="0.8"/>')
        out.append(f'<text x="{_f(cx)}" y="{_f(mid + _MAX_BOX / 2 + 14)}" font-size="{_FONT}" fill="{INK}" '
                   f'text-anchor="middle">{c}×{h}×{w}</text>')
        out.append(f'<text x="{_f(cx)}" y="{_f(mid + _MAX_BOX / 2 + 24)}" font-size="{_SMALL}" fill="{INK}" '
                   f'text-anchor="middle">{"input" if i == 0 else f"layer {i}"}</text>')
    for i, lines in enumerate(labels):
        (x0, w0), (x1, w1) = centres[i], centres[i + 1]
        start, end = x0 + w0 / 2 + 3, x1 - w1 / 2 - 3
        out.append(f'<line x1="{_f(start)}" y1="{_f(mid)}" x2="{_f(end - 4)}" y2="{_f(mid)}" stroke="{INK}" '
                   'stroke-width="0.7"/>')
        out.append(f'<path d="M {_f(end)} {_f(mid)} L {_f(end - 5)} {_f(mid - 2)} L {_f(end - 5)} {_f(mid + 2)} Z" '
                   f'fill="{INK}"/>')
        for j, line in enumerate(lines[:2]):
            y = Fraction(9) + j * (_SMALL + 1)
            out.append(f'<text x="{_f((x0 + x1) / 2)}" y="{_f(y)}" font-size="{_SMALL}" fill="{INK}" '
                       f'text-anchor="middle">{escape(line)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
