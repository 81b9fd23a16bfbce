"""Database constraints of the courseware models."""

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError

from courseware.models import Course, CourseMembership, Lesson, Problem, ProblemVersion
from courseware.services import submission_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def problem():
    course = Course.objects.create(slug="c", title="C")
    lesson = Lesson.objects.create(course=course, slug="l", title="L")
    spec = {"kind": "numeric", "answer": 2.0}
    problem = Problem.objects.create(
        lesson=lesson, slug="p", title="P", kind="numeric", spec=spec
    )
    ProblemVersion.objects.create(problem=problem, number=1, spec=spec)
    return problem


def test_membership_is_unique_per_course_and_user(problem):
    user = get_user_model().objects.create_user("ann")
    CourseMembership.objects.create(course=problem.lesson.course, user=user)
    with pytest.raises(IntegrityError):
        CourseMembership.objects.create(
            course=problem.lesson.course, user=user, role="instructor"
        )


def test_problem_version_number_is_unique(problem):
    with pytest.raises(IntegrityError):
        ProblemVersion.objects.create(problem=problem, number=1, spec=problem.spec)


def test_reveal_policy_defaults_to_after_attempts(problem):
    assert problem.reveal_policy == Problem.RevealPolicy.AFTER_ATTEMPTS
    assert problem.attempt_limit is None  # unlimited


def test_submission_id_is_a_uuid_and_starts_queued(problem):
    user = get_user_model().objects.create_user("ann")
    submission = submission_create(
        student=user, problem=problem, answers={"answer": "2"}
    )
    assert len(str(submission.id)) == 36
    assert submission.status == "queued"
    assert submission.deliveries == 0
    assert submission.score is None and submission.result is None
