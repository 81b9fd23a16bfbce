"""Instructors author problems through the API, with the admin's spec validation; gradebooks."""

import pytest

from courseware import services
from courseware.models import Problem
from grader.services import submission_grade
from tests.api.content import WORK_THIS, make_content, work_this_answers

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


def test_a_problem_is_renamed_and_moved_within_its_course(instructor_api, content):
    lesson, _ = services.lesson_upsert(
        course=content.course, slug="later", title="Later"
    )
    response = instructor_api.patch(
        f"/api/v1/authoring/problems/{content.problem.pk}/",
        {"slug": "chain-rule", "lesson": lesson.pk},
        format="json",
    )
    assert response.status_code == 200, response.content
    content.problem.refresh_from_db()
    assert (content.problem.slug, content.problem.lesson) == ("chain-rule", lesson)
    assert content.problem.version == 1


def test_a_problem_cannot_move_to_another_course(instructor_api, content):
    other = make_content("other")
    response = instructor_api.patch(
        f"/api/v1/authoring/problems/{content.problem.pk}/",
        {"lesson": other.lesson.pk, "slug": "moved"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "lesson",
            "message": "A problem cannot move to a lesson of another course; "
            "duplicate it there instead.",
        }
    ]
    content.problem.refresh_from_db()
    assert (content.problem.slug, content.problem.lesson) == (
        "work-this",
        content.lesson,
    )


def test_a_rename_onto_a_taken_slug_is_a_clear_400(instructor_api, content):
    response = instructor_api.patch(
        f"/api/v1/authoring/problems/{content.problem.pk}/",
        {"slug": "needs"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "slug",
            "message": "This lesson already has a problem 'needs'; pick another slug.",
        }
    ]


def test_a_spec_without_its_own_prompt_is_checked_with_the_problems(
    instructor_api, content
):
    # As the admin and the import check it: the problem's prompt is the question.
    spec = {"kind": "expression", "answer": "2*v", "symbols": ["v"]}
    response = instructor_api.post(
        "/api/v1/authoring/problems/",
        new_problem(content, slug="d", spec=spec, prompt="Differentiate $v^2$."),
        format="json",
    )
    assert response.status_code == 201, response.content
    refused = instructor_api.post(
        "/api/v1/authoring/problems/",
        new_problem(content, slug="e", spec=spec, prompt=""),
        format="json",
    )
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "spec.prompt"


def test_undefined_random_variants_are_refused_as_in_the_admin(instructor_api, content):
    spec = {
        "kind": "scalar_trace",
        "program": "u = x*y\nv = u + b\nz = 1/v\n",
        "inputs": {"x": 2, "y": 3, "b": 1},
        "randomize": {
            "x": {"int": [1, 5]},
            "y": {"int": [1, 5]},
            "b": {"int": [-3, 3]},
        },
    }
    response = instructor_api.post(
        "/api/v1/authoring/problems/", new_problem(content, spec=spec), format="json"
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == "spec.randomize"
    assert "of the first 200 variants are undefined (variant 42: " in error["message"]
    assert not Problem.objects.filter(slug="chain").exists()
