"""Hints, the backward-pass replay, the worked solution and the new answer cells,
in real Chromium at desktop and phone widths, graded by a real worker (issue 16).

Screenshots go to docs/screenshots/ (kept with the docs) as well as test-screenshots/.
"""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from courseware.models import HintRequest, Lesson, Problem, Quiz
from tests.e2e.test_student_journey import log_in, partly_wrong_trace

pytestmark = [pytest.mark.browser, pytest.mark.integration]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def problem_url(base: str, slug: str) -> str:
    lesson = Lesson.objects.get(slug="credit-assignment")
    return f"{base}/courses/{lesson.course.slug}/{lesson.slug}/problems/{slug}/"


def shoot(page, name: str, folder: Path) -> None:
    page.screenshot(path=str(folder / name), full_page=True)


def no_sideways_scroll(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_hint_then_a_graded_attempt_replayed_step_by_step(
    live_server, student, worker_factory, browser_page, screenshots, viewport
):
    worker_factory()
    page = browser_page
    page.set_viewport_size(viewport)
    log_in(page, live_server.url)
    page.goto(problem_url(live_server.url, "work-this-trace"))

    hints = page.locator("#hints")
    expect(hints).to_be_visible()  # shown once the script runs
    page.locator("#hint-step").select_option("grad:x")
    page.get_by_role("button", name="Show a hint").click()
    expect(page.locator("#hint-list li")).to_contain_text("∂z/∂x = ∂z/∂u · ∂u/∂x")
    assert HintRequest.objects.filter(step_id="grad:x").count() == 1

    answers = partly_wrong_trace(student)
    answers["grad:u"] = "999"  # the backward pass diverges at dz/du
    for step_id, text in answers.items():
        page.locator(f"input[name='{step_id}']").fill(text)
    page.get_by_role("button", name="Submit for grading").click()
    expect(page.locator("#progress")).to_have_text("Graded.")

    page.get_by_role("link", name="Replay the backward pass with your numbers").click()
    replay = page.locator("#replay")
    expect(replay).to_be_visible()
    steps = replay.locator(".replay-steps li")
    expect(steps.nth(0)).to_be_visible()
    expect(steps.nth(1)).to_be_hidden()  # one step at a time
    first_node = steps.nth(0).get_attribute("data-node")
    expect(page.locator(f"svg.graph [data-node='{first_node}']:visible")).to_have_class(
        re.compile(r"\breplay-current\b")
    )
    next_step = page.get_by_role("button", name="Replay the next step")
    next_step.click()
    diverged = replay.locator("li.replay-diverged")
    expect(diverged).to_be_visible()
    expect(diverged).to_have_attribute("data-step", "grad:u")
    expect(diverged).to_contain_text("your backward pass diverges here")
    expect(page.locator("svg.graph [data-node='u']:visible")).to_have_class(
        re.compile(r"\breplay-current\b")
    )
    assert no_sideways_scroll(page)
    shoot(
        page, f"replay-{'phone' if viewport is PHONE else 'desktop'}.png", screenshots
    )


def test_the_worked_solution_once_the_key_is_shown(
    live_server, student, worker_factory, browser_page, screenshots
):
    worker_factory()
    Problem.objects.filter(slug="work-this-trace").update(
        reveal_policy=Problem.RevealPolicy.ALWAYS
    )
    Quiz.objects.update(due_at=timezone.now() - timedelta(days=1))
    page = browser_page
    log_in(page, live_server.url)
    page.goto(problem_url(live_server.url, "work-this-trace"))
    expect(page.locator("#worked-solution")).to_have_count(0)
    page.locator("input[name='forward:u']").fill("0")
    page.get_by_role("button", name="Submit for grading").click()
    expect(page.locator("#progress")).to_have_text("Graded.")
    page.reload()
    worked = page.locator("#worked-solution")
    expect(worked).to_be_visible()
    expect(worked.locator("li[data-step='grad:x']")).to_contain_text(
        "∂z/∂x = ∂z/∂u · ∂u/∂x = "
    )
    shoot(page, "worked-solution-desktop.png", screenshots)
    page.set_viewport_size(PHONE)
    expect(worked.locator("li[data-step='grad:x']")).to_be_visible()
    assert no_sideways_scroll(page)
    shoot(page, "worked-solution-phone.png", screenshots)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_path_question_of_work_this_has_its_own_answer_cells(
    live_server, student, worker_factory, browser_page, screenshots, viewport
):
    worker_factory()
    page = browser_page
    page.set_viewport_size(viewport)
    log_in(page, live_server.url)
    page.goto(problem_url(live_server.url, "work-this-path"))
    for key in ("a", "b", "c"):
        page.locator(f"input[name='answer'][value='{key}']").check()
    page.get_by_role("button", name="Submit for grading").click()
    expect(page.locator("#progress")).to_have_text("Graded.")
    expect(page.locator("#feedback")).to_contain_text("score 100%")
    assert no_sideways_scroll(page)
    width = "phone" if viewport is PHONE else "desktop"
    shoot(page, f"path-question-{width}.png", screenshots)
