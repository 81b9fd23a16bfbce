"""Hostile student text at every endpoint that takes it: never a 500, errors in JSON.

Endpoints: the API's validate and submissions, the page's live preview
(``courseware:validate``) and the answer form. Hypothesis sends odd JSON,
odd text, odd shapes and raw bytes.
"""

import json

import pytest
from django.core.cache import cache
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
STEP_IDS = ["forward:u", "forward:v", "forward:z", "local:z/v", "grad:x", "answer"]
HOSTILE = [
    "", " ", "((((((((((x))))))))))", "9" * 400, "1e999999", "2**2**2**2**2",
    "x^^y", "__import__('os')", "exp(exp(exp(exp(99))))", "\x00", "[[1,2],[3]]",
    "1/0", "sqrt(-1)", "<script>alert(1)</script>", "x" * 1001,
    "🙂", "sigmoid(", "relu()", "v)*(2", "{{7*7}}", "%s%s%n",
]  # fmt: skip

# Any text a browser can send: UTF-8 has no lone surrogates.
sendable = st.characters(exclude_categories=["Cs"])
texts = st.one_of(st.sampled_from(HOSTILE), st.text(sendable, max_size=1200))
step_ids = st.one_of(st.sampled_from(STEP_IDS), st.text(sendable, max_size=40))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(sendable), inner)
    ),
    max_leaves=12,
)
answers = st.one_of(st.dictionaries(step_ids, texts, max_size=8), json_values)


def _client(world):
    cache.clear()  # throttles count per user; the fuzz is not a flood
    return world.client("student")


def _api_error(response) -> None:
    assert response.status_code < 500, response.content
    assert response["Content-Type"].startswith("application/json"), response.content
    body = response.json()
    if response.status_code >= 400:
        errors = body["errors"]
        assert errors and all(e["message"] for e in errors), body


def _preview_url(world) -> str:
    return reverse(
        "courseware:validate",
        args=[world.course.slug, world.lesson.slug, world.problem.slug],
    )


@FUZZ
@given(body=st.one_of(st.fixed_dictionaries({"answers": answers}), json_values))
def test_api_validate(world, body):
    response = _client(world).post(
        f"/api/v1/problems/{world.problem.pk}/validate/",
        json.dumps(body),
        content_type="application/json",
    )
    _api_error(response)


@FUZZ
@given(
    answers=answers,
    problem=st.one_of(st.just("mine"), json_values),
    key=st.one_of(st.none(), st.text(sendable, max_size=120)),
)
def test_api_submissions(world, answers, problem, key):
    body = {"problem": world.problem.pk if problem == "mine" else problem}
    body["answers"] = answers
    headers = {}
    if key is not None and key.isprintable() and key.isascii():
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    response = _client(world).post(
        "/api/v1/submissions/", body, content_type="application/json", **headers
    )
    _api_error(response)


@FUZZ
@given(raw=st.binary(max_size=300))
def test_api_takes_raw_bytes(world, raw):
    client = _client(world)
    for url in (
        f"/api/v1/problems/{world.problem.pk}/validate/",
        "/api/v1/submissions/",
    ):
        _api_error(client.post(url, raw, content_type="application/json"))


@FUZZ
@given(
    body=st.one_of(
        st.fixed_dictionaries({"step_id": step_ids, "text": texts}), json_values
    )
)
def test_page_preview_json(world, body):
    response = _client(world).post(
        _preview_url(world), json.dumps(body), content_type="application/json"
    )
    assert response.status_code < 500, response.content
    assert response["Content-Type"] == "application/json"
    reply = response.json()
    assert set(reply) == {"ok", "latex", "message", "column"}
    if not reply["ok"]:
        assert reply["message"]


@FUZZ
@given(raw=st.binary(max_size=300))
def test_page_preview_raw_bytes(world, raw):
    response = _client(world).post(
        _preview_url(world), raw, content_type="application/json"
    )
    assert response.status_code < 500, response.content
    assert response["Content-Type"] == "application/json"


@FUZZ
@given(fields=st.dictionaries(step_ids, texts, max_size=8))
def test_page_preview_form_encoded(world, fields):
    """A browser form or a script may post form data instead of JSON."""
    response = _client(world).post(_preview_url(world), fields)
    assert response.status_code < 500, response.content
    assert response["Content-Type"] == "application/json"


@FUZZ
@given(fields=st.dictionaries(step_ids, texts, max_size=8), wants_json=st.booleans())
def test_answer_form(world, fields, wants_json):
    url = reverse(
        "courseware:problem",
        args=[world.course.slug, world.lesson.slug, world.problem.slug],
    )
    headers = {"HTTP_ACCEPT": "application/json"} if wants_json else {}
    response = _client(world).post(url, fields, **headers)
    assert response.status_code < 500, response.content
    if wants_json and response.status_code != 302:
        assert response["Content-Type"] == "application/json"
