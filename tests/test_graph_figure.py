"""core/graph_figure.py: columns by depth, one box and one arrowhead per node,
byte-identical output, and a clear error for a graph out of order."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from genexam.graph_figure import GraphNode, computation_graph, layers

SVG = "{http://www.w3.org/2000/svg}"

NODES = [
    GraphNode("x", "x", "2", "3"),
    GraphNode("y", "y", "\u22121", "6"),
    GraphNode("a", "a = x \u00b7 y", "\u22122", "3", ("x", "y")),
    GraphNode("b", "b = exp(x)", "7.389", "0.5", ("x",)),
    GraphNode("f", "f = a + b", "5.389", "1", ("a", "b")),
]


def test_columns_follow_the_longest_path_from_the_inputs():
    assert layers(NODES) == {"x": 0, "y": 0, "a": 1, "b": 1, "f": 2}


def test_a_node_read_before_it_is_defined_is_an_error():
    with pytest.raises(ValueError, match="reads 'b', which is not defined before it"):
        layers([GraphNode("a", "a", "1", "1", ("b",)), GraphNode("b", "b", "1", "1")])


def test_the_svg_parses_and_shows_every_line_of_every_box():
    svg = computation_graph(NODES)
    root = ET.fromstring(svg.split("?>", 1)[1])
    texts = [t.text for t in root.iter(f"{SVG}text")]
    for node in NODES:
        assert node.label in texts and node.value in texts and node.grad in texts
    boxes = [r for r in root.iter(f"{SVG}rect") if r.get("rx")]
    assert len(boxes) == len(NODES)
    assert len(list(root.iter(f"{SVG}path"))) == 5  # one edge per input read: x, y -> a; x -> b; a, b -> f
    assert len(list(root.iter(f"{SVG}polygon"))) == 3  # one arrowhead per node with inputs


def test_output_is_byte_identical_and_fits_a_page():
    one, two = computation_graph(NODES), computation_graph(list(NODES))
    assert one == two
    width = float(re.search(r'width="([\d.]+)pt"', one).group(1))
    assert width <= 440
    five = [GraphNode(str(i), str(i), "1", "1", (str(i - 1),) if i else ()) for i in range(5)]
    deepest = float(re.search(r'width="([\d.]+)pt"', computation_graph(five)).group(1))
    assert deepest <= 440  # five columns (the deepest template) still fit an indented A4 text width
