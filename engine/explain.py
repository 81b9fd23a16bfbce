"""The trace explained: a hint for one step, and the worked solution of them all.

Both are derived from the graph (``engine.trace.Trace``), never written by an
author. A hint names the rule and the factors a step needs, never a number;
the worked solution writes every step out with the key's numbers, every
chain-rule product included (``∂z/∂u = ∂z/∂v · ∂v/∂u = 14 · 1 = 14``).

Pure: no Django.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import sympy

from engine.functions import FUNCTIONS
from engine.graph import StepId
from engine.network import DEFAULT_LOSS, LOSSES

# The local derivative of each operator, in words (a hint for ``local:n/p``);
# a function's own comes from its record (``engine.functions``).
OPERATOR_RULES: Mapping[str, str] = {
    "add": "A sum passes change through unchanged: its derivative with respect to "
    "each term is 1.",
    "sub": "A difference: the derivative is +1 for the first term and -1 for the "
    "subtracted one.",
    "mul": "For a product, the derivative with respect to one factor is the other "
    "factor (when both factors are the same node, add both: v·v gives 2v).",
    "div": "For a quotient a/b: d/da = 1/b and d/db = -a/b².",
    "pow": "The power rule: d(v^n)/dv = n·v^(n-1).",
    "neg": "Negation flips the sign: the derivative is -1.",
}
LOCAL_RULES: Mapping[str, str] = {
    **OPERATOR_RULES,
    **{name: record.rule for name, record in FUNCTIONS.items()},
}


@dataclass(frozen=True)
class Line:
    """One step of the worked solution: its id, its label and the written-out step."""

    step_id: str
    label: str
    text: str


def number(value) -> str:
    """A key value as the solution writes it: ``6``, ``-0.25``, ``[[0.9, 1.1]]``."""
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return number(float(value))
        return "[" + ", ".join(number(row) for row in value) + "]"
    value = float(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6g}"


def _factor(value) -> str:
    text = number(value)
    return f"({text})" if text.startswith("-") else text


class Explanation:
    """Hints and the worked solution of one trace."""

    def __init__(self, trace):
        self.trace = trace
        self.nodes = {n.name: n for n in trace.nodes}
        self.output = "loss" if trace.kind == "network_trace" else trace.output

    def label(self, step_id: str) -> str:
        return StepId.parse(step_id).label(self.output)

    # What each step is computed from, as text ---------------------------------

    def gradient_terms(self, name: str) -> list[tuple[str, str, str | None]]:
        """``(text, upstream id, local id)`` for each path from ``name`` to the output."""
        terms = []
        for child in self.trace.children(name):
            local = f"local:{child}/{name}"
            if child == self.output:
                # ∂z/∂z = 1; "(local)" tells the edge's factor from the gradient,
                # whose label it shares.
                terms.append((f"1 · {self.label(local)} (local)", "", local))
            else:
                up = f"grad:{child}"
                terms.append((f"{self.label(up)} · {self.label(local)}", up, local))
        return terms

    def gradient_rule(self, name: str) -> str:
        """The backward rule that gives ``grad:name`` in a network, in names."""
        [child] = self.trace.children(name) or [None]
        consumer = self.nodes[child]
        up = self.label(f"grad:{child}")
        row = self.trace.convention != "column"
        if consumer.op == "loss":
            loss = LOSSES.get(self.trace.loss or DEFAULT_LOSS)
            return loss.derivative.format(a=name) if loss else f"∂loss/∂{name}"
        if consumer.op == "linear":
            layer_input, weights = consumer.parents[0], consumer.parents[1]
            if name == layer_input:
                return f"{up} · {weights}ᵀ" if row else f"{weights}ᵀ · {up}"
            if name == weights:
                return f"{layer_input}ᵀ · {up}" if row else f"{up} · {layer_input}ᵀ"
            axis = "rows" if row else "columns"
            return f"{up} summed over its {axis} (one per example)"
        if consumer.op == "identity":
            return up
        return f"{up} ⊙ {consumer.op}'({name})"

    # Hints --------------------------------------------------------------------

    def hint(self, step_id: str) -> str:
        """The rule and the factors ``step_id`` needs, never its number."""
        step = StepId.parse(step_id)
        node = self.nodes.get(step.node)
        if node is None:
            return "Work from the graph: every step follows from the ones it uses."
        if step.family == "forward":
            used = ", ".join(node.parents)
            return (
                f"{node.label}: compute it from the forward values of {used}, "
                "as the graph's edges into it show."
            )
        if step.family == "local":
            rule = LOCAL_RULES.get(node.op, "Differentiate this one operation.")
            return (
                f"{node.label}. {rule} Differentiate with respect to {step.parent} "
                "only, holding the node's other inputs fixed."
            )
        if self.trace.kind == "network_trace":
            [child] = self.trace.children(step.node) or [""]
            rule = LOCAL_RULES.get(self.nodes[child].op, "") if child else ""
            return (
                f"{self.label(step_id)} = {self.gradient_rule(step.node)}: "
                f"use your forward values and the gradient arriving from above. {rule}"
            ).strip()
        terms = self.gradient_terms(step.node)
        paths = (
            f"{step.node} has {len(terms)} paths to {self.output}: add them."
            if len(terms) > 1
            else f"{step.node} has one path to {self.output}."
        )
        formula = " + ".join(text for text, _, _ in terms)
        return (
            f"{self.label(step_id)} = {formula}: multiply the gradient arriving "
            f"from above by the local derivative of each edge. {paths}"
        )

    # The worked solution ------------------------------------------------------

    def line(self, step_id: str) -> Line:
        step = StepId.parse(step_id)
        values = self.trace.values
        value = number(values[step_id])
        label = self.label(step_id)
        node = self.nodes[step.node]
        if step.family == "forward":
            if self.trace.kind == "network_trace":
                return Line(step_id, label, f"{node.label} = {value}")
            rhs = node.label.split("=", 1)[1].strip()
            known = {p: _factor(self.trace.node_values[p]) for p in node.parents}
            filled = re.sub(
                r"[A-Za-z_][A-Za-z_0-9]*",
                lambda m: known.get(m.group(0), m.group(0)),
                rhs,
            )
            return Line(step_id, label, f"{node.label} = {filled} = {value}")
        if step.family == "local":
            formula = self.trace.symbolic.get(step_id)
            shown = sympy.sstr(formula) if formula is not None else ""
            if shown and shown != value:
                return Line(step_id, label, f"{label} = {shown} = {value}")
            return Line(step_id, label, f"{label} = {value}")
        if self.trace.kind == "network_trace":
            rule = self.gradient_rule(step.node)
            return Line(step_id, label, f"{label} = {rule} = {value}")
        terms = self.gradient_terms(step.node)
        names = " + ".join(text for text, _, _ in terms)
        numbers = " + ".join(
            f"{_factor(values[up]) if up else 1} · {_factor(values[local])}"
            for _, up, local in terms
        )
        if numbers == value:
            return Line(step_id, label, f"{label} = {names} = {value}")
        return Line(step_id, label, f"{label} = {names} = {numbers} = {value}")

    def worked_solution(self) -> list[Line]:
        """Every step of the trace, forward then local then gradients."""
        return [self.line(s) for s in self.trace.steps(("forward", "local", "grad"))]


def worked_solution(trace) -> list[Line]:
    """The worked solution of ``trace``: every step, every chain-rule product.

    Examples
    ========
    >>> from engine.trace import trace
    >>> t = trace({"kind": "scalar_trace", "program": "u = x*y\\nz = u**2",
    ...            "inputs": {"x": 2, "y": 3}})
    >>> [line.text for line in worked_solution(t)][-1]
    '∂z/∂x = ∂z/∂u · ∂u/∂x = 12 · 3 = 36'
    """
    return Explanation(trace).worked_solution()


def hint(trace, step_id: str) -> str:
    """A hint for one step: its rule and the factors it needs, never its number.

    Examples
    ========
    >>> from engine.trace import trace
    >>> t = trace({"kind": "scalar_trace", "program": "u = x*y\\nz = u**2",
    ...            "inputs": {"x": 2, "y": 3}})
    >>> hint(t, "grad:x").split(":")[0]
    '∂z/∂x = ∂z/∂u · ∂u/∂x'
    """
    return Explanation(trace).hint(step_id)
