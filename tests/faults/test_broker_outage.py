"""Redis goes down while students submit: the API keeps every submission, the sweeper finishes the job."""

import time
import uuid

import pytest
from rest_framework.test import APIClient

import grader.services
from courseware.models import StepResult, Submission
from grader.tasks import sweep_queued
from tests.faults.conftest import key_answers
from tests.grader.problems import WORK_THIS
from tests.workers import wait_for

pytestmark = [
    pytest.mark.fault,
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
]


def _submit(api: APIClient, problem, answers) -> dict:
    response = api.post(
        "/api/v1/submissions/",
        {"problem": problem.pk, "answers": answers},
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert response.status_code == 201, response.content
    return response.json()


def _graded(ids) -> bool:
    return Submission.objects.filter(pk__in=ids, status="graded").count() == len(ids)


def _worker_consuming(redis) -> bool:
    """The worker has (re)declared its grading queue on this Redis."""
    return bool(redis.exists("_kombu.binding.grading"))


def test_submissions_made_while_redis_is_down_are_stored_and_graded_later(
    own_redis, use_broker, worker_factory, make_problem, student, monkeypatch
):
    use_broker(own_redis.url)
    problem = make_problem("work-this", WORK_THIS)
    answers = key_answers(problem, student)
    api = APIClient()
    api.force_authenticate(student)
    worker = worker_factory(broker_url=own_redis.url)

    # Broker up: graded straight away.
    first = _submit(api, problem, answers)
    wait_for(lambda: _graded([first["id"]]), timeout=60)

    own_redis.stop()
    during = [_submit(api, problem, answers) for _ in range(5)]
    assert {body["status"] for body in during} == {"queued"}
    ids = [body["id"] for body in during]
    stored = Submission.objects.filter(pk__in=ids)
    assert sorted(str(s.pk) for s in stored.filter(status="queued")) == sorted(ids)
    assert all(s.deliveries == 0 for s in stored)

    # The broker restarts empty: every message sent while it was down is gone.
    own_redis.start()
    redis = own_redis.client()
    wait_for(lambda: _worker_consuming(redis), timeout=60)

    # Celery beat runs the sweeper every 30 s; here it runs every 2 s and
    # treats any queued submission as stale.
    monkeypatch.setattr(grader.services, "SWEEP_QUEUED_AFTER", 0)
    last_sweep = [0.0]

    def swept_and_graded() -> bool:
        if time.monotonic() - last_sweep[0] >= 2:
            sweep_queued()
            last_sweep[0] = time.monotonic()
        return _graded(ids)

    wait_for(swept_and_graded, timeout=90, interval=0.1)
    redis.close()

    assert worker.process.poll() is None, "the worker died with the broker"
    steps = len(answers)
    for submission in Submission.objects.filter(pk__in=ids):
        assert submission.score == 1.0
        assert StepResult.objects.filter(submission=submission).count() == steps
    for body in during:
        detail = api.get(f"/api/v1/submissions/{body['id']}/").json()
        assert detail["status"] == "graded"


def test_with_redis_down_sign_in_and_submit_still_work_unthrottled(
    own_redis, use_broker, make_problem, student, settings
):
    """Throttle counts live in Redis too: when it is down they are skipped, not a 500."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": own_redis.url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    use_broker(own_redis.url)
    problem = make_problem("work-this", WORK_THIS)
    answers = key_answers(problem, student)
    own_redis.stop()

    api = APIClient()
    response = api.post(
        "/api/v1/auth/token/",
        {"username": "ada", "password": "pw-ada-1"},
        format="json",
    )
    assert response.status_code == 201, response.content
    api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    body = _submit(api, problem, answers)
    assert body["status"] == "queued"
    submission = Submission.objects.get(pk=body["id"])
    assert submission.sent_at is None  # the sweeper sends it once Redis is back
