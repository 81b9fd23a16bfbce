"""Scalar programs: author text -> computation graph -> exact and float values.

A program is one assignment per line (``u = x*y``); the last name assigned is the
output. Each right side is read by the shared expression grammar
(``engine.expressions.parse_tree``) and lowered to primitive nodes, one per
operation, in evaluation order (left operand first).

Naming: the node an author's line computes takes the author's name. Any other
operation (every one in a one-expression program such as ``z = (x*y + b)**2``)
gets an engine name, in evaluation order: the letters ``u, v, w, p, q, r, s``
(skipping names already used) when there are enough of them, else ``t1, t2, ...``.
So ``z = (x*y + b)**2`` becomes ``u = x*y``, ``v = u + b``, ``z = v**2``.

Constants are not nodes: ``v**2``, ``u + 1``, ``2*x``, ``pi`` and ``e`` are folded
into the operation (``z = v**2`` is a ``pow`` node with the one parent ``v`` and
``args == ("v", 2)``), and an all-constant subexpression is computed exactly.
So no ``const`` node is ever produced. Unary minus of a node is a ``neg`` node.
"""

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from fractions import Fraction
from typing import Any

import sympy

from engine import syntax
from engine.expressions import parse_tree
from engine.grammar import CONSTANTS, FUNCTION_ALIASES, FUNCTIONS, SUGGESTIONS
from engine.graph import LEAF_OPS, Node, forward_id, grad_id, local_id
from engine.rules import FLOAT, RULES, SYMBOLIC
from engine.tokens import ParseError, tokenize

BINARY_OPS = {"+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow"}
INFIX = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}
ENGINE_LETTERS = ("u", "v", "w", "p", "q", "r", "s")
RESERVED = frozenset({"e", "pi", *FUNCTIONS})
_ASSIGNMENT = re.compile(r"\s*([A-Za-z_][A-Za-z_0-9]*)\s*=(?!=)")


class ProgramError(ValueError):
    """A program that cannot become a graph; ``line`` and ``column`` are 1-based."""

    def __init__(
        self, message: str, line: int | None = None, column: int | None = None
    ):
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


class UndefinedValue(ValueError):
    """A value of the trace is undefined (division by zero, log of a negative...)."""


def parse_program(program: str, inputs: Iterable[str]) -> tuple[Node, ...]:
    """The graph of ``program``: input nodes first (in ``inputs`` order), output last.

    Raises ``ProgramError`` with the line (and column) of the first problem.

    Examples
    ========

    >>> nodes = parse_program("z = (x*y + b)**2", ["x", "y", "b"])
    >>> [n.label for n in nodes[3:]]
    ['u = x*y', 'v = u + b', 'z = v**2']
    """
    inputs = list(inputs)
    lines = [
        (number, text)
        for number, text in enumerate(program.splitlines(), 1)
        if text.strip() and not text.strip().startswith("#")
    ]
    if not lines:
        raise ProgramError(
            "the program is empty: write one assignment per line, e.g. z = (x*y + b)**2"
        )
    assignments, known = [], list(inputs)
    for number, text in lines:
        match = _ASSIGNMENT.match(text)
        if not match:
            raise ProgramError(
                f"line {number}: expected an assignment like 'u = x*y'", number, 1
            )
        name, offset = match.group(1), match.end()
        try:
            tree = parse_tree(text[offset:], list(known))
        except ParseError as error:
            column = None if error.column is None else error.column + offset
            raise ProgramError(
                f"line {number}: {error.message}", number, column
            ) from error
        assignments.append((name, tree, number))
        known.append(name)
    return build_graph(assignments, inputs)


def is_program(text: str) -> bool:
    """Whether ``text`` is only assignment lines (``z = x*y``), not YAML or JSON.

    Examples
    ========

    >>> is_program("u = x*y\\n# output\\nz = u**2"), is_program("program: z = x")
    (True, False)
    """
    lines = [
        line
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    return bool(lines) and all(
        _ASSIGNMENT.match(line) and ":" not in line for line in lines
    )


def free_names(program: str) -> list[str]:
    """The names ``program`` reads before (or without) assigning them: its inputs.

    Names are taken from the tokens in order of first use; functions and
    constants are not names. The program need not be valid otherwise.

    Examples
    ========

    >>> free_names("z = tanh(w*x + b)")
    ['w', 'x', 'b']
    >>> free_names("u = x*y\\nv = u + exp(y)\\n")
    ['x', 'y']
    """
    builtin = {*RESERVED, *CONSTANTS, *FUNCTION_ALIASES, *SUGGESTIONS}
    names: list[str] = []
    assigned: set[str] = set()
    for text in program.splitlines():
        match = _ASSIGNMENT.match(text)
        if not match or text.strip().startswith("#"):
            continue
        try:
            tokens = tokenize(text[match.end() :])
        except ParseError:
            continue
        for token in tokens:
            name = token.text
            if token.kind == "name" and name not in builtin | assigned:
                if name not in names:
                    names.append(name)
        assigned.add(match.group(1))
    return names


def build_graph(
    assignments: list[tuple[str, Any, int]], inputs: Iterable[str]
) -> tuple[Node, ...]:
    """Lower ``(name, syntax tree, line number)`` assignments to primitive nodes.

    Examples
    ========

    >>> tree = syntax.Binary("*", syntax.Name("x"), syntax.Number(Fraction(2), "2"))
    >>> [n.label for n in build_graph([("y", tree, 1)], ["x"])]
    ['x (input)', 'y = x*2']
    """
    inputs = list(inputs)
    assigned = [name for name, _, _ in assignments]
    nodes = [Node(name, "input", (), f"{name} (input)") for name in inputs]
    temporaries: list[str] = []
    known = set(inputs)
    for name, tree, line in assignments:
        _check_new_name(name, known, line)
        operand = _lower(tree, nodes, temporaries, known, line)
        if not isinstance(operand, str) or operand not in temporaries:
            raise ProgramError(
                f"line {line}: '{name}' must be computed by an "
                "operation on the inputs, not be a plain name or "
                "number; use that name or number directly",
                line,
            )
        temporaries.remove(operand)
        nodes[-1] = replace(nodes[-1], name=name)
        known.add(name)
    names = _engine_names(len(temporaries), set(inputs) | set(assigned))
    nodes = _rename(nodes, dict(zip(temporaries, names)))
    _check_all_used(nodes, assignments)
    return tuple(replace(n, label=_label(n)) for n in nodes)


def _check_new_name(name: str, known: set[str], line: int) -> None:
    if name in known:
        raise ProgramError(
            f"line {line}: '{name}' is already an input or assigned "
            "earlier; give each value its own name",
            line,
        )
    if name in RESERVED:
        raise ProgramError(
            f"line {line}: '{name}' is a built-in name; choose another name", line
        )


def _lower(tree, nodes: list[Node], temporaries: list[str], known: set[str], line: int):
    """Append the nodes computing ``tree``; return its operand (name or constant)."""

    def new_node(op: str, args: tuple):
        if not any(isinstance(a, str) for a in args):
            return _fold(op, args, tree, line)
        name = f"#{len(temporaries) + 1}"
        temporaries.append(name)
        parents = tuple(dict.fromkeys(a for a in args if isinstance(a, str)))
        nodes.append(Node(name, op, parents, "", args))
        return name

    def lower(subtree):
        return _lower(subtree, nodes, temporaries, known, line)

    match tree:
        case syntax.Number(value=value):
            return sympy.Rational(value.numerator, value.denominator)
        case syntax.Constant(id=id):
            return sympy.pi if id == "pi" else sympy.E
        case syntax.Name(id=id):
            if id not in known:
                raise ProgramError(
                    f"line {line}: unknown name '{id}'; declare it in "
                    "inputs or assign it on an earlier line",
                    line,
                    tree.column or None,
                )
            return id
        case syntax.Unary(op="+", operand=operand):
            return lower(operand)
        case syntax.Unary(op="-", operand=operand):
            return new_node("neg", (lower(operand),))
        case syntax.Binary(op=op, left=left, right=right) if op in BINARY_OPS:
            return new_node(BINARY_OPS[op], (lower(left), lower(right)))
        case syntax.Call(func=func, args=args) if func in FUNCTIONS:
            return new_node(func, tuple(lower(argument) for argument in args))
        case syntax.Call(func=func):
            raise ProgramError(
                f"line {line}: {func}() cannot be used in a program; "
                f"use one of {', '.join(FUNCTIONS)}",
                line,
                tree.column or None,
            )
        case syntax.Matrix():
            raise ProgramError(
                f"line {line}: a scalar program cannot contain a matrix",
                line,
                tree.column or None,
            )
    raise ProgramError(f"line {line}: cannot use {tree!r} in a program", line)


def _fold(op: str, args: tuple, tree, line: int):
    value = RULES[op].forward(SYMBOLIC, *args)
    if to_float(value) is None:
        raise ProgramError(
            f"line {line}: the constant part {_render(op, args)} is undefined",
            line,
            getattr(tree, "column", None) or None,
        )
    return value


def _engine_names(count: int, taken: set[str]) -> list[str]:
    letters = [name for name in ENGINE_LETTERS if name not in taken]
    if count <= len(letters):
        return letters[:count]
    numbered = (f"t{i}" for i in range(1, count + len(taken) + 1))
    return [name for name in numbered if name not in taken][:count]


def _rename(nodes: list[Node], names: Mapping[str, str]) -> list[Node]:
    def new(operand):
        return names.get(operand, operand) if isinstance(operand, str) else operand

    return [
        replace(
            n,
            name=new(n.name),
            parents=tuple(map(new, n.parents)),
            args=tuple(map(new, n.args)),
        )
        for n in nodes
    ]


def _check_all_used(nodes: list[Node], assignments) -> None:
    used = {parent for n in nodes for parent in n.parents}
    lines = {name: line for name, _, line in assignments}
    for node in nodes[:-1]:
        if node.name in used:
            continue
        if node.op == "input":
            raise ProgramError(
                f"input '{node.name}' is not used by the program; "
                "use it or remove it from inputs"
            )
        line = lines.get(node.name)
        raise ProgramError(
            f"line {line}: '{node.name}' is never used; the last line "
            "must depend on every earlier line",
            line,
        )


def _label(node: Node) -> str:
    if node.op == "input":
        return f"{node.name} (input)"
    return f"{node.name} = {_render(node.op, node.args)}"


def _render(op: str, args: tuple) -> str:
    text = [_operand_text(a) for a in args]
    if op in INFIX:
        separator = f" {INFIX[op]} " if op in ("add", "sub") else INFIX[op]
        return separator.join(text)
    if op == "neg":
        return f"-{text[0]}"
    return f"{op}({', '.join(text)})"


def _operand_text(operand) -> str:
    if isinstance(operand, str):
        return operand
    if operand == sympy.E:
        return "e"
    if operand == sympy.pi or (operand.is_Integer and operand >= 0):
        return str(operand)
    return f"({operand})"


# Values ------------------------------------------------------------------------


def exact_number(value) -> sympy.Rational:
    """An input value as an exact rational: ``0.1`` is 1/10, ``"1/3"`` is 1/3.

    Examples
    ========

    >>> exact_number(0.1), exact_number("1/3"), exact_number(2)
    (1/10, 1/3, 2)
    """
    if isinstance(value, bool):
        raise TypeError(f"{value!r} is not a number")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} is not a finite number")
        value = repr(value)
    try:
        fraction = Fraction(value)
    except (TypeError, ValueError):
        raise ValueError(
            f"{value!r} is not a number; write e.g. 2, -0.5 or 1/3"
        ) from None
    return sympy.Rational(fraction.numerator, fraction.denominator)


def to_float(value) -> float | None:
    """``value`` as a float, or None when it is not a finite real number."""
    try:
        number = complex(value)
    except (TypeError, ValueError):
        return None
    if number.imag != 0 or not math.isfinite(number.real):
        return None
    return number.real


def _resolve(args: tuple, values: Mapping[str, Any]) -> list:
    return [values[a] if isinstance(a, str) else a for a in args]


def _local(node: Node, parent: str, values: Mapping[str, Any], m) -> Any:
    """d node / d parent at ``values`` (summed over every operand that is ``parent``)."""
    rule, args = RULES[node.op], _resolve(node.args, values)
    out = rule.forward(m, *args)
    total = 0
    for operand, partial in zip(node.args, rule.partials):
        if operand == parent:
            total = total + partial(m, out, *args)
    return sympy.Integer(total) if isinstance(total, int) and m is SYMBOLIC else total


def symbolic_locals(nodes: tuple[Node, ...]) -> dict[str, sympy.Expr]:
    """``local:n/p`` -> d n / d p as a SymPy expression in the parent names.

    Examples
    ========

    >>> symbolic_locals(parse_program("z = (x*y + b)**2", "xyb"))["local:z/v"]
    2*v
    """
    symbols = {n.name: sympy.Symbol(n.name) for n in nodes}
    return {
        local_id(n.name, p): _local(n, p, symbols, SYMBOLIC)
        for n in nodes
        for p in n.parents
    }


def node_expressions(nodes: tuple[Node, ...]) -> dict[str, sympy.Expr]:
    """Node name -> its value as a SymPy expression in the input names."""
    exprs: dict[str, Any] = {}
    for node in nodes:
        if node.op == "input":
            exprs[node.name] = sympy.Symbol(node.name)
        else:
            exprs[node.name] = RULES[node.op].forward(
                SYMBOLIC, *_resolve(node.args, exprs)
            )
    return exprs


def exact_steps(nodes: tuple[Node, ...], inputs: Mapping[str, Any]):
    """Exact node values and exact values of every step id.

    Raises ``UndefinedValue`` naming the first value that is not a finite real.
    """
    values = {name: exact_number(v) for name, v in inputs.items()}
    steps: dict[str, Any] = {}
    for node in nodes:
        if node.op in LEAF_OPS:
            continue
        values[node.name] = RULES[node.op].forward(
            SYMBOLIC, *_resolve(node.args, values)
        )
        _require_defined(values[node.name], node, values, "value")
        steps[forward_id(node.name)] = values[node.name]
        for parent in node.parents:
            local = _local(node, parent, values, SYMBOLIC)
            _require_defined(local, node, values, f"derivative d{node.name}/d{parent}")
            steps[local_id(node.name, parent)] = local
    grads = _accumulate(
        nodes,
        lambda n, p: steps[local_id(n, p)],
        lambda n, done: done[n],
        sympy.Integer(1),
    )
    steps.update({grad_id(n.name): grads[n.name] for n in nodes[:-1]})
    return values, steps


def _require_defined(value, node: Node, values, what: str) -> None:
    if to_float(value) is None:
        at = ", ".join(f"{p} = {values[p]}" for p in node.parents)
        raise UndefinedValue(
            f"the {what} of {node.label or node.name} is undefined at {at}"
        )


def _accumulate(nodes, local, upstream, one) -> dict[str, Any]:
    """Reverse accumulation: grad[p] = sum over children c of grad[c] * local(c, p).

    ``upstream(c, grads)`` gives the gradient of child c; reverse topological
    order guarantees ``grads[c]`` is complete when c is reached.
    """
    grads: dict[str, Any] = {nodes[-1].name: one}
    for node in reversed(nodes):
        for parent in node.parents:
            contribution = upstream(node.name, grads) * local(node.name, parent)
            grads[parent] = grads.get(parent, 0) + contribution
    return grads


def recompute(
    nodes: tuple[Node, ...],
    input_values: Mapping[str, float],
    overrides: Mapping[str, float],
) -> dict[str, float]:
    """Every step id, each computed in floats from its own dependencies.

    A dependency's value comes from ``overrides`` when present, else from this
    recomputation; a step never uses its own override. ``forward:n`` depends on
    n's parents' forward values, ``local:n/p`` on n's parents' forward values,
    ``grad:p`` on ``grad:c`` and ``local:c/p`` for each child c. Undefined values
    are ``nan``. ``forward:<input>`` overrides replace input values; an override
    that is not a number is ignored.

    Examples
    ========

    >>> nodes = parse_program("z = (x*y + b)**2", "xyb")
    >>> recompute(nodes, {"x": 2, "y": 3, "b": 1}, {"forward:v": 8.0})["forward:z"]
    64.0
    """
    forward: dict[str, float] = {}
    steps: dict[str, float] = {}

    def value(name):
        return _override(overrides, forward_id(name), forward[name])

    for node in nodes:
        if node.op in LEAF_OPS:
            forward[node.name] = float(input_values[node.name])
            continue
        args = [value(a) if isinstance(a, str) else float(a) for a in node.args]
        forward[node.name] = _safe(RULES[node.op].forward, FLOAT, *args)
        steps[forward_id(node.name)] = forward[node.name]
        parent_values = {p: value(p) for p in node.parents}
        for parent in node.parents:
            steps[local_id(node.name, parent)] = _safe(
                _local, node, parent, parent_values, FLOAT
            )
    output = nodes[-1].name

    def local(name, parent):
        step = local_id(name, parent)
        return _override(overrides, step, steps[step])

    def upstream(name, grads):
        if name == output:
            return 1.0
        return _override(overrides, grad_id(name), grads[name])

    grads = _accumulate(nodes, local, upstream, 1.0)
    steps.update({grad_id(n.name): grads[n.name] for n in nodes[:-1]})
    return steps


def _override(overrides: Mapping[str, Any], step: str, computed: float) -> float:
    """The override of ``step`` as a float, or ``computed`` when it is not a number."""
    try:
        return float(overrides.get(step, computed))
    except (TypeError, ValueError):
        return computed


def _safe(function, *args) -> float:
    try:
        return float(function(*args))
    except (ArithmeticError, ValueError, TypeError):
        return math.nan
