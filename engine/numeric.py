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

from engine.syntax import Binary, Call, Constant, Name, Node, Number, Unary

MAX_BITS = 1_000_000  # magnitude (binary exponent) beyond which a value is "too large"
MAX_TRIG_ARGUMENT = 2.0**60


class Undefined(ArithmeticError):
    """The expression has no real value at this point (or one too large to compute)."""


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


def _float_function(function: Callable[[float], float]) -> Callable[[float], float]:
    def guarded(value: float) -> float:
        try:
            return function(value)
        except (ValueError, OverflowError, ZeroDivisionError) as error:
            raise Undefined from error

    return guarded


def _heaviside(value, half):
    if value == 0:
        raise Undefined  # the derivative of relu at 0
    return 1 if value > 0 else 0


FLOAT_FUNCTIONS = {
    name: _float_function(function)
    for name, function in {
        "exp": math.exp,
        "log": math.log,
        "sqrt": math.sqrt,
        "abs": abs,
        "sin": math.sin,
        "cos": math.cos,
        "tan": math.tan,
        "tanh": math.tanh,
        "sigmoid": lambda v: 1.0 / (1.0 + math.exp(-v)),
        "relu": lambda v: max(0.0, v),
        "heaviside": lambda v: float(_heaviside(v, 0.5)),
    }.items()
}
FLOAT_CONSTANTS = {"pi": math.pi, "e": math.e}


# -- mpmath ---------------------------------------------------------------------


def _mp_functions(ctx: mpmath.MPContext) -> dict[str, Callable]:
    def real(value):
        if isinstance(value, ctx.mpc) or not ctx.isfinite(value):
            raise Undefined
        return value

    def log(value):
        if value <= 0:
            raise Undefined
        return ctx.log(value)

    def sqrt(value):
        if value < 0:
            raise Undefined
        return ctx.sqrt(value)

    def exp(value):
        if abs(value) > MAX_BITS * 0.69:
            raise Undefined
        return ctx.exp(value)

    def trig(function):
        def bounded(value):
            if abs(value) > MAX_TRIG_ARGUMENT:
                raise Undefined
            return real(function(value))

        return bounded

    def sigmoid(value):
        return 1 / (1 + exp(-value))

    return {
        "exp": exp,
        "log": log,
        "sqrt": sqrt,
        "abs": abs,
        "sin": trig(ctx.sin),
        "cos": trig(ctx.cos),
        "tan": trig(ctx.tan),
        "tanh": ctx.tanh,
        "sigmoid": sigmoid,
        "relu": lambda v: max(ctx.zero, v),
        "heaviside": lambda v: ctx.mpf(_heaviside(v, 0.5)),
    }


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
        argument = _compile(node.args[0], arithmetic)
        return lambda point: function(argument(point))
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
        return names_in(node.args[0])
    if isinstance(node, Binary):
        return names_in(node.left) | names_in(node.right)
    return set()


# -- SymPy -> tree ------------------------------------------------------------------

SYMPY_CALLS = {
    sympy.exp: "exp",
    sympy.log: "log",
    sympy.Abs: "abs",
    sympy.sin: "sin",
    sympy.cos: "cos",
    sympy.tan: "tan",
    sympy.tanh: "tanh",
    sympy.Heaviside: "heaviside",
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
    if isinstance(expr, sympy.Max) and len(expr.args) == 2 and 0 in expr.args:
        other = expr.args[1] if expr.args[0] == 0 else expr.args[0]
        return Call("relu", (from_sympy(other),))
    if isinstance(expr, sympy.Function) and type(expr) in SYMPY_CALLS:
        return Call(SYMPY_CALLS[type(expr)], (from_sympy(expr.args[0]),))
    raise Unsupported(f"cannot evaluate {type(expr).__name__}")


def _float_fraction(value: sympy.Float) -> Fraction:
    """A SymPy Float as the decimal it was written as (0.1 is 1/10), when short."""
    if value._prec <= 53:
        return Fraction(repr(float(value)))
    return Fraction(*(int(part) for part in sympy.Rational(value).as_numer_denom()))
