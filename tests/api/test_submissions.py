"""Submissions through the API: idempotent creation, status, per-step results, the reveal policy."""

from datetime import timedelta

import pytest
from django.utils import timezone

from courseware.models import Quiz, Submission
from grader.services import submission_grade
from tests.api.content import work_this_answers

pytestmark = pytest.mark.django_db(transaction=True)


def submit(client, problem, answers, key=None, **extra):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(
        "/api/v1/submissions/",
        {"problem": problem.pk, "answers": answers, **extra},
        format="json",
        headers=headers,
    )


def test_a_retried_post_with_the_same_key_makes_one_submission(student_api, content):
    first = submit(student_api, content.problem, work_this_answers(), key="k-1")
    again = submit(student_api, content.problem, work_this_answers(), key="k-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert Submission.objects.count() == 1
    assert first["Location"] == f"/api/v1/submissions/{first.json()['id']}/"


def test_the_same_key_with_other_answers_is_a_conflict(student_api, content):
    submit(student_api, content.problem, work_this_answers(), key="k-2")
    other = submit(
        student_api, content.problem, work_this_answers(**{"forward:u": "1"}), key="k-2"
    )
    assert other.status_code == 409
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"


def test_without_a_key_each_post_is_a_new_attempt(student_api, content):
    one = submit(student_api, content.problem, work_this_answers()).json()
    two = submit(student_api, content.problem, work_this_answers()).json()
    assert (one["attempt"], two["attempt"]) == (1, 2)


def test_a_submission_reads_queued_then_graded_with_steps_without_the_key(
    student_api, content
):
    answers = work_this_answers(**{"forward:u": "5", "forward:v": "6"})
    body = submit(student_api, content.problem, answers).json()
    assert body["status"] == "queued" and body["steps"] == []
    submission_grade(submission_id=body["id"])
    graded = student_api.get(f"/api/v1/submissions/{body['id']}/").json()
    assert graded["status"] == "graded" and graded["outcome"] == "graded"
    steps = {step["id"]: step for step in graded["steps"]}
    assert steps["forward:u"]["status"] == "incorrect"
    assert steps["forward:v"]["status"] == "carried"
    # after_correct: no key until a fully correct submission.
    assert all("expected" not in step for step in graded["steps"])
    assert Submission.objects.get().result["steps"][0].get("expected") is not None


def test_the_key_shows_once_the_policy_allows(student_api, content):
    # Never while a quiz containing the problem is open: close the demo quiz.
    Quiz.objects.update(due_at=timezone.now() - timedelta(days=1))
    right = submit(student_api, content.problem, work_this_answers()).json()
    submission_grade(submission_id=right["id"])
    graded = student_api.get(f"/api/v1/submissions/{right['id']}/").json()
    assert graded["score"] == 1.0
    assert all("expected" in step for step in graded["steps"])


def test_my_submissions_list_and_nobody_elses(student_api, content, django_user_model):
    from rest_framework.test import APIClient

    from tests.api.content import enrol

    mine = submit(student_api, content.problem, work_this_answers()).json()
    other = django_user_model.objects.create_user(username="eve", password="x")
    enrol(other, content.course)
    eve = APIClient()
    eve.force_authenticate(other)
    assert eve.get("/api/v1/submissions/").json()["count"] == 0
    assert eve.get(f"/api/v1/submissions/{mine['id']}/").status_code == 404
    listed = student_api.get("/api/v1/submissions/", {"problem": content.problem.pk})
    assert [s["id"] for s in listed.json()["results"]] == [mine["id"]]


def test_an_instructor_reads_a_students_submission_with_the_key(
    student_api, instructor_api, content
):
    created = submit(
        student_api, content.problem, work_this_answers(**{"forward:u": "5"})
    )
    submission_grade(submission_id=created.json()["id"])
    seen = instructor_api.get(f"/api/v1/submissions/{created.json()['id']}/").json()
    assert all("expected" in step for step in seen["steps"])


def test_attempt_limits_answer_400_with_a_message(student_api, content):
    content.choice.attempt_limit = 1
    content.choice.save()
    assert submit(student_api, content.choice, {"answer": "a"}).status_code == 201
    refused = submit(student_api, content.choice, {"answer": "b"})
    assert refused.status_code == 400
    assert "attempts" in refused.json()["errors"][0]["message"]


def test_a_quiz_submission_counts_for_the_quiz(student_api, content):
    body = submit(
        student_api, content.problem, work_this_answers(), quiz=content.quiz.pk
    )
    assert body.status_code == 201 and body.json()["quiz"] == content.quiz.pk
