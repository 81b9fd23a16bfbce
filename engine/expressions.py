"""Student maths: untrusted text -> syntax tree -> SymPy, safely and with limits.

``parse_tree`` reads text with our own grammar (``engine.grammar``) and checks
the size of every number the expression would make before any SymPy work;
``to_sympy`` then builds SymPy objects with their constructors (student text is
never evaluated as code). ``to_latex`` renders the "interpreted as" preview.
"""

import math
from collections.abc import Iterable

import sympy

from engine.functions import FUNCTIONS as RECORDS
from engine.grammar import (
    CONSTANTS,
    FUNCTIONS,
    MAX_DEPTH,
    MAX_LENGTH,
    ParseError,
    parse_syntax,
)
from engine.latex import tree_to_latex
from engine.syntax import Binary, Call, Constant, Matrix, Name, Node, Number, Unary

__all__ = [
    "CONSTANTS",
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_LENGTH",
    "MAX_RESULT_DIGITS",
    "ParseError",
    "parse",
    "parse_tree",
    "to_latex",
    "to_sympy",
]

MAX_EXPONENT = 10_000  # |n| in x**n when n is a constant; (x-a)**6000 is fine
MAX_RESULT_DIGITS = 2_000  # digits of any exact number SymPy would have to build
MAX_ROOT_DIGITS = 60  # digits of a number whose root SymPy simplifies (by factoring)


def parse_tree(text: str, symbols: Iterable[str]) -> Node:
    """Parse student text into an ``engine.syntax`` tree, enforcing every limit.

    Parameters
    ----------
    text : the student's (or author's) text, untrusted.
    symbols : the names that may appear, e.g. ``{"x", "W1", "loss"}``.

    Returns
    -------
    A ``Number``/``Name``/``Constant``/``Unary``/``Binary``/``Call``/``Matrix`` node
    with 1-based columns.

    Raises
    ------
    ParseError with ``.message`` (for the student) and ``.column``.

    Examples
    --------
    >>> parse_tree("(x*y + b)**2", {"x", "y", "b"}).op
    '**'
    >>> parse_tree("2x", {"x"}).right
    Name(id='x', column=2)
    >>> parse_tree("x +", {"x"})
    Traceback (most recent call last):
    ...
    engine.tokens.ParseError: Column 4: The expression ends too early: \
something is missing after '+'
    """
    tree = parse_syntax(text, symbols)
    _check_limits(tree)
    return tree


def parse(text: str, symbols: Iterable[str]) -> sympy.Expr | sympy.Matrix:
    """Parse student text into a SymPy expression (or ``sympy.Matrix``).

    Examples
    --------
    >>> parse("2(x+1)", {"x"})
    2*x + 2
    >>> parse("0.5", [])
    1/2
    >>> parse("σ(z)", {"z"})
    1/(1 + exp(-z))
    >>> parse("[[1, x], [0, 2]]", {"x"})
    Matrix([
    [1, x],
    [0, 2]])
    """
    return to_sympy(parse_tree(text, symbols))


def to_sympy(node: Node) -> sympy.Expr | sympy.Matrix:
    """Build the SymPy object of a syntax tree with SymPy's constructors.

    Raises ``ParseError`` for a division by zero or another undefined constant.

    Examples
    --------
    >>> from engine.syntax import Call, Name
    >>> to_sympy(Call("relu", (Name("x"),)))
    Max(0, x)
    """
    if isinstance(node, Matrix):
        return sympy.Matrix([[_expr(entry) for entry in row] for row in node.rows])
    return _expr(node)


def to_latex(expr_or_node) -> str:
    """LaTeX for the "interpreted as" preview of a tree (as typed) or SymPy object.

    Examples
    --------
    >>> to_latex(parse_tree("x^2/2", {"x"}))
    '\\\\frac{x^{2}}{2}'
    >>> to_latex(parse("2x", {"x"}))
    '2 x'
    """
    if isinstance(expr_or_node, (Number, Name, Constant, Unary, Binary, Call, Matrix)):
        return tree_to_latex(expr_or_node)
    return sympy.latex(expr_or_node)


# -- limits -------------------------------------------------------------------


def _check_limits(node: Node) -> None:
    """Reject trees whose numbers would be too large for exact arithmetic."""
    if isinstance(node, Matrix):
        for row in node.rows:
            for entry in row:
                _height(entry)
    else:
        _height(node)


def _height(node: Node) -> float:
    """Decimal digits of the coefficient SymPy would build for ``node`` (a bound).

    Powers multiply it by the exponent; sums of non-constants are kept as they are
    (SymPy does not expand ``(x+1)**n``), so they reset it.
    """
    if isinstance(node, Number):
        value = node.value
        return math.log10(max(abs(value.numerator), value.denominator, 1))
    if isinstance(node, (Name, Constant)):
        return 0.0
    if isinstance(node, Unary):
        return _height(node.operand)
    if isinstance(node, Call):
        record = RECORDS[node.func]
        inner = max(_height(argument) for argument in node.args)
        if record.grows_like_exp:
            _check_exponent(node.args[0], node.column)
        if node.func == "log" and _constant_value(node.args[0]) == 0:
            raise ParseError("log(0) is undefined", node.column)
        return inner if record.keeps_size else 0.0
    left, right = _height(node.left), _height(node.right)
    if node.op in "+-":
        height = left + right + 1 if _is_constant(node) else 0.0
    elif node.op in "*/":
        if node.op == "/" and _constant_value(node.right) == 0:
            raise ParseError(
                "Division by zero: the divisor here is 0", node.right.column
            )
        height = left + right
    else:
        exponent = _check_exponent(node.right, node.right.column)
        height = left * abs(exponent) + right if exponent is not None else left + right
    if height > MAX_RESULT_DIGITS:
        raise ParseError(
            "This number is too large to work with: check the powers", node.column
        )
    return height


def _check_exponent(node: Node, column: int) -> float | None:
    """The value of a constant exponent, rejecting ones beyond MAX_EXPONENT."""
    if not _is_constant(node):
        return None
    value = _approximate(node)
    if value is None or not abs(value) <= MAX_EXPONENT:
        raise ParseError(
            f"This power is too large (the limit is {MAX_EXPONENT})", column
        )
    return value


def _constant_value(node: Node) -> float | None:
    """The approximate value of a constant subtree, None for non-constants."""
    return _approximate(node) if _is_constant(node) else None


def _is_constant(node: Node) -> bool:
    if isinstance(node, Name):
        return False
    if isinstance(node, (Number, Constant)):
        return True
    if isinstance(node, Unary):
        return _is_constant(node.operand)
    if isinstance(node, Call):
        return all(map(_is_constant, node.args))
    return _is_constant(node.left) and _is_constant(node.right)


def _approximate(node: Node) -> float | None:
    """A float estimate of a constant subtree; None when undefined or overflowing."""
    try:
        value = _float_value(node)
    except (OverflowError, ZeroDivisionError, ValueError, TypeError):
        return None
    return value if isinstance(value, float) and math.isfinite(value) else None


def _float_value(node: Node) -> float:
    if isinstance(node, Number):
        return float(node.value)
    if isinstance(node, Constant):
        return math.pi if node.id == "pi" else math.e
    if isinstance(node, Unary):
        value = _float_value(node.operand)
        return -value if node.op == "-" else value
    if isinstance(node, Call):
        return float(RECORDS[node.func].float(*map(_float_value, node.args)))
    left, right = _float_value(node.left), _float_value(node.right)
    if node.op == "+":
        return left + right
    if node.op == "-":
        return left - right
    if node.op == "*":
        return left * right
    if node.op == "/":
        return left / right
    if abs(right) > MAX_EXPONENT:
        raise OverflowError
    return math.pow(left, right)


# -- SymPy construction ------------------------------------------------------------


SYMPY_CONSTANTS = {"pi": sympy.pi, "e": sympy.E}


def _expr(node: Node) -> sympy.Expr:
    if isinstance(node, Number):
        return sympy.Rational(node.value.numerator, node.value.denominator)
    if isinstance(node, Name):
        return sympy.Symbol(node.id)
    if isinstance(node, Constant):
        return SYMPY_CONSTANTS[node.id]
    if isinstance(node, Unary):
        operand = _expr(node.operand)
        return -operand if node.op == "-" else operand
    if isinstance(node, Call):
        args = [_expr(arg) for arg in node.args]
        try:
            result = RECORDS[node.func].sympy(*args)
        except (TypeError, ValueError):  # relu, max, min of a non-real constant
            raise ParseError(
                f"{node.func} needs a real number here, and its argument is not one",
                node.column,
            ) from None
        return _defined(result, node.column)
    if isinstance(node, Matrix):
        raise ParseError("A matrix must be the whole answer", node.column)
    left, right = _expr(node.left), _expr(node.right)
    if node.op == "+":
        return left + right
    if node.op == "-":
        return left - right
    if node.op == "*":
        return _defined(left * right, node.column)
    if node.op == "/":
        if right == 0:
            raise ParseError(
                "Division by zero: the divisor here is 0", node.right.column
            )
        return _defined(left / right, node.column)
    _check_number_power(left, right, node.right.column)
    return _defined(sympy.Pow(left, right), node.column)


def _check_number_power(base: sympy.Expr, exponent: sympy.Expr, column: int) -> None:
    """Refuse a power of two numbers that SymPy would make too large.

    The parse-time limits see only the tree, but SymPy simplifies as it builds:
    ``(v*0+7)^((v*0+7)^((v*0+7)^(v*0+7)))`` becomes ``7^(7^823543)``, an integer
    no computer holds. SymPy computes such a power the moment it is built, in one
    C call that nothing can interrupt, so it is checked here first.
    """
    if not (base.is_Number and exponent.is_Number) or abs(base) in (0, 1):
        return
    if abs(exponent) > MAX_EXPONENT:
        raise ParseError(
            f"This power is too large (the limit is {MAX_EXPONENT})", column
        )
    if isinstance(base, sympy.Rational):
        digits = math.log10(max(abs(base.p), base.q))
        if digits * float(abs(exponent)) > MAX_RESULT_DIGITS:
            raise ParseError(
                "This number is too large to work with: check the powers", column
            )
        if not exponent.is_Integer and digits > MAX_ROOT_DIGITS:
            # SymPy factors the number to simplify the root: minutes of work.
            raise ParseError(
                "This root of a very large number is too complex to check: simplify it",
                column,
            )


_UNDEFINED = (sympy.zoo, sympy.nan, sympy.oo, -sympy.oo)


def _defined(result: sympy.Expr, column: int) -> sympy.Expr:
    if result in _UNDEFINED:
        raise ParseError(
            "This is undefined (like a division by zero or log(0))", column
        )
    return result
