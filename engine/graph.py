"""Computation-graph nodes and the step ids of contract 2.

A graph is a tuple of ``Node`` in topological order (inputs and parameters first,
the output last). Step ids name the cells a student fills in:

- ``forward:<node>`` for every node that is computed (not ``input``/``param``),
- ``local:<node>/<parent>`` for every edge (scalar traces only),
- ``grad:<node>`` for every node except the output.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

LEAF_OPS = ("input", "param")


@dataclass(frozen=True)
class Node:
    """One node of a computation graph.

    ``parents`` are the distinct parent names in operand order; ``args`` is the
    full operand list, with parent names as ``str`` and constants as numbers
    (``v**2`` is ``Node("z", "pow", ("v",), "z = v**2", ("v", 2))``).
    """

    name: str
    op: str
    parents: tuple[str, ...] = ()
    label: str = ""
    args: tuple[Any, ...] = ()


def forward_id(name: str) -> str:
    return f"forward:{name}"


def local_id(name: str, parent: str) -> str:
    return f"local:{name}/{parent}"


def grad_id(name: str) -> str:
    return f"grad:{name}"


def step_ids(
    nodes: tuple[Node, ...], families: Iterable[str], with_local: bool
) -> list[str]:
    """The step ids of the asked families, in display order.

    Forward in topological order, local per edge (node by node), grad in reverse
    topological order.

    Examples
    ========

    >>> nodes = (Node("x", "input"), Node("y", "exp", ("x",), "y = exp(x)", ("x",)))
    >>> step_ids(nodes, ["forward", "local", "grad"], with_local=True)
    ['forward:y', 'local:y/x', 'grad:x']
    """
    families = set(families)
    steps: list[str] = []
    if "forward" in families:
        steps += [forward_id(n.name) for n in nodes if n.op not in LEAF_OPS]
    if "local" in families and with_local:
        steps += [local_id(n.name, p) for n in nodes for p in n.parents]
    if "grad" in families:
        steps += [grad_id(n.name) for n in reversed(nodes[:-1])]
    return steps


def children(nodes: tuple[Node, ...], name: str) -> tuple[str, ...]:
    """Names of the nodes that use ``name`` directly, in topological order.

    Examples
    ========

    >>> nodes = (Node("x", "input"), Node("y", "exp", ("x",)), Node("z", "add", ("x", "y")))
    >>> children(nodes, "x")
    ('y', 'z')
    """
    return tuple(n.name for n in nodes if name in n.parents)
