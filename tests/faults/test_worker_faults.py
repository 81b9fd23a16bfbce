"""Workers that die: nothing is lost, nothing is graded twice, a poison stops looping.

Real ``celery -A config worker`` processes grade submissions made by
``courseware.services.submission_create`` (which enqueues after commit), on a
private Redis.
"""

import os
import time
from pathlib import Path

import pytest
from django.utils import timezone

import grader.services
from courseware.models import StepResult, Submission
from courseware.services import submission_create
from grader import feedback
from grader.services import MAX_DELIVERIES
from grader.tasks import sweep_queued
from tests.faults.conftest import LONG_CHAIN, key_answers
from tests.grader.problems import WORK_THIS
from tests.workers import wait_for

pytestmark = [
    pytest.mark.fault,
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
]

# Seconds after which Redis hands an unacknowledged message to another worker.
VISIBILITY_TIMEOUT = 5
POISON_HOOK = Path(__file__).resolve().parent / "poison_hook"
POISON = "1/0 -- this answer kills the grading process"


def _statuses(ids) -> dict:
    return dict(Submission.objects.filter(pk__in=ids).values_list("pk", "status"))


def _all_final(ids) -> bool:
    final = Submission.objects.filter(pk__in=ids, status__in=["graded", "error"])
    return final.count() == len(ids)


def _abandoned_messages_expired(redis_url: str) -> bool:
    """Every message the dead worker had taken is older than the visibility timeout."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        taken = client.zrange("unacked_index", 0, -1, withscores=True)
    finally:
        client.close()
    return all(score < time.time() - VISIBILITY_TIMEOUT for _, score in taken)


def _mid_batch(ids) -> bool:
    """Some submissions are graded, and one is being graded right now."""
    submissions = Submission.objects.filter(pk__in=ids)
    graded = submissions.filter(status="graded").count()
    return graded >= 5 and submissions.filter(status="grading").exists()


class Beat:
    """Runs the sweeper every few seconds while a test waits, as Celery beat would."""

    def __init__(self, every: float = 3.0):
        self.every = every
        self.last = time.monotonic()

    def tick(self) -> None:
        if time.monotonic() - self.last >= self.every:
            sweep_queued()
            self.last = time.monotonic()


def test_worker_killed_mid_batch_grades_every_submission_exactly_once(
    worker_factory, broker_url, use_broker, make_problem, student
):
    use_broker(broker_url)
    problem = make_problem("long-chain", LONG_CHAIN)
    answers = {**key_answers(problem, student), "forward:h1": "7"}
    ids = [
        submission_create(student=student, problem=problem, answers=answers).pk
        for _ in range(60)
    ]
    env = {
        "WORKER_CONCURRENCY": "2",
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
    }
    first = worker_factory(broker_url=broker_url, **env)
    wait_for(lambda: _mid_batch(ids), timeout=60, interval=0.002)
    first.kill()  # SIGKILL to the worker's whole process group: parent and pool

    at_kill = _statuses(ids)
    done_at_kill = [pk for pk, status in at_kill.items() if status == "graded"]
    cut_off = [pk for pk, status in at_kill.items() if status == "grading"]
    assert len(done_at_kill) < len(ids), "the batch finished before the kill"

    # Messages the dead worker had taken come back once their visibility
    # timeout has passed; a new worker restores them when it starts.
    wait_for(lambda: _abandoned_messages_expired(broker_url), timeout=30)
    second = worker_factory(broker_url=broker_url, **env)
    beat = Beat()

    def all_graded() -> bool:
        beat.tick()
        return _all_final(ids)

    wait_for(all_graded, timeout=120, interval=0.1)

    steps = len(answers)
    graded = Submission.objects.filter(pk__in=ids)
    assert {s.status for s in graded} == {"graded"}, second.log()
    for submission in graded:
        step_ids = list(
            StepResult.objects.filter(submission=submission).values_list(
                "step_id", flat=True
            )
        )
        assert sorted(step_ids) == sorted(answers), submission.pk
        assert len(submission.result["steps"]) == steps
        assert submission.score == pytest.approx((steps - 1) / steps)
    assert StepResult.objects.filter(submission__in=ids).count() == steps * len(ids)
    # Those cut off mid-grading were delivered again; finished ones were not.
    for submission in graded.filter(pk__in=cut_off):
        assert submission.deliveries >= 2, second.log()
    for submission in graded.filter(pk__in=done_at_kill):
        assert submission.deliveries == 1


def test_poison_submission_is_marked_error_and_the_rest_are_graded(
    worker_factory, broker_url, use_broker, make_problem, student
):
    use_broker(broker_url)
    problem = make_problem("work-this", WORK_THIS)
    good = key_answers(problem, student)
    before = [
        submission_create(student=student, problem=problem, answers=good).pk
        for _ in range(5)
    ]
    poison = submission_create(
        student=student, problem=problem, answers={**good, "forward:u": POISON}
    )
    after = [
        submission_create(student=student, problem=problem, answers=good).pk
        for _ in range(5)
    ]
    python_path = os.pathsep.join(
        p for p in (str(POISON_HOOK), os.environ.get("PYTHONPATH")) if p
    )
    worker = worker_factory(
        broker_url=broker_url,
        WORKER_CONCURRENCY="2",
        PYTHONPATH=python_path,
        TRACEGRADE_POISON=POISON,
    )
    ids = [*before, poison.pk, *after]
    wait_for(lambda: _all_final(ids), timeout=120)

    poison.refresh_from_db()
    assert poison.status == "error", worker.log()
    assert poison.deliveries == MAX_DELIVERIES + 1
    assert poison.score is None
    assert poison.result["outcome"] == "error"
    assert feedback.GAVE_UP in str(poison.result)
    # Each delivery but the last killed a pool process.
    deaths = worker.log().count("exited with 'signal 9 (SIGKILL)'")
    assert deaths == MAX_DELIVERIES, worker.log()
    others = Submission.objects.filter(pk__in=[*before, *after])
    assert {(s.status, s.score, s.deliveries) for s in others} == {("graded", 1.0, 1)}


def test_sweeper_leaves_a_poison_alone_once_it_is_marked_error(
    make_problem, student, monkeypatch
):
    """A sweep after the give-up does not start the loop again."""
    problem = make_problem("work-this", WORK_THIS)
    sent = []
    monkeypatch.setattr(
        "courseware.services._grading_send",
        lambda submission_id, priority=0: sent.append(submission_id) or True,
    )
    submission = submission_create(
        student=student, problem=problem, answers=key_answers(problem, student)
    )
    Submission.objects.filter(pk=submission.pk).update(
        status="grading", deliveries=MAX_DELIVERIES, claimed_at=timezone.now()
    )
    monkeypatch.setattr(grader.services, "SWEEP_GRADING_AFTER", 0)
    assert sweep_queued() == 1  # deliveries left: one more try
    assert grader.services.submission_grade(submission_id=submission.pk) is None
    submission.refresh_from_db()
    assert (submission.status, submission.deliveries) == ("error", MAX_DELIVERIES + 1)
    assert sweep_queued() == 0
