"""The catalogue of buggy backprop: what a student gets by each misconception.

For a wrong step, every buggy variant that applies to it computes the value
(or, for a symbolic local derivative, the expression) a student with that
misconception would write. The grader names the first variant, in ``CODES``
order (most specific first), that the student's answer matches.

Variants use the values the student believes: their own answers for the
other steps where they gave one, and the key (recomputed from their own
values) elsewhere, so a misconception is found even after an earlier slip.

Pure: no Django.
"""

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

from engine.functions import FUNCTIONS, with_misconception
from engine.graph import StepId, forward_id, grad_id, local_id
from engine.network import DEFAULT_LOSS
from engine.rules import ARRAY

# Contract 3's codes, most specific first: when two variants give the same
# value, the earlier one is named.
CODES = (
    "loss_derivative_factor",
    "transpose",
    "relu_derivative",
    "activation_value_for_derivative",
    "activation_derivative_missing",
    "local_swapped",
    "power_rule",
    "fanout_not_summed",
    "upstream_dropped",
    "forward_value_for_derivative",
    "sign_error",
)
# Which function nodes each per-function misconception applies to
# (``engine.functions``: each record lists its codes).
ACTIVATIONS = with_misconception("activation_value_for_derivative")
SMOOTH_ACTIVATIONS = with_misconception("activation_derivative_missing")
RELU_LIKE = with_misconception("relu_derivative")

Candidate = tuple[str, Any]


@dataclass(frozen=True)
class Believed:
    """A trace with the values the student believes.

    ``known`` maps step ids to the student's own value where they gave one,
    else the key recomputed from their values (``Trace.recompute``).
    """

    trace: Any
    known: Mapping[str, Any]
    spec: Mapping[str, Any]

    def node(self, name: str):
        return next(n for n in self.trace.nodes if n.name == name)

    def value(self, name: str):
        """The forward value of a node as the student has it."""
        key = forward_id(name)
        if key in self.known:
            return self.known[key]
        return self.trace.node_values[name]


def _sorted(candidates: Iterator[Candidate]) -> list[Candidate]:
    return sorted(candidates, key=lambda c: CODES.index(c[0]))


def _operands(node) -> tuple:
    """The operand list: parent names as ``str``, constants as numbers."""
    return tuple(getattr(node, "args", ()) or node.parents)


def _exponent(node):
    """``n`` when the node is a power ``p**n`` of its parent with a constant ``n``:
    ``p**n``, ``sqrt(p)`` (n = 1/2) and ``p*p`` (n = 2); else ``None``."""
    operands = _operands(node)
    if node.op == "pow" and len(operands) == 2 and not isinstance(operands[1], str):
        return operands[1]
    if node.op == "sqrt":
        return sympy.Rational(1, 2)
    if node.op == "mul" and len(operands) == 2 and operands[0] == operands[1]:
        return 2
    return None


def squares_parent(node) -> bool:
    """``p*p``: a product whose two factors are the same parent."""
    operands = _operands(node)
    return node.op == "mul" and len(operands) == 2 and operands[0] == operands[1]


# Functions whose derivative is their own value: giving the forward value as
# the local derivative is no mistake there.
OWN_DERIVATIVE = tuple(name for name, f in FUNCTIONS.items() if f.own_derivative)


def _partner(node, parent: str):
    """The other operand of a product node, or ``None``."""
    operands = _operands(node)
    if node.op != "mul" or len(operands) != 2 or operands[0] == operands[1]:
        return None
    return operands[1] if operands[0] == parent else operands[0]


# --- Scalar traces: numbers ---------------------------------------------------


def _buggy_local_factors(b: Believed, child: str, parent: str) -> Iterator[Candidate]:
    """Wrong local derivatives d child / d parent, as numbers."""
    node = b.node(child)
    p = float(b.value(parent))
    if _partner(node, parent) is not None:
        yield "local_swapped", p
    n = _exponent(node)
    if n is not None and (p > 0 or float(n).is_integer()):
        n = float(n)
        if p != 0 or n > 1:
            yield "power_rule", p ** (n - 1)
        yield "power_rule", n * p**n
    if node.op in ACTIVATIONS:
        yield "activation_value_for_derivative", float(b.value(child))
    if node.op in RELU_LIKE:
        yield "relu_derivative", 1.0 if p <= 0 else 0.0
        yield "relu_derivative", p
    if node.op not in OWN_DERIVATIVE:
        yield "forward_value_for_derivative", float(b.value(child))


def local_candidates(b: Believed, step_id: str) -> list[Candidate]:
    """Numbers a misconception gives for ``local:child/parent``."""
    step = StepId.parse(step_id)
    child, parent = step.node, step.parent
    basis = b.known[step_id]

    def generate():
        yield from _buggy_local_factors(b, child, parent)
        yield "sign_error", -basis

    return _sorted(generate())


def _scalar_grad_candidates(b: Believed, step_id: str) -> Iterator[Candidate]:
    parent = StepId.parse(step_id).node
    children = b.trace.children(parent)
    upstream = {c: b.known.get(grad_id(c), 1.0) for c in children}
    local = {c: b.known[local_id(c, parent)] for c in children}
    terms = {c: upstream[c] * local[c] for c in children}
    total = sum(terms.values())

    yield "upstream_dropped", sum(local.values())
    if len(children) > 1:
        for c in children:
            yield "fanout_not_summed", terms[c]
            yield "upstream_dropped", local[c]
    for c in children:
        rest = total - terms[c]
        node = b.node(c)
        for code, factor in _buggy_local_factors(b, c, parent):
            if code != "forward_value_for_derivative":
                yield code, rest + upstream[c] * factor
        if node.op in SMOOTH_ACTIVATIONS:
            yield "activation_derivative_missing", rest + upstream[c]
    yield "forward_value_for_derivative", float(b.value(parent))
    yield "sign_error", -b.known[step_id]


# --- Network traces: matrices -------------------------------------------------


def _layers(b: Believed) -> list[Mapping]:
    return list(b.spec.get("layers", ()))


def _activation_derivative(activation: str, z, a):
    (derivative,) = FUNCTIONS[activation].derivatives
    return derivative(ARRAY, a, z) * np.ones_like(z)


def _backward_through_weights(b: Believed, W, upstream, transpose: bool):
    """The gradient reaching a layer's input: upstream times Wᵀ (or W if buggy)."""
    if b.trace.convention == "column":
        M = W if transpose else W.T
        return M @ upstream if M.shape[1] == upstream.shape[0] else None
    M = W if transpose else W.T
    return upstream @ M if upstream.shape[1] == M.shape[0] else None


def _network_grad_candidates(b: Believed, step_id: str) -> Iterator[Candidate]:
    name = StepId.parse(step_id).node
    layers = _layers(b)
    last = len(layers)
    basis = np.asarray(b.known[step_id], dtype=np.float64)
    kind, index = name[:1], name[1:]
    value = lambda n: np.asarray(b.value(n), dtype=np.float64)
    param = lambda n: np.asarray(b.trace.node_values[n], dtype=np.float64)

    if basis.ndim == 2:
        yield "transpose", basis.T
    if name == f"a{last}" and b.spec.get("loss", DEFAULT_LOSS) in (
        "squared_error",
        "mse",
    ):
        yield "loss_derivative_factor", basis / 2
    if name == "x" or (kind == "a" and index.isdigit() and int(index) < last):
        layer = 1 if name == "x" else int(index) + 1
        upstream = np.asarray(b.known[f"grad:z{layer}"], dtype=np.float64)
        W = param(f"W{layer}")
        buggy = _backward_through_weights(b, W, upstream, transpose=True)
        if buggy is not None:
            yield "transpose", buggy
        ones = _backward_through_weights(b, W, np.ones_like(upstream), transpose=False)
        if ones is not None:
            yield "upstream_dropped", ones
        yield "forward_value_for_derivative", value(name) if name != "x" else param("x")
    if kind == "z" and index.isdigit():
        activation = layers[int(index) - 1].get("activation", "identity")
        upstream = np.asarray(b.known[f"grad:a{index}"], dtype=np.float64)
        z, a = value(name), value(f"a{index}")
        if activation in RELU_LIKE:
            yield "relu_derivative", upstream
            yield "relu_derivative", upstream * (z <= 0)
            yield "relu_derivative", upstream * z
        if activation in ACTIVATIONS:
            yield "activation_value_for_derivative", upstream * a
            yield "activation_derivative_missing", upstream
            yield "upstream_dropped", _activation_derivative(activation, z, a)
        yield "forward_value_for_derivative", z
    if kind in ("W", "b") and index.isdigit():
        layer = int(index)
        upstream = np.asarray(b.known[f"grad:z{layer}"], dtype=np.float64)
        a_prev = param("x") if layer == 1 else value(f"a{layer - 1}")
        if kind == "W":
            ones = np.ones_like(upstream)
            if b.trace.convention == "column":
                dropped = ones @ a_prev.T if ones.shape[1] == a_prev.shape[1] else None
            else:
                dropped = a_prev.T @ ones if a_prev.shape[0] == ones.shape[0] else None
            if dropped is not None:
                yield "upstream_dropped", dropped
        else:
            rows = (
                upstream.shape[1]
                if b.trace.convention == "column"
                else upstream.shape[0]
            )
            yield "upstream_dropped", np.full(basis.shape, float(rows))
        yield "forward_value_for_derivative", param(name)
    yield "sign_error", -basis


def grad_candidates(b: Believed, step_id: str) -> list[Candidate]:
    """Values a misconception gives for ``grad:<node>``."""
    if b.trace.kind == "network_trace":
        return _sorted(_network_grad_candidates(b, step_id))
    return _sorted(_scalar_grad_candidates(b, step_id))


def forward_candidates(b: Believed, step_id: str) -> list[Candidate]:
    """A forward value can only be diagnosed as a sign slip."""
    return [("sign_error", -np.asarray(b.known[step_id], dtype=np.float64))]


def candidates(b: Believed, step_id: str) -> list[Candidate]:
    family = StepId.parse(step_id).family
    make: Callable[[Believed, str], list[Candidate]] = {
        "forward": forward_candidates,
        "local": local_candidates,
        "grad": grad_candidates,
    }[family]
    return make(b, step_id)


# --- Scalar traces: symbolic local derivatives --------------------------------

_SYMBOLIC_FORWARD: Mapping[str, Callable] = {
    "add": lambda a, c: a + c,
    "sub": lambda a, c: a - c,
    "mul": lambda a, c: a * c,
    "div": lambda a, c: a / c,
    "pow": lambda a, c: a**c,
    "neg": lambda a: -a,
    **{name: record.sympy for name, record in FUNCTIONS.items() if record.typed},
}


def _operand_symbols(node) -> list:
    return [
        sympy.Symbol(o) if isinstance(o, str) else sympy.nsimplify(o)
        for o in _operands(node)
    ]


def symbolic_candidates(trace, step_id: str) -> list[Candidate]:
    """Expressions (in parent node names) a misconception gives for a local step."""
    step = StepId.parse(step_id)
    child, parent = step.node, step.parent
    node = next(n for n in trace.nodes if n.name == child)
    P = sympy.Symbol(parent)
    expected = trace.symbolic[step_id]

    def generate():
        partner = _partner(node, parent)
        if partner is not None:
            yield "local_swapped", P
        n = _exponent(node)
        if n is not None:
            n = sympy.nsimplify(n)
            yield "power_rule", P ** (n - 1)
            yield "power_rule", n * P**n
        forward = _SYMBOLIC_FORWARD.get(node.op)
        own = forward(*_operand_symbols(node)) if forward else None
        if node.op in ACTIVATIONS and own is not None:
            yield "activation_value_for_derivative", own
        if node.op in RELU_LIKE:
            yield "relu_derivative", sympy.Integer(1)
            yield "relu_derivative", P
        if own is not None and node.op not in OWN_DERIVATIVE:
            yield "forward_value_for_derivative", own
        yield "sign_error", -expected

    return _sorted(generate())
