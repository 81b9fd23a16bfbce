"""The function vocabulary: one record per function, read by every other part.

A record says everything the engine and grader need to know about one function:
the names a student may type, its arity, how to compute it in each number
domain, its derivatives, its LaTeX, its label on the graph, whether it is a
network activation and which misconceptions can be diagnosed at its node.

- ``float``: Python floats; raises ``ValueError``/``OverflowError`` outside the
  real domain (``engine.rules.FLOAT``, ``engine.numeric`` screening).
- ``mp``: ``mp(ctx, *args)`` in an mpmath context; raises ``Undefined`` outside
  the domain or when a value is too large to compute quickly (``engine.numeric``).
- ``sympy``: exact SymPy, built from SymPy's own functions (answer keys, parsing).
- ``numpy``: elementwise on float64 arrays (network layers, depth chains).
- ``derivatives``: one partial per argument, ``partial(m, out, *args)``, written
  against a maths namespace ``m`` of ``engine.rules`` (``FLOAT``, ``SYMBOLIC``,
  ``ARRAY``) where ``out`` is the function's value, so one line serves floats,
  SymPy and arrays.
- ``latex``: a template, ``#1`` and ``#2`` standing for the arguments' LaTeX.

Derivatives at a kink follow PyTorch, so keys agree with ``loss.backward()``:
``relu'(0) = 0``, ``abs'(0) = sign(0) = 0``, ``sign' = 0``, ``leaky_relu'(0) =
0.01`` (its negative slope), and ``max``/``min`` split a tie evenly (each
argument gets half the gradient, as ``torch.maximum`` does). ``elu`` (alpha 1)
and ``gelu`` (exact, with ``erf``) are smooth.

Adding a function is one record here; ``tests/engine/test_functions.py`` checks
that every consumer knows it.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy

__all__ = [
    "ACTIVATIONS",
    "FUNCTIONS",
    "LEAKY_SLOPE",
    "TYPED",
    "Function",
    "Undefined",
    "listing",
    "with_misconception",
]

MAX_BITS = 1_000_000  # magnitude (binary exponent) beyond which a value is "too large"
MAX_TRIG_ARGUMENT = 2.0**60
MAX_EXP_ARGUMENT = MAX_BITS * 0.69  # exp(x) has about 1.44 x bits
LEAKY_SLOPE = Fraction(1, 100)  # torch.nn.functional.leaky_relu's default
HALF = Fraction(1, 2)


class Undefined(ArithmeticError):
    """No real value at this point (or one too large to compute quickly)."""


@dataclass(frozen=True)
class Function:
    """One function of the student language (or an internal one, ``typed=False``)."""

    name: str
    float: Callable
    mp: Callable
    sympy: Callable
    numpy: Callable
    derivatives: tuple[Callable, ...]
    latex: str
    label: str
    aliases: tuple[str, ...] = ()
    activation: bool = False  # usable as a network_trace layer's activation
    misconceptions: frozenset[str] = frozenset()  # codes diagnosable at its node
    misspellings: tuple[str, ...] = ()  # names a student may reach for instead
    sympy_class: type | None = None  # the SymPy class that stands for it, if one
    typed: bool = True  # False: internal (a derivative's value), not parseable
    grows_like_exp: bool = False  # its argument is capped like an exponent
    keeps_size: bool = False  # the exact result is as large as its arguments
    domain: tuple[float, float] = (-3.0, 3.0)  # where tests sample it
    rule: str = ""  # the derivative in words: the hint for a local step at its node
    own_derivative: bool = False  # f' = f, so a node's value is its local derivative

    @property
    def arity(self) -> int:
        return len(self.derivatives)


# -- helpers for the number domains ---------------------------------------------------


def _operator(command: str, arity: int = 1) -> str:
    arguments = ", ".join(f"#{i}" for i in range(1, arity + 1))
    return f"{command}\\left({arguments}\\right)"


def _float_sigmoid(a: float) -> float:
    # Two branches so that exp never overflows.
    if a >= 0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)
    return e / (1.0 + e)


def _float_softplus(a: float) -> float:
    return max(a, 0.0) + math.log1p(math.exp(-abs(a)))


def _float_sech(a: float) -> float:
    e = math.exp(-abs(a))
    return 2 * e / (1 + e * e)


def _float_kink(a: float) -> float:
    if a == 0:
        raise ValueError("a step has no value at its kink")
    return 1.0 if a > 0 else 0.0


def _mp_real(ctx, value):
    if isinstance(value, ctx.mpc) or not ctx.isfinite(value):
        raise Undefined
    return value


def _mp_exp_argument(value):
    if abs(value) > MAX_EXP_ARGUMENT:
        raise Undefined
    return value


def _mp_log(ctx, value):
    if value <= 0:
        raise Undefined
    return ctx.log(value)


def _mp_sqrt(ctx, value):
    if value < 0:
        raise Undefined
    return ctx.sqrt(value)


def _mp_trig(name: str) -> Callable:
    def bounded(ctx, value):
        if abs(value) > MAX_TRIG_ARGUMENT:
            raise Undefined
        return _mp_real(ctx, getattr(ctx, name)(value))

    return bounded


def _mp_growing(name: str) -> Callable:
    def bounded(ctx, value):
        return getattr(ctx, name)(_mp_exp_argument(value))

    return bounded


def _mp_sigmoid(ctx, value):
    return 1 / (1 + ctx.exp(_mp_exp_argument(-value)))


def _mp_softplus(ctx, value):
    _mp_exp_argument(value)
    if value > 0:
        return value + ctx.log1p(ctx.exp(-value))
    return ctx.log1p(ctx.exp(value))


def _mp_elu(ctx, value):
    return value if value > 0 else ctx.expm1(_mp_exp_argument(value))


def _mp_gelu(ctx, value):
    return value * (1 + ctx.erf(_mp_exp_argument(value) / ctx.sqrt(2))) / 2


def _mp_kink(ctx, value):
    if value == 0:
        raise Undefined  # the derivative of relu (or max) at its kink
    return ctx.one if value > 0 else ctx.zero


def _np_sigmoid(a):
    # exp(-log(1 + exp(-a))) never overflows.
    return np.exp(-np.logaddexp(0.0, -a))


def _np_sech(a):
    e = np.exp(-np.abs(a))
    return 2 * e / (1 + e * e)


_np_erf = np.vectorize(math.erf, otypes=[np.float64])


def _np_gelu(a):
    return 0.5 * a * (1 + _np_erf(a / math.sqrt(2)))


def _sympy_sigmoid(a):
    return sympy.Integer(1) / (1 + sympy.exp(-a))


def _sympy_gelu(a):
    return a * (1 + sympy.erf(a / sympy.sqrt(2))) / 2


# -- the records --------------------------------------------------------------------

_ACTIVATION_SLIPS = frozenset(
    {"activation_value_for_derivative", "activation_derivative_missing"}
)

_RECORDS = (
    Function(
        "exp",
        rule="exp is its own derivative: d exp(v)/dv = exp(v), the forward value itself.",
        own_derivative=True,
        float=math.exp,
        mp=_mp_growing("exp"),
        sympy=sympy.exp,
        numpy=np.exp,
        derivatives=(lambda m, out, a: out,),
        latex=_operator("\\exp"),
        label="exp",
        misspellings=("exponential",),
        sympy_class=sympy.exp,
        grows_like_exp=True,
    ),
    Function(
        "log",
        rule="d log(v)/dv = 1/v.",
        float=math.log,
        mp=_mp_log,
        sympy=sympy.log,
        numpy=np.log,
        derivatives=(lambda m, out, a: 1 / a,),
        latex=_operator("\\ln"),
        label="log",
        aliases=("ln",),
        sympy_class=sympy.log,
        domain=(0.2, 3.0),
    ),
    Function(
        "sqrt",
        rule="d sqrt(v)/dv = 1/(2·sqrt(v)): the power rule with n = 1/2.",
        float=math.sqrt,
        mp=_mp_sqrt,
        sympy=sympy.sqrt,
        numpy=np.sqrt,
        derivatives=(lambda m, out, a: 1 / (2 * out),),
        latex="\\sqrt{#1}",
        label="√",
        keeps_size=True,
        domain=(0.2, 3.0),
    ),
    Function(
        "abs",
        rule="d |v|/dv is the sign of v: 1 for v > 0, -1 for v < 0.",
        float=abs,
        mp=lambda ctx, a: abs(a),
        sympy=sympy.Abs,
        numpy=np.abs,
        derivatives=(lambda m, out, a: m.sign(a),),
        latex="\\left|#1\\right|",
        label="|x|",
        misspellings=("Abs",),
        sympy_class=sympy.Abs,
        keeps_size=True,
    ),
    Function(
        "sin",
        rule="d sin(v)/dv = cos(v).",
        float=math.sin,
        mp=_mp_trig("sin"),
        sympy=sympy.sin,
        numpy=np.sin,
        derivatives=(lambda m, out, a: m.cos(a),),
        latex=_operator("\\sin"),
        label="sin",
        sympy_class=sympy.sin,
    ),
    Function(
        "cos",
        rule="d cos(v)/dv = -sin(v).",
        float=math.cos,
        mp=_mp_trig("cos"),
        sympy=sympy.cos,
        numpy=np.cos,
        derivatives=(lambda m, out, a: -m.sin(a),),
        latex=_operator("\\cos"),
        label="cos",
        sympy_class=sympy.cos,
    ),
    Function(
        "tan",
        rule="d tan(v)/dv = 1 + tan²(v).",
        float=math.tan,
        mp=_mp_trig("tan"),
        sympy=sympy.tan,
        numpy=np.tan,
        derivatives=(lambda m, out, a: 1 + out**2,),
        latex=_operator("\\tan"),
        label="tan",
        sympy_class=sympy.tan,
        domain=(-1.2, 1.2),
    ),
    Function(
        "tanh",
        rule="d tanh(v)/dv = 1 - tanh²(v): reuse the forward value.",
        float=math.tanh,
        mp=lambda ctx, a: ctx.tanh(a),
        sympy=sympy.tanh,
        numpy=np.tanh,
        derivatives=(lambda m, out, a: 1 - out**2,),
        latex=_operator("\\tanh"),
        label="tanh",
        activation=True,
        misconceptions=_ACTIVATION_SLIPS,
        sympy_class=sympy.tanh,
    ),
    Function(
        "sigmoid",
        rule="d σ(v)/dv = σ(v)(1 - σ(v)): reuse the forward value.",
        float=_float_sigmoid,
        mp=_mp_sigmoid,
        sympy=_sympy_sigmoid,
        numpy=_np_sigmoid,
        derivatives=(lambda m, out, a: out * (1 - out),),
        latex=_operator("\\sigma"),
        label="σ",
        activation=True,
        misconceptions=_ACTIVATION_SLIPS,
        misspellings=("sigma", "sig", "logistic", "σ"),
    ),
    Function(
        "relu",
        rule="ReLU's derivative is 1 where its input is positive and 0 elsewhere.",
        float=lambda a: a if a > 0 else 0.0,
        mp=lambda ctx, a: max(ctx.zero, a),
        sympy=lambda a: sympy.Max(sympy.Integer(0), a),
        numpy=lambda a: np.maximum(a, 0.0),
        derivatives=(lambda m, out, a: m.step(a, 0),),
        latex=_operator("\\operatorname{relu}"),
        label="relu",
        activation=True,
        misconceptions=frozenset(
            {"activation_value_for_derivative", "relu_derivative"}
        ),
        misspellings=("ReLU", "Relu", "RELU"),
        keeps_size=True,
    ),
    Function(
        "sinh",
        rule="d sinh(v)/dv = cosh(v).",
        float=math.sinh,
        mp=_mp_growing("sinh"),
        sympy=sympy.sinh,
        numpy=np.sinh,
        derivatives=(lambda m, out, a: m.cosh(a),),
        latex=_operator("\\sinh"),
        label="sinh",
        sympy_class=sympy.sinh,
        grows_like_exp=True,
    ),
    Function(
        "cosh",
        rule="d cosh(v)/dv = sinh(v).",
        float=math.cosh,
        mp=_mp_growing("cosh"),
        sympy=sympy.cosh,
        numpy=np.cosh,
        derivatives=(lambda m, out, a: m.sinh(a),),
        latex=_operator("\\cosh"),
        label="cosh",
        sympy_class=sympy.cosh,
        grows_like_exp=True,
    ),
    Function(
        "sech",
        rule="d sech(v)/dv = -sech(v)·tanh(v).",
        float=_float_sech,
        mp=_mp_growing("sech"),
        sympy=sympy.sech,
        numpy=_np_sech,
        derivatives=(lambda m, out, a: -out * m.tanh(a),),
        latex=_operator("\\operatorname{sech}"),
        label="sech",
        sympy_class=sympy.sech,
    ),
    Function(
        "atan",
        rule="d atan(v)/dv = 1/(1 + v²).",
        float=math.atan,
        mp=lambda ctx, a: ctx.atan(a),
        sympy=sympy.atan,
        numpy=np.arctan,
        derivatives=(lambda m, out, a: 1 / (1 + a**2),),
        latex=_operator("\\arctan"),
        label="atan",
        aliases=("arctan",),
        sympy_class=sympy.atan,
    ),
    Function(
        "max",
        rule="max passes the change of the larger argument through (derivative 1) and blocks the other (0); a tie splits it.",
        float=lambda a, b: a if a >= b else b,
        mp=lambda ctx, a, b: a if a >= b else b,
        sympy=sympy.Max,
        numpy=np.maximum,
        derivatives=(
            lambda m, out, a, b: m.step(a - b, HALF),
            lambda m, out, a, b: m.step(b - a, HALF),
        ),
        latex=_operator("\\max", 2),
        label="max",
        misspellings=("Max", "maximum"),
        sympy_class=sympy.Max,
        keeps_size=True,
    ),
    Function(
        "min",
        rule="min passes the change of the smaller argument through (derivative 1) and blocks the other (0); a tie splits it.",
        float=lambda a, b: a if a <= b else b,
        mp=lambda ctx, a, b: a if a <= b else b,
        sympy=sympy.Min,
        numpy=np.minimum,
        derivatives=(
            lambda m, out, a, b: m.step(b - a, HALF),
            lambda m, out, a, b: m.step(a - b, HALF),
        ),
        latex=_operator("\\min", 2),
        label="min",
        misspellings=("Min", "minimum"),
        sympy_class=sympy.Min,
        keeps_size=True,
    ),
    Function(
        "sign",
        rule="sign is flat on each side of 0: its derivative is 0.",
        float=lambda a: float((a > 0) - (a < 0)),
        mp=lambda ctx, a: ctx.sign(a),
        sympy=sympy.sign,
        numpy=np.sign,
        derivatives=(lambda m, out, a: 0,),
        latex=_operator("\\operatorname{sign}"),
        label="sign",
        misspellings=("sgn", "signum"),
        sympy_class=sympy.sign,
    ),
    Function(
        "softplus",
        rule="d softplus(v)/dv = σ(v), the sigmoid of its input.",
        float=_float_softplus,
        mp=_mp_softplus,
        sympy=lambda a: sympy.log(1 + sympy.exp(a)),
        numpy=lambda a: np.logaddexp(0.0, a),
        derivatives=(lambda m, out, a: m.sigmoid(a),),
        latex=_operator("\\operatorname{softplus}"),
        label="softplus",
        activation=True,
        misconceptions=_ACTIVATION_SLIPS,
    ),
    Function(
        "leaky_relu",
        rule="leaky ReLU's derivative is 1 where its input is positive and 0.01 elsewhere.",
        float=lambda a: a if a > 0 else float(LEAKY_SLOPE) * a,
        mp=lambda ctx, a: (
            a if a > 0 else a * LEAKY_SLOPE.numerator / LEAKY_SLOPE.denominator
        ),
        sympy=lambda a: sympy.Max(a, a * sympy.Rational(LEAKY_SLOPE)),
        numpy=lambda a: np.where(a > 0, a, float(LEAKY_SLOPE) * a),
        derivatives=(
            lambda m, out, a: (
                m.number(LEAKY_SLOPE) + m.number(1 - LEAKY_SLOPE) * m.step(a, 0)
            ),
        ),
        latex=_operator("\\operatorname{leaky\\_relu}"),
        label="leaky relu",
        activation=True,
        misconceptions=frozenset({"activation_value_for_derivative"}),
        misspellings=("leaky", "leakyrelu", "LeakyReLU"),
        keeps_size=True,
    ),
    Function(
        "elu",
        rule="ELU's derivative is 1 where its input is positive and exp(v) elsewhere (its value + 1).",
        float=lambda a: a if a > 0 else math.expm1(a),
        mp=_mp_elu,
        sympy=lambda a: (
            sympy.Max(sympy.Integer(0), a)
            + sympy.exp(sympy.Min(sympy.Integer(0), a))
            - 1
        ),
        numpy=lambda a: np.where(a > 0, a, np.expm1(np.minimum(a, 0.0))),
        derivatives=(lambda m, out, a: m.exp(m.min(a, 0)),),
        latex=_operator("\\operatorname{elu}"),
        label="elu",
        activation=True,
        misconceptions=_ACTIVATION_SLIPS,
        misspellings=("ELU",),
        keeps_size=True,
    ),
    Function(
        "gelu",
        rule="d gelu(v)/dv = Φ(v) + v·φ(v): the normal CDF plus v times the normal density.",
        float=lambda a: 0.5 * a * (1 + math.erf(a / math.sqrt(2))),
        mp=_mp_gelu,
        sympy=_sympy_gelu,
        numpy=_np_gelu,
        derivatives=(
            lambda m, out, a: (
                (1 + m.erf(a / m.sqrt(2))) / 2
                + a * m.exp(-(a**2) / 2) / m.sqrt(2 * m.pi)
            ),
        ),
        latex=_operator("\\operatorname{gelu}"),
        label="gelu",
        activation=True,
        misconceptions=_ACTIVATION_SLIPS,
        misspellings=("GELU",),
        keeps_size=True,
    ),
    Function(
        "erf",
        rule="d erf(v)/dv = (2/√π)·exp(-v²).",
        float=math.erf,
        mp=lambda ctx, a: ctx.erf(_mp_exp_argument(a)),
        sympy=sympy.erf,
        numpy=_np_erf,
        derivatives=(lambda m, out, a: 2 / m.sqrt(m.pi) * m.exp(-(a**2)),),
        latex=_operator("\\operatorname{erf}"),
        label="erf",
        sympy_class=sympy.erf,
    ),
    # Internal: a network layer without an activation, and the value of a
    # derivative at a kink (undefined there when answers are compared; the key
    # itself uses ``rules`` ``step``, which follows PyTorch).
    Function(
        "identity",
        rule="The identity passes change through unchanged: its derivative is 1.",
        float=lambda a: a,
        mp=lambda ctx, a: a,
        sympy=lambda a: a,
        numpy=lambda a: a,
        derivatives=(lambda m, out, a: 1,),
        latex="#1",
        label="identity",
        activation=True,
        typed=False,
    ),
    Function(
        "heaviside",
        rule="A step is flat on each side of 0: its derivative is 0.",
        float=_float_kink,
        mp=_mp_kink,
        sympy=lambda a: sympy.Heaviside(a, 0),
        numpy=lambda a: np.heaviside(a, 0.0),
        derivatives=(lambda m, out, a: 0,),
        latex=_operator("H"),
        label="step",
        sympy_class=sympy.Heaviside,
        typed=False,
    ),
)

FUNCTIONS: dict[str, Function] = {record.name: record for record in _RECORDS}
# What a student may type: canonical names and aliases -> the record.
TYPED: dict[str, Function] = {
    name: record
    for record in _RECORDS
    if record.typed
    for name in (record.name, *record.aliases)
}
# Network layer activations, in the order messages list them: identity (the
# default), then alphabetically.
ACTIVATIONS: tuple[str, ...] = tuple(
    sorted(
        (r.name for r in _RECORDS if r.activation), key=lambda n: (n != "identity", n)
    )
)


def with_misconception(code: str) -> tuple[str, ...]:
    """The functions at whose nodes misconception ``code`` is diagnosed.

    Examples
    --------
    >>> with_misconception("relu_derivative")
    ('relu',)
    """
    return tuple(r.name for r in _RECORDS if code in r.misconceptions)


def listing(names) -> str:
    """``a, b or c``: names for a message.

    Examples
    --------
    >>> listing(["identity", "relu", "tanh"])
    'identity, relu or tanh'
    """
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
