"""A real Celery worker process grades stored submissions, exactly once, even when killed."""

import os
import signal
from datetime import timedelta

import pytest
from django.utils import timezone
from kombu import Connection

from config.celery import app
from courseware.models import StepResult, Submission
from tests.grader.problems import WORK_THIS_KEY
from tests.services import redis_url
from tests.workers import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# A longer chain, so a batch takes long enough to kill a worker in the middle.
LONG_CHAIN = {
    "kind": "scalar_trace",
    "program": "".join(
        f"h{i} = h{i - 1}*w + {i % 3 + 1}\n" for i in range(1, 31)
    ).replace("h0", "x")
    + "z = h30**2\n",
    "inputs": {"x": 0.5, "w": 0.9},
    "ask": ["forward", "local", "grad"],
}


def _broker() -> str | None:
    """Redis when the run is configured for it (CI), else the app's own broker."""
    if app.conf.broker_url.startswith("redis"):
        return redis_url()
    return None


def _enqueue(submissions) -> None:
    for submission in submissions:
        app.send_task(
            "grader.tasks.grade_submission", args=[str(submission.pk)], queue="grading"
        )


def _graded(ids) -> bool:
    return Submission.objects.filter(pk__in=ids, status="graded").count() == len(ids)


def test_a_stored_submission_is_graded_by_a_worker(worker_factory, make_submission):
    worker = worker_factory(broker_url=_broker())
    submission = make_submission({**WORK_THIS_KEY, "forward:v": "8", "forward:z": "64"})
    _enqueue([submission])
    wait_for(lambda: _graded([submission.pk]), timeout=60)
    submission.refresh_from_db()
    assert submission.deliveries == 1, worker.log()
    assert submission.score == pytest.approx(12 / 13)
    assert (
        StepResult.objects.get(submission=submission, step_id="forward:z").status
        == "carried"
    )


def _long_chain_answers() -> dict[str, str]:
    from engine.trace import trace

    values = trace(LONG_CHAIN).values
    answers = {s: repr(float(v)) for s, v in values.items()}
    answers["forward:h1"] = "7"  # one slip, carried through the whole chain
    return answers


def _in_flight(ids) -> Submission | None:
    """A submission a worker has claimed and not stored yet."""
    return Submission.objects.filter(pk__in=ids, status="grading").first()


def _assert_graded_once(ids, steps: int, log: str) -> None:
    for submission in Submission.objects.filter(pk__in=ids):
        assert submission.status == "graded", log
        assert submission.deliveries >= 1
        assert StepResult.objects.filter(submission=submission).count() == steps
        assert len(submission.result["steps"]) == steps
        assert submission.score == pytest.approx((steps - 1) / steps)
    assert StepResult.objects.filter(submission__in=ids).count() == steps * len(ids)


def test_sigkill_of_pool_processes_mid_batch_grades_each_once(
    worker_factory, make_submission
):
    # Redis: the prefork pool talks to its processes over private pipes, so a
    # killed process is replaced and its message is redelivered at once (the
    # filesystem transport's classic pool can deadlock when a process dies).
    url = redis_url()
    worker = worker_factory(broker_url=url, WORKER_CONCURRENCY="2")
    answers = _long_chain_answers()
    batch = [make_submission(answers, spec=LONG_CHAIN) for _ in range(30)]
    ids = [s.pk for s in batch]
    with Connection(url) as connection:
        for submission in batch:
            app.send_task(
                "grader.tasks.grade_submission",
                args=[str(submission.pk)],
                queue="grading",
                connection=connection,
            )

    in_flight = wait_for(lambda: _in_flight(ids), timeout=60, interval=0.002)
    for pid in worker.pool_pids():
        os.kill(pid, signal.SIGKILL)
    killed_at = timezone.now()

    wait_for(lambda: _graded(ids), timeout=120)
    _assert_graded_once(ids, len(answers), worker.log())
    # The one seen mid-grading either finished just before the kill, or was
    # redelivered and graded by the replacement process.
    in_flight.refresh_from_db()
    assert in_flight.graded_at <= killed_at or in_flight.deliveries >= 2, worker.log()


def test_sigkill_of_the_whole_worker_mid_batch_then_sweep(
    worker_factory, make_submission
):
    """A dead worker's unacknowledged messages may be gone; the sweeper resends them."""
    from grader.services import submissions_sweep

    worker = worker_factory(broker_url=_broker())
    answers = _long_chain_answers()
    batch = [make_submission(answers, spec=LONG_CHAIN) for _ in range(20)]
    ids = [s.pk for s in batch]
    _enqueue(batch)
    wait_for(lambda: _in_flight(ids), timeout=60, interval=0.002)
    worker.kill(signal.SIGKILL)

    replacement = worker_factory(broker_url=_broker())
    # Everything not yet graded counts as stale an hour from now.
    submissions_sweep(now=timezone.now() + timedelta(hours=1))
    wait_for(lambda: _graded(ids), timeout=120)
    _assert_graded_once(ids, len(answers), replacement.log())
