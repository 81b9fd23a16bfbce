"""The API as an LMS integration uses it, end to end, with a real Celery worker grading."""

import pytest
from rest_framework.test import APIClient

from config.celery import app
from courseware.models import Submission
from tests.api.content import work_this_answers
from tests.services import redis_url
from tests.workers import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _broker() -> str | None:
    """Redis when the run is configured for it (CI), else the app's own broker."""
    if app.conf.broker_url.startswith("redis"):
        return redis_url()
    return None


def test_an_lms_walks_the_api_from_token_to_step_results(
    worker_factory, student, content
):
    worker = worker_factory(broker_url=_broker())
    lms = APIClient()

    token = lms.post(
        "/api/v1/auth/token/",
        {"username": "ada", "password": "pw-ada-123"},
        format="json",
    ).json()["token"]
    lms.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    problems = lms.get("/api/v1/problems/", {"course": "dl"}).json()["results"]
    problem = next(p for p in problems if p["kind"] == "scalar_trace")

    variant = lms.get(f"/api/v1/problems/{problem['id']}/variant/").json()
    assert variant["given"]["inputs"] == {"x": 2, "y": 3, "b": 1}

    checked = lms.post(
        f"/api/v1/problems/{problem['id']}/validate/",
        {"answers": {"local:z/v": "2*v"}},
        format="json",
    ).json()
    assert checked["steps"][0]["ok"]

    answers = work_this_answers(**{"forward:u": "5", "forward:v": "6"})
    payload = {"problem": problem["id"], "answers": answers}
    first = lms.post(
        "/api/v1/submissions/",
        payload,
        format="json",
        headers={"Idempotency-Key": "a1"},
    )
    retry = lms.post(
        "/api/v1/submissions/",
        payload,
        format="json",
        headers={"Idempotency-Key": "a1"},
    )
    assert (first.status_code, retry.status_code) == (201, 200)
    assert first.json()["id"] == retry.json()["id"]
    assert Submission.objects.count() == 1

    url = f"/api/v1/submissions/{first.json()['id']}/"

    def graded():
        body = lms.get(url).json()
        return body if body["status"] == "graded" else None

    result = wait_for(graded, timeout=90)
    steps = {step["id"]: step for step in result["steps"]}
    assert steps["forward:u"]["status"] == "incorrect", worker.log()
    assert steps["forward:v"]["status"] == "carried"
    assert steps["grad:x"]["status"] == "correct"
    assert 0 < result["score"] < 1
    assert all("expected" not in step for step in result["steps"])
