"""Rendered content is cached, and an edit shows at once: nothing stale is served."""

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from knox.models import AuthToken

from courseware import content_cache, problem_saving, services
from courseware.models import Lesson, Problem

pytestmark = pytest.mark.django_db

BASE = "/courses/deep-learning/credit-assignment/"
WORK = BASE + "problems/work-this-trace/"
RENAMED = "u = x*y\nw = u + b\nz = w**2\n"  # v renamed w: other step ids


@pytest.fixture
def student():
    call_command("import_content", "content/", verbosity=0)
    user = get_user_model().objects.create_user("ada", password="pw-for-tests-1")
    services.course_enrol(course=Lesson.objects.get().course, user=user)
    return user


@pytest.fixture
def page(student) -> Client:
    client = Client()
    client.force_login(student)
    return client


@pytest.fixture
def api(student) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(student)[1]}")


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_a_lesson_edit_shows_on_the_next_visit(page):
    assert "Freshly edited" not in text(page.get(BASE))
    lesson = Lesson.objects.get()
    lesson.body += "\n\nFreshly edited *paragraph*.\n"
    lesson.save()
    assert "Freshly edited <em>paragraph</em>" in text(page.get(BASE))
    # Even an edit that bypasses save() (no signal, no timestamp) shows.
    Lesson.objects.update(body="# Rewritten\n\nOnly this.\n")
    body = text(page.get(BASE))
    assert "Only this." in body and "Freshly edited" not in body


def test_a_prompt_edit_shows_on_the_page_and_in_the_api(page, api):
    problem = Problem.objects.get(slug="work-this-trace")
    text(page.get(WORK)), text(api.get(f"/api/v1/problems/{problem.pk}/"))
    Problem.objects.filter(pk=problem.pk).update(
        prompt="A **new** prompt.", title="Renamed"
    )
    assert "A <strong>new</strong> prompt." in text(page.get(WORK))
    data = api.get(f"/api/v1/problems/{problem.pk}/").json()
    assert (data["title"], data["prompt"]) == ("Renamed", "A **new** prompt.")
    variant = api.get(f"/api/v1/problems/{problem.pk}/variant/").json()
    assert variant["prompt"] == "A **new** prompt."


def test_a_spec_corrected_in_place_changes_graph_cells_variant_and_checks(
    student, page, api
):
    problem = Problem.objects.get(slug="work-this-trace")
    assert 'name="forward:v"' in text(page.get(WORK))
    before = api.get(f"/api/v1/problems/{problem.pk}/variant/").json()
    assert "forward:v" in before["step_ids"]

    problem_saving.problem_spec_update(
        problem=problem, spec={**problem.spec, "program": RENAMED}
    )
    problem.refresh_from_db()
    assert problem.version == 1  # corrected in place: a version alone would go stale

    html = text(page.get(WORK))
    assert 'name="forward:w"' in html and 'name="forward:v"' not in html
    assert 'data-node="w"' in html and 'data-node="v"' not in html  # the graph too
    after = api.get(f"/api/v1/problems/{problem.pk}/variant/").json()
    assert "forward:w" in after["step_ids"] and "forward:v" not in after["step_ids"]
    # Submissions are checked against the new steps.
    posted = api.post(
        "/api/v1/submissions/",
        {"problem": problem.pk, "answers": {"forward:w": "7"}},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
    )
    assert posted.status_code == 201, posted.content
    refused = api.post(
        "/api/v1/submissions/",
        {"problem": problem.pk, "answers": {"forward:v": "7"}},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
    )
    assert refused.status_code == 400


def test_pages_and_reads_work_when_the_content_cache_is_unreachable(
    page, api, settings
):
    settings.CACHES = {
        **settings.CACHES,
        "content": {  # nothing listens on port 1: every call fails at once
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        },
    }
    problem = Problem.objects.get(slug="work-this-trace")
    assert 'name="forward:v"' in text(page.get(WORK))
    assert "<svg" in text(page.get(WORK))
    assert text(page.get(BASE))
    assert api.get(f"/api/v1/problems/{problem.pk}/variant/").json()["step_ids"]


def test_content_keys_follow_the_content():
    assert content_cache.content_key("k", "a") == content_cache.content_key("k", "a")
    assert content_cache.content_key("k", "a") != content_cache.content_key("k", "b")
    assert content_cache.content_key("k", "a") != content_cache.content_key("j", "a")


# --- Sessions, read from the cache ------------------------------------------------


def test_a_signed_out_session_no_longer_signs_in(student):
    client = Client()
    signed_in = client.post(
        "/accounts/login/", {"username": "ada", "password": "pw-for-tests-1"}
    )
    assert signed_in.status_code == 302
    assert client.get(BASE).status_code == 200
    cookie = client.cookies["sessionid"].value
    client.post("/accounts/logout/")
    again = Client()
    again.cookies["sessionid"] = cookie
    response = again.get(BASE)
    assert response.status_code == 302 and "/login" in response["Location"]


def test_sessions_fall_back_to_the_database_when_the_cache_is_down(page, settings):
    assert page.get(BASE).status_code == 200
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        },
    }
    assert page.get(BASE).status_code == 200  # still signed in
