"""The quiz cannot be answered from a key revealed in practice.

A client walks the scenario of the penetration test: use up a problem's
attempts in practice, then open the quiz that contains the same problem.
"""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from courseware import selectors, services
from courseware.models import Lesson, Problem, Quiz, Submission
from grader.services import submission_grade

LESSON, PROBLEM, QUIZ = "credit-assignment", "power-rule-local", "credit-assignment"
WRONG, RIGHT = "3*v", "2*v"  # the problem asks for d(v**2)/dv


@pytest.fixture
def student(db):
    call_command("import_content", "content/", verbosity=0)
    lesson = Lesson.objects.get(slug=LESSON)
    user = get_user_model().objects.create_user("ada", password="pw-for-tests-1")
    services.course_enrol(course=lesson.course, user=user)
    return user


@pytest.fixture
def browser(student) -> Client:
    client = Client()
    client.force_login(student)
    return client


def problem_url(quiz: bool = False) -> str:
    lesson = Lesson.objects.get(slug=LESSON)
    path = reverse("courseware:problem", args=[lesson.course.slug, LESSON, PROBLEM])
    return path + (f"?quiz={QUIZ}" if quiz else "")


def quiz_url() -> str:
    lesson = Lesson.objects.get(slug=LESSON)
    return reverse("courseware:quiz", args=[lesson.course.slug, LESSON, QUIZ])


def submit(client: Client, answer: str, quiz: bool = False) -> Submission:
    """Post the page's form as a browser would, then grade it (the worker's path)."""
    data = {"answer": answer, "idempotency_key": timezone.now().isoformat()}
    if quiz:
        data["quiz"] = QUIZ
    response = client.post(problem_url(quiz), data)
    assert response.status_code == 302, response.content.decode()[:500]
    submission = Submission.objects.order_by("-created_at").first()
    submission_grade(submission_id=submission.id)
    submission.refresh_from_db()
    return submission


def exhaust_practice(client: Client) -> None:
    limit = Problem.objects.get(slug=PROBLEM).attempt_limit
    for _ in range(limit):
        submit(client, WRONG)


def close_quiz() -> None:
    Quiz.objects.filter(slug=QUIZ).update(due_at=timezone.now() - timedelta(hours=1))


def test_practice_key_is_revealed_once_attempts_are_used_and_no_quiz_is_open(browser):
    close_quiz()
    exhaust_practice(browser)
    page = browser.get(problem_url()).content.decode()
    assert "Attempts left: 0" in page
    assert "Answer: <code>" in page


def test_the_quiz_copy_shows_no_key_no_prefill_and_numbers_its_own_attempts(
    browser, student
):
    exhaust_practice(browser)

    practice = browser.get(problem_url()).content.decode()
    assert "Attempts left: 0" in practice
    # The quiz containing the problem is open: the practice key stays hidden.
    assert "Answer: <code>" not in practice

    quiz = browser.get(problem_url(quiz=True)).content.decode()
    assert "Answer: <code>" not in quiz
    assert f'value="{WRONG}"' not in quiz  # no practice answer pre-filled
    assert "No attempts yet." in quiz
    assert "Attempts left: 3" in quiz
    assert "Attempt 1" not in quiz  # the practice attempts are not listed here

    first = submit(browser, WRONG, quiz=True)
    assert first.attempt == 1
    quiz = browser.get(problem_url(quiz=True)).content.decode()
    assert quiz.count("Attempt 1") >= 1 and "Attempt 2" not in quiz
    assert "Attempts left: 2" in quiz
    assert "Answer: <code>" not in quiz

    score = selectors.quiz_score_for_student(
        quiz=Quiz.objects.get(slug=QUIZ), student=student
    )
    assert score < 1.0
    assert (
        "Your quiz score: <strong>0%</strong>"
        in browser.get(quiz_url()).content.decode()
    )


def test_practice_page_lists_only_practice_attempts(browser):
    submit(browser, WRONG)
    submit(browser, WRONG, quiz=True)
    practice = browser.get(problem_url()).content.decode()
    assert practice.count(">Attempt 1</a>") == 1
    assert "Attempts left: 2" in practice


def test_a_practice_submission_is_not_shown_in_the_quiz_context(browser):
    mine = submit(browser, WRONG)
    response = browser.get(problem_url(quiz=True) + f"&submission={mine.id}")
    assert response.status_code == 404


def test_keys_stay_hidden_in_the_api_while_the_quiz_is_open(browser, student):
    from rest_framework.test import APIClient

    exhaust_practice(browser)
    api = APIClient()
    api.force_authenticate(student)
    problem = Problem.objects.get(slug=PROBLEM)
    listed = api.get("/api/v1/submissions/", {"problem": problem.pk}).json()
    assert listed["count"] == problem.attempt_limit
    steps = [step for item in listed["results"] for step in item["steps"]]
    assert steps and all("expected" not in step for step in steps)
    close_quiz()
    listed = api.get("/api/v1/submissions/", {"problem": problem.pk}).json()
    assert all(
        "expected" in step for item in listed["results"] for step in item["steps"]
    )


def test_solving_in_practice_earns_nothing_in_the_quiz_score(browser, student):
    # The quiz score (what is posted to the LMS) counts only the quiz's own attempts.
    solved = submit(browser, RIGHT)
    assert solved.score == 1.0
    quiz = Quiz.objects.get(slug=QUIZ)
    assert selectors.quiz_score_for_student(quiz=quiz, student=student) == 0.0
    in_quiz = submit(browser, RIGHT, quiz=True)
    assert in_quiz.attempt == 1
    assert selectors.quiz_score_for_student(quiz=quiz, student=student) > 0.0
