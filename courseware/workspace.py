"""What a student works with for one variant of a problem: cells, symbols, givens, graph.

Shared by the problem page and the REST API. Derived from (spec, seed) only and
cached, since a spec never changes under a version and tracing costs a few ms.
Everything that differs between kinds comes from the problem's kind
(``grader.kinds``); the answer part of the page is the kind's template,
``courseware/kinds/<kind>.html``. Never holds the key's correct flags or
feedback of choice options.
"""

import json
from functools import lru_cache

from courseware.forms import matrix_shapes, trace_cells
from courseware.models import Problem
from grader import kinds


def problem_workspace(problem: Problem, seed: int | None) -> dict:
    """What the problem page shows for one variant: cells, symbols, given values, graph."""
    spec_json = json.dumps(problem.spec, sort_keys=True)
    return _workspace_cached(problem.kind, spec_json, seed)


def answer_template(kind_name: str) -> str:
    """The template of a kind's answer form on the problem page."""
    return f"courseware/kinds/{kinds.get(kind_name).name}.html"


@lru_cache(maxsize=256)
def _workspace_cached(kind_name: str, spec_json: str, seed: int | None) -> dict:
    kind = kinds.get(kind_name)
    raw = json.loads(spec_json)
    spec = kind.concrete(raw, seed)
    trace = kind.trace(spec)
    step_ids = kind.step_ids(spec, trace)
    workspace = {
        "kind": kind.name,
        "template": answer_template(kind.name),
        "trace": trace,
        "cells": [],
        "step_ids": step_ids,
        "symbols": list(kind.symbols(spec, trace)),
        "given": kind.given(spec, trace),
        "example_given": [],  # the spec's own numbers, when this variant's differ
        "options": kind.options(spec),
        "multiple": bool(spec.get("multiple")),
    }
    if trace is not None:
        workspace["cells"] = trace_cells(
            step_ids, trace.output, matrix_shapes(trace.values)
        )
    if seed is not None and "randomize" in raw:
        example = kind.given(kind.concrete(raw, None), trace)
        if example != workspace["given"]:
            workspace["example_given"] = example
    return workspace
