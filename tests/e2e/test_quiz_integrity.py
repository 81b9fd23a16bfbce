"""The quiz scenario of the penetration test, in real Chromium with a real worker.

Use up a problem's attempts in practice, then open the quiz that contains it:
the key was never shown (the quiz is open), the quiz copy is empty, its
attempts start at 1, and a wrong answer there scores 0, not full marks.
Every page is watched for Content-Security-Policy violations.
"""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from courseware.models import Lesson
from tests.e2e.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.integration]
PROBLEM, QUIZ, WRONG = "power-rule-local", "credit-assignment", "3*v"


def csp_violations(page) -> list[str]:
    seen: list[str] = []
    page.on(
        "console",
        lambda message: (
            seen.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return seen


def submit_wrong(page) -> None:
    page.locator("input[name='answer']").fill(WRONG)
    page.get_by_role("button", name="Submit for grading").click()
    expect(page.locator("#progress")).to_have_text("Graded.")


def test_a_key_used_up_in_practice_gives_nothing_in_the_quiz(
    live_server, student, worker_factory, browser_page, artifacts
):
    worker_factory()
    page = browser_page
    violations = csp_violations(page)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Signed in as ada")).to_be_visible()

    lesson = Lesson.objects.get(slug="credit-assignment")
    base = f"{live_server.url}/courses/{lesson.course.slug}/{lesson.slug}"
    page.goto(f"{base}/problems/{PROBLEM}/")
    page.wait_for_selector(".prose .katex")  # KaTeX runs under the policy
    for _ in range(3):
        submit_wrong(page)
    expect(page.locator("#attempts-left")).to_have_text("Attempts left: 0")
    expect(page.locator("#submit-button")).to_be_disabled()
    page.reload()
    expect(page.locator(".expected")).to_have_count(0)  # the quiz is open: no key

    page.goto(f"{base}/quizzes/{QUIZ}/")
    page.get_by_role("link", name="The local derivative of a square").click()
    expect(page.get_by_text("Part of")).to_be_visible()
    expect(page.locator("input[name='answer']")).to_have_value("")  # no pre-fill
    expect(page.locator(".expected")).to_have_count(0)
    expect(page.locator("#history")).to_have_text("No attempts yet.")
    expect(page.locator("#attempts-left")).to_have_text("Attempts left: 3")

    submit_wrong(page)
    expect(page.locator("#feedback-body")).to_contain_text("Attempt 1: score 0%")
    expect(page.locator("#history li")).to_have_count(1)
    expect(page.locator("#history li")).to_contain_text("Attempt 1")
    page.screenshot(path=str(artifacts / "e2e-quiz-copy.png"), full_page=True)

    page.goto(f"{base}/quizzes/{QUIZ}/")
    expect(page.get_by_text("Your quiz score: 0%")).to_be_visible()
    assert violations == []


def test_swagger_ui_works_under_the_policy(live_server, browser_page):
    page = browser_page
    violations = csp_violations(page)
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Tracegrade API")
    assert violations == []


def test_the_admin_and_its_authoring_pages_work_under_the_policy(
    live_server, browser_page, monkeypatch
):
    from courseware.models import Problem

    monkeypatch.setenv("TRACEGRADE_DEMO_PASSWORD", PASSWORD)
    call_command("create_demo_accounts", verbosity=0)
    problem = Problem.objects.get(slug="work-this-trace")
    page = browser_page
    violations = csp_violations(page)
    page.goto(f"{live_server.url}/admin/login/")
    page.locator("input[name='username']").fill("instructor")
    page.locator("input[name='password']").fill(PASSWORD)
    page.locator("input[type='submit']").click()
    expect(page.locator("#site-name")).to_be_visible()
    for path in ("change", "preview", "analytics"):
        page.goto(f"{live_server.url}/admin/courseware/problem/{problem.pk}/{path}/")
        expect(page.locator("#content")).to_be_visible()
        assert page.url.endswith(f"/{problem.pk}/{path}/")  # not sent to sign in
    assert violations == []
