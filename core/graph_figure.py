"""A computational graph as a deterministic SVG figure.

:func:`computation_graph` draws a small directed acyclic graph left to right:
the inputs in the first column, every other node one column to the right of
its deepest input. Each node is a box with three lines -- its definition
(``q = x · y``), its forward value (blue) and the gradient of the output with
respect to it (red) -- and every edge is an arrow from an input to the node
that reads it, so a fan-out (one value read twice) shows as two arrows.

The caller passes the text of every line (already rounded or exact), so the
figure prints what the solver computed. Coordinates are exact Fractions
printed with two decimals, and nothing depends on the clock, the locale or a
random state: the same graph always gives byte-identical SVG.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence
from xml.sax.saxutils import escape, quoteattr

from .figures import FONT_FAMILY, INK, _f

VALUE_COLOUR = "#1f4e99"
GRAD_COLOUR = "#c0504d"
#: Box fill of the inputs (leaves) and of the output, to tell them apart in greyscale too.
LEAF_FILL = "#f2f2f2"
OUTPUT_FILL = "#fff4e0"

# Layout, in points.
_BOX_W = Fraction(66)
_BOX_H = Fraction(40)
_COL_GAP = Fraction(22)
_ROW_GAP = Fraction(12)
_MARGIN = Fraction(8)
_FONT = 8
_LEGEND_H = Fraction(16)
_ARROW = Fraction(5)


@dataclass(frozen=True)
class GraphNode:
    """One node: ``id`` (unique), the ``label`` shown on its first line, the
    text of its forward ``value`` and of its ``grad`` (d output / d node), and
    the ids of the nodes it reads (none for an input)."""

    id: str
    label: str
    value: str
    grad: str
    inputs: tuple[str, ...] = ()


def layers(nodes: Sequence[GraphNode]) -> dict[str, int]:
    """Column of every node: 0 for inputs, else one more than its deepest input.
    Nodes must come in topological order (every input before its readers)."""
    column: dict[str, int] = {}
    for node in nodes:
        missing = [i for i in node.inputs if i not in column]
        if missing:
            raise ValueError(f"node {node.id!r} reads {missing[0]!r}, which is not defined before it")
        if node.id in column:
            raise ValueError(f"node {node.id!r} is defined twice")
        column[node.id] = 1 + max((column[i] for i in node.inputs), default=-1)
    return column


def computation_graph(nodes: Sequence[GraphNode], *, value_name: str = "value",
                      grad_name: str = "grad") -> str:
    """The graph of ``nodes`` (in topological order; the last one is the
    output) as a standalone SVG document, with a legend naming the value and
    gradient lines as ``value_name`` and ``grad_name``."""
    column = layers(nodes)
    depth = max(column.values()) + 1
    # Order each column by the mean row of the node's inputs (fewer crossings);
    # inputs keep the order given.
    rows: dict[str, Fraction] = {}
    columns: list[list[GraphNode]] = [[] for _ in range(depth)]
    for node in nodes:
        columns[column[node.id]].append(node)
    for index, members in enumerate(columns):
        if index > 0:
            members.sort(key=lambda n: (sum(rows[i] for i in n.inputs) / len(n.inputs), nodes.index(n)))
        for row, node in enumerate(members):
            rows[node.id] = Fraction(row)
    tallest = max(len(members) for members in columns)
    pitch_y = _BOX_H + _ROW_GAP
    height_body = tallest * pitch_y - _ROW_GAP
    top = _MARGIN + _LEGEND_H
    width = 2 * _MARGIN + depth * (_BOX_W + _COL_GAP) - _COL_GAP
    height = top + height_body + _MARGIN

    position: dict[str, tuple[Fraction, Fraction]] = {}
    for index, members in enumerate(columns):
        offset = (height_body - (len(members) * pitch_y - _ROW_GAP)) / 2  # centre the column
        for node in members:
            x = _MARGIN + index * (_BOX_W + _COL_GAP)
            y = top + offset + rows[node.id] * pitch_y
            position[node.id] = (x, y)

    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_f(width)}pt" height="{_f(height)}pt" '
        f'viewBox="0 0 {_f(width)} {_f(height)}" font-family={quoteattr(FONT_FAMILY)}>',
        f'<rect x="0" y="0" width="{_f(width)}" height="{_f(height)}" fill="#ffffff"/>',
    ]
    out += _legend(value_name, grad_name, width)
    out.append(f'<g stroke="{INK}" stroke-width="0.7" fill="none">')
    for node in nodes:
        for source in node.inputs:
            out.append(_edge(position[source], position[node.id]))
    out.append("</g>")
    out.append(f'<g fill="{INK}" stroke="none">')
    for node in nodes:  # every edge into a node ends at the same point: one head
        if node.inputs:
            x, y = position[node.id]
            out.append(_arrowhead(x, y + _BOX_H / 2))
    out.append("</g>")
    output_id = nodes[-1].id
    for node in nodes:
        fill = OUTPUT_FILL if node.id == output_id else (LEAF_FILL if not node.inputs else "#ffffff")
        out += _box(node, position[node.id], fill)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _edge(start: tuple[Fraction, Fraction], end: tuple[Fraction, Fraction]) -> str:
    """A horizontal-tangent cubic from the right side of one box to the left side of another."""
    x0, y0 = start[0] + _BOX_W, start[1] + _BOX_H / 2
    x1, y1 = end[0] - _ARROW, end[1] + _BOX_H / 2
    bend = (x1 - x0) / 2
    return (f'<path d="M {_f(x0)} {_f(y0)} C {_f(x0 + bend)} {_f(y0)} {_f(x1 - bend)} {_f(y1)} '
            f'{_f(x1)} {_f(y1)}"/>')


def _arrowhead(x: Fraction, y: Fraction) -> str:
    half = _ARROW / 2
    return (f'<polygon points="{_f(x)},{_f(y)} {_f(x - _ARROW)},{_f(y - half)} '
            f'{_f(x - _ARROW)},{_f(y + half)}"/>')


def _box(node: GraphNode, at: tuple[Fraction, Fraction], fill: str) -> list[str]:
    x, y = at
    cx = x + _BOX_W / 2
    line = Fraction(_FONT) + 3
    first = y + Fraction(_FONT) + 3
    return [
        f'<rect x="{_f(x)}" y="{_f(y)}" width="{_f(_BOX_W)}" height="{_f(_BOX_H)}" rx="3" ry="3" '
        f'fill="{fill}" stroke="{INK}" stroke-width="0.7"/>',
        f'<g font-size="{_FONT}" text-anchor="middle">',
        _text(cx, first, node.label, INK),
        _text(cx, first + line, node.value, VALUE_COLOUR),
        _text(cx, first + 2 * line, node.grad, GRAD_COLOUR),
        "</g>",
    ]


def _legend(value_name: str, grad_name: str, width: Fraction) -> list[str]:
    """One line above the graph: what the blue and red lines of a box are."""
    y = _MARGIN + Fraction(_FONT)
    return [
        f'<g font-size="{_FONT}" text-anchor="end">',
        _text(width / 2 - 4, y, f"blue: {value_name}", VALUE_COLOUR),
        f'</g><g font-size="{_FONT}" text-anchor="start">',
        _text(width / 2 + 4, y, f"red: {grad_name}", GRAD_COLOUR),
        "</g>",
    ]


def _text(x: Fraction, y: Fraction, text: str, colour: str) -> str:
    return f'<text x="{_f(x)}" y="{_f(y)}" fill="{colour}">{escape(text)}</text>'
