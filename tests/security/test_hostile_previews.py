"""Both live previews (the page's and the API's) answer hostile text at once, in JSON.

They share one path (``courseware.previews.answers_preview``), so the same
text gets the same reading from both; a body nested too deeply is a 400.
"""

import json
import time

import pytest
from django.core.cache import cache
from django.urls import reverse

from grader import feedback
from tests.security.hostile import CUBE_ROOTS, NTH_ROOTS, SUM_500

pytestmark = pytest.mark.django_db

DEEP_JSON = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"answers": ' + '{"a": ' * 50_000 + "1" + "}" * 50_001


def _page(world, step_id: str, text: str):
    cache.clear()
    url = reverse(
        "courseware:validate",
        args=[world.course.slug, world.lesson.slug, world.problem.slug],
    )
    body = json.dumps({"step_id": step_id, "text": text})
    return world.client("student").post(url, body, content_type="application/json")


def _api(world, body: str):
    cache.clear()
    return world.client("student").post(
        f"/api/v1/problems/{world.problem.pk}/validate/",
        body,
        content_type="application/json",
    )


def _api_step(world, step_id: str, text: str) -> dict:
    response = _api(world, json.dumps({"answers": {step_id: text}}))
    assert response.status_code == 200, response.content
    return response.json()["steps"][0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (NTH_ROOTS, "too complex to check"),
        (CUBE_ROOTS, feedback.TOO_COMPLEX),
        ("1e400", feedback.TOO_LARGE),
        ("(v-v)**(-1)", "undefined"),
    ],
)
def test_both_previews_refuse_hostile_text_with_the_same_clear_message(
    world, text, message
):
    page = _page(world, "local:z/v", text)
    assert page.status_code == 200 and page["Content-Type"] == "application/json"
    api = _api_step(world, "local:z/v", text)
    assert not page.json()["ok"] and message in page.json()["message"]
    assert {k: api[k] for k in page.json()} == page.json()


def test_one_api_preview_of_many_hostile_cells_is_bounded_as_a_whole(world):
    answers = {f"cell{i}": CUBE_ROOTS for i in range(60)}
    start = time.thread_time()  # the test client answers in this thread
    response = _api(world, json.dumps({"answers": answers}))
    cpu = time.thread_time() - start
    assert response.status_code == 200
    steps = response.json()["steps"]
    assert len(steps) == 60 and steps[0]["message"] == feedback.TOO_COMPLEX
    assert cpu < 10  # one shared deadline: 60 separate ones would take 30 s


def test_both_previews_render_a_500_term_sum(world):
    page = _page(world, "forward:z", SUM_500).json()
    api = _api_step(world, "forward:z", SUM_500)
    assert page["ok"] and page["latex"].startswith("1 + 1 + 1")
    assert api["ok"] and api["latex"] == page["latex"]


@pytest.mark.parametrize("body", [DEEP_JSON, DEEP_OBJECT])
def test_the_api_preview_answers_json_nested_too_deeply_with_a_400(world, body):
    response = _api(world, body)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "nested too deeply" in response.json()["errors"][0]["message"]


def test_the_api_submissions_answer_json_nested_too_deeply_with_a_400(world):
    cache.clear()
    response = world.client("student").post(
        "/api/v1/submissions/", DEEP_JSON, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"]


def test_the_page_preview_answers_json_nested_too_deeply_with_a_400(world):
    cache.clear()
    url = reverse(
        "courseware:validate",
        args=[world.course.slug, world.lesson.slug, world.problem.slug],
    )
    response = world.client("student").post(
        url, DEEP_JSON, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["message"]
