"""What the two trace kinds share: steps, key and graph from ``engine.trace``,
grading by ``grader.follow_through.TraceMarking``.

Pure: no Django.
"""

import json
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import numpy as np

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
        """The key of one concrete problem, traced once per process (see ``_Traces``)."""
        return _TRACES.get(concrete)

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


class _Traces:
    """The last ``size`` traces, by the concrete spec's JSON (``_exact`` for
    values JSON has no form for: two specs share a key only when equal). A variant's key is traced by every grading
    and page of it; tracing costs about a millisecond.

    A ``Trace`` is frozen, and the numpy arrays of a cached one are made
    read-only, so no grading can change the key another one reads. A spec that
    cannot be traced raises each time (nothing is stored).
    """

    def __init__(self, size: int):
        self.size = size
        self.traces: OrderedDict[str, Any] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, concrete: Mapping[str, Any]):
        key = json.dumps(concrete, sort_keys=True, default=_exact)
        with self.lock:
            found = self.traces.get(key)
            if found is not None:
                self.traces.move_to_end(key)
                return found
        trace = build_trace(concrete)
        for mapping in (trace.values, trace.node_values):
            for value in mapping.values():
                if isinstance(value, np.ndarray):
                    value.flags.writeable = False
        with self.lock:
            self.traces[key] = trace
            while len(self.traces) > self.size:
                self.traces.popitem(last=False)
        return trace


def _exact(value) -> Any:
    """A JSON form of a value JSON has none for, exact: numpy arrays and numbers
    by their values (their ``repr`` rounds and elides), anything else by ``repr``
    (``Fraction(1, 3)``)."""
    if isinstance(value, np.ndarray | np.generic):
        return value.tolist()
    return repr(value)


_TRACES = _Traces(size=512)
