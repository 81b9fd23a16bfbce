"""ORM queries compiled once (``courseware.compiled``): the same rows as the ORM's
own query, for any values, and a loud failure for a query it cannot reuse."""

import importlib
import pkgutil
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

import courseware
from courseware import services
from courseware.compiled import Compiled
from courseware.models import Lesson, Problem, Quiz, Submission, Variant

pytestmark = pytest.mark.django_db


@pytest.fixture
def work():
    call_command("import_content", "content/", verbosity=0)
    return Problem.objects.get(slug="work-this-trace")


def students(count: int):
    course = Lesson.objects.get().course
    made = []
    for n in range(count):
        user = get_user_model().objects.create_user(f"s{n}", password="pw-for-tests-1")
        services.course_enrol(course=course, user=user)
        made.append(user)
    return made


def test_the_load_of_each_student_is_the_orms_aggregate(work):
    quiz = Quiz.objects.get()
    ada, bob, cy = students(3)
    statuses = [
        (ada, Submission.Status.GRADED, None),
        (ada, Submission.Status.ERROR, None),
        (ada, Submission.Status.QUEUED, quiz),
        (bob, Submission.Status.QUEUED, None),
        (bob, Submission.Status.GRADING, None),
    ]
    for attempt, (student, status, in_quiz) in enumerate(statuses, start=1):
        variant = services.variant_get_or_create(student=student, problem=work)
        Submission.objects.create(
            student=student,
            problem=work,
            variant=variant,
            answers={},
            status=status,
            quiz=in_quiz,
            attempt=attempt,
            problem_version=work.versions.get(number=work.version),
        )
    since = timezone.now() - timedelta(minutes=10)
    zero = {"used": 0, "in_flight": 0, "troubled": 0}
    known = {  # (used in practice, used in the quiz, in flight, recent errors)
        ada: (1, 1, 1, 1),
        bob: (2, 0, 2, 0),
        cy: (0, 0, 0, 0),
    }
    for student, (practice, in_quiz, in_flight, troubled) in known.items():
        for context, used in ((None, practice), (quiz, in_quiz)):
            values = {"student": student.pk, "problem": work.pk, "since": since}
            if context:
                values["quiz"] = context.pk
            compiled = services._QUIZ_LOAD if context else services._PRACTICE_LOAD
            rows = compiled.rows(**values)
            got = {k: v for k, v in (rows[0] if rows else zero).items() if k in zero}
            orm = list(services._load_of(**{**values, "quiz": context}))
            assert [{k: row[k] for k in zero} for row in orm] == ([got] if rows else [])
            assert got == {"used": used, "in_flight": in_flight, "troubled": troubled}


def test_the_variant_lock_finds_each_students_own_row(work):
    ada, bob = students(2)
    mine = services.variant_get_or_create(student=ada, problem=work)
    services.variant_get_or_create(student=bob, problem=work)
    lock = services._VARIANT_LOCK
    assert lock.rows(problem=work.pk, student=ada.pk) == [
        {"id": mine.pk, "seed": mine.seed}
    ]
    other = Problem.objects.exclude(pk=work.pk).first()
    assert lock.rows(problem=other.pk, student=ada.pk) == []


def test_a_used_idempotency_key_is_found_for_its_student_only(work):
    ada, bob = students(2)
    variant = services.variant_get_or_create(student=ada, problem=work)
    made = Submission.objects.create(
        student=ada,
        problem=work,
        variant=variant,
        answers={},
        attempt=1,
        idempotency_key="key-1",
        problem_version=work.versions.get(number=work.version),
    )
    used = services._KEY_USED
    assert used.rows(student=ada.pk, key="key-1") == [{"id": made.pk}]
    assert used.rows(student=bob.pk, key="key-1") == []
    assert used.rows(student=ada.pk, key="key-2") == []
    assert used.rows(student=ada.pk, key="x' OR '1'='1") == []


def test_a_value_that_is_not_one_parameter_is_refused():
    twice = Compiled(
        lambda student: Variant.objects.filter(student=student, problem=student),
        student="int",
    )
    with pytest.raises(ValueError, match="'student' is a parameter 2 times"):
        twice.compiled()
    unused = Compiled(lambda student: Variant.objects.all(), student="int")
    with pytest.raises(ValueError, match="0 times"):
        unused.compiled()
    with pytest.raises(ValueError, match="unknown value kind"):
        Compiled(lambda name: Variant.objects.all(), name="text")
    lock = services._VARIANT_LOCK
    with pytest.raises(TypeError):
        lock.rows(problem=1)


def test_every_compiled_query_of_courseware_builds():
    found = []
    for info in pkgutil.walk_packages(courseware.__path__, "courseware."):
        if ".migrations" in info.name or ".management" in info.name:
            continue
        module = importlib.import_module(info.name)
        found += [v for v in vars(module).values() if isinstance(v, Compiled)]
    assert len(found) >= 3
    for compiled in found:
        sql, params, places = compiled.compiled()
        assert sorted(places.values()) == sorted(compiled.kinds)
