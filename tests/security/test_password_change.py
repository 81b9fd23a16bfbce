"""API tokens stop working once their user's password changes."""

from rest_framework.test import APIClient

from tests.security.conftest import PASSWORD


def token_for(username: str, password: str) -> APIClient:
    client = APIClient()
    made = client.post(
        "/api/v1/auth/token/",
        {"username": username, "password": password},
        format="json",
    )
    assert made.status_code == 201
    client.credentials(HTTP_AUTHORIZATION=f"Token {made.json()['token']}")
    assert client.get("/api/v1/me/").status_code == 200
    return client


def test_a_password_changed_in_the_admin_revokes_api_tokens(world):
    api = token_for("student-user", PASSWORD)
    admin_user = world.users["instructor"]
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    admin = world.client("instructor")
    student = world.users["student"]
    changed = admin.post(
        f"/admin/auth/user/{student.pk}/password/",
        {"password1": "a-new-pass-9134", "password2": "a-new-pass-9134"},
    )
    assert changed.status_code == 302, changed.content[:500]
    assert api.get("/api/v1/me/").status_code == 401
    token_for("student-user", "a-new-pass-9134")  # a new token works


def test_a_password_set_in_code_revokes_api_tokens(world):
    api = token_for("student-user", PASSWORD)
    student = world.users["student"]
    student.set_password("another-pass-5521")
    student.save()
    assert api.get("/api/v1/me/").status_code == 401


def test_other_changes_to_the_user_keep_the_token(world):
    api = token_for("student-user", PASSWORD)
    student = world.users["student"]
    student.first_name = "Ada"
    student.save()
    assert api.get("/api/v1/me/").status_code == 200
