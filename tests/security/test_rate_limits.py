"""The student pages' preview and submit are rate limited per user, like the API.

They share the API's scopes and counts, and a cache outage lets requests
through (the limit is worth less than a student's submission).
"""

import json

import pytest
from rest_framework.test import APIClient

from tests.security.conftest import PASSWORD


@pytest.fixture
def low_rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "submit": "2/min",
            "validate": "3/min",
            "token": "2/min",
        },
    }


def page_urls(world) -> tuple[str, str]:
    base = (
        f"/courses/{world.course.slug}/{world.lesson.slug}/problems/"
        f"{world.leak_check.slug}/"
    )
    return base, base + "validate"


def preview(client, url: str):
    body = json.dumps({"step_id": "forward:u", "text": "x*y"})
    return client.post(url, body, content_type="application/json")


def submit(client, url: str, n: int):
    return client.post(url, {"forward:u": "1", "idempotency_key": f"key-{n}"})


def test_the_live_preview_is_limited_per_user(world, low_rates):
    _, validate = page_urls(world)
    student = world.client("student")
    codes = [preview(student, validate).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = preview(student, validate)
    assert int(refused["Retry-After"]) > 0
    assert refused.json()["ok"] is False
    assert "Too many requests" in refused.json()["message"]
    # Another student has a count of their own.
    assert preview(world.client("other"), validate).status_code == 200


def test_the_page_submit_is_limited_and_says_when_to_retry(world, low_rates):
    page, _ = page_urls(world)
    student = world.client("student")
    codes = [submit(student, page, n).status_code for n in range(3)]
    assert codes == [302, 302, 429]
    refused = submit(student, page, 99)
    assert int(refused["Retry-After"]) > 0
    assert b"Too many requests" in refused.content
    assert student.get(page).status_code == 200  # reading the page is not limited


def test_the_page_and_the_api_share_one_submission_count(world, low_rates):
    page, _ = page_urls(world)
    api = APIClient()
    api.force_authenticate(world.users["student"])
    for n in range(2):
        created = api.post(
            "/api/v1/submissions/",
            {"problem": world.leak_check.pk, "answers": {"forward:u": "1"}},
            format="json",
            HTTP_IDEMPOTENCY_KEY=f"api-{n}",
        )
        assert created.status_code == 201
    assert submit(world.client("student"), page, 1).status_code == 429


def test_limits_are_skipped_while_the_cache_is_down(world, low_rates, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    page, validate = page_urls(world)
    student = world.client("student")
    assert [preview(student, validate).status_code for _ in range(4)] == [200] * 4
    assert [submit(student, page, n).status_code for n in range(3)] == [302] * 3


def test_a_rotating_forwarded_for_header_does_not_reset_the_token_limit(
    world, low_rates
):
    api = APIClient()
    codes = [
        api.post(
            "/api/v1/auth/token/",
            {"username": "student-user", "password": "wrong"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{n}",
        ).status_code
        for n in range(4)
    ]
    assert codes[:2] == [400, 400]
    assert set(codes[2:]) == {429}


def test_behind_a_trusted_proxy_the_proxys_view_of_the_client_counts(
    world, low_rates, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    api = APIClient()

    def token(forwarded: str) -> int:
        return api.post(
            "/api/v1/auth/token/",
            {"username": "student-user", "password": PASSWORD + "x"},
            format="json",
            HTTP_X_FORWARDED_FOR=forwarded,
        ).status_code

    # The client writes the first part; the proxy appends the address it saw.
    assert [token(f"6.6.6.{n}, 203.0.113.7") for n in range(3)] == [400, 400, 429]
    assert token("203.0.113.7, 198.51.100.2") == 400  # a different client


def test_the_pages_script_gets_the_limit_as_json_it_can_show(world, low_rates):
    page, _ = page_urls(world)
    student = world.client("student")
    replies = [
        student.post(
            page,
            {"forward:u": "1", "idempotency_key": f"js-{n}"},
            HTTP_ACCEPT="application/json",
        )
        for n in range(3)
    ]
    assert [r.status_code for r in replies] == [202, 202, 429]
    assert "Too many requests" in replies[-1].json()["errors"][0]
