"""Reads: what a user may see, attempts, reveal policy, quiz scores, gradebooks.

A student's selectors filter by the student first, so they never return
another student's submission or variant.
"""

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    FloatField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.http import Http404
from django.utils import timezone

from courseware.models import (
    Course,
    CourseMembership,
    Lesson,
    Offering,
    OfferingMembership,
    Problem,
    ProblemVersion,
    Quiz,
    Submission,
    Variant,
)

OUTCOME_INVALID = "invalid"  # contract 3: no cell could be read

# --- Membership and roles ---------------------------------------------------


def user_course_role(*, user, course: Course) -> str | None:
    """``"instructor"``, ``"student"`` or ``None`` (not enrolled).

    A member of one of the course's offerings (an LMS course linked to it)
    reads the course's content as a student; only ``CourseMembership``
    instructors author it.
    """
    if not user.is_authenticated:
        return None
    # Asked several times per request (access, then what to show): looked up
    # once per user object, which lives for one request. Writes that change a
    # membership forget it (``forget_course_roles``).
    known = user.__dict__.setdefault(_ROLES, {})
    if course.pk not in known:
        role = (
            CourseMembership.objects.filter(course=course, user=user)
            .values_list("role", flat=True)
            .first()
        )
        if role is None and _offering_memberships(user=user, course=course).exists():
            role = CourseMembership.Role.STUDENT
        known[course.pk] = role
    return known[course.pk]


_ROLES = "_tracegrade_course_roles"


def with_viewer_role(queryset: QuerySet, *, user, course_ref: str) -> QuerySet:
    """``queryset`` annotated with what ``user_course_role`` needs for the course
    at ``course_ref`` (``"pk"``, ``"course"``, ``"lesson__course"``): the role
    found in the same query, then remembered by ``remember_viewer_role``."""
    if not user.is_authenticated:
        return queryset
    return queryset.annotate(
        viewer_role=Subquery(
            CourseMembership.objects.filter(
                course=OuterRef(course_ref), user=user
            ).values("role")[:1]
        ),
        viewer_in_offering=Exists(
            OfferingMembership.objects.filter(
                user=user, offering__course=OuterRef(course_ref), is_active=True
            )
        ),
    )


def remember_viewer_role(*, user, course: Course, annotated) -> None:
    """Store the role ``with_viewer_role`` read for ``user_course_role`` to answer."""
    if not user.is_authenticated or not hasattr(annotated, "viewer_role"):
        return
    role = annotated.viewer_role
    if role is None and annotated.viewer_in_offering:
        role = CourseMembership.Role.STUDENT
    user.__dict__.setdefault(_ROLES, {})[course.pk] = role


def forget_course_roles(user) -> None:
    """Drop what ``user_course_role`` remembered for this user object."""
    user.__dict__.pop(_ROLES, None)


def _offering_memberships(*, user, course: Course):
    return OfferingMembership.objects.filter(
        user=user, offering__course=course, is_active=True
    )


def user_is_instructor(*, user, course: Course) -> bool:
    """Course instructors and site staff may see unpublished problems and others' work."""
    if not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    return (
        user_course_role(user=user, course=course) == CourseMembership.Role.INSTRUCTOR
    )


def user_is_member(*, user, course: Course) -> bool:
    return user_is_instructor(user=user, course=course) or (
        user_course_role(user=user, course=course) is not None
    )


def course_list_for_user(*, user) -> QuerySet[Course]:
    if user.is_authenticated and user.is_staff:
        return Course.objects.all()
    if not user.is_authenticated:
        return Course.objects.none()
    return Course.objects.filter(
        Q(memberships__user=user)
        | Q(
            offerings__memberships__user=user,
            offerings__memberships__is_active=True,
        )
    ).distinct()


# --- Lessons and problems ----------------------------------------------------


def lesson_list(*, course: Course) -> QuerySet[Lesson]:
    return Lesson.objects.filter(course=course).order_by("order", "slug")


def course_get(*, slug: str, user=None) -> Course:
    """The course (404 when there is none); with ``user``, their role read alongside."""
    courses = Course.objects.filter(slug=slug)
    if user is not None:
        courses = with_viewer_role(courses, user=user, course_ref="pk")
    course = courses.first()
    if course is None:
        raise Http404("No such course.")
    if user is not None:
        remember_viewer_role(user=user, course=course, annotated=course)
    return course


def lesson_get(*, course_slug: str, lesson_slug: str, user=None) -> Lesson:
    """The lesson with its course (404 when there is none); with ``user``, their
    role in the course is read in the same query."""
    lessons = Lesson.objects.select_related("course").filter(
        course__slug=course_slug, slug=lesson_slug
    )
    if user is not None:
        lessons = with_viewer_role(lessons, user=user, course_ref="course")
    lesson = lessons.first()
    if lesson is None:
        raise Http404("No such lesson.")
    if user is not None:
        remember_viewer_role(user=user, course=lesson.course, annotated=lesson)
    return lesson


def problem_list_for_user(*, lesson: Lesson, user) -> QuerySet[Problem]:
    """A lesson's problems in order; students see published ones only."""
    problems = Problem.objects.filter(lesson=lesson).order_by("order", "slug")
    if user_is_instructor(user=user, course=lesson.course):
        return problems
    return problems.filter(published=True)


def with_best_score(problems: QuerySet[Problem], *, student) -> QuerySet[Problem]:
    """``problems`` annotated ``best``: the student's best graded score (``best_scores``)."""
    if not student.is_authenticated:
        return problems.annotate(best=Value(None, output_field=FloatField()))
    best = (
        Submission.objects.filter(
            COUNTS_AS_ATTEMPT,
            student=student,
            problem=OuterRef("pk"),
            status=Submission.Status.GRADED,
        )
        .order_by()
        .values("problem")
        .annotate(best=Max("score"))
        .values("best")
    )
    return problems.annotate(best=Subquery(best))


def problem_get_for_user(*, lesson: Lesson, slug: str, user) -> Problem:
    """One problem of a lesson, or 404 when it does not exist or is not visible to ``user``.

    For a signed-in user the problem carries ``viewer_variant_seed``: the seed
    of their variant, or None before they have one (``services.variant_seed_for``).
    """
    problems = problem_list_for_user(lesson=lesson, user=user).filter(slug=slug)
    problem = with_variant_seed(problems, user=user).first()
    if problem is None:
        raise Http404("No such problem.")
    problem.lesson = lesson  # the lesson (and course) already loaded
    return problem


def with_current_version(problems: QuerySet[Problem]) -> QuerySet[Problem]:
    """``problems`` annotated ``current_version_id``: the ``ProblemVersion`` matching
    ``Problem.version`` (None when it is missing; ``services`` then makes it)."""
    versions = ProblemVersion.objects.filter(
        problem=OuterRef("pk"), number=OuterRef("version")
    ).values("pk")
    return problems.annotate(current_version_id=Subquery(versions[:1]))


def with_variant_seed(problems: QuerySet[Problem], *, user) -> QuerySet[Problem]:
    """``problems`` annotated ``viewer_variant_seed`` (the user's variant's seed, or None)."""
    if not user.is_authenticated:
        return problems
    seed = Variant.objects.filter(problem=OuterRef("pk"), student=user).values("seed")
    return problems.annotate(viewer_variant_seed=Subquery(seed[:1]))


def variant_for_student(*, student, problem: Problem) -> Variant | None:
    return Variant.objects.filter(student=student, problem=problem).first()


# --- Submissions ---------------------------------------------------------------


def submission_list_for_student(
    *, student, problem: Problem | None = None, quiz: Quiz | None = None
) -> QuerySet[Submission]:
    """The student's own submissions, newest first."""
    submissions = Submission.objects.filter(student=student)
    if problem is not None:
        submissions = submissions.filter(problem=problem)
    if quiz is not None:
        submissions = submissions.filter(quiz=quiz)
    return with_counted(
        submissions.select_related("problem", "problem_version")
    ).order_by("-created_at")


def submission_get_for_user(*, user, submission_id: UUID | str) -> Submission:
    """A submission its own student, a course instructor or staff may see; 404 for anyone else.

    404 (not 403) so that a submission id reveals nothing about whether it exists.
    """
    try:
        submission_id = UUID(str(submission_id))
        submission = Submission.objects.select_related(
            "problem__lesson__course", "problem_version", "variant", "student"
        ).get(pk=submission_id)
    except (Submission.DoesNotExist, ValueError, TypeError) as missing:
        raise Http404("No such submission.") from missing
    if submission.student_id == getattr(user, "pk", None):
        return submission
    if user_is_instructor(user=user, course=submission.problem.lesson.course):
        return submission
    if submission.offering_id is not None and _reads_offering(
        user=user, offering_id=submission.offering_id
    ):
        return submission
    raise Http404("No such submission.")


def _reads_offering(*, user, offering_id: int) -> bool:
    return OfferingMembership.objects.filter(
        user=user,
        offering_id=offering_id,
        is_active=True,
        role__in=(OfferingMembership.Role.STAFF, OfferingMembership.Role.INSTRUCTOR),
    ).exists()


# --- Attempts and reveal policy ----------------------------------------------

# The one rule for what counts as an attempt: not a system failure (``error``)
# and not a submission in which no cell could be read (outcome ``invalid``).
# Queued and grading submissions count (they hold their attempt while graded).
# Used as a filter, in ``Count(filter=...)`` and as an annotation, so the page,
# the API, the gradebook and the attempt limit all agree.
COUNTS_AS_ATTEMPT = ~Q(status=Submission.Status.ERROR) & ~Q(
    status=Submission.Status.GRADED, result__outcome=OUTCOME_INVALID
)


def attempt_list(
    *, student, problem: Problem, quiz: Quiz | None = None
) -> QuerySet[Submission]:
    """One context's submissions, newest first, each annotated ``counted``.

    Practice (``quiz=None``) and every quiz are separate contexts: each has its
    own attempts, numbered from 1, its own limit and its own history.
    """
    submissions = Submission.objects.filter(student=student, problem=problem)
    if quiz is None:
        submissions = submissions.filter(quiz__isnull=True)
    else:
        submissions = submissions.filter(quiz=quiz)
    return with_counted(submissions).order_by("-created_at")


def with_counted(submissions: QuerySet[Submission]) -> QuerySet[Submission]:
    """``submissions`` annotated ``counted``: whether each counts as an attempt."""
    return submissions.annotate(
        counted=ExpressionWrapper(COUNTS_AS_ATTEMPT, output_field=BooleanField())
    )


def submission_counts_as_attempt(*, submission: Submission) -> bool:
    """Whether ``submission`` counts as an attempt (``COUNTS_AS_ATTEMPT``)."""
    counted = getattr(submission, "counted", None)
    if counted is not None:
        return counted
    return (
        Submission.objects.filter(pk=submission.pk).filter(COUNTS_AS_ATTEMPT).exists()
    )


def attempt_limit_for(*, problem: Problem, quiz: Quiz | None = None) -> int | None:
    """The attempt limit that applies: the quiz's ``max_attempts`` when set, else the problem's."""
    if quiz is not None and quiz.max_attempts is not None:
        return quiz.max_attempts
    return problem.attempt_limit


def attempts_used(*, student, problem: Problem, quiz: Quiz | None = None) -> int:
    """Attempts the student has made in one context (practice, or one quiz)."""
    return (
        attempt_list(student=student, problem=problem, quiz=quiz)
        .filter(COUNTS_AS_ATTEMPT)
        .count()
    )


def attempts_left(*, student, problem: Problem, quiz: Quiz | None = None) -> int | None:
    """Attempts remaining in one context, or ``None`` when unlimited."""
    limit = attempt_limit_for(problem=problem, quiz=quiz)
    if limit is None:
        return None
    return max(0, limit - attempts_used(student=student, problem=problem, quiz=quiz))


def problem_solved(*, student, problem: Problem) -> bool:
    """Whether the student has a fully correct graded submission (score 1)."""
    return Submission.objects.filter(
        student=student,
        problem=problem,
        status=Submission.Status.GRADED,
        score__gte=1.0 - 1e-9,
    ).exists()


def quizzes_not_over(
    *, problem: Problem, now: datetime | None = None
) -> QuerySet[Quiz]:
    """The quizzes containing ``problem`` that have not closed (open, upcoming or undated).

    A quiz without a due date never closes.
    """
    now = now or timezone.now()
    return Quiz.objects.filter(items__problem=problem).filter(
        Q(due_at__isnull=True) | Q(due_at__gte=now)
    )


def answer_key_visible(
    *, student, problem: Problem, now: datetime | None = None
) -> bool:
    """Whether the reveal policy lets ``student`` see the answer key now.

    The one place that decides it. First, never while a quiz containing the
    problem is open or still to come: the quiz uses the same variant, so a key
    seen in practice would answer the quiz (and its LMS score). Then:

    - ``always``: always; ``never``: never.
    - ``after_correct``: once the student has a fully correct submission.
    - ``after_attempts`` (the default): once solved, or once every practice
      attempt is used (with no attempt limit, that means once solved).
    - ``after_due``: once ``due_at`` has passed (never when there is no due date).
    """
    now = now or timezone.now()
    if quizzes_not_over(problem=problem, now=now).exists():
        return False
    policy = problem.reveal_policy
    Policy = Problem.RevealPolicy
    if policy == Policy.ALWAYS:
        return True
    if policy == Policy.NEVER:
        return False
    if policy == Policy.AFTER_DUE:
        return problem.due_at is not None and now >= problem.due_at
    if problem_solved(student=student, problem=problem):
        return True
    if policy == Policy.AFTER_ATTEMPTS:
        return attempts_left(student=student, problem=problem) == 0
    return False


# --- Quiz score and gradebooks ----------------------------------------------


def best_scores(
    *, student, problems, quiz: Quiz | None = None, offering: Offering | None = None
) -> dict[int, float]:
    """problem id -> the student's best graded score (0..1), for problems with a grade.

    With ``offering``, only the work done in that offering counts.
    """
    submissions = Submission.objects.filter(
        COUNTS_AS_ATTEMPT,
        student=student,
        problem__in=problems,
        status=Submission.Status.GRADED,
    )
    if quiz is not None:
        submissions = submissions.filter(quiz=quiz)
    if offering is not None:
        submissions = submissions.filter(offering=offering)
    rows = submissions.values("problem_id").annotate(best=Max("score"))
    return {row["problem_id"]: row["best"] or 0.0 for row in rows}


def quiz_score_for_student(
    *, quiz: Quiz, student, offering: Offering | None = None
) -> float:
    """The quiz score in 0..1: the points-weighted mean over items of the best graded score.

    The best (not the latest) graded attempt made within the quiz counts, so a
    later worse attempt never lowers a grade already passed back to an LMS. An
    item without a graded attempt counts 0. With equal points this is the plain
    mean of the items' best scores.
    """
    problems = [item.problem for item in quiz.items.select_related("problem")]
    if not problems:
        return 0.0
    best = best_scores(student=student, problems=problems, quiz=quiz, offering=offering)
    return quiz_score_of(problems=problems, best=best)


def quiz_score_of(*, problems: list[Problem], best: dict[int, float]) -> float:
    """``quiz_score_for_student`` from the quiz's problems and their ``best_scores``."""
    total_points = sum(problem.points for problem in problems)
    if not problems or total_points <= 0:
        return 0.0
    earned = sum(problem.points * best.get(problem.pk, 0.0) for problem in problems)
    return earned / total_points


@dataclass(frozen=True)
class GradebookRow:
    """One student in a course gradebook: best score per problem slug, and points earned."""

    student_id: int
    username: str
    scores: dict[str, float | None] = field(default_factory=dict)
    points: float = 0.0
    points_possible: float = 0.0
    name: str = ""


def display_name(user) -> str:
    """A person's name as an instructor knows it (from the LMS), else the username."""
    return user.get_full_name().strip() or user.get_username()


def gradebook_rows(
    *, course: Course, offering: Offering | None = None
) -> list[GradebookRow]:
    """A row per student, with the best graded score of every published problem.

    Without ``offering``: the course's directly enrolled students and their
    direct work. With it: the offering's learners and the work done in it.
    """
    if offering is not None:
        course = offering.course
    problems = list(
        Problem.objects.filter(lesson__course=course, published=True).order_by(
            "lesson__order", "order", "slug"
        )
    )
    possible = sum(problem.points for problem in problems)
    if offering is None:
        users = [
            membership.user
            for membership in CourseMembership.objects.filter(
                course=course, role=CourseMembership.Role.STUDENT
            )
            .select_related("user")
            .order_by("user__username")
        ]
    else:
        users = [
            membership.user
            for membership in OfferingMembership.objects.filter(
                offering=offering,
                role=OfferingMembership.Role.LEARNER,
                is_active=True,
            )
            .select_related("user")
            .order_by("user__last_name", "user__first_name", "user__username")
        ]
    best: dict[tuple[int, int], float] = {}
    rows = (
        Submission.objects.filter(
            COUNTS_AS_ATTEMPT,
            problem__in=problems,
            status=Submission.Status.GRADED,
            offering=offering,
        )
        .values("student_id", "problem_id")
        .annotate(best=Max("score"))
    )
    for row in rows:
        best[(row["student_id"], row["problem_id"])] = row["best"] or 0.0
    result = []
    for user in users:
        scores = {p.slug: best.get((user.pk, p.pk)) for p in problems}
        points = sum(p.points * (best.get((user.pk, p.pk)) or 0.0) for p in problems)
        result.append(
            GradebookRow(
                student_id=user.pk,
                username=user.get_username(),
                scores=scores,
                points=points,
                points_possible=possible,
                name=display_name(user),
            )
        )
    return result


@dataclass(frozen=True)
class ProblemGradebookRow:
    """One student's record on one problem."""

    student_id: int
    username: str
    attempts: int
    best_score: float | None
    latest_score: float | None
    latest_status: str | None
    name: str = ""


def problem_gradebook_rows(
    *, problem: Problem, offering: Offering | None = None
) -> list[ProblemGradebookRow]:
    """A row per student who submitted to ``problem``: attempts, best and latest score.

    Every student of every offering; with ``offering``, that offering's only.
    """
    submissions = Submission.objects.filter(problem=problem)
    if offering is not None:
        submissions = submissions.filter(offering=offering)
    per_student = (
        submissions.values(
            "student_id",
            "student__username",
            "student__first_name",
            "student__last_name",
        )
        .annotate(
            attempts=Count("id", filter=COUNTS_AS_ATTEMPT),
            best=Max(
                "score", filter=Q(status=Submission.Status.GRADED) & COUNTS_AS_ATTEMPT
            ),
        )
        .order_by("student__username")
    )
    latest = {}
    for submission in submissions.order_by("created_at"):
        latest[submission.student_id] = submission
    return [
        ProblemGradebookRow(
            student_id=row["student_id"],
            username=row["student__username"],
            attempts=row["attempts"],
            best_score=row["best"],
            latest_score=latest[row["student_id"]].score,
            latest_status=latest[row["student_id"]].status,
            name=" ".join(
                part
                for part in (row["student__first_name"], row["student__last_name"])
                if part
            )
            or row["student__username"],
        )
        for row in per_student
    ]


# Only these keys of a stored step result ever reach a student; ``expected`` is
# added separately, and only when the reveal policy allows it (an allow-list, so
# a field the grader adds later stays private until it is listed here).
PUBLIC_STEP_KEYS = (
    "id",
    "status",
    "score",
    "message",
    "misconception",
    "interpreted",
    "builds_on",
    "column",
)


def answer_key_visible_to(*, submission: Submission, user) -> bool:
    """Whether ``user`` may see the answer key of ``submission`` now.

    Course instructors always may; the student, when the reveal policy allows.
    """
    problem = submission.problem
    if user_is_instructor(user=user, course=problem.lesson.course):
        return True
    return answer_key_visible(student=submission.student, problem=problem)


def submission_result_for_viewer(*, submission: Submission, user) -> dict | None:
    """The stored grade (contract 3) as ``user`` may see it, or None before grading.

    Steps keep only ``PUBLIC_STEP_KEYS``, plus ``expected`` when the key is visible.
    """
    result = submission.result
    if result is None:
        return None
    reveal = answer_key_visible_to(submission=submission, user=user)
    steps = []
    for step in result.get("steps", []):
        public = {key: step.get(key) for key in PUBLIC_STEP_KEYS}
        if reveal and step.get("expected") is not None:
            public["expected"] = step["expected"]
        steps.append(public)
    return {**result, "steps": steps}
