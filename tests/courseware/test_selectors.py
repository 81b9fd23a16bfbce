"""courseware.selectors: a student sees only their own work; attempts, reveal, scores."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.http import Http404
from django.utils import timezone

import config.celery
from courseware import problem_saving, selectors, services
from courseware.models import Problem, Submission

pytestmark = pytest.mark.django_db

CHOICE_SPEC = {
    "kind": "choice",
    "prompt": "Pick one.",
    "options": [
        {"key": "a", "text": "yes", "correct": True},
        {"key": "b", "text": "no", "correct": False},
    ],
}


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    monkeypatch.setattr(config.celery.app, "send_task", lambda *a, **k: None)


@pytest.fixture
def course_setup():
    User = get_user_model()
    course, _ = services.course_upsert(slug="dl", title="DL")
    lesson, _ = services.lesson_upsert(course=course, slug="ca", title="CA")
    p1, _ = problem_saving.problem_save(
        lesson=lesson, slug="p1", title="P1", spec=CHOICE_SPEC, attempt_limit=2, order=1
    )
    p2, _ = problem_saving.problem_save(
        lesson=lesson, slug="p2", title="P2", spec=CHOICE_SPEC, points=3, order=2
    )
    hidden, _ = problem_saving.problem_save(
        lesson=lesson,
        slug="hidden",
        title="H",
        spec=CHOICE_SPEC,
        published=False,
        order=3,
    )
    ann, bob, teacher = (User.objects.create_user(n) for n in ("ann", "bob", "teacher"))
    services.course_enrol(course=course, user=ann, role="student")
    services.course_enrol(course=course, user=bob, role="student")
    services.course_enrol(course=course, user=teacher, role="instructor")
    return {"course": course, "lesson": lesson, "p1": p1, "p2": p2, "hidden": hidden,
            "ann": ann, "bob": bob, "teacher": teacher}  # fmt: skip


def graded(submission: Submission, score: float) -> Submission:
    Submission.objects.filter(pk=submission.pk).update(
        status=Submission.Status.GRADED, score=score, graded_at=timezone.now()
    )
    submission.refresh_from_db()
    return submission


def submit(student, problem, answer="a", **kwargs) -> Submission:
    return services.submission_create(
        student=student, problem=problem, answers={"answer": answer}, **kwargs
    )


def test_students_see_only_their_own_submissions(course_setup):
    s = course_setup
    mine = submit(s["ann"], s["p1"])
    theirs = submit(s["bob"], s["p1"])
    listed = list(selectors.submission_list_for_student(student=s["ann"]))
    assert listed == [mine]
    assert theirs not in selectors.submission_list_for_student(
        student=s["ann"], problem=s["p1"]
    )


def test_a_student_cannot_open_another_students_submission(course_setup):
    s = course_setup
    theirs = submit(s["bob"], s["p1"])
    with pytest.raises(Http404):
        selectors.submission_get_for_user(user=s["ann"], submission_id=theirs.id)
    assert (
        selectors.submission_get_for_user(user=s["bob"], submission_id=theirs.id)
        == theirs
    )


def test_instructors_can_open_their_students_submissions(course_setup):
    s = course_setup
    theirs = submit(s["bob"], s["p1"])
    assert (
        selectors.submission_get_for_user(user=s["teacher"], submission_id=theirs.id)
        == theirs
    )


def test_unknown_or_malformed_submission_ids_are_404(course_setup):
    s = course_setup
    for bad in ("not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        with pytest.raises(Http404):
            selectors.submission_get_for_user(user=s["ann"], submission_id=bad)


def test_students_see_only_published_problems(course_setup):
    s = course_setup
    student_view = list(
        selectors.problem_list_for_user(lesson=s["lesson"], user=s["ann"])
    )
    teacher_view = list(
        selectors.problem_list_for_user(lesson=s["lesson"], user=s["teacher"])
    )
    assert [p.slug for p in student_view] == ["p1", "p2"]
    assert [p.slug for p in teacher_view] == ["p1", "p2", "hidden"]
    with pytest.raises(Http404):
        selectors.problem_get_for_user(lesson=s["lesson"], slug="hidden", user=s["ann"])


def test_roles(course_setup):
    s = course_setup
    assert selectors.user_is_instructor(user=s["teacher"], course=s["course"])
    assert not selectors.user_is_instructor(user=s["ann"], course=s["course"])
    assert selectors.user_course_role(user=s["ann"], course=s["course"]) == "student"
    outsider = get_user_model().objects.create_user("eve")
    assert not selectors.user_is_member(user=outsider, course=s["course"])
    assert list(selectors.course_list_for_user(user=outsider)) == []


def test_attempts_used_and_left(course_setup):
    s = course_setup
    assert selectors.attempts_left(student=s["ann"], problem=s["p1"]) == 2
    submit(s["ann"], s["p1"], "b")
    assert selectors.attempts_used(student=s["ann"], problem=s["p1"]) == 1
    assert selectors.attempts_left(student=s["ann"], problem=s["p1"]) == 1
    assert (
        selectors.attempts_left(student=s["ann"], problem=s["p2"]) is None
    )  # unlimited


def test_after_attempts_reveals_once_solved_or_out_of_attempts(course_setup):
    s = course_setup
    ann, bob, p1 = s["ann"], s["bob"], s["p1"]
    assert not selectors.answer_key_visible(student=ann, problem=p1)
    graded(submit(ann, p1, "b"), 0.0)
    assert not selectors.answer_key_visible(student=ann, problem=p1)
    graded(submit(ann, p1, "b"), 0.0)
    assert selectors.answer_key_visible(student=ann, problem=p1)  # no attempts left
    graded(submit(bob, p1, "a"), 1.0)
    assert selectors.answer_key_visible(student=bob, problem=p1)  # solved


def test_other_reveal_policies(course_setup):
    s = course_setup
    p = s["p2"]
    p.reveal_policy = Problem.RevealPolicy.AFTER_DUE
    p.due_at = timezone.now() + timedelta(days=1)
    assert not selectors.answer_key_visible(student=s["ann"], problem=p)
    assert selectors.answer_key_visible(
        student=s["ann"], problem=p, now=p.due_at + timedelta(seconds=1)
    )
    p.reveal_policy = Problem.RevealPolicy.NEVER
    graded(submit(s["ann"], p), 1.0)
    assert not selectors.answer_key_visible(student=s["ann"], problem=p)
    p.reveal_policy = Problem.RevealPolicy.AFTER_CORRECT
    assert selectors.answer_key_visible(student=s["ann"], problem=p)
    assert not selectors.answer_key_visible(student=s["bob"], problem=p)
    p.reveal_policy = Problem.RevealPolicy.ALWAYS
    assert selectors.answer_key_visible(student=s["bob"], problem=p)


def test_quiz_score_is_the_points_weighted_mean_of_best_scores(course_setup):
    s = course_setup
    quiz, _ = services.quiz_upsert(
        lesson=s["lesson"], slug="q", title="Q", problems=[s["p1"], s["p2"]]
    )
    ann = s["ann"]
    assert selectors.quiz_score_for_student(quiz=quiz, student=ann) == 0.0
    graded(submit(ann, s["p1"], quiz=quiz), 1.0)
    graded(
        submit(ann, s["p1"], "b", quiz=quiz), 0.0
    )  # a worse later try keeps the best
    graded(submit(ann, s["p2"], quiz=quiz), 0.5)
    graded(submit(ann, s["p2"]), 1.0)  # outside the quiz: does not count for it
    # p1: 1 point x 1.0, p2: 3 points x 0.5 -> 2.5 / 4
    assert selectors.quiz_score_for_student(quiz=quiz, student=ann) == pytest.approx(
        0.625
    )
    assert selectors.quiz_score_for_student(quiz=quiz, student=s["bob"]) == 0.0


def test_gradebook_rows(course_setup):
    s = course_setup
    graded(submit(s["ann"], s["p1"]), 1.0)
    graded(submit(s["ann"], s["p2"]), 0.5)
    submit(s["bob"], s["p1"], "b")  # queued: no score yet
    rows = {row.username: row for row in selectors.gradebook_rows(course=s["course"])}
    assert set(rows) == {"ann", "bob"}  # students only
    assert rows["ann"].scores == {"p1": 1.0, "p2": 0.5}
    assert rows["ann"].points == pytest.approx(2.5)
    assert rows["ann"].points_possible == 4
    assert rows["bob"].scores == {"p1": None, "p2": None}


def test_problem_gradebook_rows(course_setup):
    s = course_setup
    graded(submit(s["ann"], s["p1"]), 1.0)
    graded(submit(s["ann"], s["p1"], "b"), 0.0)
    rows = selectors.problem_gradebook_rows(problem=s["p1"])
    assert len(rows) == 1
    row = rows[0]
    assert (row.username, row.attempts, row.best_score, row.latest_score) == (
        "ann",
        2,
        1.0,
        0.0,
    )
