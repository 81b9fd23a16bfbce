"""Writes: enrolment, content upserts, variants, submissions.

Problems are saved (and versioned) by ``courseware.problem_saving``.

Every function takes keyword-only arguments and runs ``full_clean()`` before
``save()``. Reads live in ``courseware.selectors``.
"""

import hashlib
import hmac
import logging
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import redis.exceptions
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from kombu.exceptions import OperationalError

from config.celery import app
from courseware import fairness, selectors
from courseware.compiled import Compiled
from courseware.content_cache import step_ids
from courseware.models import (
    Course,
    CourseMembership,
    Lesson,
    Offering,
    Problem,
    Quiz,
    QuizItem,
    Submission,
    Variant,
)
from courseware.problem_saving import problem_version_current
from engine.variants import informative_seed
from grader import kinds

logger = logging.getLogger(__name__)

ANSWER_MAX_LENGTH = 1000
GRADE_TASK_NAME = "grader.tasks.grade_submission"
GRADE_QUEUE = "grading"

# A step id of contract 2, used to check answer keys when the engine cannot
# list a problem's steps.
_STEP_ID = re.compile(
    r"^(forward:[A-Za-z_]\w*|local:[A-Za-z_]\w*/[A-Za-z_]\w*|grad:[A-Za-z_]\w*)$"
)


# --- Courses and enrolment ---------------------------------------------------


def course_upsert(
    *, slug: str, title: str, description: str = ""
) -> tuple[Course, bool]:
    """Create or update a course by slug. Returns ``(course, changed)``."""
    course = Course.objects.filter(slug=slug).first() or Course(slug=slug)
    return course, _apply(course, title=title, description=description)


def course_enrol(
    *, course: Course, user, role: str = CourseMembership.Role.STUDENT
) -> CourseMembership:
    """Enrol ``user`` in ``course`` with ``role``; an existing membership takes the new role."""
    membership = CourseMembership.objects.filter(course=course, user=user).first()
    if membership is None:
        membership = CourseMembership(course=course, user=user)
    _apply(membership, role=role)
    selectors.forget_course_roles(user)
    return membership


# --- Content upserts (used by the importer) ---------------------------------
# (Problems: ``courseware.problem_saving.problem_save``.)


def lesson_upsert(
    *,
    course: Course,
    slug: str,
    title: str,
    order: int = 0,
    summary: str = "",
    body: str = "",
    front_matter: dict | None = None,
) -> tuple[Lesson, bool]:
    """Create or update a lesson by (course, slug). Returns ``(lesson, changed)``."""
    lesson = Lesson.objects.filter(course=course, slug=slug).first()
    lesson = lesson or Lesson(course=course, slug=slug)
    changed = _apply(
        lesson,
        title=title,
        order=order,
        summary=summary,
        body=body,
        front_matter=front_matter or {},
    )
    return lesson, changed


@transaction.atomic
def quiz_upsert(
    *,
    lesson: Lesson,
    slug: str,
    title: str,
    problems: Iterable[Problem],
    opens_at: datetime | None = None,
    due_at: datetime | None = None,
    max_attempts: int | None = None,
) -> tuple[Quiz, bool]:
    """Create or update a quiz and set its items, in the given order."""
    quiz = Quiz.objects.filter(lesson=lesson, slug=slug).first() or Quiz(
        lesson=lesson, slug=slug
    )
    changed = _apply(
        quiz, title=title, opens_at=opens_at, due_at=due_at, max_attempts=max_attempts
    )
    wanted = [(problem.pk, order) for order, problem in enumerate(problems, start=1)]
    have = list(quiz.items.order_by("order").values_list("problem_id", "order"))
    if wanted != have:
        quiz.items.all().delete()
        for problem_id, order in wanted:
            _save(QuizItem(quiz=quiz, problem_id=problem_id, order=order))
        changed = True
    return quiz, changed


# --- Variants -----------------------------------------------------------------


def variant_seed(*, student_id: int, problem_id: int) -> int:
    """HMAC-SHA256(VARIANT_SECRET, "student:problem") reduced to a 31-bit int."""
    digest = hmac.new(
        settings.VARIANT_SECRET.encode(),
        f"{student_id}:{problem_id}".encode(),
        hashlib.sha256,
    ).digest()
    return int.from_bytes(digest[:8], "big") & 0x7FFFFFFF


def variant_get_or_create(*, student, problem: Problem) -> Variant:
    """The student's variant of ``problem``; the same seed on every call.

    A new variant starts from ``variant_seed`` and moves to the first
    informative one (``engine.variants.informative_seed``: no zero or newly
    coinciding values that would hide a mistake); a stored one never changes.
    """
    variant = Variant.objects.filter(problem=problem, student=student).first()
    if variant is not None:
        return variant
    seed = informative_seed(
        problem.spec, variant_seed(student_id=student.pk, problem_id=problem.pk)
    )
    try:
        with transaction.atomic():
            variant = Variant(problem=problem, student=student, seed=seed)
            _save(variant)
            return variant
    except (IntegrityError, ValidationError):
        # Another request made it first.
        return Variant.objects.get(problem=problem, student=student)


def variant_seed_for(*, student, problem: Problem) -> int:
    """The seed of the student's variant (made now when they have none).

    Uses ``viewer_variant_seed`` when the problem was loaded with it
    (``selectors.with_variant_seed``), saving a query: a stored seed never changes.
    """
    seed = getattr(problem, "viewer_variant_seed", None)
    if seed is not None:
        return seed
    return variant_get_or_create(student=student, problem=problem).seed


# --- Submissions --------------------------------------------------------------


def submission_create(
    *,
    student,
    problem: Problem,
    answers: Any,
    idempotency_key: str | None = None,
    quiz: Quiz | None = None,
    offering: Offering | None = None,
    key_checked: bool = False,
) -> Submission:
    """Store a student's answers as a queued submission and enqueue its grading.

    - ``answers`` must be a dict of step id -> text (each at most 1,000
      characters); keys must be the problem's step ids (trace problems) or
      ``answer`` (expression, numeric, choice).
    - Attempts (``selectors.COUNTS_AS_ATTEMPT``): submissions that ended in
      ``error`` (the system's fault) or in which no answer could be read do
      not count. Practice and each quiz count their own attempts, numbered
      from 1; in a quiz, the quiz's ``max_attempts`` (when set) replaces the
      problem's ``attempt_limit``.
    - With an ``idempotency_key`` a repeated call returns the first submission.
      ``key_checked``: the caller has just found no submission with this key
      (``submission_for_key``), so it is not looked up again; a concurrent
      request that stores the key first still wins (the unique constraint).
    - ``offering``: the course offering (an LMS course) the work belongs to;
      ``None`` is direct work. It must be an offering of the problem's course.
    - Grading is enqueued after commit by task name (``send_task``), so
      courseware does not import the grader. If the broker is down, the error
      is logged and the submission stays ``queued`` for ``grader.tasks.sweep_queued``.
    """
    if idempotency_key and not key_checked:
        existing = submission_for_key(
            student=student, problem=problem, key=idempotency_key
        )
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            submission, priority = _submission_store(
                student=student,
                problem=problem,
                answers=answers,
                idempotency_key=idempotency_key or None,
                quiz=quiz,
                offering=offering,
            )
    except IntegrityError:
        existing = idempotency_key and submission_for_key(
            student=student, problem=problem, key=idempotency_key
        )
        if existing:
            return existing
        raise
    submission_id = str(submission.id)
    transaction.on_commit(
        lambda: submission_enqueue(submission_id=submission_id, priority=priority)
    )
    return submission


def submission_enqueue(
    *, submission_id: str, priority: int = fairness.PRIORITY_NORMAL
) -> bool:
    """Send ``grader.tasks.grade_submission`` for a submission; never raises on a broker failure.

    Returns whether the message was sent. A new submission is stored with
    ``sent_at`` set (so success costs no query); on failure ``sent_at`` is
    cleared and the submission stays ``queued`` for the sweeper, which sends
    it again once the broker is back. ``priority``: see ``courseware.fairness``.
    """
    if _grading_send(submission_id, priority):
        return True
    Submission.objects.filter(pk=submission_id).update(sent_at=None)
    return False


def submissions_enqueue(*, submission_ids: list[str], now: datetime) -> list[str]:
    """Send grading for many submissions (the sweeper); returns the ids sent.

    ``sent_at`` becomes ``now`` for those sent and empty for the others.
    """
    sent = [pk for pk in submission_ids if _grading_send(pk)]
    Submission.objects.filter(pk__in=sent).update(sent_at=now)
    failed = sorted(set(submission_ids) - set(sent))
    Submission.objects.filter(pk__in=failed).update(sent_at=None)
    return sent


def _grading_send(submission_id: str, priority: int = fairness.PRIORITY_NORMAL) -> bool:
    try:
        app.send_task(
            GRADE_TASK_NAME, args=[submission_id], queue=GRADE_QUEUE, priority=priority
        )
    except _BROKER_ERRORS as error:
        logger.warning(
            "Could not enqueue submission %s (%s: %s); it stays queued for the sweeper.",
            submission_id,
            type(error).__name__,
            error,
        )
        return False
    except Exception:
        # Anything else from the Celery client (say, "Acquire on closed pool"):
        # the row is committed already, so the student's request must not fail.
        logger.exception(
            "Unexpected error enqueueing submission %s; it stays queued for the sweeper.",
            submission_id,
        )
        return False
    return True


_BROKER_ERRORS = (
    OperationalError,
    OSError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)


def _submission_store(
    *,
    student,
    problem: Problem,
    answers: Any,
    idempotency_key: str | None,
    quiz: Quiz | None,
    offering: Offering | None = None,
) -> tuple[Submission, int]:
    """Store the submission; returns it and the priority of its grading."""
    _submission_window_check(problem=problem, quiz=quiz)
    if offering is not None and offering.course_id != problem.lesson.course_id:
        raise ValidationError(
            f"'{problem.title}' is not part of the course of {offering}; "
            "open it again from your LMS."
        )
    # Lock the variant row so two concurrent submissions count attempts in turn
    # (``no_key``: foreign-key checks of other rows that reference it go on).
    ids = {"problem": problem.pk, "student": student.pk}
    locked = _VARIANT_LOCK.rows(**ids)
    if not locked:  # a first submission: make the variant, then lock it
        variant_get_or_create(student=student, problem=problem)
        locked = _VARIANT_LOCK.rows(**ids)
    variant_id, seed = locked[0]["id"], locked[0]["seed"]
    answers_validate(problem=problem, answers=answers, seed=seed)
    # One query for the student's load (fairness) and the attempts of this
    # context, counted while the variant is locked.
    since = fairness.trouble_since()
    if quiz is None:
        rows = _PRACTICE_LOAD.rows(**ids, since=since)
    else:
        rows = _QUIZ_LOAD.rows(**ids, quiz=quiz.pk, since=since)
    load = rows[0] if rows else {"used": 0, "in_flight": 0, "troubled": 0}
    priority = fairness.grading_priority_of(load)
    used = load["used"]
    limit = selectors.attempt_limit_for(problem=problem, quiz=quiz)
    if limit is not None and used >= limit:
        raise ValidationError(
            f"You have used all {limit} attempts for '{problem.title}'; "
            "no more submissions are accepted."
        )
    submission = Submission(
        student=student,
        problem=problem,
        problem_version_id=_current_version_id(problem),
        variant_id=variant_id,
        answers=answers,
        status=Submission.Status.QUEUED,
        sent_at=timezone.now(),  # sent right after commit; cleared if that fails
        attempt=used + 1,
        idempotency_key=idempotency_key,
        quiz=quiz,
        offering=offering,
    )
    # Its foreign keys are objects loaded above and its id a fresh uuid4, so
    # checking them again would cost a query each on the hot path; the database's
    # constraints (idempotency key included) still hold.
    submission.full_clean(
        exclude=[
            "id",
            "student",
            "problem",
            "problem_version",
            "variant",
            "quiz",
            "offering",
        ]  # fmt: skip
    )
    submission.save()
    submission.counted = True  # queued: an attempt (``selectors.COUNTS_AS_ATTEMPT``)
    return submission, priority


def _load_of(*, student, problem, since, quiz=None):
    """A student's submissions, grouped to one row: the attempts used in one
    context (practice, or ``quiz``) and ``fairness.grading_load``."""
    context = Q(problem=problem) & (Q(quiz=quiz) if quiz else Q(quiz__isnull=True))
    return (
        Submission.objects.filter(student=student)
        .values("student")
        .annotate(
            used=Count("pk", filter=context & selectors.COUNTS_AS_ATTEMPT),
            **fairness.grading_load(since=since),
        )
        .order_by()
    )


_VARIANT_LOCK = Compiled(
    lambda problem, student: (
        Variant.objects.select_for_update(no_key=True)
        .filter(problem=problem, student=student)
        .values("id", "seed")
    ),
    problem="int",
    student="int",
)
_KEY_USED = Compiled(
    lambda student, key: Submission.objects.filter(
        student=student, idempotency_key=key
    ).values("id")[:1],
    student="int",
    key="str",
)
_PRACTICE_LOAD = Compiled(_load_of, student="int", problem="int", since="datetime")
_QUIZ_LOAD = Compiled(
    _load_of, student="int", problem="int", quiz="int", since="datetime"
)


def _current_version_id(problem: Problem) -> int:
    """The id of the problem's current version: ``current_version_id`` when the
    problem was loaded with it (``selectors.with_current_version``), else looked up."""
    known = getattr(problem, "current_version_id", None)
    if known is not None:
        return known
    return problem_version_current(problem=problem).pk


class IdempotencyConflict(Exception):
    """An idempotency key already used with other answers (the API's 409)."""


def submission_retried(
    *, student, problem: Problem, answers: Any, key: str | None
) -> Submission | None:
    """The submission an earlier request with idempotency key ``key`` made, if any.

    A retried request must repeat the first one: other answers raise
    ``IdempotencyConflict``; the key of another problem's submission raises
    ``ValidationError``. ``None`` (no key, or a key not used yet) means a new
    submission, stored by ``submission_create(..., key_checked=True)``.
    """
    if key is None:
        return None
    if not _KEY_USED.rows(student=student.pk, key=key):
        return None  # the common case, in one compiled query
    existing = Submission.objects.filter(student=student, idempotency_key=key).first()
    if existing is not None and existing.answers != answers:
        raise IdempotencyConflict(
            "This key was already used with other answers; "
            "send a new key for a new submission."
        )
    if existing is not None:
        _key_problem_check(existing, problem)
    return existing


def submission_for_key(*, student, problem: Problem, key: str) -> Submission | None:
    """The student's submission made with idempotency key ``key``, if any.

    ``ValidationError`` when that submission is of another problem.
    """
    existing = Submission.objects.filter(student=student, idempotency_key=key).first()
    if existing is not None:
        _key_problem_check(existing, problem)
    return existing


def _key_problem_check(existing: Submission, problem: Problem) -> None:
    if existing.problem_id != problem.pk:
        raise ValidationError(
            "This idempotency key was already used for another problem; "
            "send a new key for a new submission."
        )


def _submission_window_check(*, problem: Problem, quiz: Quiz | None) -> None:
    now = timezone.now()
    if problem.due_at and now > problem.due_at:
        raise ValidationError(
            f"'{problem.title}' was due {problem.due_at:%Y-%m-%d %H:%M} UTC."
        )
    if quiz is None:
        return
    if not quiz.items.filter(problem=problem).exists():
        raise ValidationError(
            f"'{problem.title}' is not part of the quiz '{quiz.title}'."
        )
    if quiz.opens_at and now < quiz.opens_at:
        raise ValidationError(
            f"The quiz '{quiz.title}' opens {quiz.opens_at:%Y-%m-%d %H:%M} UTC."
        )
    if quiz.due_at and now > quiz.due_at:
        raise ValidationError(
            f"The quiz '{quiz.title}' closed {quiz.due_at:%Y-%m-%d %H:%M} UTC."
        )


def answers_validate(
    *, problem: Problem, answers: Any, seed: int | None = None
) -> None:
    """Raise ``ValidationError`` unless ``answers`` is a dict of the problem's step ids -> text."""
    if not isinstance(answers, dict):
        raise ValidationError(
            "Answers must be an object mapping step ids to text, "
            f'e.g. {{"forward:u": "6"}}; got {type(answers).__name__}.'
        )
    if not answers:
        raise ValidationError("No answers were given: fill in at least one step.")
    allowed = problem_step_ids(problem=problem, seed=seed)
    for key, value in answers.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise ValidationError(
                f'Answer {key!r} must be text (a string), like "2*v" or "-0.5".'
            )
        if len(value) > ANSWER_MAX_LENGTH:
            raise ValidationError(
                f"The answer for {key} is {len(value)} characters long; "
                f"the limit is {ANSWER_MAX_LENGTH}."
            )
        if allowed is not None and key not in allowed:
            raise ValidationError(f"{key!r} is not a step of this problem.")
        if allowed is None and not _STEP_ID.match(key):
            raise ValidationError(
                f"{key!r} is not a step id: use forward:<node>, local:<node>/<parent> "
                "or grad:<node>."
            )


def problem_step_ids(*, problem: Problem, seed: int | None = None) -> set[str] | None:
    """The answerable step ids of a problem, or ``None`` when the engine cannot list them.

    Step ids depend on the graph, never on the numbers, so the spec's own inputs
    are traced (``seed`` is accepted for callers that have one, and ignored).
    """
    kind = kinds.get(problem.kind)
    if not kind.traced:
        return set(kind.step_ids(problem.spec))
    return step_ids(problem, lambda: _traced_step_ids(problem))


def _traced_step_ids(problem: Problem) -> set[str] | None:
    kind = kinds.get(problem.kind)
    spec = kind.concrete(problem.spec, None)
    try:
        return set(kind.step_ids(spec, kind.trace(spec)))
    except Exception:  # a spec the engine cannot trace is reported by its validator
        logger.exception("Could not list the steps of problem %s", problem.pk)
        return None


# --- Helpers -------------------------------------------------------------------


def _apply(instance, **fields) -> bool:
    """Set ``fields`` on ``instance`` and save it if anything differs (or it is new)."""
    changed = instance._state.adding
    for name, value in fields.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    if changed:
        _save(instance)
    return changed


def _save(instance) -> None:
    instance.full_clean()
    instance.save()
