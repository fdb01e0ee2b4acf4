"""A decoding tree, as deterministic SVG.

:func:`decoding_tree` draws the tree of every token sequence a decoder can
produce, root at the left and one column per position: each edge is
labelled with the next token's probability, each leaf (a complete sequence)
with the sequence's probability. The nodes beam search kept are filled,
the greedy path is drawn as a thick dashed line, and the best complete
sequence is labelled in bold with "best".

Positions are exact Fractions printed with two decimals; nothing depends on
a clock or a random state, so the same tree always gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Collection
from xml.sax.saxutils import escape

from .figures import COLOURS, FONT_FAMILY, INK

_FONT = 8
_ROW = Fraction(16)  # vertical distance between leaves
_COLUMN = Fraction(78)  # horizontal distance between positions
_RADIUS = Fraction(9)
_EDGE = "#9a9a9a"


@dataclass
class TreeNode:
    """A prefix of tokens; ``edge``: the probability of its last token given
    the rest (None at the root); ``prob``: the prefix's probability."""

    prefix: tuple[str, ...]
    edge: Fraction | None
    prob: Fraction
    children: list["TreeNode"] = field(default_factory=list)


def probability_text(p: Fraction) -> str:
    """A probability as short exact text: 0.35 when it is a finite decimal, else 1/3."""
    p = Fraction(p)
    d = p.denominator
    twos = fives = 0
    while d % 2 == 0:
        d //= 2
        twos += 1
    while d % 5 == 0:
        d //= 5
        fives += 1
    if d != 1:
        return f"{p.numerator}/{p.denominator}"
    places = max(twos, fives)
    scaled = p * 10**places
    digits = str(abs(scaled.numerator)).rjust(places + 1, "0")
    text = digits if places == 0 else f"{digits[:-places]}.{digits[-places:]}"
    return ("-" if p < 0 else "") + text


def _f(value: Fraction) -> str:
    hundredths = round(value * 100)
    sign = "-" if hundredths < 0 else ""
    whole, frac = divmod(abs(hundredths), 100)
    return f"{sign}{whole}.{frac:02d}"


def _text(x: Fraction, y: Fraction, text: str, anchor: str = "middle", weight: str = "", size: int = _FONT,
          colour: str = INK) -> str:
    bold = ' font-weight="bold"' if weight else ""
    return (f'<text x="{_f(x)}" y="{_f(y)}" font-size="{size}" text-anchor="{anchor}" fill="{colour}"{bold}>'
            f"{escape(text)}</text>")


def decoding_tree(root: TreeNode, *, kept: Collection[tuple[str, ...]], greedy: Collection[tuple[str, ...]],
                  best: tuple[str, ...], eos: str = "<eos>") -> str:
    """The SVG of the tree under ``root``: ``kept`` are the prefixes beam
    search kept at some step, ``greedy`` the prefixes on the greedy path,
    ``best`` the best complete sequence."""
    # Leaves take consecutive rows; a parent sits midway between its first and last child.
    position: dict[tuple[str, ...], tuple[Fraction, Fraction]] = {}
    leaves = 0
    depth = 0
    top, left = Fraction(14), Fraction(22)

    def place(node: TreeNode) -> Fraction:
        nonlocal leaves, depth
        depth = max(depth, len(node.prefix))
        x = left + _COLUMN * len(node.prefix)
        if not node.children:
            y = top + _ROW * leaves
            leaves += 1
        else:
            ys = [place(child) for child in node.children]
            y = (ys[0] + ys[-1]) / 2
        position[node.prefix] = (x, y)
        return y

    place(root)
    width = left + _COLUMN * depth + 110
    height = top + _ROW * max(leaves - 1, 0) + 40
    blue, red = COLOURS[0], COLOURS[1]
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_f(width)}pt" height="{_f(height)}pt" '
        f'viewBox="0 0 {_f(width)} {_f(height)}" font-family="{FONT_FAMILY}">',
        f'<rect x="0" y="0" width="{_f(width)}" height="{_f(height)}" fill="#ffffff"/>',
    ]
    nodes: list[TreeNode] = []

    def collect(node: TreeNode) -> None:
        nodes.append(node)
        for child in node.children:
            collect(child)

    collect(root)
    # edges first, then the greedy path over them, then nodes and labels on top
    for node in nodes:
        x0, y0 = position[node.prefix]
        for child in node.children:
            x1, y1 = position[child.prefix]
            out.append(f'<line x1="{_f(x0 + _RADIUS)}" y1="{_f(y0)}" x2="{_f(x1 - _RADIUS)}" y2="{_f(y1)}" '
                       f'stroke="{_EDGE}" stroke-width="0.7"/>')
    for node in nodes:
        x0, y0 = position[node.prefix]
        for child in node.children:
            if child.prefix in greedy:
                x1, y1 = position[child.prefix]
                out.append(f'<line x1="{_f(x0 + _RADIUS)}" y1="{_f(y0)}" x2="{_f(x1 - _RADIUS)}" y2="{_f(y1)}" '
                           f'stroke="{red}" stroke-width="1.8" stroke-dasharray="4 2"/>')
    for node in nodes:
        x0, y0 = position[node.prefix]
        for child in node.children:
            x1, y1 = position[child.prefix]
            mx, my = x0 + (x1 - x0) * Fraction(7, 10), y0 + (y1 - y0) * Fraction(7, 10)  # near the child: siblings' labels stay apart
            out.append(f'<rect x="{_f(mx - 10)}" y="{_f(my - 6)}" width="20.00" height="9.00" fill="#ffffff"/>')
            out.append(_text(mx, my + Fraction(5, 2), probability_text(child.edge or 0), size=7))
    for node in nodes:
        x, y = position[node.prefix]
        in_beam = node.prefix in kept
        fill = "#dbe5f4" if in_beam else "#ffffff"
        stroke = blue if in_beam else _EDGE
        out.append(f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{_f(_RADIUS)}" fill="{fill}" stroke="{stroke}" '
                   f'stroke-width="{"1.2" if in_beam else "0.7"}"/>')
        label = "start" if not node.prefix else ("eos" if node.prefix[-1] == eos else node.prefix[-1])
        out.append(_text(x, y + 3, label, size=7 if label in ("start", "eos") else _FONT))
        if not node.children:
            is_best = node.prefix == best
            text = f"P = {probability_text(node.prob)}" + ("   best" if is_best else "")
            out.append(_text(x + _RADIUS + 4, y + 3, text, "start", weight="bold" if is_best else ""))
    legend_y = height - 10
    out.append(f'<circle cx="{_f(left)}" cy="{_f(legend_y - 3)}" r="4.00" fill="#dbe5f4" stroke="{blue}" '
               'stroke-width="1.2"/>')
    out.append(_text(left + 8, legend_y, "kept by beam search", "start"))
    out.append(f'<line x1="{_f(left + 100)}" y1="{_f(legend_y - 3)}" x2="{_f(left + 120)}" y2="{_f(legend_y - 3)}" '
               f'stroke="{red}" stroke-width="1.8" stroke-dasharray="4 2"/>')
    out.append(_text(left + 124, legend_y, "greedy path", "start"))
    out.append("</svg>")
    return "\n".join(out) + "\n"
