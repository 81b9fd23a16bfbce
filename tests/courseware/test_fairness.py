"""courseware.fairness: a cap on each student's work in flight, and grading priorities."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

import config.celery
from courseware import fairness, problem_saving, services
from courseware.models import Submission

pytestmark = pytest.mark.django_db

SPEC = {
    "kind": "scalar_trace",
    "program": "u = x*y\nv = u + b\nz = v**2\n",
    "inputs": {"x": 2, "y": 3, "b": 1},
}


@pytest.fixture
def problem():
    course, _ = services.course_upsert(slug="dl", title="Deep Learning")
    lesson, _ = services.lesson_upsert(course=course, slug="ca", title="Credit")
    problem, _ = problem_saving.problem_save(
        lesson=lesson, slug="trace", title="T", spec=SPEC, attempt_limit=None
    )
    return problem


@pytest.fixture
def priorities(monkeypatch):
    """The priority of every grading message sent, in order."""
    sent = []

    def send_task(name, args, queue, priority):
        sent.append(priority)

    monkeypatch.setattr(config.celery.app, "send_task", send_task)
    return sent


@pytest.fixture
def submit(problem, django_capture_on_commit_callbacks):
    def submit(student) -> Submission:
        with django_capture_on_commit_callbacks(execute=True):
            return services.submission_create(
                student=student, problem=problem, answers={"forward:u": "6"}
            )

    return submit


def _student(name: str):
    return get_user_model().objects.create_user(name)


def test_a_student_with_too_much_in_flight_is_asked_to_wait(
    submit, priorities, settings
):
    settings.GRADING_MAX_IN_FLIGHT = 2
    ann = _student("ann")
    first, _ = submit(ann), submit(ann)
    with pytest.raises(ValidationError, match="waiting to be graded"):
        submit(ann)
    assert Submission.objects.filter(student=ann).count() == 2  # nothing stored
    assert submit(_student("bob")).attempt == 1  # others are not affected
    Submission.objects.filter(pk=first.pk).update(status=Submission.Status.GRADED)
    assert submit(ann).attempt == 3  # the refused one used no attempt


def test_a_students_backlog_is_graded_behind_others_first_submissions(
    submit, priorities
):
    ann, bob = _student("ann"), _student("bob")
    for _ in range(4):
        submit(ann)
    submit(bob)
    assert priorities == [
        fairness.PRIORITY_NORMAL,
        fairness.PRIORITY_BUSY,
        fairness.PRIORITY_BUSY,
        fairness.PRIORITY_BACKLOG,
        fairness.PRIORITY_NORMAL,  # bob's goes before ann's backlog
    ]
    assert fairness.PRIORITY_NORMAL < fairness.PRIORITY_BUSY  # Redis: lower first


def test_a_student_whose_submissions_failed_goes_to_the_slow_lane(submit, priorities):
    ann = _student("ann")
    failed = submit(ann)
    Submission.objects.filter(pk=failed.pk).update(status=Submission.Status.ERROR)
    submit(ann)
    submit(_student("bob"))
    assert priorities[1:] == [fairness.PRIORITY_SLOW_LANE, fairness.PRIORITY_NORMAL]
