"""An optimizer's path on a quadratic loss, as deterministic SVG.

:func:`path_on_contours` draws the iterates theta_0, theta_1, ... of a 2-D
optimizer joined in order, on the level curves of a diagonal quadratic loss
L(theta) = sum_i a_i / 2 (theta_i - c_i)^2 -- one ellipse through each iterate --
with the minimiser c marked. :func:`path_on_curve` draws the 1-D case: the
parabola L(theta) and the iterates on it.

Coordinates are exact Fractions (an irrational iterate is passed rounded to
a fine grid by the caller, see :func:`grid_fraction`) and printed with two
fixed decimals, so the same path always gives byte-identical SVG.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Sequence
from xml.sax.saxutils import escape

from .figures import COLOURS, FONT_FAMILY, GRID, INK
from .figures import _f, _tick_label  # one way to print coordinates and ticks in every figure

_FONT = 8
_LABEL_FONT = 9


def grid_fraction(value: Any, places: int = 6) -> Fraction:
    """A real sympy value (possibly irrational) rounded down to ``places``
    decimals, as an exact Fraction: a position to draw, not a value to print."""
    import sympy

    scale = 10**places
    return Fraction(int(sympy.floor(sympy.sympify(value) * scale)), scale)


def nice_ticks(lo: Fraction, hi: Fraction, count: int = 5) -> list[Fraction]:
    """Tick values at a round step (1, 2 or 5 times a power of ten) covering [lo, hi]."""
    span = hi - lo
    raw = span / count
    power = Fraction(10) ** math.floor(math.log10(raw)) if raw > 0 else Fraction(1)
    step = next(power * m for m in (1, 2, 5, 10) if power * m >= raw)
    first = math.ceil(lo / step) * step
    ticks = []
    t = Fraction(first)
    while t <= hi:
        ticks.append(t)
        t += step
    return ticks


def _text(x: Fraction, y: Fraction, text: str, anchor: str = "middle", size: int = _FONT) -> str:
    return (f'<text x="{_f(x)}" y="{_f(y)}" font-size="{size}" text-anchor="{anchor}" fill="{INK}">'
            f"{escape(text)}</text>")


class _Frame:
    """A plot frame: data ranges mapped onto a rectangle of the SVG, with
    axes, grid lines and tick labels."""

    def __init__(self, x_range: tuple[Fraction, Fraction], y_range: tuple[Fraction, Fraction],
                 width: Fraction, height: Fraction) -> None:
        self.x0, self.x1 = x_range
        self.y0, self.y1 = y_range
        self.width, self.height = width, height
        self.left, self.right = Fraction(42), width - 10
        self.top, self.bottom = Fraction(10), height - 32

    def px(self, x: Fraction) -> Fraction:
        return self.left + (x - self.x0) / (self.x1 - self.x0) * (self.right - self.left)

    def py(self, y: Fraction) -> Fraction:
        return self.bottom - (y - self.y0) / (self.y1 - self.y0) * (self.bottom - self.top)

    def scale_x(self) -> Fraction:
        return (self.right - self.left) / (self.x1 - self.x0)

    def scale_y(self) -> Fraction:
        return (self.bottom - self.top) / (self.y1 - self.y0)

    def open(self, x_label: str, y_label: str) -> list[str]:
        w, h = self.width, self.height
        out = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{_f(w)}pt" height="{_f(h)}pt" '
            f'viewBox="0 0 {_f(w)} {_f(h)}" font-family="{FONT_FAMILY}">',
            f'<rect x="0" y="0" width="{_f(w)}" height="{_f(h)}" fill="#ffffff"/>',
            "<defs>",
            f'<clipPath id="plot"><rect x="{_f(self.left)}" y="{_f(self.top)}" width="{_f(self.right - self.left)}" '
            f'height="{_f(self.bottom - self.top)}"/></clipPath>',
            "</defs>",
            f'<g stroke="{GRID}" stroke-width="0.5">',
        ]
        xt = nice_ticks(self.x0, self.x1)
        yt = nice_ticks(self.y0, self.y1)
        out += [f'<line x1="{_f(self.px(t))}" y1="{_f(self.top)}" x2="{_f(self.px(t))}" y2="{_f(self.bottom)}"/>'
                for t in xt]
        out += [f'<line x1="{_f(self.left)}" y1="{_f(self.py(t))}" x2="{_f(self.right)}" y2="{_f(self.py(t))}"/>'
                for t in yt]
        out.append("</g>")
        out.append(f'<rect x="{_f(self.left)}" y="{_f(self.top)}" width="{_f(self.right - self.left)}" '
                   f'height="{_f(self.bottom - self.top)}" fill="none" stroke="{INK}" stroke-width="0.6"/>')
        out += [_text(self.px(t), self.bottom + 12, _tick_label(t)) for t in xt]
        out += [_text(self.left - 5, self.py(t) + 3, _tick_label(t), "end") for t in yt]
        out.append(_text((self.left + self.right) / 2, h - 6, x_label, size=_LABEL_FONT))
        out.append(f'<text x="0" y="0" font-size="{_LABEL_FONT}" text-anchor="middle" fill="{INK}" '
                   f'transform="translate(11.00 {_f((self.top + self.bottom) / 2)}) rotate(-90)">'
                   f"{escape(y_label)}</text>")
        return out


def _padded(values: Sequence[Fraction], share: Fraction = Fraction(1, 6)) -> tuple[Fraction, Fraction]:
    lo, hi = min(values), max(values)
    if hi == lo:
        lo, hi = lo - 1, hi + 1
    pad = (hi - lo) * share
    return lo - pad, hi + pad


def _path(frame: _Frame, points: Sequence[tuple[Fraction, Fraction]], labels: Sequence[str]) -> list[str]:
    """The iterates joined in order, dots, and their labels beside them."""
    colour = COLOURS[1]
    coords = " ".join(f"{_f(frame.px(x))},{_f(frame.py(y))}" for x, y in points)
    out = [f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="1.1" '
           'stroke-linejoin="round"/>',
           f'<g fill="{colour}" stroke="#ffffff" stroke-width="0.4">']
    out += [f'<circle cx="{_f(frame.px(x))}" cy="{_f(frame.py(y))}" r="2.50"/>' for x, y in points]
    out.append("</g>")
    for (x, y), label in zip(points, labels):
        out.append(_text(frame.px(x) + 4, frame.py(y) - 4, label, "start"))
    return out


def _cross(x: Fraction, y: Fraction) -> str:
    r = Fraction(3)
    return (f'<path d="M {_f(x - r)} {_f(y - r)} L {_f(x + r)} {_f(y + r)} M {_f(x - r)} {_f(y + r)} '
            f'L {_f(x + r)} {_f(y - r)}" stroke="{INK}" stroke-width="1.2" fill="none"/>')


def path_on_contours(points: Sequence[tuple[Fraction, Fraction]], curvature: Sequence[Fraction],
                     centre: Sequence[Fraction], *, width: int = 255, height: int = 200) -> str:
    """The 2-D path theta_0, theta_1, ... on the level curves of
    L = a_1/2 (theta_1 - c_1)^2 + a_2/2 (theta_2 - c_2)^2: the ellipse through
    each iterate, and the minimiser c as a cross."""
    a1, a2 = (Fraction(v) for v in curvature)
    c1, c2 = (Fraction(v) for v in centre)
    xs = [p[0] for p in points] + [c1]
    ys = [p[1] for p in points] + [c2]
    frame = _Frame(_padded(xs), _padded(ys), Fraction(width), Fraction(height))
    out = frame.open("θ₁", "θ₂")
    # The level set L = l is the ellipse with semi-axes sqrt(2 l / a_i); one
    # through each distinct iterate. Semi-axes are drawn, not printed, so a
    # float square root rounded to the grid is enough.
    levels = sorted({a1 * (x - c1) ** 2 / 2 + a2 * (y - c2) ** 2 / 2 for x, y in points}, reverse=True)
    out.append(f'<g clip-path="url(#plot)" fill="none" stroke="{COLOURS[0]}" stroke-width="0.7">')
    for level in levels:
        if level <= 0:
            continue
        rx = Fraction(round(math.sqrt(2 * level / a1) * 10**6), 10**6) * frame.scale_x()
        ry = Fraction(round(math.sqrt(2 * level / a2) * 10**6), 10**6) * frame.scale_y()
        out.append(f'<ellipse cx="{_f(frame.px(c1))}" cy="{_f(frame.py(c2))}" rx="{_f(rx)}" ry="{_f(ry)}"/>')
    out.append("</g>")
    out.append(_cross(frame.px(c1), frame.py(c2)))
    out.append(_text(frame.px(c1) + 5, frame.py(c2) + 10, "c", "start"))
    out += _path(frame, points, [str(t) for t in range(len(points))])
    out.append("</svg>")
    return "\n".join(out) + "\n"


def path_on_curve(points: Sequence[Fraction], curvature: Fraction, centre: Fraction, *,
                  width: int = 255, height: int = 170) -> str:
    """The 1-D path theta_0, theta_1, ... on the parabola L = a/2 (theta - c)^2."""
    a, c = Fraction(curvature), Fraction(centre)

    def loss(x: Fraction) -> Fraction:
        return a * (x - c) ** 2 / 2

    x_lo, x_hi = _padded(list(points) + [c], Fraction(1, 5))
    # symmetric about c, so the parabola looks like one
    reach = max(c - x_lo, x_hi - c)
    x_lo, x_hi = c - reach, c + reach
    y_hi = loss(x_hi) * Fraction(21, 20)
    y_lo = -y_hi / 20
    frame = _Frame((x_lo, x_hi), (y_lo, y_hi), Fraction(width), Fraction(height))
    out = frame.open("θ", "L(θ)")
    samples = 64
    curve = [x_lo + (x_hi - x_lo) * k / samples for k in range(samples + 1)]
    coords = " ".join(f"{_f(frame.px(x))},{_f(frame.py(loss(x)))}" for x in curve)
    out.append(f'<polyline points="{coords}" fill="none" stroke="{COLOURS[0]}" stroke-width="0.9" '
               'clip-path="url(#plot)"/>')
    out.append(_cross(frame.px(c), frame.py(Fraction(0))))
    out.append(_text(frame.px(c), frame.py(Fraction(0)) + 11, "c"))
    out += _path(frame, [(x, loss(x)) for x in points], [str(t) for t in range(len(points))])
    out.append("</svg>")
    return "\n".join(out) + "\n"
