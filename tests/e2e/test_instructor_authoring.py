"""The demo instructor previews a problem, reads its analytics and regrades it, in Chromium.

Real headless Chromium against the live server, and a real Celery worker for
the regrade. Screenshots go to test-artifacts/.
"""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from courseware import services
from courseware.authoring.question_tests import answer_key
from courseware.models import Problem
from grader.services import submission_grade

pytestmark = [pytest.mark.browser, pytest.mark.integration]
PASSWORD = "a-long-demo-password-42"


@pytest.fixture
def demo(live_server, monkeypatch):
    monkeypatch.setenv("TRACEGRADE_DEMO_PASSWORD", PASSWORD)
    call_command("create_demo_accounts", verbosity=0)
    return Problem.objects.get(slug="work-this-trace")


def seed_graded_submissions(problem) -> None:
    """Three graded attempts: right, a power-rule slip, and a dropped upstream gradient."""
    User = get_user_model()
    course = problem.lesson.course
    slips = [{}, {"local:z/v": "v"}, {"grad:x": "{y}"}]
    for index, slip in enumerate(slips):
        user = User.objects.create_user(f"learner{index}")
        services.course_enrol(course=course, user=user)
        seed = services.variant_get_or_create(student=user, problem=problem).seed
        answers = answer_key(problem.spec, seed)
        y = answers["local:u/x"]  # d(xy)/dx = y: the local derivative alone
        answers.update({k: v.format(y=y) for k, v in slip.items()})
        submission = services.submission_create(
            student=user, problem=problem, answers=answers
        )
        submission_grade(submission_id=submission.pk)


def log_in(page, base_url: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill("instructor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Signed in as instructor")).to_be_visible()


def test_instructor_previews_reads_analytics_and_regrades(
    live_server, demo, worker_factory, browser_page, artifacts
):
    problem = demo
    seed_graded_submissions(problem)
    worker_factory()
    page = browser_page
    log_in(page, live_server.url)

    page.goto(f"{live_server.url}/admin/courseware/problem/{problem.pk}/change/")
    spec = page.locator("textarea[name='spec_text']")
    expect(spec).to_contain_text("program: |")
    good = spec.input_value()
    spec.fill(good.replace("v = u + b", "v = u + "))
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".errorlist").first).to_contain_text("line 4: program:")
    page.screenshot(path=str(artifacts / "e2e-admin-spec-error.png"), full_page=True)

    page.get_by_role("link", name="Preview").click()
    expect(page.locator(".preview-graph svg.graph [data-node='u']")).to_be_visible()
    key = page.locator("table.answer-key tr[data-step-id='forward:z'] td")
    expect(key.nth(1)).to_have_text("49")  # own numbers: (2*3 + 1)**2
    expect(page.locator("table.answer-key thead th")).to_contain_text(
        ["Step", "Formula", "own numbers", "variant 1"]
    )
    expect(
        page.get_by_text("All of the first 200 variants are defined.")
    ).to_be_visible()
    page.screenshot(path=str(artifacts / "e2e-admin-preview.png"), full_page=True)

    page.get_by_role("link", name="Analytics").click()
    expect(page.locator("#figure-submissions")).to_have_text("3")
    expect(page.locator("svg.chart-errors .bar")).to_have_count(13)
    expect(page.locator("svg.chart-misconceptions .bar")).to_have_count(2)
    expect(page.locator("ol.hardest-steps li")).to_have_count(2)
    page.screenshot(path=str(artifacts / "e2e-admin-analytics.png"), full_page=True)

    page.get_by_role("button", name="Regrade submissions").click()
    expect(page.locator("#regrade-progress")).to_have_text(
        "Done: 3 of 3 graded.", timeout=60_000
    )
    page.screenshot(path=str(artifacts / "e2e-admin-regrade.png"), full_page=True)
    problem.refresh_from_db()
    assert problem.submissions.filter(status="graded").count() == 3
    assert problem.submissions.filter(deliveries=1).count() == 3  # graded again
