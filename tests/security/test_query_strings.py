"""NUL and other control characters in a query string: 400 with a message, never 500."""

import pytest

HOSTILE = ["%00", "%01", "%1f", "%7f", "a%00b", "%0b"]
URLS = ["/api/v1/problems/", "/", "/accounts/login/", "/healthz"]


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("path", URLS)
def test_control_characters_in_a_query_string_are_refused(world, path, value):
    response = world.client("student").get(f"{path}?course={value}")
    assert response.status_code == 400
    if path.startswith("/api/"):
        assert "control character" in response.json()["errors"][0]["message"]
    else:
        assert b"control character" in response.content


def test_ordinary_query_strings_still_work(world):
    client = world.client("student")
    assert client.get("/api/v1/problems/?course=nope%20here").status_code == 200
    assert client.get("/api/v1/problems/?course=caf%C3%A9%09").status_code == 200
