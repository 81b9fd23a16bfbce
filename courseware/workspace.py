"""What a student works with for one variant of a problem: cells, symbols, givens, graph.

Shared by the problem page and the REST API. Derived from (spec, seed) only and
cached, since a spec never changes under a version and tracing costs a few ms.
Never holds the key's correct flags or feedback of choice options.
"""

import json
from functools import lru_cache

from courseware.forms import matrix_shapes, trace_cells
from courseware.models import Problem
from engine.specs import instantiate
from engine.trace import trace as build_trace
from grader.cells import trace_symbols

TRACE_KINDS = {Problem.Kind.SCALAR_TRACE, Problem.Kind.NETWORK_TRACE}
DEFAULT_ASK = ["forward", "local", "grad"]


def problem_workspace(problem: Problem, seed: int | None) -> dict:
    """What the problem page shows for one variant: cells, symbols, given values, graph."""
    spec_json = json.dumps(problem.spec, sort_keys=True)
    return _workspace_cached(problem.kind, spec_json, seed)


@lru_cache(maxsize=256)
def _workspace_cached(kind: str, spec_json: str, seed: int | None) -> dict:
    spec = instantiate(json.loads(spec_json), seed)
    workspace = {
        "kind": kind,
        "trace": None,
        "cells": [],
        "step_ids": ["answer"],
        "symbols": [str(s) for s in spec.get("symbols", [])],
        "given": [],
        "example_given": [],  # the spec's own numbers, when this variant's differ
        "options": [],
        "multiple": bool(spec.get("multiple")),
    }
    if kind in TRACE_KINDS:
        trace = build_trace(spec)
        step_ids = trace.steps(spec.get("ask", DEFAULT_ASK))
        workspace.update(
            trace=trace,
            step_ids=step_ids,
            cells=trace_cells(step_ids, trace.output, matrix_shapes(trace.values)),
            symbols=list(trace_symbols(trace)),
            given=_given(spec, trace),
        )
        if seed is not None and "randomize" in json.loads(spec_json):
            example = _given(instantiate(json.loads(spec_json), None), trace)
            if example != workspace["given"]:
                workspace["example_given"] = example
    elif kind == Problem.Kind.CHOICE:
        letters = "abcdefghijklmnopqrstuvwxyz"
        workspace["options"] = [
            (str(o.get("key", o.get("id", letters[i]))), str(o.get("text", "")))
            for i, o in enumerate(spec.get("options") or ())
        ]  # never ``correct`` or ``feedback``: those are the key
    return workspace


def _given(spec: dict, trace) -> list[tuple[str, str]]:
    """The given numbers of a concrete trace spec, for the "Given" list: inputs in
    the order the program uses them (x, y, b), as the lesson writes them."""
    if spec.get("kind") == Problem.Kind.SCALAR_TRACE:
        used = [p for node in trace.nodes for p in node.parents]
        order = {name: used.index(name) for name in set(used)}
        inputs = sorted(
            spec.get("inputs", {}).items(), key=lambda i: order.get(i[0], 0)
        )
        return [(name, _number(value)) for name, value in inputs]
    given = [("x", json.dumps(spec.get("x")))]
    for index, layer in enumerate(spec.get("layers", []), start=1):
        given.append((f"W{index}", json.dumps(layer.get("W"))))
        if layer.get("b") is not None:
            given.append((f"b{index}", json.dumps(layer.get("b"))))
        given.append((f"activation {index}", str(layer.get("activation", "identity"))))
    given.append(("target", json.dumps(spec.get("target"))))
    given.append(("loss", str(spec.get("loss", "squared_error"))))
    given.append(("convention", str(spec.get("convention", "row"))))
    return given


def _number(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
