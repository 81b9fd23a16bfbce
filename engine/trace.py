"""The answer key of a trace problem: ``trace(spec) -> Trace``.

``scalar_trace`` specs are programs (``engine.program``), with exact forward
values, local derivatives and gradients (SymPy: 1/3 stays 1/3); ``values`` holds
them as floats and ``exact`` keeps the exact numbers. ``network_trace`` specs are
numpy float64 networks (``engine.network``). Step ids follow contract 2
(``engine.graph``).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy

from engine import network, program
from engine.graph import Node, StepId, children, forward_id, grad_id, local_id, step_ids
from engine.program import ProgramError, UndefinedValue

__all__ = ["Node", "ProgramError", "Trace", "UndefinedValue", "trace"]

FAMILIES = ("forward", "local", "grad")


@dataclass(frozen=True)
class Trace:
    """Every node, every step id and its value, for one concrete problem.

    ``node_values`` holds the forward value of every node (inputs included);
    ``values`` maps every step id to a float (or a float64 array for matrices).
    Scalar traces also carry ``symbolic`` (``local:n/p`` -> SymPy expression in
    the parent names), ``node_exprs`` (node -> SymPy expression in the input
    names), ``exact`` (step id -> exact SymPy value) and ``exact_node_values``.
    Network traces carry ``convention`` and ``loss``.
    """

    kind: str
    nodes: tuple[Node, ...]
    output: str
    node_values: Mapping[str, Any]
    values: Mapping[str, Any]
    symbolic: Mapping[str, sympy.Expr] = field(default_factory=dict)
    node_exprs: Mapping[str, sympy.Expr] = field(default_factory=dict)
    convention: str | None = None
    loss: str | None = None
    exact: Mapping[str, sympy.Expr] = field(default_factory=dict)
    exact_node_values: Mapping[str, sympy.Expr] = field(default_factory=dict)

    def steps(self, ask: Iterable[str] = FAMILIES) -> list[str]:
        """Step ids of the asked families, in display order.

        Forward in topological order, local per edge, grad in reverse
        topological order. Network traces have no local steps.

        Examples
        ========

        >>> t = trace({"kind": "scalar_trace", "program": "z = x*y",
        ...            "inputs": {"x": 2, "y": 3}})
        >>> t.steps(["forward", "grad"])
        ['forward:z', 'grad:y', 'grad:x']
        """
        return step_ids(self.nodes, ask, with_local=self.kind == "scalar_trace")

    def children(self, name: str) -> tuple[str, ...]:
        """Nodes that use ``name`` directly, in topological order."""
        return children(self.nodes, name)

    def dependencies(self, step_id: str) -> tuple[str, ...]:
        """The step ids ``step_id`` is computed from in ``recompute`` (ids it has).

        ``forward:n`` and ``local:n/p`` come from the forward values of n's
        parents; ``grad:p`` from the gradient of each child c times the local
        derivative on the edge c -> p. Networks have no local steps: there the
        forward value the child's backward rule reads stands in for it (the
        layer input for a weight, z for an activation, a_L for the loss).

        Examples
        ========

        >>> t = trace({"kind": "scalar_trace", "program": "z = (x*y + b)**2",
        ...            "inputs": {"x": 2, "y": 3, "b": 1}})
        >>> t.dependencies("grad:u"), t.dependencies("forward:v")
        (('grad:v', 'local:v/u'), ('forward:u',))
        """
        step = StepId.parse(step_id)
        name = step.node
        nodes = {n.name: n for n in self.nodes}
        ids: list[str] = []
        if step.family in ("forward", "local"):
            ids = [forward_id(p) for p in nodes[name].parents]
        elif step.family == "grad":
            for child in self.children(name):
                ids.append(grad_id(child))
                node = nodes[child]
                if local_id(child, name) in self.values:
                    ids.append(local_id(child, name))
                elif node.op == "linear":
                    if nodes[name].op == "param" and node.parents.index(name) == 1:
                        ids.append(forward_id(node.parents[0]))
                else:
                    ids.append(forward_id(name))
        return tuple(dict.fromkeys(i for i in ids if i in self.values))

    def recompute(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        """Follow-through: every step recomputed from its own dependencies.

        Each step takes a dependency's value from ``overrides`` when present
        (never its own override), else from this recomputation:
        the dependencies are ``dependencies(step_id)`` (networks: the
        vector-Jacobian product of c at the possibly overridden forward values
        of c's parents and upstream gradient). Values that are undefined at the
        overridden numbers are ``nan``.

        Examples
        ========

        >>> t = trace({"kind": "scalar_trace", "program": "z = (x*y + b)**2",
        ...            "inputs": {"x": 2, "y": 3, "b": 1}})
        >>> again = t.recompute({"forward:u": 5.0})
        >>> again["forward:v"], again["forward:z"], again["local:z/v"]
        (6.0, 36.0, 12.0)
        """
        if self.kind == "scalar_trace":
            return program.recompute(self.nodes, self.node_values, overrides)
        leaves = {
            n.name: self.node_values[n.name]
            for n in self.nodes
            if n.op in ("input", "param")
        }
        return network.evaluate(
            self.nodes, leaves, self.convention, self.loss, overrides
        )


def trace(spec: Mapping[str, Any]) -> Trace:
    """The answer key of a concrete ``scalar_trace`` or ``network_trace`` spec.

    Raises ``ProgramError`` for a program that cannot become a graph,
    ``UndefinedValue`` when a value is undefined at the inputs, and
    ``ValueError`` for any other invalid spec (see ``engine.specs.validate``).

    Examples
    ========

    >>> t = trace({"kind": "scalar_trace", "program": "z = (x*y + b)**2",
    ...            "inputs": {"x": 2, "y": 3, "b": 1}})
    >>> [t.values[s] for s in ("forward:u", "forward:v", "forward:z")]
    [6.0, 7.0, 49.0]
    >>> t.symbolic["local:z/v"], t.values["grad:x"]
    (2*v, 42.0)
    """
    kind = spec.get("kind")
    if kind == "scalar_trace":
        return _scalar_trace(spec)
    if kind == "network_trace":
        return _network_trace(spec)
    raise ValueError(f"cannot trace kind {kind!r}; use scalar_trace or network_trace")


def _scalar_trace(spec: Mapping[str, Any]) -> Trace:
    inputs = dict(spec.get("inputs") or {})
    nodes = program.parse_program(spec["program"], inputs)
    exact_values, exact_steps = program.exact_steps(nodes, inputs)
    return Trace(
        kind="scalar_trace",
        nodes=nodes,
        output=nodes[-1].name,
        node_values={name: float(v) for name, v in exact_values.items()},
        values={step: program.to_float(v) for step, v in exact_steps.items()},
        symbolic=program.symbolic_locals(nodes),
        node_exprs=program.node_expressions(nodes),
        exact=exact_steps,
        exact_node_values=exact_values,
    )


def _network_trace(spec: Mapping[str, Any]) -> Trace:
    errors = network.spec_errors(spec)
    if errors:
        raise ValueError("; ".join(message for _, message in errors))
    convention = spec.get("convention", "row")
    loss = spec.get("loss", network.DEFAULT_LOSS)
    nodes, leaves = network.network_nodes(spec)
    values = network.evaluate(nodes, leaves, convention, loss)
    node_values = dict(leaves)
    node_values.update(
        {n.name: values[f"forward:{n.name}"] for n in nodes if n.name not in leaves}
    )
    bad = [step for step, v in values.items() if not np.all(np.isfinite(v))]
    if bad:
        raise UndefinedValue(f"{bad[0]} is not finite for these numbers")
    return Trace(
        kind="network_trace",
        nodes=nodes,
        output="loss",
        node_values=node_values,
        values=values,
        convention=convention,
        loss=loss,
    )
