"""A worker SIGKILLed mid-task: Celery beat's sweeper has its submissions graded again.

Nothing is redelivered by the broker here (its visibility timeout is the
default ten minutes): the sweeper finds the submission that was being graded
by the time of its claim, and the ones the dead worker had reserved by an
empty queue, and sends them again.
"""

import signal

import pytest

from courseware.models import Submission
from courseware.services import submission_create
from tests.faults.conftest import LONG_CHAIN, key_answers
from tests.workers import wait_for

pytestmark = [
    pytest.mark.fault,
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
]

FAST_SWEEPS = {
    "GRADING_SOFT_TIME_LIMIT": "4",
    "GRADING_TIME_LIMIT": "5",
    "GRADING_SWEEP_EVERY": "2",
    "GRADING_SWEEP_QUEUED_AFTER": "5",
    "GRADING_SWEEP_GRADING_AFTER": "10",
}


def test_a_submission_cut_off_by_a_killed_worker_is_graded_by_the_sweeper(
    worker_factory, broker_url, use_broker, make_problem, student, tmp_path
):
    use_broker(broker_url)
    problem = make_problem("long-chain", LONG_CHAIN)
    answers = key_answers(problem, student)
    ids = [
        submission_create(student=student, problem=problem, answers=answers).pk
        for _ in range(30)
    ]
    first = worker_factory(broker_url=broker_url, **FAST_SWEEPS)

    def mid_task() -> list:
        return list(
            Submission.objects.filter(pk__in=ids, status="grading").values_list(
                "pk", flat=True
            )
        )

    cut_off = wait_for(mid_task, timeout=60, interval=0.002)
    first.kill(signal.SIGKILL)
    assert Submission.objects.filter(pk__in=ids).exclude(status="graded").exists()

    schedule = tmp_path / "beat-schedule"
    second = worker_factory(
        broker_url=broker_url, args=("-B", "--schedule", str(schedule)), **FAST_SWEEPS
    )

    def all_graded() -> bool:
        return Submission.objects.filter(pk__in=ids, status="graded").count() == len(
            ids
        )

    wait_for(all_graded, timeout=90, interval=0.2)
    for submission in Submission.objects.filter(pk__in=cut_off):
        assert submission.deliveries == 2, second.log()
        assert submission.score == 1.0
