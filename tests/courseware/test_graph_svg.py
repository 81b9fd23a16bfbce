import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import yaml

from courseware.graph_svg import (
    format_given,
    graph_layout,
    graph_svg,
    layers,
    worst_status,
)
from engine.specs import instantiate
from engine.trace import trace


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


def test_graph_svg_marks_value_and_gradient_apart():
    svg = graph_svg(
        work_this_trace(),
        {"forward:v": "carried", "grad:v": "incorrect", "local:z/v": "correct"},
    )
    value = re.search(r'<g class="([^"]+)" data-steps="forward:v".*?</g>', svg)
    grad = re.search(r'<g class="([^"]+)" data-steps="grad:v".*?</g>', svg)
    assert value.group(1) == "mark mark-forward status-carried"
    assert "↪" in value.group(0)
    assert "<title>forward value of v: carried forward</title>" in value.group(0)
    assert grad.group(1) == "mark mark-grad status-incorrect"
    assert "✗" in grad.group(0) and "∂z/∂v: incorrect" in grad.group(0)
    node_v = re.search(r'<g class="([^"]+)" data-node="v"', svg)
    assert "status" not in node_v.group(1)  # the node itself mixes nothing
    edge = re.search(r'<g class="([^"]+)" data-steps="local:z/v".*?</g>', svg).group(0)
    assert "status-correct" in edge and "✓" in edge


def test_graph_svg_marks_only_asked_steps_and_links_nodes_to_cells():
    cells = {"forward:u": "cell-0", "forward:v": "cell-1", "grad:x": "cell-2"}
    svg = graph_svg(work_this_trace(), cell_ids=cells)
    assert sorted(re.findall(r'data-steps="([^"]+)"', svg)) == [
        "forward:u",
        "forward:v",
        "grad:x",
    ]  # no marks or edge badges for steps the problem does not ask
    link = re.search(r'<a class="node node-op" data-node="u"[^>]*>', svg).group(0)
    assert 'href="#cell-0"' in link and 'aria-label="node u: go to the cell' in link
    assert '<g class="node node-leaf" data-node="y"' in svg  # nothing to link to


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


def boxes_and_routes(svg: str):
    """The node rectangles and each edge's sampled points, read back from the SVG."""
    boxes = {}
    for name, body in re.findall(r'data-node="([^"]+)".*?>(.*?)</(?:a|g)>', svg, re.S):
        x, y, w, h = re.search(
            r'class="node-box" x="([\d.]+)" y="([\d.]+)" width="(\d+)" height="(\d+)"',
            body,
        ).groups()
        boxes[name] = tuple(map(float, (x, y, w, h)))
    routes = {}
    for parent, child, d in re.findall(
        r'data-from="([^"]+)" data-to="([^"]+)".*?<path d="([^"]+)"', svg, re.S
    ):
        routes[(parent, child)] = sample_path(d)
    return boxes, routes


def sample_path(d: str) -> list[tuple[float, float]]:
    """Points along an ``M``/``L``/``C`` path, 40 per curve."""
    points, current = [], None
    for command, args in re.findall(r"([MLC])([^MLC]*)", d):
        xy = [tuple(map(float, p.split(","))) for p in args.split()]
        if command == "M":
            current = xy[0]
            points.append(current)
        elif command == "L":
            steps = [current + (xy[0][0] - current[0], xy[0][1] - current[1])]
            for t in np.linspace(0, 1, 20):
                points.append(
                    (current[0] + t * steps[0][2], current[1] + t * steps[0][3])
                )
            current = xy[0]
        else:
            (c1, c2, end), p0 = xy, current
            for t in np.linspace(0, 1, 40):
                points.append(tuple(
                    (1 - t) ** 3 * p0[i] + 3 * (1 - t) ** 2 * t * c1[i]
                    + 3 * (1 - t) * t**2 * c2[i] + t**3 * end[i]
                    for i in (0, 1)
                ))  # fmt: skip
            current = end
    return points


def content_traces():
    for path in sorted(Path("content/problems").glob("*.yaml")):
        problem = yaml.safe_load(path.read_text())
        if problem["kind"] in ("scalar_trace", "network_trace"):
            yield pytest.param(trace(instantiate(problem["spec"], None)), id=path.stem)


@pytest.mark.parametrize("vertical", [False, True], ids=["horizontal", "vertical"])
@pytest.mark.parametrize("problem_trace", list(content_traces()))
def test_no_edge_passes_under_a_node(problem_trace, vertical):
    svg = graph_svg(problem_trace, vertical=vertical)
    boxes, routes = boxes_and_routes(svg)
    assert len(routes) == sum(len(n.parents) for n in problem_trace.nodes)
    for (parent, child), points in routes.items():
        for name, (x, y, w, h) in boxes.items():
            inside = [
                (px, py) for px, py in points
                if x + 0.5 < px < x + w - 0.5 and y + 0.5 < py < y + h - 0.5
            ]  # fmt: skip
            assert not inside, f"edge {parent}->{child} passes under node {name}"
        (x, y, w, h) = boxes[child]  # and it ends on its child's box
        end = points[-1]
        assert x - 0.5 <= end[0] <= x + w + 0.5 and y - 0.5 <= end[1] <= y + h + 0.5


def test_fan_out_edge_u_to_z_goes_around_w():
    fan_out = yaml.safe_load(Path("content/problems/fan-out.yaml").read_text())
    graph = graph_layout(trace(instantiate(fan_out["spec"], None)))
    w = graph.boxes["w"]
    pieces = graph.routes[("u", "z")]
    assert [p[0] for p in pieces] == ["C", "L", "C"]  # a slot of its own in w's layer
    straight = pieces[1]
    assert not (w.y <= straight[1][1] <= w.y + w.h)  # beside w, not through it


@pytest.mark.parametrize("problem_trace", list(content_traces()))
def test_vertical_layout_fits_a_phone(problem_trace):
    """390 px wide, minus the page's margins: no sideways scrolling inside the box."""
    assert graph_layout(problem_trace, vertical=True).width <= 366
