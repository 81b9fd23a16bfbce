"""Submission, validation and token endpoints are rate limited: 429 with Retry-After."""

import pytest

from tests.api.content import work_this_answers

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "submit": "2/min",
            "validate": "3/min",
            "token": "2/min",
        },
    }


def test_validate_is_throttled(student_api, content, low_rates):
    url = f"/api/v1/problems/{content.problem.pk}/validate/"
    codes = [
        student_api.post(
            url, {"answers": {"forward:u": "6"}}, format="json"
        ).status_code
        for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]


def test_submissions_are_throttled_but_reading_them_is_not(
    student_api, content, low_rates
):
    codes = [
        student_api.post(
            "/api/v1/submissions/",
            {"problem": content.problem.pk, "answers": work_this_answers()},
            format="json",
        ).status_code
        for _ in range(3)
    ]
    assert codes == [201, 201, 429]
    assert student_api.get("/api/v1/submissions/").status_code == 200


def test_throttled_responses_say_when_to_retry(student_api, content, low_rates):
    for _ in range(3):
        response = student_api.post(
            "/api/v1/submissions/",
            {"problem": content.problem.pk, "answers": work_this_answers()},
            format="json",
        )
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "throttled" in response.json()["errors"][0]["message"].lower()


def test_token_requests_are_throttled(api, student, low_rates):
    codes = [
        api.post(
            "/api/v1/auth/token/",
            {"username": "ada", "password": "guess"},
            format="json",
        ).status_code
        for _ in range(3)
    ]
    assert codes == [400, 400, 429]
