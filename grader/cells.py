"""Reading and comparing cells: the one rule for how a cell's text becomes a value.

A cell is read by the expression grammar (``engine.expressions``) into a
``Cell``: its tree, the names it uses, its number when it is one.
``trace_reader`` says what each trace step accepts (a number, or a formula where the
problem allows one), for grading and the live preview alike; ``close``
compares within a tolerance, a single number standing for a 1 x 1 matrix and
a flat list for a row or column (``shaped_like``). Everything a cell's text
triggers runs under a ``grader.budget.Budget`` (``read_or_result``).

Pure: no Django.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from typing import Any

import numpy as np
import sympy

from engine import syntax
from engine.equivalence import numbers_match
from engine.expressions import parse_tree, to_latex, to_sympy
from engine.graph import StepId
from grader import feedback
from grader.budget import Budget, CellError
from grader.results import (
    GRADED,
    INVALID,
    MISSING,
    OUTCOME_INVALID,
    GradeResult,
    StepResult,
)

DEFAULT_TOLERANCE = {"rel": 1e-3}
# Float noise in the key (0.1 + 0.2 - 0.3) never makes a right answer wrong.
FLOAT_NOISE = 1e-9


# --- Reading cells ------------------------------------------------------------


def _exact(node) -> Fraction | None:
    """The exact value of plain arithmetic on numbers (the common cell), else None."""
    if isinstance(node, syntax.Number):
        return node.value
    if isinstance(node, syntax.Unary):
        value = _exact(node.operand)
        return None if value is None else (-value if node.op == "-" else value)
    if isinstance(node, syntax.Binary) and node.op in ("+", "-", "*", "/"):
        left, right = _exact(node.left), _exact(node.right)
        if left is None or right is None or (node.op == "/" and right == 0):
            return None
        return {"+": left + right, "-": left - right, "*": left * right}.get(
            node.op, left / right if node.op == "/" else None
        )
    return None


def _names(node) -> list[syntax.Name]:
    """Every name the tree uses, left to right."""
    if isinstance(node, syntax.Name):
        return [node]
    if isinstance(node, syntax.Unary):
        return _names(node.operand)
    if isinstance(node, syntax.Binary):
        return _names(node.left) + _names(node.right)
    if isinstance(node, syntax.Call):
        return [name for arg in node.args for name in _names(arg)]
    if isinstance(node, syntax.Matrix):
        return [name for row in node.rows for cell in row for name in _names(cell)]
    return []


def _real(value) -> float | np.ndarray:
    """A SymPy number or matrix as float(s); ``CellError`` when not finite and real."""
    try:
        if isinstance(value, sympy.MatrixBase):
            array = np.array(value.evalf().tolist(), dtype=np.float64)
        else:
            array = np.float64(complex(value.evalf()).real)
            if complex(value.evalf()).imag:
                raise TypeError
    except (TypeError, ValueError):
        raise CellError(feedback.NOT_REAL) from None
    if not np.all(np.isfinite(array)):
        raise CellError(feedback.NOT_REAL)
    return array if array.ndim else float(array)


@dataclass(frozen=True)
class Cell:
    """One cell as read: its tree, its value when it is a number, the names it uses."""

    tree: Any
    names: tuple[syntax.Name, ...]
    text: str = ""

    @cached_property
    def expr(self):
        return to_sympy(self.tree)

    @cached_property
    def value(self) -> float | np.ndarray | None:
        if self.names:
            return None
        exact = _exact(self.tree)
        if exact is not None:
            return float(exact)
        flat = isinstance(self.tree, syntax.Matrix) and self.tree.flat
        if isinstance(self.tree, syntax.Matrix):
            rows = [[_exact(c) for c in row] for row in self.tree.rows]
            if all(v is not None for row in rows for v in row):
                array = np.array(rows, dtype=np.float64)
                return array.reshape(-1) if flat else array
        value = _real(self.expr)
        return np.asarray(value).reshape(-1) if flat else value

    @cached_property
    def interpreted(self) -> str:
        return to_latex(self.tree)


def read_cell(text: str, symbols) -> Cell:
    """Parse a cell; ``ParseError`` when it cannot be read."""
    tree = parse_tree(text, symbols)
    return Cell(tree=tree, names=tuple(_names(tree)), text=text)


def cell_text(answer) -> str | None:
    """A cell's text, or None when it is empty."""
    if answer is None:
        return None
    if isinstance(answer, (int, float)) and not isinstance(answer, bool):
        answer = repr(answer)
    if not isinstance(answer, str):
        return None
    return answer if answer.strip() else None


def need_number(cell: Cell) -> float | np.ndarray:
    if cell.names:
        name = cell.names[0]
        raise CellError(
            feedback.NUMBER_EXPECTED.format(name=name.id, column=name.column),
            name.column,
        )
    return cell.value


def trace_symbols(trace) -> tuple[str, ...]:
    """The names a trace cell may use: every node but the folded constants."""
    return tuple(n.name for n in trace.nodes if n.op != "const")


def trace_reader(spec: Mapping, trace) -> Callable[[str, str], Cell]:
    """How grading reads the text of each step of a trace: ``read(step_id, text)``.

    The one rule for grading and the live preview (``grader.preview``, through
    the trace kinds of ``grader.kinds``), so a cell previews as readable exactly
    when grading can use it. Raises ``ParseError`` or ``CellError`` (a number
    asked for and a name given, or a formula asked for and a number given).
    """
    symbols = trace_symbols(trace)
    local_form = spec.get("local_form", "either")

    def read_trace_step(step_id: str, text: str) -> Cell:
        cell = read_cell(text, symbols)
        if StepId.parse(step_id).family != "local" or local_form == "numeric":
            need_number(cell)
        elif (
            local_form == "symbolic"
            and not cell.names
            and getattr(trace.symbolic.get(step_id), "free_symbols", None)
        ):
            raise CellError(feedback.EXPRESSION_EXPECTED)
        return cell

    return read_trace_step


# --- Comparing ----------------------------------------------------------------


def _comparable(student, expected):
    """Both as floats, or both as arrays of one shape; ``None`` when shapes differ."""
    s = shaped_like(np.asarray(student, dtype=np.float64), expected)
    e = np.asarray(expected, dtype=np.float64)
    if s.size == 1 and e.size == 1:
        return float(s.reshape(())), float(e.reshape(()))
    if s.shape != e.shape:
        return None
    return s, e


def shaped_like(value, key):
    """``value`` in the key's shape where it carries no shape of its own.

    A single number stands for a 1x1 matrix, and a flat list ``[a, b]`` (which
    has no orientation) for a row or a column of the key's length; anything
    else keeps its shape, so a row given for a column is still a transposition.

    Examples
    ========
    >>> shaped_like(np.array([1.0, 2.0]), np.zeros((2, 1))).shape
    (2, 1)
    >>> shaped_like(np.ones((1, 2)), np.zeros((2, 1))).shape
    (1, 2)
    """
    if not isinstance(key, np.ndarray) or value is None:
        return value
    array = np.asarray(value, dtype=np.float64)
    if array.size == key.size and (
        array.ndim == 0 or (array.ndim == 1 and key.ndim == 2 and 1 in key.shape)
    ):
        return array.reshape(key.shape)
    return value


def close(student, expected, tolerance) -> bool:
    """Student's number or matrix equals the expected one within the tolerance."""
    if student is None or expected is None:
        return False
    pair = _comparable(student, expected)
    if pair is None:
        return False
    s, e = pair
    if not (np.all(np.isfinite(s)) and np.all(np.isfinite(e))):
        return False
    if np.all(np.abs(np.subtract(s, e)) <= FLOAT_NOISE):
        return True
    return bool(numbers_match(s, e, tolerance))


def _weighted_score(steps: list[StepResult], weights: Mapping[str, float]) -> float:
    total = score = 0.0
    for step in steps:
        family = StepId.parse(step.id).family
        weight = float(weights.get(step.id, weights.get(family, 1.0)))
        total += weight
        score += weight * step.score
    return score / total if total > 0 else 0.0


def grade_result(steps: list[StepResult], spec: Mapping) -> GradeResult:
    read = [s for s in steps if s.status not in (INVALID, MISSING)]
    score = _weighted_score(steps, spec.get("weights") or {})
    if not read:
        return GradeResult(
            OUTCOME_INVALID, score, tuple(steps), feedback.NOTHING_READABLE
        )
    return GradeResult(GRADED, score, tuple(steps))


def read_or_result(
    step_id: str, text: str | None, read, budget: Budget | None = None
) -> StepResult | Cell:
    """The cell, or the ``missing``/``invalid`` result when it cannot be used.

    Reading builds everything the later checks use (the number, the SymPy
    expression, the LaTeX) under the cell's deadline (``grader.budget``).
    """
    if text is None:
        return StepResult(step_id, MISSING, 0.0, feedback.MISSING)
    try:
        return (budget or Budget()).check(lambda: _prepared(read(text)))
    except CellError as error:
        return invalid_result(step_id, error)


def _prepared(cell: Cell) -> Cell:
    _ = cell.value  # a number that is not real (1/0) is unreadable too
    _ = cell.interpreted
    if cell.names:
        _ = cell.expr
    return cell


def invalid_result(step_id: str, error: CellError) -> StepResult:
    return StepResult(step_id, INVALID, 0.0, error.message, column=error.column)
