"""courseware.services: variants, versioning, submissions (idempotency, limits, enqueue)."""

import hashlib
import hmac
import logging

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.test import override_settings
from kombu.exceptions import OperationalError

import config.celery
from courseware import services
from courseware.models import Course, CourseMembership, Submission
from engine.variants import informative_seed, variant_flaws

pytestmark = pytest.mark.django_db

SCALAR_SPEC = {
    "kind": "scalar_trace",
    "program": "u = x*y\nv = u + b\nz = v**2\n",
    "inputs": {"x": 2, "y": 3, "b": 1},
    "randomize": {"x": {"int": [1, 5]}, "y": {"int": [1, 5]}, "b": {"int": [-3, 3]}},
    "ask": ["forward", "local", "grad"],
}
CHOICE_SPEC = {
    "kind": "choice",
    "prompt": "Pick one.",
    "options": [
        {"key": "a", "text": "yes", "correct": True, "feedback": "Right."},
        {"key": "b", "text": "no", "correct": False, "feedback": "No."},
    ],
}


@pytest.fixture
def lesson():
    course, _ = services.course_upsert(slug="dl", title="Deep Learning")
    lesson, _ = services.lesson_upsert(
        course=course, slug="ca", title="Credit", order=1
    )
    return lesson


@pytest.fixture
def trace_problem(lesson):
    problem, _ = services.problem_upsert(
        lesson=lesson, slug="trace", title="T", spec=SCALAR_SPEC
    )
    return problem


@pytest.fixture
def choice_problem(lesson):
    problem, _ = services.problem_upsert(
        lesson=lesson, slug="choice", title="C", spec=CHOICE_SPEC, attempt_limit=2
    )
    return problem


@pytest.fixture
def users():
    User = get_user_model()
    return User.objects.create_user("ann"), User.objects.create_user("bob")


@pytest.fixture
def sent(monkeypatch):
    """Record grading messages instead of sending them to a broker."""
    calls = []
    monkeypatch.setattr(
        config.celery.app,
        "send_task",
        lambda name, args, queue, priority: calls.append((name, args, queue)),
    )
    return calls


# --- Variants --------------------------------------------------------------------


@override_settings(VARIANT_SECRET="s3cret")
def test_variant_seed_is_the_hmac_of_student_and_problem(trace_problem, users):
    ann, _ = users
    variant = services.variant_get_or_create(student=ann, problem=trace_problem)
    digest = hmac.new(
        b"s3cret", f"{ann.pk}:{trace_problem.pk}".encode(), hashlib.sha256
    )
    start = int.from_bytes(digest.digest()[:8], "big") & 0x7FFFFFFF
    # ... moved on to the first informative variant when that one hides mistakes.
    assert variant.seed == informative_seed(trace_problem.spec, start)
    assert 0 <= variant.seed < 2**31


def test_no_student_gets_a_variant_that_hides_mistakes(lesson):
    # b = 0 makes u, w and z all 0 (forgetting a factor gives the right number).
    spec = {
        "kind": "scalar_trace",
        "program": "u = a*b\nw = u*c\nz = u + w\n",
        "inputs": {"a": 2, "b": 3, "c": 4},
        "randomize": {"b": {"choice": [0, 3, 5]}, "c": {"int": [2, 6]}},
    }
    problem, _ = services.problem_upsert(
        lesson=lesson, slug="fan", title="F", spec=spec
    )
    User = get_user_model()
    seeds = [
        services.variant_get_or_create(
            student=User.objects.create_user(f"s{n}"), problem=problem
        ).seed
        for n in range(30)
    ]
    assert [variant_flaws(spec, seed) for seed in seeds] == [[]] * 30
    assert any(
        variant_flaws(spec, services.variant_seed(student_id=pk, problem_id=problem.pk))
        for pk in User.objects.values_list("pk", flat=True)
    )  # without the move, some of these students would have had one


def test_variant_is_the_same_on_every_call(trace_problem, users):
    ann, _ = users
    first = services.variant_get_or_create(student=ann, problem=trace_problem)
    again = services.variant_get_or_create(student=ann, problem=trace_problem)
    assert (first.pk, first.seed) == (again.pk, again.seed)


def test_variant_seeds_differ_across_students(trace_problem):
    User = get_user_model()
    seeds = {
        services.variant_get_or_create(
            student=User.objects.create_user(f"s{i}"), problem=trace_problem
        ).seed
        for i in range(20)
    }
    assert len(seeds) == 20


def test_variant_seed_depends_on_the_secret(trace_problem, users):
    ann, _ = users
    with override_settings(VARIANT_SECRET="one"):
        one = services.variant_seed(student_id=ann.pk, problem_id=trace_problem.pk)
    with override_settings(VARIANT_SECRET="two"):
        two = services.variant_seed(student_id=ann.pk, problem_id=trace_problem.pk)
    assert one != two


# --- Versioning -----------------------------------------------------------------


def test_spec_change_without_submissions_updates_the_version_in_place(trace_problem):
    spec = {**SCALAR_SPEC, "inputs": {"x": 4, "y": 3, "b": 1}}
    services.problem_spec_update(problem=trace_problem, spec=spec)
    trace_problem.refresh_from_db()
    assert trace_problem.version == 1
    assert trace_problem.versions.count() == 1
    assert trace_problem.versions.get().spec["inputs"]["x"] == 4


def test_spec_change_after_submissions_makes_a_new_version(trace_problem, users, sent):
    ann, _ = users
    old = services.submission_create(
        student=ann, problem=trace_problem, answers={"forward:u": "6"}
    )
    spec = {**SCALAR_SPEC, "inputs": {"x": 4, "y": 3, "b": 1}}
    services.problem_spec_update(problem=trace_problem, spec=spec)
    trace_problem.refresh_from_db()
    assert trace_problem.version == 2
    assert [v.number for v in trace_problem.versions.all()] == [1, 2]
    old.refresh_from_db()
    assert old.problem_version.number == 1
    assert old.problem_version.spec["inputs"]["x"] == 2  # keeps the key it answered
    new = services.submission_create(
        student=ann, problem=trace_problem, answers={"forward:u": "12"}
    )
    assert new.problem_version.number == 2


def test_unchanged_spec_makes_no_version(trace_problem, users, sent):
    ann, _ = users
    services.submission_create(
        student=ann, problem=trace_problem, answers={"forward:u": "6"}
    )
    services.problem_spec_update(problem=trace_problem, spec=dict(SCALAR_SPEC))
    trace_problem.refresh_from_db()
    assert trace_problem.version == 1


def test_spec_without_a_kind_is_refused(trace_problem):
    with pytest.raises(ValidationError, match="kind"):
        services.problem_spec_update(problem=trace_problem, spec={"program": "z = x"})


# --- Submissions ----------------------------------------------------------------


def test_submission_is_stored_queued_with_its_variant_and_version(
    trace_problem, users, sent
):
    ann, _ = users
    submission = services.submission_create(
        student=ann, problem=trace_problem, answers={"forward:u": "6", "grad:x": "24"}
    )
    submission.refresh_from_db()
    assert submission.status == Submission.Status.QUEUED
    assert submission.attempt == 1
    assert submission.variant.student == ann
    assert submission.problem_version.number == trace_problem.version
    assert submission.answers == {"forward:u": "6", "grad:x": "24"}


def test_grading_is_enqueued_on_commit(
    trace_problem, users, sent, django_capture_on_commit_callbacks
):
    ann, _ = users
    with django_capture_on_commit_callbacks(execute=True):
        submission = services.submission_create(
            student=ann, problem=trace_problem, answers={"forward:u": "6"}
        )
        assert sent == []  # nothing leaves before the row is committed
    assert sent == [("grader.tasks.grade_submission", [str(submission.id)], "grading")]


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("broker down"),
        ConnectionRefusedError(111, "refused"),
        OSError("no route"),
        RuntimeError("Acquire on closed pool"),
    ],
)
def test_broker_down_never_loses_the_submission(
    trace_problem, users, monkeypatch, django_capture_on_commit_callbacks, caplog, error
):
    def refuse(*args, **kwargs):
        raise error

    monkeypatch.setattr(config.celery.app, "send_task", refuse)
    ann, _ = users
    with (
        caplog.at_level(logging.WARNING, logger="courseware.services"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        submission = services.submission_create(
            student=ann, problem=trace_problem, answers={"forward:u": "6"}
        )
    stored = Submission.objects.get(pk=submission.pk)
    assert stored.status == Submission.Status.QUEUED  # left for the sweeper
    assert "stays queued for the sweeper" in caplog.text
    assert str(submission.id) in caplog.text


def test_broker_down_as_redis_connection_error(
    trace_problem, users, monkeypatch, django_capture_on_commit_callbacks
):
    import redis.exceptions

    def refuse(*args, **kwargs):
        raise redis.exceptions.ConnectionError("Connection refused")

    monkeypatch.setattr(config.celery.app, "send_task", refuse)
    ann, _ = users
    with django_capture_on_commit_callbacks(execute=True):
        submission = services.submission_create(
            student=ann, problem=trace_problem, answers={"forward:u": "6"}
        )
    assert Submission.objects.get(pk=submission.pk).status == Submission.Status.QUEUED


def test_same_idempotency_key_returns_the_same_submission(trace_problem, users, sent):
    ann, _ = users
    first = services.submission_create(
        student=ann,
        problem=trace_problem,
        answers={"forward:u": "6"},
        idempotency_key="k1",
    )
    again = services.submission_create(
        student=ann,
        problem=trace_problem,
        answers={"forward:u": "6"},
        idempotency_key="k1",
    )
    assert again.pk == first.pk
    assert Submission.objects.filter(student=ann).count() == 1


def test_idempotency_keys_are_per_student(trace_problem, users, sent):
    ann, bob = users
    a = services.submission_create(
        student=ann,
        problem=trace_problem,
        answers={"forward:u": "6"},
        idempotency_key="k",
    )
    b = services.submission_create(
        student=bob,
        problem=trace_problem,
        answers={"forward:u": "6"},
        idempotency_key="k",
    )
    assert a.pk != b.pk


def test_idempotency_key_reused_for_another_problem_is_refused(
    trace_problem, choice_problem, users, sent
):
    ann, _ = users
    services.submission_create(
        student=ann,
        problem=trace_problem,
        answers={"forward:u": "6"},
        idempotency_key="k",
    )
    with pytest.raises(ValidationError, match="another problem"):
        services.submission_create(
            student=ann,
            problem=choice_problem,
            answers={"answer": "a"},
            idempotency_key="k",
        )


def test_attempt_limit_refuses_the_extra_attempt(choice_problem, users, sent):
    ann, bob = users
    for number in (1, 2):
        submission = services.submission_create(
            student=ann, problem=choice_problem, answers={"answer": "b"}
        )
        assert submission.attempt == number
    with pytest.raises(ValidationError, match="used all 2 attempts"):
        services.submission_create(
            student=ann, problem=choice_problem, answers={"answer": "a"}
        )
    # Another student's attempts are their own.
    services.submission_create(
        student=bob, problem=choice_problem, answers={"answer": "a"}
    )


def test_system_errors_do_not_use_up_attempts(choice_problem, users, sent):
    ann, _ = users
    first = services.submission_create(
        student=ann, problem=choice_problem, answers={"answer": "b"}
    )
    Submission.objects.filter(pk=first.pk).update(status=Submission.Status.ERROR)
    services.submission_create(
        student=ann, problem=choice_problem, answers={"answer": "a"}
    )
    services.submission_create(
        student=ann, problem=choice_problem, answers={"answer": "a"}
    )
    with pytest.raises(ValidationError):
        services.submission_create(
            student=ann, problem=choice_problem, answers={"answer": "a"}
        )


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        (["a"], "must be an object"),
        ("a", "must be an object"),
        ({}, "No answers"),
        ({"answer": 1}, "must be text"),
        ({"answer": None}, "must be text"),
        ({"answer": "x" * 1001}, "the limit is 1000"),
        ({"forward:u": "6"}, "not a step of this problem"),
    ],
)
def test_bad_answers_are_refused_with_a_clear_message(
    choice_problem, users, answers, message
):
    ann, _ = users
    with pytest.raises(ValidationError, match=message):
        services.submission_create(student=ann, problem=choice_problem, answers=answers)
    assert not Submission.objects.exists()


def test_answer_of_exactly_the_limit_is_accepted(choice_problem, users, sent):
    ann, _ = users
    submission = services.submission_create(
        student=ann, problem=choice_problem, answers={"answer": "a" * 1000}
    )
    submission.refresh_from_db()
    assert submission.answers == {"answer": "a" * 1000}
    assert submission.status == "queued"


def test_trace_answers_must_be_step_ids(trace_problem, users):
    ann, _ = users
    keys = ["answer", "<script>", "grad:x; drop"]
    if services.problem_step_ids(problem=trace_problem) is not None:
        keys.append("forward:nope")  # the engine lists the real steps
    for key in keys:
        with pytest.raises(ValidationError, match="step"):
            services.submission_create(
                student=ann, problem=trace_problem, answers={key: "1"}
            )


def test_past_due_problem_refuses_submissions(trace_problem, users):
    from datetime import timedelta

    from django.utils import timezone

    trace_problem.due_at = timezone.now() - timedelta(minutes=1)
    trace_problem.save()
    ann, _ = users
    with pytest.raises(ValidationError, match="was due"):
        services.submission_create(
            student=ann, problem=trace_problem, answers={"forward:u": "6"}
        )


def test_quiz_submission_must_be_for_one_of_its_problems(
    lesson, trace_problem, choice_problem, users, sent
):
    quiz, _ = services.quiz_upsert(
        lesson=lesson, slug="q", title="Q", problems=[trace_problem]
    )
    ann, _ = users
    with pytest.raises(ValidationError, match="not part of the quiz"):
        services.submission_create(
            student=ann, problem=choice_problem, answers={"answer": "a"}, quiz=quiz
        )
    submission = services.submission_create(
        student=ann, problem=trace_problem, answers={"forward:u": "6"}, quiz=quiz
    )
    assert submission.quiz == quiz


def test_quiz_max_attempts_replaces_the_problem_limit(
    lesson, choice_problem, users, sent
):
    quiz, _ = services.quiz_upsert(
        lesson=lesson, slug="q", title="Q", problems=[choice_problem], max_attempts=1
    )
    ann, _ = users
    services.submission_create(
        student=ann, problem=choice_problem, answers={"answer": "b"}, quiz=quiz
    )
    with pytest.raises(ValidationError, match="used all 1 attempts"):
        services.submission_create(
            student=ann, problem=choice_problem, answers={"answer": "a"}, quiz=quiz
        )


# --- Enrolment and upserts ------------------------------------------------------


def test_course_enrol_is_idempotent_and_updates_the_role(lesson, users):
    ann, _ = users
    course = lesson.course
    services.course_enrol(course=course, user=ann, role="student")
    services.course_enrol(course=course, user=ann, role="instructor")
    assert CourseMembership.objects.get(course=course, user=ann).role == "instructor"
    assert CourseMembership.objects.count() == 1


def test_problem_upsert_reports_changes(lesson):
    _, created = services.problem_upsert(
        lesson=lesson, slug="p", title="P", spec=CHOICE_SPEC
    )
    _, same = services.problem_upsert(
        lesson=lesson, slug="p", title="P", spec=CHOICE_SPEC
    )
    problem, retitled = services.problem_upsert(
        lesson=lesson, slug="p", title="P2", spec=CHOICE_SPEC
    )
    assert (created, same, retitled) == (True, False, True)
    assert problem.kind == "choice" and problem.versions.count() == 1


def test_create_demo_accounts_enrols_them_in_the_demo_course(monkeypatch):
    from django.core.management import call_command

    monkeypatch.setenv("TRACEGRADE_DEMO_PASSWORD", "demo-password-123")
    call_command("create_demo_accounts")
    call_command("create_demo_accounts")  # idempotent
    course = Course.objects.get()
    roles = dict(course.memberships.values_list("user__username", "role"))
    assert roles == {"instructor": "instructor", "student": "student"}
    assert course.lessons.filter(slug="credit-assignment").exists()
