"""``scalar_trace``: a program of scalar assignments (``z = (x*y + b)**2``),
answered forward value, local derivative and gradient, step by step.

Fields: ``program``, ``inputs`` (name -> number), and the trace fields
(``randomize`` over the inputs, ``ask``, ``local_form``, ``weights``,
``carried_credit``, ``hint_penalty``). See docs/contracts.md, contract 1.

Pure: no Django.
"""

from collections.abc import Mapping
from typing import Any

from engine.specs import SCALAR_TRACE_FIELDS, SpecError, scalar_trace_errors
from grader.kinds.base import typed
from grader.kinds.traced import TraceKind


class ScalarTrace(TraceKind):
    name = "scalar_trace"
    label = "Scalar trace"
    order = 10
    fields = SCALAR_TRACE_FIELDS

    def errors(self, spec: Mapping[str, Any]) -> list[SpecError]:
        return scalar_trace_errors(spec)

    def summary(self, spec: Mapping[str, Any]) -> str:
        return str(spec.get("program") or self.label)

    def public(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        local_form = spec.get("local_form", "either")
        return {**super().public(spec), "local_form": local_form}

    def given(self, concrete: Mapping[str, Any], trace) -> list[tuple[str, str]]:
        """The inputs in the order the program uses them (x, y, b), as the lesson
        writes them."""
        used = [p for node in trace.nodes for p in node.parents]
        order = {name: used.index(name) for name in set(used)}
        inputs = sorted(
            (concrete.get("inputs") or {}).items(), key=lambda i: order.get(i[0], 0)
        )
        return [(name, _number(value)) for name, value in inputs]

    def given_data(self, concrete: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "program": concrete.get("program", ""),
            "inputs": concrete.get("inputs", {}),
        }

    def givens_text(self, spec: Mapping[str, Any], seed: int | None) -> str:
        inputs = self.concrete(spec, seed).get("inputs") or {}
        return ", ".join(f"{name} = {typed(value)}" for name, value in inputs.items())


def _number(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


KIND = ScalarTrace()
