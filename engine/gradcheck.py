"""Central differences: an independent check of every gradient of a trace.

d output / d n is estimated by nudging n's forward value up and down (through
``Trace.recompute`` with a ``forward:n`` override, so everything downstream of n
follows) and dividing the change of the output by the nudge. At a kink
(``relu`` or ``abs`` at exactly 0) the two sides disagree by design.
"""

from collections.abc import Mapping
from typing import Any

import numpy as np

from engine.graph import forward_id, grad_id
from engine.trace import Trace, trace


def numeric_grads(t: Trace, eps: float = 1e-6) -> dict[str, Any]:
    """``grad:n`` -> central-difference estimate, for every node but the output.

    Examples
    ========

    >>> t = trace({"kind": "scalar_trace", "program": "z = x**3", "inputs": {"x": 2}})
    >>> round(numeric_grads(t)["grad:x"], 6)
    12.0
    """
    return {grad_id(n.name): _numeric_grad(t, n.name, eps) for n in t.nodes[:-1]}


def _numeric_grad(t: Trace, name: str, eps: float):
    base = np.array(t.node_values[name], dtype=np.float64)
    grad = np.zeros_like(base)
    for index in np.ndindex(base.shape):
        step = eps * max(1.0, abs(float(base[index])))
        outputs = []
        for sign in (1, -1):
            nudged = base.copy()
            nudged[index] += sign * step
            value = nudged if nudged.ndim else float(nudged)
            outputs.append(_output(t, {forward_id(name): value}))
        grad[index] = (outputs[0] - outputs[1]) / (2 * step)
    return grad if grad.ndim else float(grad)


def _output(t: Trace, overrides: Mapping[str, Any]) -> float:
    return float(t.recompute(overrides)[forward_id(t.output)])


def check_grads(
    spec_or_trace: Mapping[str, Any] | Trace,
    eps: float = 1e-6,
    rtol: float = 1e-5,
    atol: float = 1e-6,
) -> None:
    """Raise ``AssertionError`` unless every gradient matches central differences.

    The message names the step and prints ``analytic:`` and ``numeric:``.

    Examples
    ========

    >>> check_grads({"kind": "scalar_trace", "program": "z = (x*y + b)**2",
    ...              "inputs": {"x": 2, "y": 3, "b": 1}})
    """
    t = spec_or_trace if isinstance(spec_or_trace, Trace) else trace(spec_or_trace)
    numeric = numeric_grads(t, eps)
    for step, estimate in numeric.items():
        analytic = t.values[step]
        if not np.allclose(analytic, estimate, rtol=rtol, atol=atol):
            raise AssertionError(
                f"{step} is wrong\nanalytic: {analytic}\nnumeric: {estimate}"
            )
