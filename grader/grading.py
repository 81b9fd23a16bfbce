"""Grade a submission step by step: ``grade(spec, answers, seed=None) -> GradeResult``.

Pure: no Django, so it runs anywhere (a worker, the admin's question tests,
a benchmark). Every asked step is graded on its own:

1. Read the cell with the expression grammar. A cell that cannot be read is
   ``invalid`` (the parser's message and column); an empty one is ``missing``.
2. Compare with the key: numbers and matrices within the problem's
   ``tolerance`` (default ``DEFAULT_TOLERANCE``), symbolic local derivatives by
   ``engine.equivalence.equivalent`` (node names and input names both work).
3. Follow-through: a wrong answer that is right for the student's own earlier
   values (``Trace.recompute``) is ``carried`` and scores ``carried_credit``
   (default 1.0); a step matching the true key is always ``correct``.
4. A wrong step is matched against the catalogue of buggy backprop
   (``grader.misconceptions``) and its message explains the mistake.

Bounded. Everything a cell's text triggers after parsing (building its number
or SymPy expression and LaTeX, follow-through, equivalence, diagnosis) runs
under the submission's ``grader.budget.Budget``: a cell that cannot be checked
in time, overflows or fails in any other way is ``invalid`` with a message
("too complex to check: simplify it"), and the other cells are still graded.

Scoring. Each asked step weighs 1 unless ``spec["weights"]`` gives a weight by
step id (``"grad:x": 2``) or by family (``"grad": 2``); the score is the
weighted mean. ``invalid`` and ``missing`` steps score 0 and stay in the
denominator (leaving a cell unreadable can never raise a score). "Not
penalised" means an unreadable cell is never marked wrong or diagnosed, never
blocks the other cells, and when *no* answered cell can be read the outcome
is ``invalid`` (PrairieLearn's convention): courseware does not count such a
submission as an attempt.

Specs of the single-answer kinds (step id ``answer``):

- ``expression``: ``expected`` (text), ``symbols`` (names), optional ``tolerance``
  (exact when absent).
- ``numeric``: ``expected`` (a number, a text like ``"1/3"``, or a matrix as
  nested lists), optional ``tolerance``.
- ``choice``: ``options`` (list of ``{key, text, correct, feedback}``),
  ``multiple`` (bool). Multiple choice scores
  ``max(0, (right picks - wrong picks) / right options)``.
"""

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from typing import Any

import numpy as np
import sympy

from engine import syntax
from engine.equivalence import equivalent, numbers_match
from engine.expressions import parse, parse_tree, to_latex, to_sympy
from engine.graph import StepId
from engine.trace import trace as build_trace
from grader import feedback
from grader.budget import Budget, CellError, is_time_limit
from grader.misconceptions import symbolic_candidates
from grader.near_miss import digits_wanted, is_near_miss
from grader.results import (
    CORRECT,
    GRADED,
    INCORRECT,
    INVALID,
    MISSING,
    OUTCOME_INVALID,
    GradeResult,
    StepResult,
    error_result,
)

logger = logging.getLogger(__name__)

DEFAULT_TOLERANCE = {"rel": 1e-3}
# Float noise in the key (0.1 + 0.2 - 0.3) never makes a right answer wrong.
FLOAT_NOISE = 1e-9
DEFAULT_ASK = {
    "scalar_trace": ("forward", "local", "grad"),
    "network_trace": ("forward", "grad"),
}


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


TRACE_KINDS = ("scalar_trace", "network_trace")


def trace_symbols(trace) -> tuple[str, ...]:
    """The names a trace cell may use: every node but the folded constants."""
    return tuple(n.name for n in trace.nodes if n.op != "const")


def step_reader(spec: Mapping, trace=None) -> Callable[[str, str], Cell]:
    """How grading reads the text of each step: ``read(step_id, text) -> Cell``.

    The one rule for grading and the live preview (``grader.preview``), so a
    cell previews as readable exactly when grading can use it. Raises
    ``ParseError`` or ``CellError`` (a number asked for and a name given, or
    a formula asked for and a number given).
    """
    kind = spec.get("kind")
    if kind in TRACE_KINDS:
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
    symbols = tuple(spec.get("symbols") or ()) if kind == "expression" else ()

    def read_answer(step_id: str, text: str) -> Cell:
        cell = read_cell(text, symbols)
        if kind == "numeric":
            need_number(cell)
        return cell

    return read_answer


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
        family = step.id.split(":", 1)[0]
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


# --- Single-answer kinds ------------------------------------------------------


def _grade_expression(spec: Mapping, answers: Mapping) -> GradeResult:
    symbols = tuple(spec.get("symbols") or ())
    expected = parse(str(spec.get("expected", spec.get("answer"))), symbols)
    tolerance = spec.get("tolerance")
    cell = read_or_result(
        "answer", cell_text(answers.get("answer")), lambda t: read_cell(t, symbols)
    )
    if isinstance(cell, StepResult):
        return grade_result([cell], spec)
    shown = {"interpreted": cell.interpreted, "expected": str(expected)}
    try:
        step = Budget().check(
            lambda: _expression_step(spec, cell, expected, symbols, tolerance, shown)
        )
    except CellError as error:
        step = invalid_result("answer", error)
    return grade_result([step], spec)


def _expression_step(
    spec: Mapping, cell: Cell, expected, symbols, tolerance, shown
) -> StepResult:
    verdict = equivalent(cell.expr, expected, symbols, tolerance)
    if verdict:
        step = StepResult("answer", CORRECT, 1.0, feedback.CORRECT, **shown)
    elif verdict is None:
        step = StepResult("answer", INCORRECT, 0.0, feedback.UNDECIDED, **shown)
    else:
        code = derivative_misconception(spec, cell.expr, symbols, tolerance)
        if code is None and equivalent(cell.expr, -expected, symbols, tolerance):
            code = "sign_error"
        of = str(spec.get("derivative_of", ""))
        message = feedback.misconception(code, of) if code else feedback.wrong("answer")
        step = StepResult("answer", INCORRECT, 0.0, message, code, **shown)
    return step


def derivative_misconception(spec: Mapping, answer, symbols, tolerance) -> str | None:
    """The misconception a wrong derivative shows, as a trace's local step would.

    An ``expression`` problem whose answer is the derivative of
    ``derivative_of`` (with respect to its first symbol) is read as the one
    edge of the trace ``f = <derivative_of>``, and the answer is matched
    against that edge's buggy variants (``grader.misconceptions``).
    """
    of, wrt = spec.get("derivative_of"), (list(symbols) or [None])[0]
    if not of or wrt is None:
        return None
    out = next(n for n in ("f", "g", "h", "out") if n not in symbols)
    edge = single_edge(f"{out} = {of}", symbols, f"local:{out}/{wrt}")
    if edge is None:
        return None
    for code, buggy in symbolic_candidates(edge, f"local:{out}/{wrt}"):
        if equivalent(answer, buggy, symbols, tolerance):
            return code
    return None


def single_edge(program: str, symbols, step_id: str):
    """The trace of a one-operation ``program`` when it has the edge ``step_id``."""
    spec = {"kind": "scalar_trace", "program": program}
    spec["inputs"] = {name: 1.3 for name in symbols}
    edge = build_trace(spec)
    return edge if step_id in edge.symbolic else None


def _numeric_key(expected) -> float | np.ndarray:
    if isinstance(expected, (list, tuple)):
        return np.array(expected, dtype=np.float64)
    if isinstance(expected, str):
        return need_number(read_cell(expected, ()))
    return float(expected)


def _grade_numeric(spec: Mapping, answers: Mapping) -> GradeResult:
    key = _numeric_key(spec.get("expected", spec.get("answer")))
    tolerance = spec.get("tolerance") or DEFAULT_TOLERANCE
    cell = read_or_result(
        "answer", cell_text(answers.get("answer")), lambda t: read_cell(t, ())
    )
    if isinstance(cell, StepResult):
        return grade_result([cell], spec)
    try:
        step = Budget().check(lambda: _numeric_step(cell, key, tolerance))
    except CellError as error:
        step = invalid_result("answer", error)
    return grade_result([step], spec)


def _numeric_step(cell: Cell, key, tolerance) -> StepResult:
    shown = {"interpreted": cell.interpreted, "expected": feedback.format_value(key)}
    if close(cell.value, key, tolerance):
        return StepResult("answer", CORRECT, 1.0, feedback.CORRECT, **shown)
    if close(cell.value, -np.asarray(key), tolerance):
        message = feedback.misconception("sign_error")
        return StepResult("answer", INCORRECT, 0.0, message, "sign_error", **shown)
    value = shaped_like(cell.value, key)
    if np.size(value) != np.size(key) or (
        np.size(key) > 1 and np.shape(value) != np.shape(key)
    ):
        message = feedback.wrong_shape(np.shape(value), np.shape(key))
    elif is_near_miss(value, cell.text, key, tolerance):
        message = feedback.near_miss(digits_wanted(tolerance))
    else:
        message = feedback.wrong("answer")
    return StepResult("answer", INCORRECT, 0.0, message, **shown)


def option_keys(spec: Mapping) -> list[str]:
    """The keys a student may pick in a ``choice`` problem, in order."""
    return list(_options(spec))


def _options(spec: Mapping) -> dict[str, Mapping]:
    options = {}
    for index, option in enumerate(spec.get("options") or ()):
        key = option.get("key", option.get("id", "abcdefghijklmnopqrstuvwxyz"[index]))
        options[str(key)] = option
    return options


def _grade_choice(spec: Mapping, answers: Mapping) -> GradeResult:
    options = _options(spec)
    right = {k for k, o in options.items() if o.get("correct")}
    given = answers.get("answer")
    if isinstance(given, str):
        picked = (
            [p.strip() for p in given.split(",")]
            if spec.get("multiple")
            else [given.strip()]
        )
    elif isinstance(given, (list, tuple)):
        picked = [str(p).strip() for p in given]
    else:
        picked = []
    picked = [p for p in picked if p]
    if not picked:
        return grade_result(
            [StepResult("answer", MISSING, 0.0, feedback.MISSING)], spec
        )
    unknown = [p for p in picked if p not in options]
    if unknown:
        message = feedback.NOT_A_CHOICE.format(
            given=unknown[0], keys=", ".join(options)
        )
        return grade_result([StepResult("answer", INVALID, 0.0, message)], spec)
    chosen = set(picked)
    expected = ", ".join(sorted(right))
    notes = [
        options[p].get("feedback", "") for p in picked if options[p].get("feedback")
    ]
    if chosen == right:
        message = " ".join(notes) or feedback.CORRECT
        step = StepResult("answer", CORRECT, 1.0, message, expected=expected)
    else:
        hits, misses = len(chosen & right), len(chosen - right)
        score = (
            max(0.0, (hits - misses) / len(right))
            if spec.get("multiple") and right
            else 0.0
        )
        wrong_notes = [
            options[p]["feedback"]
            for p in picked
            if p not in right and options[p].get("feedback")
        ]
        message = " ".join(wrong_notes) or feedback.wrong("answer")
        step = StepResult(
            "answer", INCORRECT, round(score, 6), message, expected=expected
        )
    return grade_result([step], spec)


# --- Entry point --------------------------------------------------------------


def grade(
    spec: Mapping[str, Any], answers: Mapping[str, Any], seed: int | None = None
) -> GradeResult:
    """Grade ``answers`` (step id -> text) against a problem ``spec`` (contract 1).

    Parameters
    ==========
    spec: the problem's spec; with ``randomize`` it is instantiated with ``seed``.
    answers: step id -> the text the student typed (``answer`` for single-answer kinds).
    seed: the variant's seed.

    Returns
    =======
    A ``GradeResult`` (contract 3). A failure of the system (a broken spec, a
    bug) gives outcome ``error`` with a message for the student; the
    traceback goes to the log, never to the result.

    Examples
    ========

    >>> grade({"kind": "numeric", "expected": 0.5}, {"answer": "1/2"}).score
    1.0
    """
    # Trace grading lives in grader.follow_through, which reads cells with the
    # helpers above; importing it here keeps the two modules from importing
    # each other at load time.
    from grader.follow_through import grade_trace

    kind = spec.get("kind") if isinstance(spec, Mapping) else None
    try:
        if "randomize" in spec:
            from engine.specs import instantiate

            spec = instantiate(spec, seed)
        answers = answers if isinstance(answers, Mapping) else {}
        graders = {
            "scalar_trace": grade_trace,
            "network_trace": grade_trace,
            "expression": _grade_expression,
            "numeric": _grade_numeric,
            "choice": _grade_choice,
        }
        if kind not in graders:
            raise ValueError(f"unknown problem kind {kind!r}")
        return graders[kind](spec, answers)
    except Exception as error:
        if is_time_limit(error):
            raise
        logger.exception("Grading a %s problem failed", kind)
        return error_result(feedback.SYSTEM_ERROR)
