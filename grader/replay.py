"""The backward pass replayed with the student's own numbers, after grading.

For each gradient, output first, the replay writes the product it is
(``engine.explain``'s chain-rule terms) with the numbers the student believes
(their own answers where readable, else what follows from them: the values
follow-through uses), what that product comes to, and what the student wrote.
The first gradient, in backward order, where the student's value is not what
their own numbers give is where their path diverged.

Bounded: the cells are read exactly as grading reads them, under a
``grader.budget.Budget``; a cell that cannot be read counts as not given.

Pure: no Django.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.explain import Explanation, number
from engine.graph import StepId
from engine.trace import trace as build_trace
from grader import kinds
from grader.budget import Budget
from grader.cells import close
from grader.follow_through import TraceMarking

DIVERGED = "diverged"
FOLLOWS = "follows"
DIFFERS = "differs"  # wrong again later, after an earlier divergence
KEY = "key"  # the right value, though not what the student's own numbers give
NOT_GIVEN = "not_given"


@dataclass(frozen=True)
class ReplayStep:
    """One gradient of the replay: ``text`` is the product with the student's numbers."""

    step_id: str
    node: str
    text: str
    given: str | None  # what the student wrote, as a number; None when not given
    verdict: str  # follows | key | diverged | differs | not_given


def replay(
    spec: Mapping[str, Any],
    answers: Mapping[str, Any],
    seed=None,
    reveal=False,
    budget: Budget | None = None,
):
    """The gradients of a trace problem, output first, with the student's numbers.

    Returns ``[]`` for other kinds. ``spec`` may hold ``randomize`` (``seed``
    picks the variant, as in ``grader.grading.grade``). Before the key may be
    shown (``reveal=False``) the replay holds only what the student wrote: a
    factor they did not give stays a label, and a product's value is shown
    only where it is the student's own answer, so no key value leaks through
    a replay of a partly answered trace. ``budget`` bounds the reading of the
    cells (a grading ``Budget()`` when None).
    """
    kind = kinds.of(spec)
    if not kind.traced:
        return []
    spec = kind.concrete(spec, seed) if "randomize" in spec else spec
    trace = build_trace(spec)
    marking = TraceMarking(spec, trace)
    steps = trace.steps(("forward", "local", "grad"))
    _, _, known = marking.read_all(steps, answers, budget or Budget())
    own = marking.overrides
    explain = Explanation(trace)
    result, diverged = [], False
    for step in trace.steps(("grad",)):
        node = StepId.parse(step).node
        follows = marking.basis.get(step)
        factors = known if reveal else own
        text = f"{explain.label(step)} = {_product(explain, trace, node, factors)}"
        given = own.get(step)
        if follows is not None and (reveal or close(given, follows, marking.tolerance)):
            text += f" = {number(follows)}"
        if given is None:
            verdict = NOT_GIVEN
        elif close(given, follows, marking.tolerance):
            verdict = FOLLOWS
        elif close(given, trace.values[step], marking.tolerance):
            verdict = KEY
        elif not diverged:
            verdict, diverged = DIVERGED, True
        else:
            verdict = DIFFERS
        shown = None if given is None else number(np.asarray(given))
        result.append(ReplayStep(step, node, text, shown, verdict))
    return result


def _product(explain: Explanation, trace, node: str, known) -> str:
    """The chain-rule terms of ``grad:node`` with the student's numbers."""
    if trace.kind == "network_trace":
        return explain.gradient_rule(node)
    terms = []
    for _, up, local in explain.gradient_terms(node):
        upstream = _factor(explain, known, up) if up else "1"
        terms.append(f"{upstream} · {_factor(explain, known, local)}")
    return " + ".join(terms)


def _factor(explain: Explanation, known, step: str) -> str:
    """A factor as a number where ``known`` has it, else its label."""
    if step not in known:
        return f"{explain.label(step)} (not answered)"
    return _wrap(number(known[step]))


def _wrap(text: str) -> str:
    return f"({text})" if text.startswith("-") else text
