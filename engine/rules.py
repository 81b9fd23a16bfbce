"""Derivative rules: one table, one short entry per primitive operation.

Each entry gives the forward function and one partial derivative per operand,
written against a small maths namespace ``m``. The same table then serves three
number domains:

- ``FLOAT``: Python floats (``engine.scalar.Value``, follow-through recomputation),
- ``SYMBOLIC``: exact SymPy (answer keys; local derivatives in node names),
- ``ARRAY``: numpy float64 arrays, elementwise (network activations).

A partial is called as ``partial(m, out, *args)`` where ``out`` is the forward
value of the operation at ``args``: ``d tanh(a)/da = 1 - out**2`` reuses it, as
a student would.

Derivative choices follow PyTorch: ``relu'(0) = 0`` and ``|a|'(0) = 0``.
"""

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import sympy


class Rule(NamedTuple):
    forward: Callable
    partials: tuple[Callable, ...]


def _float_sigmoid(a: float) -> float:
    # Two branches so that exp never overflows.
    if a >= 0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)
    return e / (1.0 + e)


class FLOAT:
    """Maths on Python floats; out-of-domain inputs raise ``ValueError``."""

    exp = staticmethod(math.exp)
    log = staticmethod(math.log)
    sqrt = staticmethod(math.sqrt)
    sin = staticmethod(math.sin)
    cos = staticmethod(math.cos)
    tan = staticmethod(math.tan)
    tanh = staticmethod(math.tanh)
    pow = staticmethod(math.pow)  # raises on (-8) ** (1/3) instead of going complex
    abs = staticmethod(abs)
    sigmoid = staticmethod(_float_sigmoid)

    @staticmethod
    def relu(a):
        return a if a > 0 else 0.0

    @staticmethod
    def step(a):
        return 1.0 if a > 0 else 0.0

    @staticmethod
    def sign(a):
        return float((a > 0) - (a < 0))


class SYMBOLIC:
    """Exact maths in SymPy (``relu`` is ``Max(0, a)`` as in engine.expressions)."""

    exp = staticmethod(sympy.exp)
    log = staticmethod(sympy.log)
    sqrt = staticmethod(sympy.sqrt)
    sin = staticmethod(sympy.sin)
    cos = staticmethod(sympy.cos)
    tan = staticmethod(sympy.tan)
    tanh = staticmethod(sympy.tanh)
    abs = staticmethod(sympy.Abs)
    sign = staticmethod(sympy.sign)

    @staticmethod
    def pow(a, b):
        return a**b

    @staticmethod
    def sigmoid(a):
        return 1 / (1 + sympy.exp(-a))

    @staticmethod
    def relu(a):
        return sympy.Max(0, a)

    @staticmethod
    def step(a):
        return sympy.Heaviside(a, 0)


class ARRAY:
    """Elementwise maths on numpy float64 arrays."""

    exp = staticmethod(np.exp)
    tanh = staticmethod(np.tanh)

    @staticmethod
    def sigmoid(a):
        # exp(-log(1 + exp(-a))) never overflows.
        return np.exp(-np.logaddexp(0.0, -a))

    @staticmethod
    def relu(a):
        return np.maximum(a, 0.0)

    @staticmethod
    def step(a):
        return (a > 0).astype(np.float64)


# One entry per primitive: forward, then d out / d operand for each operand.
RULES: dict[str, Rule] = {
    "add": Rule(
        lambda m, a, b: a + b, (lambda m, out, a, b: 1, lambda m, out, a, b: 1)
    ),
    "sub": Rule(
        lambda m, a, b: a - b, (lambda m, out, a, b: 1, lambda m, out, a, b: -1)
    ),
    "mul": Rule(
        lambda m, a, b: a * b, (lambda m, out, a, b: b, lambda m, out, a, b: a)
    ),
    "div": Rule(
        lambda m, a, b: a / b,
        (lambda m, out, a, b: 1 / b, lambda m, out, a, b: -a / b**2),
    ),
    "pow": Rule(
        lambda m, a, b: m.pow(a, b),
        (lambda m, out, a, b: b * m.pow(a, b - 1), lambda m, out, a, b: out * m.log(a)),
    ),
    "neg": Rule(lambda m, a: -a, (lambda m, out, a: -1,)),
    "identity": Rule(lambda m, a: a, (lambda m, out, a: 1,)),
    "exp": Rule(lambda m, a: m.exp(a), (lambda m, out, a: out,)),
    "log": Rule(lambda m, a: m.log(a), (lambda m, out, a: 1 / a,)),
    "sqrt": Rule(lambda m, a: m.sqrt(a), (lambda m, out, a: 1 / (2 * out),)),
    "abs": Rule(lambda m, a: m.abs(a), (lambda m, out, a: m.sign(a),)),
    "sin": Rule(lambda m, a: m.sin(a), (lambda m, out, a: m.cos(a),)),
    "cos": Rule(lambda m, a: m.cos(a), (lambda m, out, a: -m.sin(a),)),
    "tan": Rule(lambda m, a: m.tan(a), (lambda m, out, a: 1 + out**2,)),
    "tanh": Rule(lambda m, a: m.tanh(a), (lambda m, out, a: 1 - out**2,)),
    "sigmoid": Rule(lambda m, a: m.sigmoid(a), (lambda m, out, a: out * (1 - out),)),
    "relu": Rule(lambda m, a: m.relu(a), (lambda m, out, a: m.step(a),)),
}
