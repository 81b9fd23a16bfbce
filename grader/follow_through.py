"""Follow-through (error carried forward): which earlier wrong step an answer builds on.

A ``carried`` answer is right for the student's own earlier values. Its
message names the nearest of those values and the earliest wrong step they
come from, walking back through the steps each step is computed from
(``Trace.recompute``'s dependencies).

``TraceMarking`` marks a whole ``scalar_trace`` or ``network_trace`` answer
(the trace kinds of ``grader.kinds`` use it).

Pure: no Django.
"""

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import sympy

from engine.equivalence import equivalent
from engine.graph import StepId, forward_id
from grader import feedback
from grader.budget import Budget
from grader.cells import (
    DEFAULT_TOLERANCE,
    Cell,
    CellError,
    cell_text,
    close,
    invalid_result,
    read_or_result,
    shaped_like,
    trace_reader,
    trace_symbols,
)
from grader.misconceptions import (
    OWN_DERIVATIVE,
    Believed,
    candidates,
    squares_parent,
    symbolic_candidates,
)
from grader.near_miss import digits_wanted, is_near_miss
from grader.results import CARRIED, CORRECT, INCORRECT, StepResult

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Origin:
    """Where a carried answer comes from."""

    nearest: str  # the step whose (wrong) value the answer uses directly
    root: str  # the earliest wrong step in the chain


def origin(
    step_id: str,
    *,
    trace,
    statuses: Mapping[str, str],
    differs: Callable[[str], bool],
    order: Mapping[str, int],
) -> Origin | None:
    """The wrong earlier steps a carried ``step_id`` builds on.

    ``differs(s)`` tells whether the student's value of step ``s`` (or the
    value that follows from their answers) differs from the key. ``order`` ranks step ids in
    display order, so "earliest" is the first a student fills in.
    """

    def wrong_deps(s: str) -> list[str]:
        return [d for d in trace.dependencies(s) if differs(d)]

    direct = wrong_deps(step_id)
    if not direct:
        return None
    roots: list[str] = []
    seen: set[str] = set()
    stack = list(direct)
    while stack:
        s = stack.pop()
        if s in seen:
            continue
        seen.add(s)
        if statuses.get(s) == "incorrect":
            roots.append(s)
        else:
            stack += wrong_deps(s)
    rank = lambda s: order.get(s, len(order))
    answered = [d for d in direct if statuses.get(d) in ("incorrect", "carried")]
    nearest = min(answered or direct, key=rank)
    root = min(roots, key=rank) if roots else nearest
    return Origin(nearest=nearest, root=root)


# --- Marking a trace ------------------------------------------------------------


def _evaluate(expr, values: Mapping[str, Any]) -> float | None:
    """A SymPy expression's value with node names set to ``values``; None if undefined."""
    subs = {s: sympy.Float(float(values[s.name])) for s in expr.free_symbols}
    try:
        number = complex(expr.xreplace(subs).evalf())
    except (TypeError, ValueError, KeyError, ZeroDivisionError):
        return None
    if number.imag or not math.isfinite(number.real):
        return None
    return number.real


class TraceMarking:
    """Marks every asked step of one ``scalar_trace`` or ``network_trace`` answer."""

    def __init__(self, spec: Mapping[str, Any], trace):
        self.spec = spec
        self.trace = trace
        self.tolerance = spec.get("tolerance") or DEFAULT_TOLERANCE
        self.local_form = spec.get("local_form", "either")
        self.carried_credit = float(spec.get("carried_credit", 1.0))
        self.symbols = trace_symbols(trace)
        self.read = trace_reader(spec, trace)
        self.leaves = [
            n.name for n in trace.nodes if n.op in ("input", "param", "const")
        ]
        self.true_nodes = {
            n: trace.node_values[n]
            for n in self.symbols
            if trace.kind == "scalar_trace"
        }
        node_exprs = getattr(trace, "node_exprs", None) or {}
        self.canonical = {n: node_exprs.get(n, sympy.Symbol(n)) for n in self.symbols}
        self.nodes = {n.name: n for n in trace.nodes}
        self.order = {
            s: i for i, s in enumerate(trace.steps(["forward", "local", "grad"]))
        }

    # Reading -----------------------------------------------------------------

    def believed_values(
        self, cells: Mapping[str, Cell], budget: Budget
    ) -> dict[str, Any]:
        """Step id -> the value the student believes (own answer, else recomputed).

        A symbolic answer that cannot be evaluated within its budget gives no
        value here (its own check marks it).
        """
        overrides = {
            s: shaped_like(c.value, self.trace.values[s])
            for s, c in cells.items()
            if c.value is not None
        }
        basis = self._recompute(overrides)
        symbolic = {s: c for s, c in cells.items() if c.value is None}
        if symbolic:
            nodes = dict(self.true_nodes)
            for name in nodes:
                step = forward_id(name)
                if step in basis:
                    nodes[name] = overrides.get(step, basis[step])
            for s, cell in symbolic.items():
                try:
                    value = budget.check(partial(_evaluate, cell.expr, nodes))
                except CellError:
                    value = None
                if value is not None:
                    overrides[s] = value
            basis = self._recompute(overrides)
        self.overrides = overrides
        self.basis = basis
        return {**basis, **overrides}

    def _recompute(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        try:
            return dict(self.trace.recompute(overrides))
        except (ArithmeticError, ValueError) as error:
            # The student's values leave the function's domain (log of a
            # negative): no follow-through, the key stands.
            logger.info("No follow-through: recompute failed (%s)", error)
            return dict(self.trace.values)

    # Comparing ---------------------------------------------------------------

    def same_expression(self, student, expected) -> bool | None:
        if student == expected:
            return True
        to_inputs = lambda e: e.xreplace(
            {s: self.canonical.get(s.name, s) for s in e.free_symbols}
        )
        a, b = to_inputs(student), to_inputs(expected)
        if a == b:
            return True
        inputs = [n for n in self.leaves if n in self.canonical]
        return equivalent(a, b, inputs)

    def mark_number(self, step_id: str, value, known) -> tuple[str, str | None]:
        key = self.trace.values[step_id]
        if close(value, key, self.tolerance):
            return CORRECT, None
        basis = self.basis.get(step_id)
        if not close(basis, key, self.tolerance) and close(
            value, basis, self.tolerance
        ):
            return CARRIED, None
        return INCORRECT, self.diagnose(step_id, value, known)

    def diagnose(self, step_id: str, value, known) -> str | None:
        key = self.trace.values[step_id]
        # A step's own variants start from its recomputed value, not the answer.
        own = {**known, step_id: self.basis.get(step_id, key)}
        for values in (own, self.trace.values):
            believed = Believed(self.trace, values, self.spec)
            try:
                found = candidates(believed, step_id)
            except (ArithmeticError, ValueError) as error:
                # The student's numbers leave a rule's domain (a power of a
                # negative, a shape that does not multiply): no diagnosis.
                # Any other failure is a bug in a rule, and is not hidden.
                logger.info("No diagnosis for %s: %s", step_id, error)
                found = []
            for code, buggy in found:
                if close(value, buggy, self.tolerance) and not close(
                    buggy, key, self.tolerance
                ):
                    return code
        return None

    def mark_expression(self, step_id: str, cell: Cell) -> tuple[str, str | None]:
        key = self.trace.values[step_id]
        at_true = _evaluate(cell.expr, self.true_nodes)
        expected = self.trace.symbolic[step_id]
        if (
            close(at_true, key, self.tolerance)
            and self.same_expression(cell.expr, expected) is not False
        ):
            return CORRECT, None
        for code, buggy in symbolic_candidates(self.trace, step_id):
            if close(
                _evaluate(buggy, self.true_nodes), at_true, self.tolerance
            ) and self.same_expression(cell.expr, buggy):
                return INCORRECT, code
        return INCORRECT, None

    # Marking -----------------------------------------------------------------

    def expected(self, step_id: str) -> str:
        value = feedback.format_value(self.trace.values[step_id])
        formula = self.trace.symbolic.get(step_id) if self.trace.symbolic else None
        if (
            StepId.parse(step_id).family == "local"
            and self.local_form != "numeric"
            and getattr(formula, "free_symbols", None)
        ):
            return f"{sympy.sstr(formula)} = {value}"
        return value

    def read_all(self, steps, answers: Mapping[str, Any], budget: Budget):
        """``(read, cells, believed)``: each step's ``Cell`` or ``missing``/``invalid``
        result, the readable cells, and the values the student believes."""
        read = {
            s: read_or_result(
                s, cell_text(answers.get(s)), partial(self.read, s), budget
            )
            for s in steps
        }
        cells = {s: c for s, c in read.items() if isinstance(c, Cell)}
        return read, cells, self.believed_values(cells, budget)

    def mark(self, steps: list[str], answers: Mapping[str, Any]) -> list[StepResult]:
        """Every step's result; a cell whose checks fail or run out of time is
        ``invalid`` on its own (``grader.budget``), the others are marked."""
        budget = Budget()
        read, cells, known = self.read_all(steps, answers, budget)
        verdicts = {}
        for s, cell in cells.items():
            try:
                verdicts[s] = budget.check(partial(self.verdict, s, cell, known))
            except CellError as error:
                read[s] = invalid_result(s, error)
        statuses = {s: v[0] for s, v in verdicts.items()}
        results = []
        for s in steps:
            if s not in verdicts:
                results.append(read[s])
                continue
            shown = partial(self.step_result, s, cells[s], verdicts[s], statuses, known)
            try:
                results.append(budget.check(shown))
            except CellError as error:
                results.append(invalid_result(s, error))
        return results

    def verdict(self, step_id: str, cell: Cell, known) -> tuple[str, str | None]:
        if cell.value is None:
            return self.mark_expression(step_id, cell)
        return self.mark_number(step_id, cell.value, known)

    def step_result(self, s, cell, verdict, statuses, known) -> StepResult:
        status, code = verdict
        shown = {"interpreted": cell.interpreted, "expected": self.expected(s)}
        if status == CORRECT:
            return StepResult(s, CORRECT, 1.0, feedback.CORRECT, **shown)
        if status == CARRIED:
            found = origin(
                s,
                trace=self.trace,
                statuses=statuses,
                differs=lambda d: (
                    not close(known.get(d), self.trace.values[d], self.tolerance)
                ),
                order=self.order,
            )
            if found is not None:
                message = feedback.carried(
                    found.nearest,
                    known[found.nearest],
                    found.root,
                    known[found.root],
                    self.trace.output,
                )
                return StepResult(
                    s,
                    CARRIED,
                    self.carried_credit,
                    message,
                    builds_on=found.root,
                    **shown,
                )
            status = INCORRECT
        message = self.wrong_message(s, cell, code, known)
        return StepResult(s, INCORRECT, 0.0, message, misconception=code, **shown)

    def wrong_message(self, s: str, cell: Cell, code: str | None, known) -> str:
        """Why step ``s`` is wrong, most specific first: the misconception, a
        wrong shape, a near miss (more digits needed), then the step's rule."""
        step = StepId.parse(s)
        node = self.nodes[step.node]
        if code == "power_rule" and step.family == "local" and squares_parent(node):
            return feedback.SAME_FACTOR_TWICE.format(node=step.node, parent=step.parent)
        if code:
            return feedback.misconception(code, step.node)
        key = self.trace.values[s]
        value = shaped_like(cell.value, key)
        if value is not None and np.shape(value) != np.shape(key):
            if not (np.size(value) == 1 and np.size(key) == 1):
                return feedback.wrong_shape(np.shape(value), np.shape(key))
        if value is not None and any(
            is_near_miss(value, cell.text, target, self.tolerance)
            for target in (key, self.basis.get(s))
        ):
            return feedback.near_miss(digits_wanted(self.tolerance))
        if step.family == "local" and squares_parent(node):
            return feedback.SAME_FACTOR_TWICE.format(node=step.node, parent=step.parent)
        if (
            step.family == "local"
            and node.op in OWN_DERIVATIVE
            and value is not None
            and close(value, known.get(f"forward:{step.node}"), self.tolerance)
        ):
            return feedback.EXP_OWN_VALUE.format(node=step.node, parent=step.parent)
        return feedback.wrong(s)
