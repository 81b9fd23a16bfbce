"""API tokens: created with a username and password, stored hashed, revocable; throttled."""

import pytest
from knox.models import AuthToken

pytestmark = pytest.mark.django_db


def test_a_token_authenticates_api_calls_and_is_stored_hashed(api, student):
    response = api.post(
        "/api/v1/auth/token/",
        {"username": "ada", "password": "pw-ada-123"},
        format="json",
    )
    assert response.status_code == 201
    token = response.json()["token"]
    stored = AuthToken.objects.get(user=student)
    assert token not in (stored.digest, stored.token_key) and len(stored.digest) == 128
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/me/").json()["username"] == "ada"


def test_logout_revokes_the_token(api, student):
    token = api.post(
        "/api/v1/auth/token/",
        {"username": "ada", "password": "pw-ada-123"},
        format="json",
    ).json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.post("/api/v1/auth/logout/").status_code == 204
    assert api.get("/api/v1/me/").status_code == 401


def test_a_wrong_password_gets_a_clear_400(api, student):
    response = api.post(
        "/api/v1/auth/token/", {"username": "ada", "password": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert "username and password" in response.json()["errors"][0]["message"]


def test_a_missing_password_names_the_field(api, student):
    response = api.post("/api/v1/auth/token/", {"username": "ada"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "password"


def test_an_invalid_token_is_401(api, student):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert api.get("/api/v1/me/").status_code == 401


def test_the_browser_session_works_too(client, student):
    client.force_login(student)
    assert client.get("/api/v1/me/").json()["username"] == "ada"
