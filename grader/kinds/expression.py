"""``expression``: one formula in given symbols (``answer: 2*v``, ``symbols: [v]``),
checked by ``engine.equivalence.equivalent``.

Fields: ``prompt``, ``answer`` (text), ``symbols`` (names), optional ``tolerance``
(exact when absent) and ``derivative_of`` (an expression in the symbols whose
derivative with respect to the first symbol is the answer; a wrong answer is
then diagnosed as the trace's local step of that function would be) and
``domain`` (symbol -> ``positive``, ``negative`` or ``nonzero``: where that
symbol lives; the answer must equal the key there only, so with
``{x: positive}`` ``log(x**2)`` is ``2*log(x)``).

Pure: no Django.
"""

from collections.abc import Mapping
from typing import Any

import sympy

from engine.equivalence import DOMAINS, equivalent
from engine.expressions import ParseError, parse
from engine.graph import local_id
from engine.specs import COMMON_FIELDS, IDENTIFIER, SpecError, prompt_errors
from engine.trace import trace as build_trace
from grader import feedback
from grader.budget import Budget, CellError
from grader.cells import (
    Cell,
    cell_text,
    grade_result,
    invalid_result,
    read_cell,
    read_or_result,
)
from grader.kinds.base import ANSWER, Kind, expected_answer
from grader.misconceptions import symbolic_candidates
from grader.results import CORRECT, INCORRECT, GradeResult, StepResult


class Expression(Kind):
    name = "expression"
    label = "Expression"
    order = 30
    fields = (*COMMON_FIELDS, "symbols", "answer", "derivative_of", "domain")

    def errors(self, spec: Mapping[str, Any]) -> list[SpecError]:
        errors = prompt_errors(spec) + _domain_errors(spec)
        return errors or _expression_errors(spec)

    def symbols(self, concrete: Mapping[str, Any], trace=None) -> tuple[str, ...]:
        return tuple(str(s) for s in concrete.get("symbols") or ())

    def public(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        return {"symbols": list(self.symbols(spec)), "domain": dict(_domain(spec))}

    def summary(self, spec: Mapping[str, Any]) -> str:
        return f"{self.label}: {spec.get('answer')}"

    def answer_key(self, concrete: Mapping[str, Any], trace=None) -> dict[str, str]:
        return {ANSWER: str(expected_answer(concrete))}

    def grade(
        self, concrete: Mapping[str, Any], answers: Mapping[str, Any]
    ) -> GradeResult:
        return grade_expression(concrete, answers)


def _domain(spec: Mapping) -> Mapping[str, str]:
    """Where the symbols live (``domain: {x: positive}``); all reals when absent."""
    return spec.get("domain") or {}


def _domain_errors(spec) -> list[SpecError]:
    domain = spec.get("domain")
    if domain is None:
        return []
    symbols = spec.get("symbols") or []
    if not isinstance(domain, Mapping):
        return [
            SpecError(
                "domain", "domain must map symbols to a domain, e.g. {x: positive}"
            )
        ]
    return [
        SpecError(
            f"domain.{name}",
            f"{name!r} is not a symbol; use {', '.join(map(str, symbols))}"
            if name not in symbols
            else f"unknown domain {where!r}; use {', '.join(DOMAINS)}",
        )
        for name, where in domain.items()
        if name not in symbols or where not in DOMAINS
    ]


def _expression_errors(spec) -> list[SpecError]:
    symbols = spec.get("symbols", [])
    if not isinstance(symbols, list) or not all(
        isinstance(s, str) and IDENTIFIER.match(s) for s in symbols
    ):
        return [SpecError("symbols", "symbols must be a list of names, e.g. [x, v]")]
    answer = spec.get("answer")
    if not isinstance(answer, str) or not answer.strip():
        return [SpecError("answer", "answer must be an expression, e.g. 2*v")]
    try:
        expected = parse(answer, symbols)
    except ParseError as error:
        return [SpecError("answer", f"column {error.column}: {error.message}")]
    return _derivative_of_errors(spec, expected, symbols)


def _derivative_of_errors(spec, expected, symbols) -> list[SpecError]:
    """``derivative_of``: the function whose derivative (with respect to the first
    symbol) the answer is; grading then diagnoses a wrong answer as the trace's
    local step of that function would be."""
    of = spec.get("derivative_of")
    if of is None:
        return []
    if not isinstance(of, str) or not symbols:
        return [
            SpecError(
                "derivative_of",
                "derivative_of must be an expression in the symbols, e.g. v**2",
            )
        ]
    try:
        function = parse(of, symbols)
    except ParseError as error:
        return [SpecError("derivative_of", f"column {error.column}: {error.message}")]
    derivative = function.diff(sympy.Symbol(symbols[0]))
    if equivalent(derivative, expected, symbols, domain=_domain(spec)) is False:
        return [
            SpecError(
                "derivative_of",
                f"the derivative of {of} with respect to {symbols[0]} is not the "
                "answer: check both",
            )
        ]
    return []


def grade_expression(spec: Mapping, answers: Mapping) -> GradeResult:
    symbols = tuple(spec.get("symbols") or ())
    expected = parse(str(expected_answer(spec)), symbols)
    tolerance = spec.get("tolerance")
    cell = read_or_result(
        ANSWER, cell_text(answers.get(ANSWER)), lambda t: read_cell(t, symbols)
    )
    if isinstance(cell, StepResult):
        return grade_result([cell], spec)
    shown = {"interpreted": cell.interpreted, "expected": str(expected)}
    try:
        step = Budget().check(
            lambda: _expression_step(spec, cell, expected, symbols, tolerance, shown)
        )
    except CellError as error:
        step = invalid_result(ANSWER, error)
    return grade_result([step], spec)


def _expression_step(
    spec: Mapping, cell: Cell, expected, symbols, tolerance, shown
) -> StepResult:
    domain = _domain(spec)
    verdict = equivalent(cell.expr, expected, symbols, tolerance, domain)
    if verdict:
        step = StepResult(ANSWER, CORRECT, 1.0, feedback.CORRECT, **shown)
    elif verdict is None:
        step = StepResult(ANSWER, INCORRECT, 0.0, feedback.UNDECIDED, **shown)
    else:
        code = derivative_misconception(spec, cell.expr, symbols, tolerance)
        if code is None and equivalent(
            cell.expr, -expected, symbols, tolerance, domain
        ):
            code = "sign_error"
        of = str(spec.get("derivative_of", ""))
        message = feedback.misconception(code, of) if code else feedback.wrong(ANSWER)
        step = StepResult(ANSWER, INCORRECT, 0.0, message, code, **shown)
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
    step = local_id(out, wrt)
    edge = single_edge(f"{out} = {of}", symbols, step)
    if edge is None:
        return None
    for code, buggy in symbolic_candidates(edge, step):
        if equivalent(answer, buggy, symbols, tolerance, _domain(spec)):
            return code
    return None


def single_edge(program: str, symbols, step_id: str):
    """The trace of a one-operation ``program`` when it has the edge ``step_id``."""
    spec = {"kind": "scalar_trace", "program": program}
    spec["inputs"] = {name: 1.3 for name in symbols}
    edge = build_trace(spec)
    return edge if step_id in edge.symbolic else None


KIND = Expression()
