import re
from types import SimpleNamespace

import numpy as np
import pytest

from courseware.graph_svg import format_given, graph_svg, layers, worst_status


def node(name, op, *parents):
    return SimpleNamespace(name=name, op=op, parents=parents, label=name)


def work_this_trace():
    """The shape of engine.trace.trace for z = (x*y + b)**2."""
    nodes = [
        node("x", "input"), node("y", "input"), node("b", "input"),
        node("u", "mul", "x", "y"), node("v", "add", "u", "b"), node("z", "pow", "v"),
    ]  # fmt: skip
    node_values = {"x": 2.0, "y": 3.0, "b": 1.0, "u": 6.0, "v": 7.0, "z": 49.0}
    values = {
        "forward:u": 6.0, "forward:v": 7.0, "forward:z": 49.0,
        "local:u/x": 3.0, "local:u/y": 2.0, "local:v/u": 1.0, "local:v/b": 1.0,
        "local:z/v": 14.0, "grad:v": 14.0, "grad:u": 14.0, "grad:b": 14.0,
        "grad:x": 42.0, "grad:y": 28.0,
    }  # fmt: skip
    return SimpleNamespace(nodes=nodes, node_values=node_values, values=values)


def test_graph_svg_has_a_node_per_trace_node_with_its_name():
    svg = graph_svg(work_this_trace())
    names = re.findall(r'data-node="([^"]+)"', svg)
    assert names == ["x", "y", "b", "u", "v", "z"]
    for name in names:
        assert f'text-anchor="middle">{name}</text>' in svg


def test_graph_svg_has_an_edge_per_parent():
    svg = graph_svg(work_this_trace())
    assert re.findall(r'data-edge="([^"]+)"', svg) == [
        "x-&gt;u", "y-&gt;u", "u-&gt;v", "b-&gt;v", "v-&gt;z",
    ]  # fmt: skip


def test_graph_svg_shows_given_inputs_but_never_computed_values():
    svg = graph_svg(work_this_trace())
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert {"= 2", "= 3", "= 1"} <= set(texts)
    for computed in ("6", "7", "49", "14", "42", "28"):
        assert not any(computed in text for text in texts)


def test_graph_svg_status_has_class_and_text_marker():
    svg = graph_svg(
        work_this_trace(),
        {"forward:u": "incorrect", "forward:v": "carried", "local:z/v": "correct"},
    )
    u = re.search(r'<g class="([^"]+)" data-node="u".*?</g>', svg).group(0)
    assert "status-incorrect" in u and "✗" in u and "<title>incorrect</title>" in u
    v = re.search(r'<g class="([^"]+)" data-node="v".*?</g>', svg).group(0)
    assert "status-carried" in v and "↪" in v
    edge = re.search(r'<g class="([^"]+)" data-steps="local:z/v".*?</g>', svg).group(0)
    assert "status-correct" in edge and "✓" in edge


def test_graph_svg_escapes_names():
    trace = work_this_trace()
    trace.nodes[0].name = "<x>"
    trace.nodes[3].parents = ("<x>", "y")
    trace.node_values["<x>"] = 2.0
    assert "<x>" not in graph_svg(trace)


def test_layers_put_leaves_next_to_their_first_use():
    network = [
        node("x", "input"), node("W1", "param"), node("z1", "linear", "x", "W1"),
        node("a1", "relu", "z1"), node("W2", "param"),
        node("z2", "linear", "a1", "W2"), node("loss", "loss", "z2"),
    ]  # fmt: skip
    assert layers(network) == {
        "x": 0, "W1": 0, "z1": 1, "a1": 2, "W2": 2, "z2": 3, "loss": 4,
    }  # fmt: skip


@pytest.mark.parametrize(
    "statuses, expected",
    [
        (["correct", "correct"], "correct"),
        (["correct", "carried"], "carried"),
        (["carried", "incorrect", "invalid"], "incorrect"),
        (["missing", "correct"], "missing"),
        ([], None),
    ],
)
def test_worst_status(statuses, expected):
    assert worst_status(statuses) == expected


def test_format_given_matrices_one_line_per_row():
    assert format_given(np.array([[0.5, 0.3], [0.2, 0.4]])) == [
        "[0.5, 0.3]",
        "[0.2, 0.4]",
    ]
    assert format_given(np.ones((6, 5))) == ["6×5 matrix"]


def test_graph_svg_matrix_inputs_take_one_line_per_row():
    nodes = [node("x", "input"), node("W1", "param"), node("z1", "linear", "x", "W1")]
    trace = SimpleNamespace(
        nodes=nodes,
        node_values={
            "x": np.array([[1.0, 2.0]]),
            "W1": np.array([[0.5, 0.3], [0.2, 0.4]]),
        },
        values={"forward:z1": np.array([[0.9, 1.1]]), "grad:x": 0, "grad:W1": 0},
    )
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", graph_svg(trace))
    assert ["[1, 2]", "[0.5, 0.3]", "[0.2, 0.4]"] == [
        t for t in texts if t.startswith("[")
    ]
