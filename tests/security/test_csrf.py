"""Cross-site request forgery: a cookie alone never makes a write."""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.views import APIView

from courseware.models import Submission
from tests.security.conftest import PASSWORD, endpoints

pytestmark = pytest.mark.django_db

# Views that skip Django's CSRF check: the LTI platform posts its signed
# messages cross-site (the signature and the OIDC state protect them).
# DRF views skip it too, and SessionAuthentication enforces it instead (tested below).
CSRF_EXEMPT = {"lti:login", "lti:login-registration", "lti:launch"}


def _csrf_client(world, role: str = "student") -> Client:
    client = world.client(role, enforce_csrf_checks=True)
    return client


def _token(client: Client, url: str) -> str:
    client.get(url)
    return client.cookies["csrftoken"].value


def _problem_page(world) -> str:
    return reverse(
        "courseware:problem",
        args=[world.course.slug, world.lesson.slug, world.problem.slug],
    )


def test_only_known_views_skip_the_csrf_check():
    skipping = set()
    for endpoint in endpoints():
        view_class = getattr(endpoint.callback, "cls", None)
        is_api = view_class is not None and issubclass(view_class, APIView)
        if getattr(endpoint.callback, "csrf_exempt", False) and not is_api:
            skipping.add(endpoint.name)
    assert skipping == CSRF_EXEMPT


def test_the_answer_form_needs_its_token(world):
    client = _csrf_client(world)
    url = _problem_page(world)
    answers = {"forward:u": "6", "idempotency_key": "csrf-1"}
    before = Submission.objects.count()
    assert client.post(url, answers).status_code == 403
    assert Submission.objects.count() == before
    token = _token(client, url)
    response = client.post(url, {**answers, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Submission.objects.count() == before + 1


def test_the_live_preview_needs_the_token_header(world):
    client = _csrf_client(world)
    page = _problem_page(world)
    url = reverse(
        "courseware:validate",
        args=[world.course.slug, world.lesson.slug, world.problem.slug],
    )
    body = {"step_id": "forward:u", "text": "2*3"}
    assert client.post(url, body, content_type="application/json").status_code == 403
    token = _token(client, page)
    response = client.post(
        url, body, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 200
    assert response.json()["ok"] is True


def test_signing_in_and_out_need_the_token(world):
    anonymous = Client(enforce_csrf_checks=True)
    credentials = {"username": "student-user", "password": PASSWORD}
    assert anonymous.post(reverse("login"), credentials).status_code == 403
    token = _token(anonymous, reverse("login"))
    signed_in = anonymous.post(
        reverse("login"), {**credentials, "csrfmiddlewaretoken": token}
    )
    assert signed_in.status_code == 302

    client = _csrf_client(world)
    assert client.post(reverse("logout")).status_code == 403
    assert client.get("/api/v1/me/").status_code == 200  # still signed in


def test_the_api_with_a_session_cookie_needs_the_token(world):
    client = _csrf_client(world)
    body = {"problem": world.problem.pk, "answers": {"forward:u": "6"}}
    before = Submission.objects.count()
    refused = client.post("/api/v1/submissions/", body, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["message"]
    assert Submission.objects.count() == before
    token = _token(client, _problem_page(world))
    accepted = client.post(
        "/api/v1/submissions/",
        body,
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert accepted.status_code == 201
    validate = client.post(
        f"/api/v1/problems/{world.problem.pk}/validate/",
        {"answers": {"forward:u": "x*y"}},
        content_type="application/json",
    )
    assert validate.status_code == 403


def test_the_api_with_a_bearer_token_needs_no_csrf_token(world):
    """A token is not sent by browsers on their own, so it cannot be forged cross-site."""
    client = Client(enforce_csrf_checks=True)
    issued = client.post(
        "/api/v1/auth/token/",
        {"username": "student-user", "password": PASSWORD},
        content_type="application/json",
    )
    assert issued.status_code in (200, 201), issued.content
    token = issued.json()["token"]
    response = client.post(
        "/api/v1/submissions/",
        {"problem": world.problem.pk, "answers": {"forward:u": "6"}},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )
    assert response.status_code == 201, response.content
