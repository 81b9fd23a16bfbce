"""A student never receives the answer key before the reveal policy allows it.

"leak-check" has odd decimal inputs, so every computed value of its key
(forward values, local derivatives, gradients) is a number no page would
show by accident. Every page and API answer a student can fetch about it,
after a wrong attempt with attempts left, is searched for those numbers in
the forms a page or JSON would print them.
"""

import json
import re

import pytest
from django.urls import reverse

from courseware.models import Problem
from engine.trace import trace
from tests.security.conftest import LEAK_CHECK, endpoints, url_kwargs
from tests.security.test_authorization import MATRIX

pytestmark = pytest.mark.django_db


def _key_values() -> dict[str, float]:
    """Step id -> value, for the steps whose value is not given in the question."""
    given = {abs(float(v)) for v in LEAK_CHECK["inputs"].values()}
    return {
        step: float(value)
        for step, value in trace(LEAK_CHECK).values.items()
        if abs(float(value)) not in given and abs(float(value)) > 1
    }


def _renderings(value: float) -> set[str]:
    """How a page or JSON might print ``value`` (signs dropped: "-" may be "−")."""
    magnitude = abs(value)
    return {
        repr(magnitude),
        f"{magnitude:.2f}",
        f"{magnitude:.3f}",
        f"{magnitude:.4g}",
        f"{magnitude:.5g}",
        f"{magnitude:.6g}",
    }


def _leaks(text: str) -> dict[str, str]:
    """Key values printed as whole numbers in ``text`` (not "9.47" in "19.473")."""
    found = {}
    for step, value in _key_values().items():
        for shown in _renderings(value):
            if re.search(rf"(?<![\d.]){re.escape(shown)}(?!\d)", text):
                found[step] = shown
    return found


def _student_view(world, role: str = "student") -> dict[str, str]:
    """URL -> body of everything ``role`` can fetch about leak-check and its submission."""
    client = world.client(role)
    bodies = {}
    for endpoint in endpoints():
        if endpoint.name.startswith("admin:") or MATRIX[endpoint.name][0] != "GET":
            continue
        kwargs = url_kwargs(
            world, endpoint, problem=world.leak_check, submission=world.leak_submission
        )
        url = reverse(endpoint.name, kwargs=kwargs)
        response = client.get(url)
        if response.status_code == 200 and not response.streaming:
            bodies[url] = response.content.decode()
    problem_page = reverse(
        "courseware:problem",
        args=[world.course.slug, world.lesson.slug, world.leak_check.slug],
    )
    for url in (
        f"{problem_page}?submission={world.leak_submission.pk}",
        f"/api/v1/submissions/?problem={world.leak_check.pk}",
    ):
        bodies[url] = client.get(url).content.decode()
    validate = client.post(
        f"/api/v1/problems/{world.leak_check.pk}/validate/",
        {"answers": {"forward:u": "x*y", "grad:x": "2*v*y"}},
        content_type="application/json",
    )
    bodies["api validate"] = validate.content.decode()
    page_validate = client.post(
        reverse(
            "courseware:validate",
            args=[world.course.slug, world.lesson.slug, world.leak_check.slug],
        ),
        {"step_id": "grad:x", "text": "2*v*y"},
        content_type="application/json",
    )
    bodies["page validate"] = page_validate.content.decode()
    hint_url = reverse(
        "courseware:hint",
        args=[world.course.slug, world.lesson.slug, world.leak_check.slug],
    )
    for step in ("forward:u", "local:u/x", "grad:v", "grad:x"):
        shown = client.post(
            hint_url, {"step_id": step}, content_type="application/json"
        )
        assert shown.status_code == 200, shown.content
        bodies[f"hint {step}"] = shown.content.decode()
    submitted = client.post(
        "/api/v1/submissions/",
        {"problem": world.leak_check.pk, "answers": {"forward:u": "2"}},
        content_type="application/json",
    )
    assert submitted.status_code == 201, submitted.content
    bodies["api submit"] = submitted.content.decode()
    return bodies


def test_the_detector_sees_values_pages_print():
    assert _leaks(json.dumps({"expected": -3.9867})) == {"forward:u": "3.9867"}
    assert _leaks("∂z/∂x = 20.12") == {"grad:x": "20.12"}
    assert _leaks("x = 1.37, y = -2.91, b = 0.53") == {}
    # A timestamp's seconds are not a key value that happens to be inside them.
    assert _leaks('"created_at": "2026-12-02T14:55:13.98671Z"') == {}


def test_no_answer_key_reaches_a_student_before_the_policy_allows(world):
    assert world.leak_submission.score < 1
    bodies = _student_view(world)
    assert len(bodies) > 15  # pages, API resources, validate and submit answers
    leaked = {url: found for url, body in bodies.items() if (found := _leaks(body))}
    assert leaked == {}


def test_the_key_shows_once_the_policy_allows(world):
    """The same search finds the key when it is meant to be shown: it can fail."""
    Problem.objects.filter(pk=world.leak_check.pk).update(
        reveal_policy=Problem.RevealPolicy.ALWAYS
    )
    world.leak_check.refresh_from_db()
    url = f"/api/v1/submissions/{world.leak_submission.pk}/"
    assert _leaks(world.client("student").get(url).content.decode())


def test_an_instructor_sees_the_key_of_a_students_attempt(world):
    url = f"/api/v1/submissions/{world.leak_submission.pk}/"
    assert _leaks(world.client("instructor").get(url).content.decode())
    assert not _leaks(world.client("student").get(url).content.decode())


def _numbers(data) -> list[float]:
    if isinstance(data, bool) or data is None:
        return []
    if isinstance(data, (int, float)):
        return [float(data)]
    if isinstance(data, dict):
        return [n for value in data.values() for n in _numbers(value)]
    if isinstance(data, list):
        return [n for value in data for n in _numbers(value)]
    return []


def _keys(data) -> set[str]:
    if isinstance(data, dict):
        return set(data) | {k for value in data.values() for k in _keys(value)}
    if isinstance(data, list):
        return {k for value in data for k in _keys(value)}
    return set()


def test_no_problem_of_the_course_gives_its_key_away_in_the_api(world):
    """Every content problem, as the student's variant: given numbers only."""
    from courseware.models import Variant
    from engine.specs import instantiate

    client = world.client("student")
    for problem in world.lesson.problems.all():
        detail = client.get(f"/api/v1/problems/{problem.pk}/").json()
        variant = client.get(f"/api/v1/problems/{problem.pk}/variant/").json()
        assert not {"answer", "correct", "feedback", "expected"} & (
            _keys(detail) | _keys(variant)
        ), problem.slug
        assert "spec" not in detail, problem.slug
        if problem.kind not in ("scalar_trace", "network_trace"):
            continue
        seed = Variant.objects.get(problem=problem, student=world.users["student"]).seed
        spec = instantiate(problem.spec, seed)
        # Problem metadata (pk, points, order) is not part of the question's numbers.
        shown = _numbers({k: v for k, v in variant.items() if k != "problem"})
        given = set(_numbers(variant.get("given")))
        for node in variant["nodes"]:
            if node["op"] not in ("input", "param", "const"):
                assert node["value"] is None, (problem.slug, node)
        for step, value in trace(spec).values.items():
            for number in _numbers(
                value.tolist() if hasattr(value, "tolist") else value
            ):
                if number in given or abs(number) <= 2:
                    continue
                assert number not in shown, (problem.slug, step, number)
