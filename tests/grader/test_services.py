"""submission_grade stores each grade exactly once, whatever the deliveries."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from courseware.models import StepResult, Submission
from grader import services
from grader.services import (
    MAX_DELIVERIES,
    submission_fail,
    submission_grade,
    submission_graded,
    submissions_sweep,
)
from tests.grader.problems import WORK_THIS_KEY

pytestmark = pytest.mark.django_db


def test_a_queued_submission_is_graded_and_its_steps_stored(make_submission):
    submission = make_submission({**WORK_THIS_KEY, "grad:x": "3"})
    assert submission_grade(submission_id=submission.pk) is not None
    submission.refresh_from_db()
    assert submission.status == "graded"
    assert submission.deliveries == 1
    assert submission.graded_at is not None
    assert submission.score == pytest.approx(12 / 13)
    assert submission.result["outcome"] == "graded"
    step = next(s for s in submission.result["steps"] if s["id"] == "grad:x")
    assert step["expected"] == "42"  # stored in full; courseware decides what to show
    rows = StepResult.objects.filter(submission=submission)
    assert rows.count() == 13
    assert rows.get(step_id="grad:x").misconception == "upstream_dropped"


def test_a_redelivery_changes_nothing(make_submission):
    submission = make_submission(WORK_THIS_KEY)
    submission_grade(submission_id=submission.pk)
    first = Submission.objects.get(pk=submission.pk)
    assert submission_grade(submission_id=submission.pk) is None
    again = Submission.objects.get(pk=submission.pk)
    assert again.graded_at == first.graded_at
    assert again.deliveries == 1
    assert StepResult.objects.filter(submission=submission).count() == 13


def test_a_submission_whose_worker_died_is_graded_on_redelivery(make_submission):
    # The first delivery claimed it (status grading) and its worker was killed.
    submission = make_submission(WORK_THIS_KEY, status="grading", deliveries=1)
    submission_grade(submission_id=submission.pk)
    submission.refresh_from_db()
    assert (submission.status, submission.deliveries, submission.score) == (
        "graded",
        2,
        1.0,
    )


def test_a_poison_submission_stops_after_max_deliveries(make_submission, caplog):
    submission = make_submission(
        WORK_THIS_KEY, status="grading", deliveries=MAX_DELIVERIES
    )
    assert submission_grade(submission_id=submission.pk) is None
    submission.refresh_from_db()
    assert submission.status == "error"
    assert submission.score is None
    assert "staff" in submission.result["message"]
    assert "Traceback" not in submission.result["message"]
    assert "delivered 4 times" in caplog.text


def test_a_crash_in_grading_is_an_error_result_not_an_exception(
    make_submission, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "grade", broken)
    submission = make_submission(WORK_THIS_KEY)
    submission_grade(submission_id=submission.pk)
    submission.refresh_from_db()
    assert submission.status == "error"
    assert "boom" not in str(submission.result)
    assert "boom" in caplog.text


def test_a_time_limit_propagates_and_fail_marks_error(make_submission, monkeypatch):
    from celery.exceptions import SoftTimeLimitExceeded

    def slow(*args, **kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(services, "grade", slow)
    submission = make_submission(WORK_THIS_KEY)
    with pytest.raises(SoftTimeLimitExceeded):
        submission_grade(submission_id=submission.pk)
    submission_fail(submission_id=submission.pk, message="too slow")
    submission.refresh_from_db()
    assert (submission.status, submission.result["message"]) == ("error", "too slow")
    # A final submission is never overwritten.
    assert submission_fail(submission_id=submission.pk, message="again") is None


def test_an_unknown_submission_is_ignored():
    import uuid

    assert submission_grade(submission_id=uuid.uuid4()) is None


def test_invalid_outcome_is_stored_as_graded(make_submission):
    submission = make_submission({"forward:u": "6 +"})
    submission_grade(submission_id=submission.pk)
    submission.refresh_from_db()
    assert submission.status == "graded"
    assert submission.result["outcome"] == "invalid"


@pytest.mark.django_db(transaction=True)
def test_submission_graded_is_sent_once_after_commit(make_submission):
    received = []

    def receiver(sender, submission, **kwargs):
        received.append((submission.pk, submission.status))

    submission_graded.connect(receiver)
    try:
        submission = make_submission(WORK_THIS_KEY)
        submission_grade(submission_id=submission.pk)
        submission_grade(submission_id=submission.pk)
    finally:
        submission_graded.disconnect(receiver)
    assert received == [(submission.pk, "graded")]


@pytest.mark.django_db(transaction=True)
def test_a_failing_receiver_does_not_undo_grading(make_submission, caplog):
    def receiver(sender, submission, **kwargs):
        raise ConnectionError("LMS down")

    submission_graded.connect(receiver)
    try:
        submission = make_submission(WORK_THIS_KEY)
        submission_grade(submission_id=submission.pk)
    finally:
        submission_graded.disconnect(receiver)
    submission.refresh_from_db()
    assert submission.status == "graded"
    assert "LMS down" in caplog.text


@pytest.fixture
def broker(monkeypatch):
    """What the sweeper sees of the broker: sends recorded, queue size set by the test."""

    class Broker:
        sent: list[str] = []
        waiting: int | None = 0
        up = True

    fake = Broker()
    fake.sent = []

    def send(submission_id: str, priority: int = 0) -> bool:
        if fake.up:
            fake.sent.append(submission_id)
        return fake.up

    monkeypatch.setattr("courseware.services._grading_send", send)
    monkeypatch.setattr(services, "queue_size", lambda queue: fake.waiting)
    return fake


def _aged(submission, **ages: timedelta) -> None:
    now = timezone.now()
    Submission.objects.filter(pk=submission.pk).update(
        **{field: now - age for field, age in ages.items()}
    )


def test_sweeper_resends_what_the_broker_refused(make_submission, broker):
    refused = make_submission(WORK_THIS_KEY, sent_at=None)
    _aged(refused, created_at=timedelta(minutes=1))
    just_refused = make_submission(WORK_THIS_KEY, sent_at=None)
    assert submissions_sweep() == [str(refused.pk)]
    refused.refresh_from_db()
    assert refused.sent_at is not None  # sent now: not resent at the next sweep
    assert submissions_sweep() == []
    assert broker.sent == [str(refused.pk)]
    assert str(just_refused.pk) not in broker.sent


def test_sweeper_leaves_sent_messages_waiting_in_a_busy_queue(make_submission, broker):
    broker.waiting = 250  # a backlog: the message is most likely still in it
    waiting = make_submission(WORK_THIS_KEY)
    _aged(waiting, created_at=timedelta(minutes=5), sent_at=timedelta(minutes=5))
    assert submissions_sweep() == []
    # Past RESEND_AFTER, it is sent again whatever the queue holds.
    _aged(waiting, sent_at=timedelta(seconds=services.RESEND_AFTER + 1))
    assert submissions_sweep() == [str(waiting.pk)]


def test_sweeper_resends_sent_messages_when_the_queue_is_empty(make_submission, broker):
    broker.waiting = 0  # a restarted Redis lost everything
    lost = make_submission(WORK_THIS_KEY)
    _aged(lost, created_at=timedelta(minutes=1), sent_at=timedelta(minutes=1))
    recent = make_submission(WORK_THIS_KEY)  # sent a moment ago, may be in flight
    assert submissions_sweep() == [str(lost.pk)]
    broker.waiting = None  # the broker cannot say: only the refused are resent
    _aged(lost, sent_at=timedelta(minutes=1))
    assert submissions_sweep() == []
    assert str(recent.pk) not in broker.sent


def test_sweeper_counts_a_dead_workers_submission_from_its_claim(
    make_submission, broker
):
    orphan = make_submission(WORK_THIS_KEY, status="grading", deliveries=1)
    _aged(
        orphan,
        created_at=timedelta(hours=1),
        claimed_at=timedelta(seconds=services.SWEEP_GRADING_AFTER + 1),
    )
    # Submitted long ago but claimed a moment ago: its worker is still on it.
    running = make_submission(WORK_THIS_KEY, status="grading", deliveries=1)
    _aged(running, created_at=timedelta(hours=1), claimed_at=timedelta(seconds=1))
    poison = make_submission(
        WORK_THIS_KEY, status="grading", deliveries=MAX_DELIVERIES + 1
    )
    _aged(poison, claimed_at=timedelta(hours=1))
    graded = make_submission(WORK_THIS_KEY, status="graded")
    _aged(graded, created_at=timedelta(hours=1), sent_at=timedelta(hours=1))
    assert submissions_sweep() == [str(orphan.pk)]


def test_a_claim_records_when_grading_started(make_submission):
    submission = make_submission(WORK_THIS_KEY)
    before = timezone.now()
    submission_grade(submission_id=submission.pk)
    submission.refresh_from_db()
    assert submission.claimed_at >= before


def test_grade_submission_task_calls_the_service(make_submission):
    from grader.tasks import grade_submission

    submission = make_submission(WORK_THIS_KEY)
    grade_submission.run(str(submission.pk))
    submission.refresh_from_db()
    assert submission.status == "graded"


def test_grade_submission_task_marks_error_on_soft_time_limit(
    make_submission, monkeypatch
):
    from celery.exceptions import SoftTimeLimitExceeded

    from grader import tasks

    def slow(**kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(tasks, "submission_grade", slow)
    submission = make_submission(WORK_THIS_KEY)
    tasks.grade_submission.run(str(submission.pk))
    submission.refresh_from_db()
    assert submission.status == "error"
    assert "too long" in submission.result["message"]


def test_grade_submission_task_retries_database_errors(make_submission, monkeypatch):
    from celery.exceptions import Retry
    from django.db import OperationalError

    from grader import tasks

    def down(**kwargs):
        raise OperationalError("server closed the connection")

    monkeypatch.setattr(tasks, "submission_grade", down)
    retried = []
    monkeypatch.setattr(
        tasks.grade_submission, "retry", lambda **kw: retried.append(kw) or Retry()
    )
    with pytest.raises(Retry):
        tasks.grade_submission.run("00000000-0000-0000-0000-000000000000")
    assert retried and retried[0]["countdown"] >= 1


def test_task_options():
    from django.conf import settings

    from grader.tasks import grade_submission

    assert grade_submission.acks_late is True
    assert grade_submission.soft_time_limit == settings.GRADING_SOFT_TIME_LIMIT
    assert grade_submission.time_limit == settings.GRADING_TIME_LIMIT


def test_queue_size_reads_an_empty_queue_as_zero_not_unknown():
    # Redis drops an empty list, and kombu then answers NOT_FOUND: that is
    # "nothing waiting" (the sweeper may re-send), not "cannot say".
    from config.celery import app

    name = f"sizing-{uuid.uuid4().hex}"
    assert services.queue_size(name) == 0
    with app.connection_for_write() as conn:
        queue = conn.SimpleQueue(name)
        queue.put({"n": 1})
        queue.put({"n": 2})
        assert services.queue_size(name) == 2
        queue.clear()
        queue.close()
    assert services.queue_size(name) == 0
