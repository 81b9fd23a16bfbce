"""Courses, lessons, problems, variants and validation, as students and instructors see them."""

import json

import pytest

from courseware.models import Problem

pytestmark = pytest.mark.django_db


def test_courses_are_the_ones_i_am_enrolled_in(student_api, content, django_user_model):
    from tests.api.content import make_content

    make_content(slug="other")
    slugs = [
        course["slug"]
        for course in student_api.get("/api/v1/courses/").json()["results"]
    ]
    assert slugs == ["dl"]
    assert student_api.get("/api/v1/courses/other/").status_code == 404


def test_lessons_and_a_lesson_with_its_problems_and_quizzes(student_api, content):
    lessons = student_api.get("/api/v1/courses/dl/lessons/").json()
    assert [lesson["slug"] for lesson in lessons] == ["credit"]
    lesson = student_api.get("/api/v1/courses/dl/lessons/credit/").json()
    assert lesson["body"] == "# Credit"
    assert lesson["problems"] == [content.problem.pk, content.choice.pk]
    assert lesson["quizzes"][0]["problems"] == [content.problem.pk, content.choice.pk]


def test_a_student_problem_shows_no_key(student_api, content):
    body = student_api.get(f"/api/v1/problems/{content.choice.pk}/").json()
    assert body["kind"] == "choice"
    assert body["public"]["options"] == [
        {"key": "a", "text": "Only the loss"},
        {"key": "b", "text": "Its input and the upstream gradient"},
    ]
    text = json.dumps(body)
    assert "correct" not in text and "feedback" not in text and "spec" not in body


def test_problem_list_filters_by_course_and_lesson(student_api, content):
    listed = student_api.get("/api/v1/problems/", {"course": "dl", "lesson": "credit"})
    assert [p["slug"] for p in listed.json()["results"]] == ["work-this", "needs"]
    assert student_api.get("/api/v1/problems/", {"course": "nope"}).json()["count"] == 0


def test_unpublished_problems_are_hidden_from_students_only(
    student_api, instructor_api, content
):
    Problem.objects.filter(pk=content.choice.pk).update(published=False)
    assert student_api.get(f"/api/v1/problems/{content.choice.pk}/").status_code == 404
    assert (
        instructor_api.get(f"/api/v1/problems/{content.choice.pk}/").status_code == 200
    )


def test_my_variant_has_the_graph_and_given_values_but_no_computed_ones(
    student_api, content
):
    variant = student_api.get(f"/api/v1/problems/{content.problem.pk}/variant/").json()
    assert variant["given"]["inputs"] == {"x": 2, "y": 3, "b": 1}
    assert "forward:z" in variant["step_ids"] and "grad:x" in variant["step_ids"]
    nodes = {node["name"]: node for node in variant["nodes"]}
    assert nodes["x"]["value"] == 2
    assert nodes["u"]["value"] is None and nodes["z"]["value"] is None
    assert {"source": "u", "target": "v", "step": "local:v/u"} in variant["edges"]
    again = student_api.get(f"/api/v1/problems/{content.problem.pk}/variant/").json()
    assert again == variant


def test_validate_shows_how_an_answer_was_read(student_api, content):
    response = student_api.post(
        f"/api/v1/problems/{content.problem.pk}/validate/",
        {"answers": {"local:z/v": "2*v", "forward:u": "2*(x", "grad:x": ""}},
        format="json",
    )
    assert response.status_code == 200
    steps = {step["id"]: step for step in response.json()["steps"]}
    assert steps["local:z/v"]["ok"] and steps["local:z/v"]["latex"] == r"2 \cdot v"
    assert not steps["forward:u"]["ok"]
    assert steps["forward:u"]["column"] is not None and steps["forward:u"]["message"]
    assert not steps["grad:x"]["ok"] and "Empty" in steps["grad:x"]["message"]


def test_validate_a_choice_checks_the_key(student_api, content):
    url = f"/api/v1/problems/{content.choice.pk}/validate/"
    ok = student_api.post(url, {"answers": {"answer": "b"}}, format="json").json()
    bad = student_api.post(url, {"answers": {"answer": "z"}}, format="json").json()
    assert ok["steps"][0]["ok"] and not bad["steps"][0]["ok"]


def test_me_lists_my_roles(instructor_api):
    me = instructor_api.get("/api/v1/me/").json()
    assert me["username"] == "grace"
    assert me["memberships"] == [{"course": "dl", "role": "instructor"}]


def test_anonymous_requests_are_refused_as_json(api, content):
    response = api.get("/api/v1/problems/")
    assert response.status_code in (401, 403)
    assert response.json()["errors"][0]["message"]
