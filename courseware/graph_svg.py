"""A trace's computation graph as an inline SVG, laid out on the server.

Layers run left to right in evaluation order: a computed node sits one layer
right of its deepest parent, and a leaf (input, parameter, constant) sits just
left of its first consumer. Inside a layer, nodes are ordered by the mean row
of their neighbours (the barycentre heuristic) to keep edges from crossing.

Only given values (inputs, parameters, constants) are printed: every computed
value is an answer. Each node and edge names the step ids it stands for in
``data-steps`` so the page script can colour it after grading, and both carry
a text marker next to the colour.
"""

from collections.abc import Mapping, Sequence
from html import escape

import numpy as np

from engine.functions import FUNCTIONS

NODE_W, NODE_H, LINE_H = 112, 54, 15
LAYER_GAP, ROW_GAP = 164, 20
MAX_ROWS, MAX_CHARS = 4, 16
MARGIN = 16
LEAF_OPS = {"input", "param", "const"}

OP_SYMBOLS = {
    "add": "+", "sub": "−", "mul": "×", "div": "÷", "pow": "^", "neg": "−x",
    **{name: record.label for name, record in FUNCTIONS.items()},
    "linear": "linear", "softmax": "softmax", "loss": "loss",
    "input": "input", "param": "parameter", "const": "constant",
}  # fmt: skip

# Worst first: a node or edge shows the worst status among its steps.
STATUS_ORDER = ("incorrect", "invalid", "missing", "carried", "correct")
STATUS_MARKERS = {
    "correct": ("✓", "correct"),
    "carried": ("↪", "carried forward"),
    "incorrect": ("✗", "incorrect"),
    "invalid": ("?", "could not be read"),
    "missing": ("–", "missing"),
}


def worst_status(statuses: Sequence[str]) -> str | None:
    """The status a node or edge shows for several steps; ``None`` when none is known.

    Examples
    ========
    >>> worst_status(["correct", "carried"])
    'carried'
    >>> worst_status([]) is None
    True
    """
    known = [s for s in statuses if s in STATUS_ORDER]
    return min(known, key=STATUS_ORDER.index) if known else None


def layers(nodes: Sequence) -> dict[str, int]:
    """Each node's column: computed nodes by longest path, leaves next to their use.

    Examples
    ========
    >>> from types import SimpleNamespace as N
    >>> g = [N(name="x", op="input", parents=()), N(name="b", op="input", parents=()),
    ...      N(name="u", op="exp", parents=("x",)), N(name="v", op="add", parents=("u", "b"))]
    >>> layers(g)
    {'x': 0, 'u': 1, 'b': 1, 'v': 2}
    """
    depth: dict[str, int] = {}
    children: dict[str, list[str]] = {n.name: [] for n in nodes}
    for node in nodes:
        for parent in node.parents:
            children[parent].append(node.name)
    for node in nodes:
        if node.parents:
            depth[node.name] = 1 + max(depth.get(p, 0) for p in node.parents)
        else:
            depth[node.name] = 0
    for node in nodes:  # leaves move right, next to their first consumer
        if not node.parents and children[node.name]:
            depth[node.name] = max(0, min(depth[c] for c in children[node.name]) - 1)
    return dict(sorted(depth.items(), key=lambda item: item[1]))


def _rows(nodes: Sequence, column: Mapping[str, int]) -> dict[str, int]:
    """Each node's row inside its column, ordered by the barycentre of its neighbours."""
    by_column: dict[int, list[str]] = {}
    for node in nodes:  # topological order breaks ties
        by_column.setdefault(column[node.name], []).append(node.name)
    neighbours: dict[str, list[str]] = {n.name: list(n.parents) for n in nodes}
    for node in nodes:
        for parent in node.parents:
            neighbours[parent].append(node.name)
    row = {name: i for names in by_column.values() for i, name in enumerate(names)}
    for _ in range(4):  # a few sweeps settle small graphs
        for names in by_column.values():

            def centre(name: str) -> float:
                near = [row[n] for n in neighbours[name]]
                return sum(near) / len(near) if near else row[name]

            names.sort(key=lambda n: (centre(n), row[n]))
            row.update({name: i for i, name in enumerate(names)})
    return row


def format_given(value) -> list[str]:
    """A given input value as the lines of a node box: one line per matrix row.

    Examples
    ========
    >>> format_given(2.0), format_given(-0.5), format_given([[1.0, 2.0]])
    (['= 2'], ['= -0.5'], ['[1, 2]'])
    >>> format_given([[0.5, 0.3], [0.2, 0.4]])
    ['[0.5, 0.3]', '[0.2, 0.4]']
    """
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        return [f"= {float(array):.4g}"]
    matrix = array.reshape(1, -1) if array.ndim == 1 else array
    rows = ["[" + ", ".join(f"{v:.3g}" for v in row) + "]" for row in matrix]
    if matrix.ndim != 2 or len(rows) > MAX_ROWS or max(map(len, rows)) > MAX_CHARS:
        return ["×".join(str(n) for n in array.shape) + " matrix"]
    return rows


def node_steps(name: str, trace) -> list[str]:
    """The step ids a node stands for on the graph (its forward value and gradient)."""
    return [s for s in (f"forward:{name}", f"grad:{name}") if s in trace.values]


def graph_svg(trace, step_statuses: Mapping[str, str] | None = None) -> str:
    """The computation graph of ``trace`` as SVG markup, coloured by step status.

    ``step_statuses`` maps step ids (``forward:u``, ``local:v/u``, ``grad:x``) to
    a status of contract 3; nodes take the worst of their forward and gradient
    steps, edges the status of their local derivative.
    """
    statuses = dict(step_statuses or {})
    column = layers(trace.nodes)
    row = _rows(trace.nodes, column)
    details = {n.name: _detail(n, trace) for n in trace.nodes}
    size = {name: NODE_H + LINE_H * (len(lines) - 1) for name, lines in details.items()}
    pos: dict[str, tuple[float, float, float]] = {}  # x, y, height
    bottom: dict[int, float] = {}
    for name in sorted(column, key=lambda n: (column[n], row[n])):
        y = bottom.get(column[name], MARGIN)
        pos[name] = (MARGIN + column[name] * LAYER_GAP, y, size[name])
        bottom[column[name]] = y + size[name] + ROW_GAP
    width = MARGIN * 2 + max(column.values()) * LAYER_GAP + NODE_W
    height = max(bottom.values()) - ROW_GAP + MARGIN
    for name, (x, y, h) in pos.items():  # centre each column vertically
        pos[name] = (x, y + (height - MARGIN - bottom[column[name]] + ROW_GAP) / 2, h)
    parts = [
        (
            f'<svg class="graph" xmlns="http://www.w3.org/2000/svg" role="img" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
            f'height="{height:.0f}" aria-labelledby="graph-title graph-desc">'
        ),
        '<title id="graph-title">Computation graph</title>',
        f'<desc id="graph-desc">{escape(_describe(trace))}</desc>',
        (
            '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" '
            'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
            '<path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>'
        ),
    ]
    for node in trace.nodes:
        for parent in node.parents:
            parts.append(_edge(node.name, parent, pos, statuses))
    for node in trace.nodes:
        parts.append(_node(node, trace, pos[node.name], details[node.name], statuses))
    parts.append("</svg>")
    return "\n".join(parts)


def _describe(trace) -> str:
    computed = [
        f"{n.name} = {OP_SYMBOLS.get(n.op, n.op)}({', '.join(n.parents)})"
        for n in trace.nodes
        if n.parents
    ]
    return "Nodes in evaluation order: " + "; ".join(computed) + "."


def _marker(status: str | None, x: float, y: float) -> str:
    icon, label = STATUS_MARKERS.get(status, ("", ""))
    return (
        f'<text class="marker" x="{x:.0f}" y="{y:.0f}" text-anchor="middle">'
        f"{icon}</text>" + (f"<title>{escape(label)}</title>" if label else "")
    )


def _status_class(status: str | None) -> str:
    return f" status-{status}" if status else ""


def _edge(child: str, parent: str, pos, statuses: Mapping[str, str]) -> str:
    step = f"local:{child}/{parent}"
    status = statuses.get(step)
    (px, py, ph), (cx, cy, ch) = pos[parent], pos[child]
    x1, y1 = px + NODE_W, py + ph / 2
    x2, y2 = cx, cy + ch / 2
    bend = (x2 - x1) / 2
    mx, my = (x1 + x2) / 2, (y1 + y2) / 2
    return (
        f'<g class="edge{_status_class(status)}" data-steps="{escape(step)}" '
        f'data-edge="{escape(parent)}-&gt;{escape(child)}">'
        f'<path d="M{x1:.0f},{y1:.0f} C{x1 + bend:.0f},{y1:.0f} '
        f'{x2 - bend:.0f},{y2:.0f} {x2:.0f},{y2:.0f}" marker-end="url(#arrow)"/>'
        f'<circle class="edge-badge" cx="{mx:.0f}" cy="{my:.0f}" r="8"/>'
        + _marker(status, mx, my + 4)
        + "</g>"
    )


def _detail(node, trace) -> list[str]:
    if node.op in LEAF_OPS:
        return format_given(trace.node_values[node.name])
    # The engine labels computed nodes "u = x*y"; the right-hand side says more
    # than the operation's name when it fits in the box.
    formula = (getattr(node, "label", "") or "").partition(" = ")[2].replace("**", "^")
    if formula and len(formula) <= MAX_CHARS:
        return [formula]
    return [OP_SYMBOLS.get(node.op, node.op)]


def _node(node, trace, box, detail: list[str], statuses: Mapping[str, str]) -> str:
    x, y, height = box
    steps = node_steps(node.name, trace)
    status = worst_status([statuses[s] for s in steps if s in statuses])
    kind = "leaf" if node.op in LEAF_OPS else "op"
    lines = "".join(
        f'<text class="node-detail" x="{x + NODE_W / 2:.0f}" y="{y + 42 + i * LINE_H:.0f}" '
        f'text-anchor="middle">{escape(line)}</text>'
        for i, line in enumerate(detail)
    )
    return (
        f'<g class="node node-{kind}{_status_class(status)}" '
        f'data-node="{escape(node.name)}" data-steps="{escape(" ".join(steps))}">'
        f'<rect x="{x}" y="{y:.0f}" width="{NODE_W}" height="{height}" rx="8"/>'
        f'<text class="node-name" x="{x + NODE_W / 2:.0f}" y="{y + 22:.0f}" '
        f'text-anchor="middle">{escape(node.name)}</text>'
        + lines
        + _marker(status, x + NODE_W - 10, y + 16)
        + "</g>"
    )
