"""Instructors author problems through the API, with the admin's spec validation; gradebooks."""

import pytest

from courseware.models import Problem
from grader.services import submission_grade
from tests.api.content import WORK_THIS, work_this_answers

pytestmark = pytest.mark.django_db


def new_problem(content, **changes) -> dict:
    return {
        "lesson": content.lesson.pk,
        "slug": "chain",
        "title": "A chain",
        "spec": {**WORK_THIS, "program": "z = (x*y + b)**2"},
        "prompt": "Trace it.",
        **changes,
    }


def test_an_instructor_creates_and_updates_a_problem(instructor_api, content):
    created = instructor_api.post(
        "/api/v1/authoring/problems/", new_problem(content), format="json"
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["kind"] == "scalar_trace" and body["version"] == 1
    updated = instructor_api.patch(
        f"/api/v1/authoring/problems/{body['id']}/", {"title": "Chain"}, format="json"
    )
    assert updated.status_code == 200
    assert Problem.objects.get(pk=body["id"]).title == "Chain"


def test_a_bad_spec_is_refused_field_by_field(instructor_api, content):
    spec = {**WORK_THIS, "ask": ["forward", "sideways"]}
    response = instructor_api.post(
        "/api/v1/authoring/problems/", new_problem(content, spec=spec), format="json"
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors[0]["field"].startswith("spec.")
    assert errors[0]["message"]


def test_a_spec_that_is_not_an_object_is_refused(instructor_api, content):
    response = instructor_api.post(
        "/api/v1/authoring/problems/", new_problem(content, spec=[1, 2]), format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "spec"


def test_a_duplicate_slug_is_a_clear_400(instructor_api, content):
    response = instructor_api.post(
        "/api/v1/authoring/problems/",
        new_problem(content, slug="work-this"),
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "slug"


def test_changing_an_answered_spec_makes_a_new_version(
    instructor_api, student_api, content
):
    student_api.post(
        "/api/v1/submissions/",
        {"problem": content.problem.pk, "answers": work_this_answers()},
        format="json",
    )
    spec = {**WORK_THIS, "inputs": {"x": 3, "y": 3, "b": 1}}
    response = instructor_api.patch(
        f"/api/v1/authoring/problems/{content.problem.pk}/",
        {"spec": spec},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["version"] == 2


def test_students_cannot_author(student_api, content):
    response = student_api.post(
        "/api/v1/authoring/problems/", new_problem(content), format="json"
    )
    assert response.status_code == 403
    assert (
        student_api.get(f"/api/v1/authoring/problems/{content.problem.pk}/").status_code
        == 403
    )
    assert student_api.get("/api/v1/authoring/problems/").json() == []


@pytest.mark.django_db(transaction=True)
def test_gradebooks_for_instructors_only(instructor_api, student_api, student, content):
    created = student_api.post(
        "/api/v1/submissions/",
        {"problem": content.problem.pk, "answers": work_this_answers()},
        format="json",
    ).json()
    submission_grade(submission_id=created["id"])
    course = instructor_api.get("/api/v1/courses/dl/gradebook/").json()
    assert course == [
        {
            "student_id": student.pk,
            "username": "ada",
            "name": "ada",  # no name known: the username
            "scores": {"work-this": 1.0, "needs": None},
            "points": 2.0,
            "points_possible": 3.0,
        }
    ]
    per_problem = instructor_api.get(
        f"/api/v1/problems/{content.problem.pk}/gradebook/"
    ).json()
    assert per_problem[0]["best_score"] == 1.0 and per_problem[0]["attempts"] == 1
    assert student_api.get("/api/v1/courses/dl/gradebook/").status_code == 403
