"""A student reads the lesson and works "Work this" in real Chromium, graded by a real worker."""

import pytest
from playwright.sync_api import expect

from courseware import services
from courseware.models import Lesson, Problem
from engine.specs import instantiate
from engine.trace import trace
from tests.e2e.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def partly_wrong_trace(user) -> dict[str, str]:
    """The key of the student's variant with forward:u wrong and v, z consistent with it."""
    problem = Problem.objects.get(slug="work-this-trace")
    variant = services.variant_get_or_create(student=user, problem=problem)
    spec = instantiate(problem.spec, variant.seed)
    values = trace(spec).values
    answers = {step: f"{float(value):g}" for step, value in values.items()}
    wrong_u = values["forward:u"] + 1
    wrong_v = wrong_u + spec["inputs"]["b"]
    answers.update({
        "forward:u": f"{wrong_u:g}",
        "forward:v": f"{wrong_v:g}",
        "forward:z": f"{wrong_v**2:g}",
        "local:z/v": "2*v",
    })  # fmt: skip
    return answers


def log_in(page, base_url: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Signed in as ada")).to_be_visible()


def test_student_reads_the_lesson_and_gets_step_feedback(
    live_server, student, worker_factory, browser_page, artifacts
):
    worker_factory()
    page = browser_page
    log_in(page, live_server.url)

    page.get_by_role("link", name="The Credit Assignment Problem").first.click()
    page.wait_for_selector(".lesson-body .katex")
    assert page.locator(".lesson-body .katex").count() > 10
    assert page.locator(".lesson-body pre.highlight .k").count() > 0  # highlighted
    advanced = page.locator(".lesson-body details")
    advanced.locator("summary").first.click()
    expect(advanced.locator("svg.plot")).to_be_visible()  # the depth plot, inside
    page.screenshot(path=str(artifacts / "e2e-lesson.png"), full_page=True)

    page.get_by_role("link", name="Work this").first.click()
    expect(page.locator("svg.graph-horizontal [data-node='u']")).to_be_visible()
    answers = partly_wrong_trace(student)
    for step_id, text in answers.items():
        page.locator(f"input[name='{step_id}']").fill(text)
    preview = page.locator("tr[data-step-id='local:z/v'] output.preview .katex")
    expect(preview).to_be_visible()  # the live "interpreted as" preview
    page.locator("input[name='forward:u']").fill("2*(")
    expect(page.locator("tr[data-step-id='forward:u'] output.preview")).to_contain_text(
        "column"
    )
    page.locator("input[name='forward:u']").fill(answers["forward:u"])

    page.get_by_role("button", name="Submit for grading").click()
    expect(page.locator("#progress")).to_have_text("Graded.")

    row = "tr[data-step-id='{}']".format
    expect(page.locator(row("forward:u"))).to_have_class("cell-row status-incorrect")
    expect(page.locator(row("forward:v"))).to_have_class("cell-row status-carried")
    expect(page.locator(row("local:u/x"))).to_have_class("cell-row status-correct")
    expect(page.locator(row("forward:u") + " .status-badge")).to_have_text(
        "✗ incorrect"
    )
    expect(page.locator(row("forward:v") + " .status-badge")).to_have_text(
        "↪ carried forward"
    )
    value_of_u = page.locator("svg.graph-horizontal [data-node='u'] .mark-forward")
    expect(value_of_u).to_have_class("mark mark-forward status-incorrect")
    expect(value_of_u.locator(".marker")).to_have_text("✗")
    expect(page.locator("#feedback-body")).to_contain_text("Attempt 1: score")
    expect(page.locator("#history li")).to_have_count(1)
    page.screenshot(path=str(artifacts / "e2e-work-this-feedback.png"), full_page=True)


def test_keyboard_only_student_answers_a_choice_problem(
    live_server, student, worker_factory, browser_page
):
    worker_factory()
    page = browser_page
    log_in(page, live_server.url)
    lesson = Lesson.objects.get(slug="credit-assignment")
    page.goto(
        f"{live_server.url}/courses/{lesson.course.slug}/{lesson.slug}"
        "/problems/reverse-mode-cost/"
    )
    focused = "document.activeElement"
    for _ in range(60):  # Tab until the first option has the focus
        page.keyboard.press("Tab")
        if page.evaluate(f"{focused}.type") == "radio":
            break
    assert page.evaluate(f"{focused}.value") == "a"
    outline = page.evaluate(f"getComputedStyle({focused}).outlineStyle")
    assert outline != "none"  # the focus is visible
    page.keyboard.press("ArrowDown")  # moves to, and picks, option b
    assert page.evaluate(f"{focused}.value") == "b"
    page.keyboard.press("Enter")  # submits the form

    expect(page.locator("#progress")).to_have_text("Graded.")
    feedback = page.locator("#feedback[aria-live='polite']")
    expect(feedback).to_contain_text("score 100%")
    expect(feedback).to_contain_text("Attempts left: 1")
    badge = page.locator("[data-step-id='answer'] .status-badge")
    expect(badge).to_have_text("✓ correct")
