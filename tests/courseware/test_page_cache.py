"""Whole pages from the page cache: never stale, never another student's, fresh tokens.

``courseware.page_cache`` serves a page again while its digest
(``courseware.page_state``) holds. Each test fills the cache (three visits:
the first makes the student's variant), changes one thing the page is made
from, and looks at the next visit.
"""

import re
import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from courseware import page_state, services
from courseware.models import Lesson, Problem, Quiz, QuizItem, Submission

pytestmark = pytest.mark.django_db

BASE = "/courses/deep-learning/credit-assignment/"
WORK = BASE + "problems/work-this-trace/"
QUIZ = BASE + "quizzes/credit-assignment/"
CACHED = 2  # queries of a page served from the cache: the user, the digest
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
KEY = re.compile(r'name="idempotency_key" value="([0-9a-f]{32})"')


def student(name: str):
    user = get_user_model().objects.create_user(name, password="pw-for-tests-1")
    services.course_enrol(course=Lesson.objects.get().course, user=user)
    return user


@pytest.fixture
def ada():
    call_command("import_content", "content/", verbosity=0)
    caches["pages"].clear()
    return student("ada")


def client_of(user, **options) -> Client:
    client = Client(**options)
    client.force_login(user)
    return client


def visit(client: Client, path: str) -> tuple[str, int]:
    """The page's HTML (200 asserted) and the queries it took."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.content.decode(), len(queries)


def cached(client: Client, path: str) -> str:
    """Visit until the page comes from the cache; its HTML then."""
    for _ in range(3):
        html, queries = visit(client, path)
    assert queries == CACHED, (path, queries)
    return html


def without_tokens(html: str) -> str:
    return KEY.sub("", CSRF.sub("", html))


def test_a_cached_page_has_fresh_keys_and_a_working_csrf_token(ada):
    client = client_of(ada, enforce_csrf_checks=True)
    first = cached(client, WORK)
    second, queries = visit(client, WORK)
    assert queries == CACHED
    keys = KEY.findall(first) + KEY.findall(second)
    assert len(keys) == 2 and len(set(keys)) == 2  # a new idempotency key per visit
    assert CSRF.findall(first)[0] != CSRF.findall(second)[0]  # masked anew
    assert without_tokens(first) == without_tokens(second)
    token = CSRF.findall(second)[0]
    assert (
        client.post("/accounts/logout/", {"csrfmiddlewaretoken": token}).status_code
        == 302
    )


def test_a_submission_and_its_grading_show_at_once(ada):
    client = client_of(ada)
    before = cached(client, WORK)
    lesson = cached(client, BASE)
    problem = Problem.objects.get(slug="work-this-trace")
    submission = services.submission_create(
        student=ada, problem=problem, answers={"forward:u": "6"}
    )
    html, _ = visit(client, WORK)
    assert "Attempt 1 is queued" in html and "Attempt 1 is" not in before
    # The lesson page shows graded scores only: a queued submission keeps it.
    html, queries = visit(client, BASE)
    assert queries == CACHED and without_tokens(html) == without_tokens(lesson)
    cached(client, WORK)
    # The grading worker's write: a queryset update, no signal.
    Submission.objects.filter(pk=submission.pk).update(
        status=Submission.Status.GRADED,
        score=0.25,
        result={"outcome": "graded", "message": "Marked by the worker", "steps": []},
    )
    html, _ = visit(client, WORK)
    assert "Marked by the worker" in html and "25" in html
    assert "best 25" in visit(client, BASE)[0] and "best 25" not in lesson


def test_another_student_never_gets_the_page(ada):
    cached(client_of(ada), WORK)
    cached(client_of(ada), BASE)
    bob = student("bob")
    for path in (WORK, BASE):
        html, queries = visit(client_of(bob), path)
        assert queries > CACHED  # rendered for bob, not served from ada's
        assert "Signed in as bob" in html and "Signed in as ada" not in html


def test_content_edits_show_at_once(ada):
    client = client_of(ada)
    cached(client, BASE)
    Problem.objects.filter(slug="relu-blame").update(title="A renamed problem")
    assert "A renamed problem" in visit(client, BASE)[0]
    cached(client, BASE)
    Problem.objects.filter(slug="relu-blame").update(published=False)
    assert "A renamed problem" not in visit(client, BASE)[0]
    cached(client, WORK)
    Lesson.objects.update(title="A renamed lesson")
    assert "A renamed lesson" in visit(client, WORK)[0]
    cached(client, "/")  # home lists the lessons
    Lesson.objects.update(title="Renamed again")
    assert "Renamed again" in visit(client, "/")[0]


def test_a_role_change_shows_at_once(ada):
    client = client_of(ada)
    Problem.objects.filter(slug="relu-blame").update(
        published=False, title="Draft problem"
    )
    assert "Draft problem" not in visit(client, BASE)[0]
    cached(client, BASE)
    course = Lesson.objects.get().course
    course.memberships.filter(user=ada).update(role="instructor")
    assert "Draft problem" in visit(client, BASE)[0]


def test_a_deadline_passing_changes_the_page(ada):
    """The answer key stays hidden while a quiz holding the problem is open:
    when its due date passes (no write at all), the page is made again."""
    problem = Problem.objects.get(slug="work-this-trace")
    quiz = Quiz.objects.get(slug="credit-assignment")
    QuizItem.objects.get_or_create(quiz=quiz, problem=problem, defaults={"order": 99})
    Problem.objects.filter(pk=problem.pk).update(reveal_policy="always")
    quiz.due_at = timezone.now() + timedelta(seconds=1)
    quiz.save()
    client = client_of(ada)
    cached(client, WORK)
    digest = page_state.digest(
        "problem",
        user_id=ada.pk,
        course="deep-learning",
        lesson="credit-assignment",
        problem="work-this-trace",
    )
    time.sleep(1.2)  # the due date passes
    assert (
        page_state.digest(
            "problem",
            user_id=ada.pk,
            course="deep-learning",
            lesson="credit-assignment",
            problem="work-this-trace",
        )
        != digest
    )
    _, queries = visit(client, WORK)
    assert queries > CACHED


def test_a_quiz_page_follows_its_items(ada):
    client = client_of(ada)
    before = cached(client, QUIZ)
    QuizItem.objects.filter(quiz__slug="credit-assignment").delete()
    html, queries = visit(client, QUIZ)
    assert queries > CACHED and without_tokens(html) != without_tokens(before)


def test_pages_work_with_the_page_cache_unreachable(ada, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("page cache down")

    monkeypatch.setattr(caches["pages"], "get", broken)
    monkeypatch.setattr(caches["pages"], "set", broken)
    client = client_of(ada)
    for path in (WORK, BASE, QUIZ, "/"):
        assert visit(client, path)[0]


def test_api_reads_of_a_problem_follow_edits_and_stay_the_students(ada):
    from knox.models import AuthToken

    def api(user) -> Client:
        return Client(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user)[1]}")

    problem = Problem.objects.get(slug="work-this-trace")
    detail, variant = (
        f"/api/v1/problems/{problem.pk}/",
        f"/api/v1/problems/{problem.pk}/variant/",
    )
    client = api(ada)
    for _ in range(3):
        mine = client.get(variant).json()
        client.get(detail)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(detail).status_code == 200
    assert len(queries) == CACHED  # the token, the digest
    Problem.objects.filter(pk=problem.pk).update(title="Renamed in place")
    assert client.get(detail).json()["title"] == "Renamed in place"
    bob = api(student("bob"))
    for _ in range(3):
        theirs = bob.get(variant).json()
    seeds = services.variant_seed_for(student=ada, problem=problem)
    assert (
        services.variant_seed_for(
            student=get_user_model().objects.get(username="bob"), problem=problem
        )
        != seeds
    )
    assert theirs != mine
    Problem.objects.filter(pk=problem.pk).update(published=False)
    assert client.get(detail).status_code == 404
    assert client.get(variant).status_code == 404


def test_api_submissions_follow_the_problem_role_and_version_at_once(ada):
    """The problem a POST is of (role, variant seed, current version) comes from
    the cache while its digest holds, and never outlives a change."""
    from django.db.models import F
    from knox.models import AuthToken

    from courseware.models import CourseMembership, ProblemVersion

    client = Client(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(ada)[1]}")
    problem = Problem.objects.get(slug="work-this-trace")
    answers = dict.fromkeys(sorted(services.problem_step_ids(problem=problem))[:1], "1")

    def submit():
        return client.post(
            "/api/v1/submissions/",
            {"problem": problem.pk, "answers": answers},
            content_type="application/json",
        )

    for _ in range(3):
        assert submit().status_code == 201
    ProblemVersion.objects.create(
        problem=problem, number=problem.version + 1, spec=problem.spec
    )
    Problem.objects.filter(pk=problem.pk).update(version=F("version") + 1)
    newest = submit().json()["id"]
    assert (
        Submission.objects.get(pk=newest).problem_version.number == problem.version + 1
    )
    Problem.objects.filter(pk=problem.pk).update(published=False)
    assert submit().status_code == 404
    Problem.objects.filter(pk=problem.pk).update(published=True)
    assert submit().status_code == 201
    CourseMembership.objects.filter(user=ada).delete()
    assert submit().status_code == 404
    assert (
        client.post(
            f"/api/v1/problems/{problem.pk}/validate/",
            {"answers": answers},
            content_type="application/json",
        ).status_code
        == 404
    )


def test_the_api_course_list_follows_enrolment(ada):
    from knox.models import AuthToken

    from courseware.models import Course

    client = Client(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(ada)[1]}")
    for _ in range(3):
        before = client.get("/api/v1/courses/").json()
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/courses/").json() == before
    assert len(queries) == CACHED  # the token, the digest
    other = Course.objects.create(slug="another", title="Another course")
    assert client.get("/api/v1/courses/").json() == before  # not enrolled: unseen
    services.course_enrol(course=other, user=ada)
    assert "Another course" in str(client.get("/api/v1/courses/").json())
    Course.objects.filter(slug="another").update(title="Renamed course")
    assert "Renamed course" in str(client.get("/api/v1/courses/").json())


def test_a_page_that_used_a_csp_nonce_or_set_a_cookie_is_not_stored():
    from django.contrib.sessions.backends.base import SessionBase
    from django.http import HttpResponse
    from django.test import RequestFactory

    from courseware import page_cache

    request = RequestFactory().get(WORK)
    request.session = SessionBase()
    assert page_cache._storable(request, HttpResponse("<p>page</p>"))
    with_cookie = HttpResponse("<p>page</p>")
    with_cookie.set_cookie("chosen", "1")
    assert not page_cache._storable(request, with_cookie)
    request._csp_nonce = "per-response"
    assert not page_cache._storable(request, HttpResponse("<p>page</p>"))
