"""Who gets what: every URL of the site, for every kind of visitor.

The URL patterns come from the resolver, so a new endpoint fails
``test_every_endpoint_is_in_the_matrix`` until someone decides who may use it.
"""

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from grader.models import WorkerHeartbeat
from tests.security.conftest import ROLES, endpoints, url_kwargs

# Per endpoint: the method tried, then the status for each role in ROLES order
# (anonymous, student, other, instructor, outsider). ``login`` is a redirect
# to the sign-in page; ``a|b`` allows either. Anonymous API calls answer 401.
# POST-only endpoints are tried with an empty JSON body: 400 means "let in,
# then refused the empty input", which is what a permitted role should get.
MATRIX = {
    "healthz": ("GET", "200 200 200 200 200"),
    "readyz": ("GET", "200 200 200 200 200"),
    "favicon": ("GET", "301 301 301 301 301"),
    "login": ("GET", "200 200 200 200 200"),
    "logout": ("POST", "302 302 302 302 302"),
    "schema": ("GET", "200 200 200 200 200"),
    "api-docs": ("GET", "200 200 200 200 200"),
    # API: credentials in, token out; everything else needs a signed-in user.
    "api:token": ("POST", "400 400 400 400 400"),
    "api:logout": ("POST", "401 401 401 401 401"),
    "api:me": ("GET", "401 200 200 200 200"),
    "api:courses": ("GET", "401 200 200 200 200"),
    "api:course": ("GET", "401 200 200 200 404"),
    "api:lessons": ("GET", "401 200 200 200 404"),
    "api:lesson": ("GET", "401 200 200 200 404"),
    "api:course-gradebook": ("GET", "401 403 403 200 404"),
    "api:offering-gradebook": ("GET", "401 404 404 200 404"),
    "api:problems": ("GET", "401 200 200 200 200"),
    "api:problem": ("GET", "401 200 200 200 404"),
    "api:variant": ("GET", "401 200 200 200 404"),
    "api:validate": ("POST", "401 400 400 400 404"),
    "api:problem-gradebook": ("GET", "401 403 403 200 404"),
    "api:submissions": ("GET", "401 200 200 200 200"),
    "api:submission": ("GET", "401 200 404 200 404"),
    "api:authoring-problems": ("GET", "401 200 200 200 200"),
    "api:authoring-problem": ("GET", "401 403 403 200 404"),
    # LTI: the platform's messages carry their own signatures; without one,
    # nobody gets in, whoever is signed in.
    "lti:jwks": ("GET", "200 200 200 200 200"),
    "lti:login": ("GET", "400 400 400 400 400"),
    "lti:login-registration": ("GET", "400 400 400 400 400"),
    "lti:launch": ("POST", "403 403 403 403 403"),
    "lti:deep-link": ("POST", "403 403 403 403 403"),
    "lti:link": ("GET", "403 403 403 403 403"),
    # Registration: public by design (the platform's admin calls them).
    "lti:register": ("GET", "400 400 400 400 400"),
    "lti:canvas-config": ("GET", "200 200 200 200 200"),
    # An offering's pages: its course's authors, and its LMS instructors and staff.
    "lti:offerings": ("GET", "login 200 200 200 200"),
    "lti:offering": ("GET", "login 404 404 200 404"),
    "lti:offering-resend-grades": ("POST", "login 404 404 302 404"),
    "lti:offering-roster-sync": ("POST", "login 404 404 302 404"),
    # Student pages.
    "courseware:home": ("GET", "200 200 200 200 200"),
    "courseware:course": ("GET", "login 200 200 200 404"),
    "courseware:lesson": ("GET", "login 200 200 200 404"),
    "courseware:quiz": ("GET", "login 200 200 200 404"),
    "courseware:problem": ("GET", "login 200 200 200 404"),
    "courseware:validate": ("POST", "login 400 400 400 404"),
    "courseware:hint": ("POST", "login 400 400 400 404"),
    "courseware:submission-status": ("GET", "login 200 404 200 404"),
    "courseware:gradient-depth": ("GET", "login 200 200 200 200"),
}


def _site_endpoints():
    return [e for e in endpoints() if not e.name.startswith("admin:")]


def _request(client, method: str, url: str):
    if method == "GET":
        return client.get(url)
    return client.post(url, {}, content_type="application/json")


def _matches(response, expected: str) -> bool:
    if expected == "login":
        location = response.headers.get("Location", "")
        return response.status_code == 302 and location.startswith(
            reverse("login") + "?next="
        )
    return str(response.status_code) in expected.split("|")


def test_every_endpoint_is_in_the_matrix():
    names = {e.name for e in _site_endpoints()}
    assert names - MATRIX.keys() == set(), "new endpoints: add them to MATRIX"
    assert MATRIX.keys() - names == set(), "endpoints gone: drop them from MATRIX"


@pytest.mark.django_db
def test_authorization_matrix(world):
    # /readyz answers 503 without a live worker; a fresh heartbeat makes it a
    # plain page like any other here (tests/config/test_health.py covers 503).
    WorkerHeartbeat.objects.create(hostname="matrix@test", seen_at=timezone.now())
    wrong = []
    for endpoint in _site_endpoints():
        method, row = MATRIX[endpoint.name]
        url = reverse(endpoint.name, kwargs=url_kwargs(world, endpoint))
        for role, expected in zip(ROLES, row.split(), strict=True):
            response = _request(world.client(role), method, url)
            if not _matches(response, expected):
                wrong.append(f"{method} {url} as {role}: {response.status_code}, "
                             f"expected {expected}")  # fmt: skip
            assert response.status_code < 500, (
                f"{method} {url} as {role}: {response.status_code}"
            )
    assert wrong == []


@pytest.mark.django_db
def test_admin_is_closed_to_everyone_but_staff(world):
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls += [reverse(f"{prefix}_changelist"), reverse(f"{prefix}_add")]
    login = reverse("admin:login")
    for role in ROLES:
        client = world.client(role)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 302, (role, url, response.status_code)
            assert response.headers["Location"].startswith(login), (role, url)


@pytest.mark.django_db
def test_lists_hold_only_what_the_viewer_may_see(world):
    mine = str(world.submission.pk)
    for role in ("other", "outsider"):
        client = world.client(role)
        listed = client.get("/api/v1/submissions/").json()["results"]
        assert mine not in {s["id"] for s in listed}, role
    assert mine in {
        s["id"]
        for s in world.client("student").get("/api/v1/submissions/").json()["results"]
    }
    assert world.client("outsider").get("/api/v1/problems/").json()["count"] == 0
    assert world.client("outsider").get("/api/v1/courses/").json()["count"] == 0
    for role in ("student", "other", "outsider"):
        authored = world.client(role).get("/api/v1/authoring/problems/").json()
        assert authored == [], role
    assert world.client("instructor").get("/api/v1/authoring/problems/").json()


@pytest.mark.django_db
def test_another_students_submission_is_404_everywhere(world):
    """The owner reads it; a classmate gets 404 from the page, the JSON and the API."""
    pk = world.submission.pk
    problem_page = reverse(
        "courseware:problem",
        args=[world.course.slug, world.lesson.slug, world.problem.slug],
    )
    urls = [
        f"/api/v1/submissions/{pk}/",
        reverse("courseware:submission-status", args=[pk]),
        f"{problem_page}?submission={pk}",
    ]
    for url in urls:
        assert world.client("student").get(url).status_code == 200, url
        assert world.client("other").get(url).status_code == 404, url
        assert world.client("outsider").get(url).status_code == 404, url


@pytest.mark.django_db
def test_students_cannot_author_problems(world):
    body = {
        "lesson": world.lesson.pk,
        "slug": "sneaky",
        "title": "Sneaky",
        "spec": {
            "kind": "numeric",
            "prompt": "What is 3/2?",
            "answer": 1.5,
            "tolerance": {"rel": 0.001},
        },
        "prompt": "What is 3/2?",
    }
    expected = {"student": 403, "outsider": 404, "instructor": 201}
    for role, status in expected.items():
        response = world.client(role).post(
            "/api/v1/authoring/problems/",
            {**body, "slug": f"by-{role}"},
            content_type="application/json",
        )
        assert response.status_code == status, (role, response.content)
    patch = world.client("student").patch(
        f"/api/v1/authoring/problems/{world.problem.pk}/",
        {"title": "Renamed"},
        content_type="application/json",
    )
    assert patch.status_code == 403
    world.problem.refresh_from_db()
    assert world.problem.title != "Renamed"
