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

FAMILIES = ("forward", "local", "grad")

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


@dataclass(frozen=True)
class StepId:
    """A step id of contract 2, read: ``family`` and ``node`` (and ``parent`` on an edge).

    ``answer`` (single-answer kinds) has family ``answer`` and no node.

    Examples
    ========

    >>> StepId.parse("local:v/u")
    StepId(family='local', node='v', parent='u')
    >>> str(StepId.parse("grad:x")), StepId.parse("grad:x").label("z")
    ('grad:x', '∂z/∂x')
    """

    family: str
    node: str = ""
    parent: str = ""

    @classmethod
    def parse(cls, text: str) -> "StepId":
        family, _, rest = str(text).partition(":")
        if family not in FAMILIES:
            return cls("answer")
        node, _, parent = rest.partition("/")
        return cls(family, node, parent)

    def __str__(self) -> str:
        if self.family == "answer":
            return "answer"
        if self.family == "local":
            return local_id(self.node, self.parent)
        return f"{self.family}:{self.node}"

    def label(self, output: str) -> str:
        """What the trace table shows: ``u``, ``∂v/∂u``, ``∂z/∂x``, ``Answer``."""
        if self.family == "forward":
            return self.node
        if self.family == "local":
            return f"∂{self.node}/∂{self.parent}"
        if self.family == "grad":
            return f"∂{output}/∂{self.node}"
        return "Answer"

    def spoken(self, output: str) -> str:
        """The label in words (screen readers, messages): "forward value of u"."""
        if self.family == "forward":
            return f"forward value of {self.node}"
        if self.family == "local":
            return f"local derivative of {self.node} with respect to {self.parent}"
        if self.family == "grad":
            return f"gradient of {output} with respect to {self.node}"
        return "answer"

    def named(self, output: str) -> str:
        """The step as a message names it: "your forward value of u", "your ∂z/∂v"."""
        if self.family == "forward":
            return f"your forward value of {self.node}"
        if self.family == "answer":
            return "your answer"
        return f"your {self.label(output)}"


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
