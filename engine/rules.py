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

The arithmetic operators are written here; every function (``exp``, ``relu``,
``max``, ...) comes from its record in ``engine.functions``, which also holds
the derivative conventions at kinks (PyTorch's: ``relu'(0) = 0``, ties of
``max`` split evenly).
"""

import math
from collections.abc import Callable
from fractions import Fraction
from types import SimpleNamespace
from typing import NamedTuple

import numpy as np
import sympy

from engine.functions import FUNCTIONS


class Rule(NamedTuple):
    forward: Callable
    partials: tuple[Callable, ...]


def _namespace(form: str, **extra) -> SimpleNamespace:
    """The maths of one number domain: every function's ``form``, plus ``extra``."""
    functions = {name: getattr(record, form) for name, record in FUNCTIONS.items()}
    return SimpleNamespace(**functions, **extra)


def _float_step(a, at_zero=0):
    return 1.0 if a > 0 else float(at_zero) if a == 0 else 0.0


def _sympy_number(value) -> sympy.Rational:
    value = Fraction(value)
    return sympy.Rational(value.numerator, value.denominator)


# Maths on Python floats; out-of-domain inputs raise ``ValueError``.
FLOAT = _namespace(
    "float",
    pow=math.pow,  # raises on (-8) ** (1/3) instead of going complex
    step=_float_step,
    number=float,
    pi=math.pi,
)
# Exact maths in SymPy (``relu`` is ``Max(0, a)`` as in engine.expressions).
SYMBOLIC = _namespace(
    "sympy",
    pow=lambda a, b: a**b,
    step=lambda a, at_zero=0: sympy.Heaviside(a, _sympy_number(at_zero)),
    number=_sympy_number,
    pi=sympy.pi,
)
# Elementwise maths on numpy float64 arrays.
ARRAY = _namespace(
    "numpy",
    pow=np.power,
    step=lambda a, at_zero=0: np.heaviside(a, float(at_zero)),
    number=float,
    pi=np.pi,
)


def _forward(name: str) -> Callable:
    return lambda m, *args: getattr(m, name)(*args)


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
    **{
        name: Rule(_forward(name), record.derivatives)
        for name, record in FUNCTIONS.items()
    },
}
