"""What the two trace kinds share: steps, key and graph from ``engine.trace``,
grading by ``grader.follow_through.TraceMarking``.

Pure: no Django.
"""

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from engine import variants
from engine.specs import SpecError, check_variants, undefined_errors
from engine.trace import trace as build_trace
from grader.cells import grade_result, trace_reader, trace_symbols
from grader.follow_through import TraceMarking
from grader.kinds.base import Kind, typed
from grader.results import GradeResult


class TraceKind(Kind):
    """A problem answered step by step on a computation graph."""

    traced = True
    default_ask: ClassVar[tuple[str, ...]] = ("forward", "local", "grad")

    def sound_errors(self, spec: Mapping[str, Any]) -> list[SpecError]:
        return undefined_errors(spec)

    def undefined_variants(
        self, spec: Mapping[str, Any], seeds: Iterable[int]
    ) -> list[tuple[int, str]]:
        return check_variants(spec, seeds) if spec.get("randomize") else []

    def variant_flaws(self, spec: Mapping[str, Any], seed: int) -> list[str]:
        return variants.variant_flaws(spec, seed)

    def ask(self, spec: Mapping[str, Any]) -> tuple[str, ...]:
        """The step families asked (``ask``, else the kind's default)."""
        return tuple(spec.get("ask") or self.default_ask)

    def trace(self, concrete: Mapping[str, Any]):
        return build_trace(concrete)

    def step_ids(self, concrete: Mapping[str, Any], trace=None) -> list[str]:
        trace = trace if trace is not None else self.trace(concrete)
        return list(trace.steps(self.ask(concrete)))

    def symbols(self, concrete: Mapping[str, Any], trace=None) -> tuple[str, ...]:
        trace = trace if trace is not None else self.trace(concrete)
        return trace_symbols(trace)

    def public(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        return {"ask": list(self.ask(spec))}

    def reader(self, concrete: Mapping[str, Any], trace=None):
        trace = trace if trace is not None else self.trace(concrete)
        return trace_reader(concrete, trace)

    def answer_key(self, concrete: Mapping[str, Any], trace=None) -> dict[str, str]:
        """Asked steps as numbers (12 significant digits); a local derivative is
        its formula when ``local_form`` is ``symbolic``."""
        key = trace if trace is not None else self.trace(concrete)
        symbolic = concrete.get("local_form") == "symbolic"
        return {
            step: str(key.symbolic[step])
            if symbolic and step in key.symbolic
            else typed(key.values[step])
            for step in self.step_ids(concrete, key)
        }

    def grade(
        self, concrete: Mapping[str, Any], answers: Mapping[str, Any]
    ) -> GradeResult:
        trace = self.trace(concrete)
        steps = self.step_ids(concrete, trace)
        return grade_result(
            TraceMarking(concrete, trace).mark(steps, answers), concrete
        )
