"""What a student may see of a problem and of their variant: never the key.

A trace problem's given values (inputs, parameters, constants, the program,
the network's weights and target) are the question; every computed value,
local derivative and gradient is an answer and is left out. Single-answer
problems show their prompt, and a choice problem its options without
``correct`` or ``feedback``.
"""

from typing import Any

import numpy as np
from django.db.models import Q, QuerySet

from courseware import selectors
from courseware.models import Problem, Variant
from courseware.workspace import problem_workspace
from engine.graph import local_id
from grader import kinds

LEAF_OPS = {"input", "param", "const"}


def problems_visible(*, user) -> QuerySet[Problem]:
    """Problems of the user's courses: published ones, and every one in courses they teach."""
    courses = selectors.course_list_for_user(user=user)
    problems = Problem.objects.filter(lesson__course__in=courses)
    if user.is_staff:
        return problems
    teaching = [
        course.pk
        for course in courses
        if selectors.user_is_instructor(user=user, course=course)
    ]
    return problems.filter(Q(published=True) | Q(lesson__course__in=teaching))


def problem_visible_to(*, user, problem: Problem) -> bool:
    """Whether ``problem`` is among ``problems_visible(user=user)``, without a query
    once the user's course role is known (``selectors.with_viewer_role``)."""
    if user.is_staff:
        return True
    course = problem.lesson.course
    if selectors.user_course_role(user=user, course=course) is None:
        return False
    return problem.published or selectors.user_is_instructor(user=user, course=course)


def problem_public(problem: Problem) -> dict[str, Any]:
    """The parts of a spec every student sees, whatever their numbers (the kind's
    ``public``: a trace's ``ask``, an expression's ``symbols``, a choice's options
    without ``correct`` or ``feedback``)."""
    return kinds.get(problem.kind).public(problem.spec or {})


def to_json(value: Any) -> Any:
    """Numbers and numpy arrays as JSON numbers and nested lists."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    return value


def variant_view(*, problem: Problem, seed: int | None) -> dict[str, Any]:
    """The student's own numbers: the graph, the given values and the steps to fill in."""
    view: dict[str, Any] = {
        "problem": problem.pk,
        "kind": problem.kind,
        "prompt": problem.prompt,
        **problem_public(problem),
    }
    kind = kinds.get(problem.kind)
    spec = kind.concrete(problem.spec, seed)
    result = kind.trace(spec)
    if result is None:
        view.update(step_ids=kind.step_ids(spec), nodes=[], edges=[], given={})
        return view
    nodes = []
    edges = []
    for node in result.nodes:
        given = node.op in LEAF_OPS
        nodes.append(
            {
                "name": node.name,
                "op": node.op,
                "label": node.label,
                "parents": list(node.parents),
                "value": to_json(result.node_values[node.name]) if given else None,
            }
        )
        edges.extend(
            {
                "source": parent,
                "target": node.name,
                "step": local_id(node.name, parent),
            }
            for parent in node.parents
        )
    view.update(
        step_ids=kind.step_ids(spec, result),
        nodes=nodes,
        edges=edges,
        given=kind.given_data(spec),
        output=result.output,
    )
    return view


def symbols_for(*, problem: Problem, variant: Variant | None) -> list[str]:
    """Names a student may use in an answer: the graph's node names (with inputs)."""
    seed = variant.seed if variant is not None else None
    return problem_workspace(problem, seed)["symbols"]
