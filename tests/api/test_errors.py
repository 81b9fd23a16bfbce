"""Bad input always gets a 4xx with {"errors": [{"field", "message"}]}, never a 500."""

import pytest

pytestmark = pytest.mark.django_db

BAD_SUBMISSIONS = [
    ({}, "problem"),
    ({"problem": "x", "answers": {"forward:u": "1"}}, "problem"),
    ({"problem": 1, "answers": []}, "answers"),
    ({"problem": 1, "answers": {}}, "answers"),
    ({"problem": 1, "answers": {"forward:u": ["1"]}}, "answers.forward:u"),
    ({"problem": 1, "answers": {"forward:u": "1" * 1001}}, "answers.forward:u"),
    ({"problem": 1, "answers": {"forward:u": None}}, "answers.forward:u"),
]


@pytest.mark.parametrize(("payload", "field"), BAD_SUBMISSIONS)
def test_bad_submissions_name_the_field(student_api, content, payload, field):
    if payload.get("problem") == 1:
        payload = {**payload, "problem": content.problem.pk}
    response = student_api.post("/api/v1/submissions/", payload, format="json")
    assert 400 <= response.status_code < 500, response.content
    errors = response.json()["errors"]
    assert errors and all(error["message"] for error in errors)
    if field:
        assert errors[0]["field"] == field


def test_an_unknown_step_is_a_400_from_the_service(student_api, content):
    response = student_api.post(
        "/api/v1/submissions/",
        {"problem": content.problem.pk, "answers": {"forward:nope": "1"}},
        format="json",
    )
    assert response.status_code == 400
    assert "not a step" in response.json()["errors"][0]["message"]


def test_malformed_json_is_a_400(student_api, content):
    response = student_api.post(
        "/api/v1/submissions/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] is None


def test_unknown_problem_and_submission_are_404_json(student_api, content):
    assert student_api.get("/api/v1/problems/999999/").json()["errors"]
    response = student_api.get("/api/v1/submissions/not-a-uuid/")
    assert response.status_code == 404
    response = student_api.get(
        "/api/v1/submissions/00000000-0000-0000-0000-000000000000/"
    )
    assert response.status_code == 404 and response.json()["errors"]


def test_bad_list_filters_are_400(student_api, content):
    response = student_api.get("/api/v1/submissions/", {"problem": "abc"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "problem"


@pytest.mark.parametrize(
    "text",
    [
        "",
        ")",
        "2**99999999",
        "(" * 400,
        "x" * 1000,
        "__import__('os')",
        "\x00",
        "1e999999",
    ],
)
def test_validate_never_fails_on_hostile_text(student_api, content, text):
    response = student_api.post(
        f"/api/v1/problems/{content.problem.pk}/validate/",
        {"answers": {"forward:u": text}},
        format="json",
    )
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        step = response.json()["steps"][0]
        assert step["ok"] or step["message"]


def test_an_overlong_idempotency_key_is_refused(student_api, content):
    response = student_api.post(
        "/api/v1/submissions/",
        {"problem": content.problem.pk, "answers": {"forward:u": "6"}},
        format="json",
        headers={"Idempotency-Key": "k" * 101},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
