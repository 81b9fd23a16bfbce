"""Numeric evaluation of syntax trees in the real numbers, fast and bounded.

A tree is compiled once into nested closures for one arithmetic: Python floats
(quick screening) or mpmath at a fixed binary precision (decisions). Evaluating
at a point returns a real number or raises ``Undefined``: a division by zero, a
logarithm or even root of a negative number, a non-real power, or a value too
large to compute quickly. Callers skip such points.

``from_sympy`` turns a SymPy expression into the same tree, so strings and SymPy
objects are evaluated by one code path.
"""

import functools
import math
from collections.abc import Callable, Mapping
from fractions import Fraction

import mpmath
import sympy

from engine.functions import FUNCTIONS, MAX_BITS, MAX_TRIG_ARGUMENT, Undefined
from engine.syntax import Binary, Call, Constant, Name, Node, Number, Unary

__all__ = [
    "MAX_BITS",
    "MAX_TRIG_ARGUMENT",
    "Undefined",
    "Unsupported",
    "compile_float",
    "compile_mp",
    "from_sympy",
    "mp_context",
    "names_in",
]


class Unsupported(ValueError):
    """A SymPy expression outside the language (e.g. an unknown function)."""


Evaluator = Callable[[Mapping[str, object]], object]


@functools.lru_cache(maxsize=16)
def mp_context(bits: int) -> mpmath.MPContext:
    """A private mpmath context at a fixed precision (never changed after creation).

    Examples
    --------
    >>> mp_context(100).prec
    100
    """
    context = mpmath.MPContext()
    context.prec = bits
    return context


# -- floats ---------------------------------------------------------------------


def _float_pow(base: float, exponent: float) -> float:
    try:
        return math.pow(base, exponent)
    except (ValueError, ZeroDivisionError, OverflowError) as error:
        raise Undefined from error


def _float_div(a: float, b: float) -> float:
    if b == 0:
        raise Undefined
    return a / b


def _float_function(function: Callable[..., float]) -> Callable[..., float]:
    def guarded(*values: float) -> float:
        try:
            return function(*values)
        except (ValueError, OverflowError, ZeroDivisionError) as error:
            raise Undefined from error

    return guarded


FLOAT_FUNCTIONS = {
    name: _float_function(record.float) for name, record in FUNCTIONS.items()
}
FLOAT_CONSTANTS = {"pi": math.pi, "e": math.e}


# -- mpmath ---------------------------------------------------------------------


def _mp_functions(ctx: mpmath.MPContext) -> dict[str, Callable]:
    """Every function of ``engine.functions`` in the context ``ctx``."""

    def real(function):
        def checked(*args):
            value = function(ctx, *args)
            if isinstance(value, ctx.mpc) or not ctx.isfinite(value):
                raise Undefined
            return value

        return checked

    return {name: real(record.mp) for name, record in FUNCTIONS.items()}


def _mp_pow(ctx: mpmath.MPContext):
    def power(base, exponent):
        if base == 0:
            if exponent <= 0:
                raise Undefined
            return ctx.zero
        size = abs(float(exponent)) * max(abs(int(ctx.mag(base))), 1)
        if size > MAX_BITS:
            raise Undefined
        result = base**exponent
        if isinstance(result, ctx.mpc):
            raise Undefined
        return result

    return power


def _mp_div(a, b):
    if b == 0:
        raise Undefined
    return a / b


# -- compilation --------------------------------------------------------------------


def compile_float(node: Node) -> Evaluator:
    """Compile a tree to a function of a point (name -> float) returning a float.

    Examples
    --------
    >>> from engine.expressions import parse_tree
    >>> compile_float(parse_tree("x^2 + 1", {"x"}))({"x": 3.0})
    10.0
    """
    numbers = {}

    def number(value: Fraction) -> float:
        if value not in numbers:
            try:
                numbers[value] = float(value)
            except OverflowError:
                numbers[value] = math.inf
        return numbers[value]

    arithmetic = (number, FLOAT_CONSTANTS, FLOAT_FUNCTIONS, _float_div, _float_pow)
    evaluate = _compile(node, arithmetic)

    def checked(point):
        value = evaluate(point)
        if not math.isfinite(value):
            raise Undefined
        return value

    return checked


def compile_mp(node: Node, bits: int) -> Evaluator:
    """Compile a tree to a function of a point (name -> mpf) at ``bits`` precision.

    Examples
    --------
    >>> from engine.expressions import parse_tree
    >>> ctx = mp_context(100)
    >>> str(compile_mp(parse_tree("sqrt(x)", {"x"}), 100)({"x": ctx.mpf(4)}))
    '2.0'
    """
    ctx = mp_context(bits)

    def number(value: Fraction):
        return ctx.mpf(value.numerator) / value.denominator

    constants = {"pi": +ctx.pi, "e": +ctx.e}
    arithmetic = (number, constants, _mp_functions(ctx), _mp_div, _mp_pow(ctx))
    return _compile(node, arithmetic)


def _compile(node: Node, arithmetic) -> Evaluator:
    number, constants, functions, divide, power = arithmetic
    if isinstance(node, Number):
        value = number(node.value)
        return lambda point: value
    if isinstance(node, Name):
        name = node.id
        return lambda point: point[name]
    if isinstance(node, Constant):
        value = constants[node.id]
        return lambda point: value
    if isinstance(node, Unary):
        operand = _compile(node.operand, arithmetic)
        return (lambda point: -operand(point)) if node.op == "-" else operand
    if isinstance(node, Call):
        function = functions[node.func]
        arguments = [_compile(argument, arithmetic) for argument in node.args]
        if len(arguments) == 1:
            (argument,) = arguments
            return lambda point: function(argument(point))
        return lambda point: function(*[argument(point) for argument in arguments])
    left = _compile(node.left, arithmetic)
    right = _compile(node.right, arithmetic)
    if node.op == "+":
        return lambda point: left(point) + right(point)
    if node.op == "-":
        return lambda point: left(point) - right(point)
    if node.op == "*":
        return lambda point: left(point) * right(point)
    if node.op == "/":
        return lambda point: divide(left(point), right(point))
    return lambda point: power(left(point), right(point))


def names_in(node: Node) -> set[str]:
    """The declared names a tree uses.

    Examples
    --------
    >>> from engine.expressions import parse_tree
    >>> sorted(names_in(parse_tree("x*y + 2", {"x", "y"})))
    ['x', 'y']
    """
    if isinstance(node, Name):
        return {node.id}
    if isinstance(node, Unary):
        return names_in(node.operand)
    if isinstance(node, Call):
        return set().union(*map(names_in, node.args))
    if isinstance(node, Binary):
        return names_in(node.left) | names_in(node.right)
    return set()


# -- SymPy -> tree ------------------------------------------------------------------

SYMPY_CALLS = {
    record.sympy_class: record for record in FUNCTIONS.values() if record.sympy_class
}


def from_sympy(expr: sympy.Basic) -> Node:
    """The syntax tree of a SymPy expression (for numeric evaluation).

    Raises ``Unsupported`` for anything outside the language.

    Examples
    --------
    >>> x = sympy.Symbol("x")
    >>> from_sympy(2 * x)
    Binary(op='*', left=Number(value=Fraction(2, 1), text='2', column=0), \
right=Name(id='x', column=0), column=0)
    """
    if isinstance(expr, sympy.Rational):
        value = Fraction(int(expr.p), int(expr.q))
        return Number(value, str(value))
    if isinstance(expr, sympy.Float):
        value = _float_fraction(expr)
        return Number(value, str(value))
    if isinstance(expr, sympy.Symbol):
        return Name(expr.name)
    if expr is sympy.pi:
        return Constant("pi")
    if expr is sympy.E:
        return Constant("e")
    if isinstance(expr, (sympy.Add, sympy.Mul)):
        op = "+" if isinstance(expr, sympy.Add) else "*"
        return functools.reduce(
            lambda left, right: Binary(op, left, right), map(from_sympy, expr.args)
        )
    if isinstance(expr, sympy.Pow):
        return Binary("**", from_sympy(expr.base), from_sympy(expr.exp))
    record = SYMPY_CALLS.get(type(expr))
    if record is not None:
        arguments = [from_sympy(argument) for argument in expr.args]
        if record.arity == 1:  # Heaviside(x, 0): its value at 0 is never compared
            return Call(record.name, tuple(arguments[:1]))
        # Max(a, b, c) is max(max(a, b), c)
        return functools.reduce(
            lambda left, right: Call(record.name, (left, right)), arguments
        )
    raise Unsupported(f"cannot evaluate {type(expr).__name__}")


def _float_fraction(value: sympy.Float) -> Fraction:
    """A SymPy Float as the decimal it was written as (0.1 is 1/10), when short."""
    if value._prec <= 53:
        return Fraction(repr(float(value)))
    return Fraction(*(int(part) for part in sympy.Rational(value).as_numer_denom()))
