"""One student submitting from several tabs at once while a worker claims: no deadlock, no 500.

Submitting locks the student's variant and, at commit, key-shares the
problem version (the deferred foreign-key check); the worker's claim used to
lock the problem version and the variant too, in the other order, and
PostgreSQL broke the deadlock by failing one side with a 500.
"""

import json
import threading
import urllib.error
import urllib.request
import uuid

import pytest
from knox.models import AuthToken

from courseware.models import Submission
from tests.faults.conftest import key_answers
from tests.grader.problems import WORK_THIS
from tests.workers import wait_for

pytestmark = [
    pytest.mark.fault,
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
]

THREADS = 4
POSTS_EACH = 40


def test_concurrent_submissions_of_one_student_never_fail(
    live_server, worker_factory, broker_url, use_broker, make_problem, student, settings
):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"submit": None, "validate": None, "token": None},
    }
    use_broker(broker_url)
    worker_factory(broker_url=broker_url, WORKER_CONCURRENCY="2")
    problem = make_problem("work-this", WORK_THIS)
    answers = key_answers(problem, student)
    _, token = AuthToken.objects.create(student)
    statuses: list[int] = []
    lock = threading.Lock()

    def post() -> int:
        request = urllib.request.Request(
            f"{live_server.url}/api/v1/submissions/",
            data=json.dumps({"problem": problem.pk, "answers": answers}).encode(),
            headers={
                "Authorization": f"Token {token}",
                "Content-Type": "application/json",
                "Idempotency-Key": str(uuid.uuid4()),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def tab() -> None:
        for _ in range(POSTS_EACH):
            status = post()
            with lock:
                statuses.append(status)

    threads = [threading.Thread(target=tab) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(set(statuses)) == [201], {s: statuses.count(s) for s in set(statuses)}
    ids = list(Submission.objects.filter(student=student).values_list("pk", flat=True))
    assert len(ids) == THREADS * POSTS_EACH
    # Attempts were counted in turn: 1..N, each once.
    attempts = sorted(
        Submission.objects.filter(pk__in=ids).values_list("attempt", flat=True)
    )
    assert attempts == list(range(1, len(ids) + 1))
    wait_for(
        lambda: (
            Submission.objects.filter(pk__in=ids, status="graded").count() == len(ids)
        ),
        timeout=120,
    )
