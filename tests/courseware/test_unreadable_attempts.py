"""A submission in which no answer could be read costs no attempt, anywhere.

The page, the API and the gradebook all count through
``selectors.COUNTS_AS_ATTEMPT``.
"""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from courseware import selectors, services
from courseware.models import Lesson, Problem, Submission
from grader.services import submission_grade

LESSON, PROBLEM = "credit-assignment", "power-rule-local"  # expression, 3 attempts
UNREADABLE = "2*)v("


@pytest.fixture
def student(db):
    call_command("import_content", "content/", verbosity=0)
    user = get_user_model().objects.create_user("ada", password="pw-for-tests-1")
    services.course_enrol(course=Lesson.objects.get(slug=LESSON).course, user=user)
    return user


def page_url() -> str:
    course = Lesson.objects.get(slug=LESSON).course
    return reverse("courseware:problem", args=[course.slug, LESSON, PROBLEM])


def submit_on_page(client: Client, answer: str) -> Submission:
    data = {"answer": answer, "idempotency_key": timezone.now().isoformat()}
    assert client.post(page_url(), data).status_code == 302
    submission = Submission.objects.order_by("-created_at").first()
    submission_grade(submission_id=submission.id)
    submission.refresh_from_db()
    return submission


@pytest.fixture
def unreadable(student) -> Submission:
    client = Client()
    client.force_login(student)
    submission = submit_on_page(client, UNREADABLE)
    assert submission.result["outcome"] == "invalid"  # nothing could be read
    return submission


def test_the_page_keeps_the_attempt_and_does_not_call_it_graded(student, unreadable):
    client = Client()
    client.force_login(student)
    page = client.get(page_url()).content.decode()
    assert "None of the answers could be read" in page
    assert "Attempts left: 3" in page
    assert "graded, 0%" not in page
    assert re.search(r"Unreadable submission</a>:\s*not counted", page)
    assert "does not count as an attempt" in page


def test_the_next_readable_submission_is_attempt_1(student, unreadable):
    client = Client()
    client.force_login(student)
    submission = submit_on_page(client, "3*v")
    assert submission.attempt == 1
    page = client.get(page_url()).content.decode()
    assert "Attempts left: 2" in page
    assert page.count(">Attempt 1</a>") == 1


def test_status_json_says_not_counted(student, unreadable):
    client = Client()
    client.force_login(student)
    url = reverse("courseware:submission-status", args=[unreadable.id])
    data = client.get(url).json()
    assert data["counted"] is False and data["attempt"] is None
    assert data["attempts_left"] == 3
    assert data["history"][0]["status"] == "not counted"


def test_the_api_does_not_count_it(student, unreadable):
    api = APIClient()
    api.force_authenticate(student)
    data = api.get(f"/api/v1/submissions/{unreadable.id}/").json()
    assert data["counts_as_attempt"] is False
    assert data["attempt"] is None


def test_the_gradebook_does_not_count_it(student, unreadable):
    problem = Problem.objects.get(slug=PROBLEM)
    (row,) = selectors.problem_gradebook_rows(problem=problem)
    assert row.attempts == 0
    assert row.best_score is None


def test_a_queued_submission_holds_its_attempt(student):
    problem = Problem.objects.get(slug=PROBLEM)
    services.submission_create(
        student=student, problem=problem, answers={"answer": "v"}
    )
    assert selectors.attempts_left(student=student, problem=problem) == 2


def test_unreadable_submissions_never_exhaust_the_limit(student):
    problem = Problem.objects.get(slug=PROBLEM)
    for _ in range(problem.attempt_limit + 2):
        submission = services.submission_create(
            student=student, problem=problem, answers={"answer": UNREADABLE}
        )
        submission_grade(submission_id=submission.id)
    assert selectors.attempts_left(student=student, problem=problem) == 3
