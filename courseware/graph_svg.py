"""A trace's computation graph as an inline SVG, laid out on the server.

Layers run in evaluation order, left to right (or top to bottom in the
vertical layout that narrow screens get): a computed node sits one layer past
its deepest parent, and a leaf (input, parameter, constant) sits just before
its first consumer. An edge that skips layers passes each layer it crosses
through a slot of its own (a "dummy" node, as in Sugiyama's layered drawing),
so no edge is ever drawn under a node: between two layers an edge is a curve
in the empty gap, inside a layer it is a straight line in its own slot. Inside
a layer, nodes and slots are ordered by the mean position of their neighbours
(the barycentre heuristic) to keep edges from crossing.

Only given values (inputs, parameters, constants) are printed: every computed
value is an answer. Each node carries two marks, one for its forward value and
one for its gradient, and each mark and edge names the step it stands for in
``data-steps`` so the page script can colour it after grading; every colour
comes with a text marker. A node is a link to its first answer cell.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

import numpy as np

from engine.functions import FUNCTIONS
from engine.graph import StepId, forward_id, grad_id, local_id

NODE_W, NODE_H, LINE_H = 108, 76, 15
LAYER_GAP = {False: 48, True: 44}  # the gap between layers, by ``vertical``
SLOT_GAP, DUMMY = 12, 12  # between neighbours in a layer; a passing edge's slot
MAX_ROWS, MAX_CHARS = 4, 16
MARGIN = 8
MARK_W, MARK_H = 50, 18
LEAF_OPS = {"input", "param", "const"}

OP_SYMBOLS = {
    "add": "+", "sub": "−", "mul": "×", "div": "÷", "pow": "^", "neg": "−x",
    **{name: record.label for name, record in FUNCTIONS.items()},
    "linear": "linear", "softmax": "softmax", "loss": "loss",
    "input": "input", "param": "parameter", "const": "constant",
}  # fmt: skip

# Worst first: a group of steps shows the worst status among them.
STATUS_ORDER = ("incorrect", "invalid", "missing", "carried", "correct")
STATUS_MARKERS = {
    "correct": ("✓", "correct"),
    "carried": ("↪", "carried forward"),
    "incorrect": ("✗", "incorrect"),
    "invalid": ("?", "could not be read"),
    "missing": ("–", "missing"),
}


def worst_status(statuses: Sequence[str]) -> str | None:
    """The status shown for several steps; ``None`` when none is known.

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
    """Each node's layer: computed nodes by longest path, leaves next to their use.

    Examples
    ========
    >>> from types import SimpleNamespace as N
    >>> g = [N(name="x", op="input", parents=()), N(name="b", op="input", parents=()),
    ...      N(name="u", op="exp", parents=("x",)), N(name="v", op="add", parents=("u", "b"))]
    >>> layers(g)
    {'x': 0, 'b': 1, 'u': 1, 'v': 2}
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
    for node in nodes:  # leaves move on, next to their first consumer
        if not node.parents and children[node.name]:
            depth[node.name] = max(0, min(depth[c] for c in children[node.name]) - 1)
    return dict(sorted(depth.items(), key=lambda item: item[1]))


@dataclass(frozen=True)
class Box:
    """A node's rectangle on the drawing."""

    x: float
    y: float
    w: float
    h: float

    def contains(self, px: float, py: float, inset: float = 0.0) -> bool:
        return (
            self.x + inset < px < self.x + self.w - inset
            and self.y + inset < py < self.y + self.h - inset
        )


@dataclass(frozen=True)
class Layout:
    """Where everything goes: node boxes and each edge's route.

    ``routes[(parent, child)]`` is a list of pieces, each ``("C", p0, c1, c2, p3)``
    (a cubic curve across a gap between layers) or ``("L", p0, p1)`` (a straight
    line through a layer), consecutive pieces sharing their end points.
    """

    width: float
    height: float
    vertical: bool
    boxes: dict[str, Box]
    routes: dict[tuple[str, str], list[tuple]]


def graph_layout(trace, vertical: bool = False) -> Layout:
    """The layered drawing of ``trace``: boxes and edge routes (see ``Layout``)."""
    layer = layers(trace.nodes)
    heights = {
        n.name: NODE_H + LINE_H * (len(_detail(n, trace)) - 1) for n in trace.nodes
    }
    members, chains = _slots(trace.nodes, layer)
    order = _order(members, chains)
    # "Along" runs with evaluation order, "across" within a layer.
    along = {name: (h if vertical else NODE_W) for name, h in heights.items()}
    across_size = {name: (NODE_W if vertical else h) for name, h in heights.items()}
    gap = LAYER_GAP[vertical]
    starts, ends, position = {}, {}, MARGIN
    for k in sorted(members):
        real = [along[m] for m in members[k] if not isinstance(m, tuple)]
        starts[k], ends[k] = position, position + max(real, default=DUMMY)
        position = ends[k] + gap
    spans = {
        k: sum(DUMMY if isinstance(m, tuple) else across_size[m] for m in names)
        + SLOT_GAP * (len(names) - 1)
        for k, names in members.items()
    }
    total_across = max(spans.values()) + 2 * MARGIN
    across: dict = {}  # each slot's centre across the flow
    boxes: dict[str, Box] = {}
    for k in sorted(members):  # each layer centred across the drawing
        cursor = MARGIN + (total_across - 2 * MARGIN - spans[k]) / 2
        for member in sorted(members[k], key=order.__getitem__):
            size = DUMMY if isinstance(member, tuple) else across_size[member]
            across[member] = cursor + size / 2
            if not isinstance(member, tuple):
                h = heights[member]
                boxes[member] = (
                    Box(cursor, starts[k], NODE_W, h)
                    if vertical
                    else Box(starts[k], cursor, NODE_W, h)
                )
            cursor += size + SLOT_GAP
    ports = (
        _ports(chains, across, boxes, vertical, outgoing=True),
        _ports(chains, across, boxes, vertical, outgoing=False),
    )
    routes = {
        edge: _pieces(
            _corners(edge, chain, layer, starts, ends, across, ports, boxes, vertical),
            vertical,
        )
        for edge, chain in chains.items()
    }
    total_along = position - gap + MARGIN
    width, height = (
        (total_across, total_along) if vertical else (total_along, total_across)
    )
    return Layout(width, height, vertical, boxes, routes)


def _slots(nodes: Sequence, layer: Mapping[str, int]) -> tuple[dict, dict]:
    """Each layer's members (nodes, and a dummy ``("~", parent, child, k)`` for
    every edge passing through), and each edge's chain of members."""
    members: dict[int, list] = {}
    for node in nodes:  # topological order breaks ties
        members.setdefault(layer[node.name], []).append(node.name)
    chains: dict[tuple[str, str], list] = {}
    for node in nodes:
        for parent in node.parents:
            chain = [parent]
            for k in range(layer[parent] + 1, layer[node.name]):
                dummy = ("~", parent, node.name, k)
                members.setdefault(k, []).append(dummy)
                chain.append(dummy)
            chains[(parent, node.name)] = chain + [node.name]
    return members, chains


def _corners(edge, chain, layer, starts, ends, across, ports, boxes, vertical):
    """An edge's (along, across) corners: where it leaves each layer and enters
    the next; inside a layer it keeps to its own slot."""
    ports_out, ports_in = ports
    points = []
    for i, member in enumerate(chain):
        k = layer[edge[0]] + i
        if i > 0:
            c = ports_in[edge] if i == len(chain) - 1 else across[member]
            points.append((starts[k], c))
        if i < len(chain) - 1:
            c = ports_out[edge] if i == 0 else across[member]
            if i == 0 and vertical:  # out of a box shorter than its layer
                points.append((boxes[member].y + boxes[member].h, c))
            points.append((ends[k], c))
    return points


def _order(members: Mapping[int, list], chains: Mapping) -> dict:
    """Each member's rank inside its layer, by the barycentre of its neighbours."""
    neighbours: dict = {m: [] for names in members.values() for m in names}
    for chain in chains.values():
        for a, b in zip(chain, chain[1:], strict=False):
            neighbours[a].append(b)
            neighbours[b].append(a)
    rank = {m: i for names in members.values() for i, m in enumerate(names)}
    for _ in range(6):  # a few sweeps settle small graphs
        for k in sorted(members):
            names = members[k]

            def centre(member) -> float:
                near = [rank[n] for n in neighbours[member]]
                return sum(near) / len(near) if near else rank[member]

            names.sort(key=lambda m: (centre(m), rank[m]))
            rank.update({m: i for i, m in enumerate(names)})
    return rank


def _ports(chains, across, boxes, vertical: bool, *, outgoing: bool) -> dict:
    """Where each edge leaves (or enters) its node's side: spread along that side,
    in the order of where the edges go (or come from), so arrows stay apart."""
    by_node: dict[str, list] = {}
    for edge, chain in chains.items():
        node, other = (chain[0], chain[1]) if outgoing else (chain[-1], chain[-2])
        by_node.setdefault(node, []).append((across[other], edge))
    ports = {}
    for node, items in by_node.items():
        box = boxes[node]
        low, size = (box.x, box.w) if vertical else (box.y, box.h)
        items.sort()
        for i, (_, edge) in enumerate(items):
            ports[edge] = low + size * (i + 1) / (len(items) + 1)
    return ports


def _pieces(points: list[tuple[float, float]], vertical: bool) -> list[tuple]:
    """(along, across) corners -> drawing pieces in (x, y): a curve across each gap
    between layers, a straight line inside a layer."""

    def xy(along: float, across: float) -> tuple[float, float]:
        return (across, along) if vertical else (along, across)

    pieces: list[tuple] = []
    for (a0, c0), (a1, c1) in zip(points, points[1:], strict=False):
        if c0 == c1:
            pieces.append(("L", xy(a0, c0), xy(a1, c1)))
        else:
            half = (a1 - a0) / 2
            pieces.append(
                ("C", xy(a0, c0), xy(a0 + half, c0), xy(a1 - half, c1), xy(a1, c1))
            )
    return pieces


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
    return [s for s in (forward_id(name), grad_id(name)) if s in trace.values]


def graph_svg(
    trace,
    step_statuses: Mapping[str, str] | None = None,
    *,
    cell_ids: Mapping[str, str] | None = None,
    vertical: bool = False,
    id_prefix: str = "graph",
) -> str:
    """The computation graph of ``trace`` as SVG markup, coloured by step status.

    ``step_statuses`` maps step ids (``forward:u``, ``local:v/u``, ``grad:x``) to
    a status of contract 3: a node's value mark shows its forward step, its
    gradient mark its gradient step, an edge its local derivative.
    ``cell_ids`` maps the asked step ids to the ids of their answer inputs: only
    asked steps get a mark, and a node links to its first cell. Without it every
    step of the trace counts as asked. ``id_prefix`` keeps the ids of two
    drawings on one page apart.
    """
    statuses = dict(step_statuses or {})
    asked = set(cell_ids) if cell_ids is not None else set(trace.values)
    layout = graph_layout(trace, vertical)
    output = trace.nodes[-1].name if trace.nodes else ""
    arrow = f"{id_prefix}-arrow"
    parts = [
        (
            f'<svg class="graph graph-{"vertical" if vertical else "horizontal"}" '
            f'xmlns="http://www.w3.org/2000/svg" role="group" '
            f'viewBox="0 0 {layout.width:.0f} {layout.height:.0f}" '
            f'width="{layout.width:.0f}" height="{layout.height:.0f}" '
            f'aria-labelledby="{id_prefix}-title {id_prefix}-desc">'
        ),
        f'<title id="{id_prefix}-title">Computation graph</title>',
        f'<desc id="{id_prefix}-desc">{escape(_describe(trace))}</desc>',
        (
            f'<defs><marker id="{arrow}" viewBox="0 0 10 10" refX="10" refY="5" '
            'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
            '<path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>'
        ),
    ]
    for node in trace.nodes:
        for parent in node.parents:
            route = layout.routes[(parent, node.name)]
            parts.append(_edge(node.name, parent, route, statuses, asked, arrow))
    for node in trace.nodes:
        steps = [s for s in node_steps(node.name, trace) if s in asked]
        link = (cell_ids or {}).get(steps[0]) if steps else None
        box = layout.boxes[node.name]
        parts.append(_node(node, trace, box, steps, statuses, link, output))
    parts.append("</svg>")
    return "\n".join(parts)


def path_data(route: list[tuple]) -> str:
    """An edge route (``Layout.routes``) as the ``d`` of an SVG path."""
    first = route[0][1]
    out = [f"M{first[0]:.1f},{first[1]:.1f}"]
    for piece in route:
        out.append(piece[0] + " ".join(f"{x:.1f},{y:.1f}" for x, y in piece[2:]))
    return " ".join(out)


def _describe(trace) -> str:
    computed = [
        f"{n.name} = {OP_SYMBOLS.get(n.op, n.op)}({', '.join(n.parents)})"
        for n in trace.nodes
        if n.parents
    ]
    return "Nodes in evaluation order: " + "; ".join(computed) + "."


def _marker(status: str | None, x: float, y: float, anchor: str = "middle") -> str:
    icon = STATUS_MARKERS.get(status, ("", ""))[0]
    return (
        f'<text class="marker" x="{x:.0f}" y="{y:.0f}" text-anchor="{anchor}">'
        f"{icon}</text>"
    )


def _title(label: str, status: str | None) -> str:
    words = STATUS_MARKERS.get(status, ("", ""))[1]
    return f"<title>{escape(label + (': ' + words if words else ''))}</title>"


def _status_class(status: str | None) -> str:
    return f" status-{status}" if status else ""


def _edge(child: str, parent: str, route, statuses, asked, arrow: str) -> str:
    step = local_id(child, parent)
    status = statuses.get(step) if step in asked else None
    # The badge sits in the middle of the last curve, the one into the child.
    last = route[-1]
    (x0, y0), (x3, y3) = last[1], last[-1]
    mx, my = (x0 + x3) / 2, (y0 + y3) / 2
    label = f"edge {parent} to {child}, local derivative ∂{child}/∂{parent}"
    steps = f' data-steps="{escape(step)}"' if step in asked else ""
    return (
        f'<g class="edge{_status_class(status)}"{steps} '
        f'data-edge="{escape(parent)}-&gt;{escape(child)}" '
        f'data-from="{escape(parent)}" data-to="{escape(child)}" '
        f'data-label="{escape(label)}">'
        + _title(label, status)
        + f'<path d="{path_data(route)}" marker-end="url(#{arrow})"/>'
        + (
            f'<circle class="edge-badge" cx="{mx:.0f}" cy="{my:.0f}" r="8"/>'
            + _marker(status, mx, my + 4)
            if steps
            else ""
        )
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


def _mark(step: str, output: str, statuses, x: float, y: float) -> str:
    """A node's mark for one step: "value" (forward) or "grad" (gradient)."""
    parsed = StepId.parse(step)
    family, name = parsed.family, parsed.node
    status = statuses.get(step)
    word = "value" if family == "forward" else "grad"
    label = (
        f"forward value of {name}"
        if family == "forward"
        else f"gradient ∂{output}/∂{name}"
    )
    return (
        f'<g class="mark mark-{family}{_status_class(status)}" '
        f'data-steps="{escape(step)}" data-label="{escape(label)}">'
        + _title(label, status)
        + f'<rect x="{x:.0f}" y="{y:.0f}" width="{MARK_W}" height="{MARK_H}" rx="4"/>'
        + f'<text class="mark-word" x="{x + 5:.0f}" y="{y + 13:.0f}">{word}</text>'
        + _marker(status, x + MARK_W - 5, y + 13, anchor="end")
        + "</g>"
    )


def _node(node, trace, box: Box, steps, statuses, link, output: str) -> str:
    x, y, height = box.x, box.y, box.h
    detail = _detail(node, trace)
    kind = "leaf" if node.op in LEAF_OPS else "op"
    lines = "".join(
        f'<text class="node-detail" x="{x + NODE_W / 2:.0f}" y="{y + 38 + i * LINE_H:.0f}" '
        f'text-anchor="middle">{escape(line)}</text>'
        for i, line in enumerate(detail)
    )
    marks_y = y + height - MARK_H - 5
    marks = "".join(
        _mark(step, output, statuses, x + 3 + (MARK_W + 2) * (StepId.parse(step).family == "grad"),
              marks_y)
        for step in steps
    )  # fmt: skip
    what = " and ".join(
        "its value" if StepId.parse(s).family == "forward" else "its gradient"
        for s in steps
    )
    name = escape(node.name)
    body = (
        f'<rect class="node-box" x="{x:.0f}" y="{y:.0f}" width="{NODE_W}" '
        f'height="{height}" rx="8"/>'
        f'<text class="node-name" x="{x + NODE_W / 2:.0f}" y="{y + 20:.0f}" '
        f'text-anchor="middle">{name}</text>' + lines + marks
    )
    attrs = (
        f'class="node node-{kind}" data-node="{name}" '
        f'data-cells="{escape(" ".join(steps))}"'
    )
    if link:
        spoken = f"node {node.name}: go to the cell of {what}"
        return (
            f'<a {attrs} href="#{escape(link)}" aria-label="{escape(spoken)}">'
            f"{body}</a>"
        )
    return f"<g {attrs}>{body}</g>"
