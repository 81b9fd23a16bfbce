"""Sign-in pages lock a username out from an address after repeated wrong passwords."""

import pytest
from django.test import Client

from tests.security.conftest import PASSWORD

PAGES = ["/accounts/login/", "/admin/login/"]


@pytest.fixture
def limit(settings) -> int:
    return settings.AXES_FAILURE_LIMIT


def sign_in(client: Client, page: str, username: str, password: str, **extra):
    return client.post(page, {"username": username, "password": password}, **extra)


@pytest.mark.parametrize("page", PAGES)
def test_wrong_passwords_lock_out_even_the_right_one(world, limit, page):
    world.users["instructor"].is_staff = True
    world.users["instructor"].save()
    client = Client()
    for _ in range(limit - 1):
        assert sign_in(client, page, "instructor-user", "wrong").status_code == 200
    locked = sign_in(client, page, "instructor-user", "wrong")
    assert locked.status_code == 429
    assert b"Too many failed sign-ins" in locked.content
    right = sign_in(client, page, "instructor-user", PASSWORD)
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_rotating_forwarded_for_header_does_not_escape_the_lockout(world, limit):
    client = Client()
    codes = [
        sign_in(
            client,
            PAGES[0],
            "student-user",
            "wrong",
            HTTP_X_FORWARDED_FOR=f"10.9.0.{n}",
        ).status_code
        for n in range(limit + 1)
    ]
    assert codes[-1] == 429


def test_a_lockout_is_per_username_and_address(world, limit):
    client = Client()
    for _ in range(limit):
        sign_in(client, PAGES[0], "student-user", "wrong")
    assert sign_in(client, PAGES[0], "student-user", PASSWORD).status_code == 429
    # Another student signing in from the same classroom is not locked out...
    other = sign_in(Client(), PAGES[0], "other-user", PASSWORD)
    assert other.status_code == 302
    # ...nor is the same student from another address.
    elsewhere = Client(REMOTE_ADDR="198.51.100.20")
    assert sign_in(elsewhere, PAGES[0], "student-user", PASSWORD).status_code == 302


def test_a_correct_sign_in_resets_the_count(world, limit):
    client = Client()
    for _ in range(limit - 1):
        sign_in(client, PAGES[0], "student-user", "wrong")
    assert sign_in(client, PAGES[0], "student-user", PASSWORD).status_code == 302
    fresh = Client()
    for _ in range(limit - 1):
        assert sign_in(fresh, PAGES[0], "student-user", "wrong").status_code == 200


def test_the_token_endpoint_shares_the_lockout(world, limit, settings):
    from rest_framework.test import APIClient

    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "token": "100/min",
        },
    }
    api = APIClient()

    def token(password: str):
        return api.post(
            "/api/v1/auth/token/",
            {"username": "student-user", "password": password},
            format="json",
        )

    for _ in range(limit - 1):
        assert token("wrong").status_code == 400
    assert token("wrong").status_code == 429
    locked = token(PASSWORD)  # the right password, too late
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) > 0
    assert "Too many failed sign-ins" in locked.json()["errors"][0]["message"]
