"""A course with every kind of visitor, and every URL the site answers.

``World`` is the course in ``content/`` plus one extra problem whose inputs are
odd decimals ("leak-check"), so its answer key is easy to spot in a page.
Roles: ``anonymous``, ``student`` (owns the submissions), ``other`` (another
student of the course), ``instructor``, and ``outsider`` (signed in, enrolled
nowhere).
"""

import uuid
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from courseware import content_io, problem_saving, services
from courseware.models import Course, Lesson, Offering, Problem, Quiz, Submission

ROLES = ("anonymous", "student", "other", "instructor", "outsider")
PASSWORD = "pw-security-1"

LEAK_CHECK = {
    "kind": "scalar_trace",
    "program": "u = x*y\nv = u + b\nz = v**2\n",
    "inputs": {"x": 1.37, "y": -2.91, "b": 0.53},
    "ask": ["forward", "local", "grad"],
    "local_form": "either",
    "tolerance": {"rel": 1.0e-3},
}


@dataclass
class World:
    course: Course
    lesson: Lesson
    problem: Problem  # the lesson's "Work this"
    leak_check: Problem
    quiz: Quiz
    users: dict = field(default_factory=dict)
    submission: Submission | None = None  # the student's, of "Work this"
    leak_submission: Submission | None = None  # the student's, of leak-check

    def client(self, role: str, **kwargs) -> Client:
        client = Client(**kwargs)
        if role != "anonymous":
            client.force_login(self.users[role])
        return client


def _graded(*, student, problem: Problem, answers: dict) -> Submission:
    """A submission graded in this process (the grading path the worker runs)."""
    from grader.services import submission_grade

    submission = services.submission_create(
        student=student, problem=problem, answers=answers
    )
    submission_grade(submission_id=submission.pk)
    submission.refresh_from_db()
    assert submission.status == Submission.Status.GRADED
    return submission


@pytest.fixture(autouse=True)
def isolated_cache(settings):
    """A private cache: API throttle counts never leak between tests or runs."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"security-{uuid.uuid4().hex}",
        }
    }


@pytest.fixture
def world(db, django_user_model) -> World:
    content_io.import_folder(settings.BASE_DIR / "content")
    course = Course.objects.get(
        slug=content_io.course_slug(settings.BASE_DIR / "content")
    )
    lesson = course.lessons.order_by("order").first()
    leak_check, _ = problem_saving.problem_save(
        lesson=lesson,
        slug="leak-check",
        title="Leak check",
        spec=LEAK_CHECK,
        attempt_limit=5,
        reveal_policy=Problem.RevealPolicy.AFTER_ATTEMPTS,
        order=99,
    )
    world = World(
        course=course,
        lesson=lesson,
        problem=Problem.objects.get(lesson=lesson, slug="work-this-trace"),
        leak_check=leak_check,
        quiz=Quiz.objects.filter(lesson=lesson).first(),
    )
    roles = {"student": "student", "other": "student", "instructor": "instructor"}
    for role in ("student", "other", "instructor", "outsider"):
        user = django_user_model.objects.create_user(
            username=f"{role}-user", password=PASSWORD
        )
        if role in roles:
            services.course_enrol(course=course, user=user, role=roles[role])
        world.users[role] = user
    student = world.users["student"]
    world.submission = _graded(
        student=student, problem=world.problem, answers={"forward:u": "1"}
    )
    world.leak_submission = _graded(
        student=student, problem=world.leak_check, answers={"forward:u": "1"}
    )
    return world


# --- Every URL pattern ---------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    name: str  # namespaced, e.g. "api:submission"
    route: str  # e.g. "api/v1/submissions/<uuid:pk>/"
    params: tuple[str, ...]
    callback: object


def endpoints(resolver=None, prefix: str = "", namespace: str = ""):
    """Every URL pattern of the site, with its namespaced name and parameters."""
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = ":".join(n for n in (namespace, entry.namespace) if n)
            yield from endpoints(entry, route, ns)
        elif isinstance(entry, URLPattern):
            name = ":".join(n for n in (namespace, entry.name or route) if n)
            regex = entry.pattern.regex
            yield Endpoint(name, route, tuple(regex.groupindex), entry.callback)


def _offering(world: World) -> Offering:
    """An LMS offering of the world's course (no LMS member in it)."""
    offering, _ = Offering.objects.get_or_create(
        course=world.course, title="Matrix offering"
    )
    return offering


def url_kwargs(
    world: World,
    endpoint: Endpoint,
    problem: Problem | None = None,
    submission: Submission | None = None,
) -> dict:
    """Concrete values for an endpoint's parameters, pointing at the world's objects."""
    problem = problem or world.problem
    submission = submission or world.submission
    values = {
        "course_slug": world.course.slug,
        "lesson_slug": world.lesson.slug,
        "problem_slug": problem.slug,
        "quiz_slug": world.quiz.slug,
        "submission_id": submission.pk,
        "registration_uuid": uuid.uuid4(),
        "offering_id": _offering(world).pk if "offering_id" in endpoint.params else 0,
        "pk": submission.pk if "submission" in endpoint.name else problem.pk,
    }
    return {name: values[name] for name in endpoint.params}
