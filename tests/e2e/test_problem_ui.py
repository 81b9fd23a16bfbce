"""The problem page in real Chromium, at 1280 px and at a 390 px phone: the matrix
grid, the graph's marks and its links to the cells, focus after Submit, and pages
that never scroll sideways. Screenshots go to docs/screenshots (see docs/ui.md)."""

import numpy as np
import pytest
from playwright.sync_api import expect

from courseware import services
from courseware.models import Lesson, Problem
from engine.specs import instantiate
from engine.trace import trace
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.test_student_journey import log_in, partly_wrong_trace

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def problem_url(base: str, slug: str) -> str:
    lesson = Lesson.objects.get(slug="credit-assignment")
    return f"{base}/courses/{lesson.course.slug}/{lesson.slug}/problems/{slug}/"


def as_text(value) -> str:
    """A key value as a student types it: ``0.5`` or ``[[0.5, 0.3], [0.2, 0.4]]``."""
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        return f"{float(array):.6g}"
    rows = array.reshape(1, -1) if array.ndim == 1 else array
    return (
        "["
        + ", ".join("[" + ", ".join(f"{v:.6g}" for v in r) + "]" for r in rows)
        + "]"
    )


def paste(page, selector: str, text: str) -> None:
    """A paste event carrying ``text``, as the browser fires one for Ctrl+V."""
    page.eval_on_selector(
        selector,
        """(el, text) => {
          el.focus();
          const data = new DataTransfer();
          data.setData("text/plain", text);
          el.dispatchEvent(new ClipboardEvent("paste",
            {clipboardData: data, bubbles: true, cancelable: true}));
        }""",
        text,
    )


def active_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def test_matrix_grid_type_tab_paste_submit(
    live_server, student, worker_factory, browser_at, screenshots
):
    worker_factory()
    page = browser_at(DESKTOP)
    log_in(page, live_server.url)
    page.goto(problem_url(live_server.url, "pytorch-network"))
    problem = Problem.objects.get(slug="pytorch-network")
    key = trace(instantiate(problem.spec, None)).values

    row = page.locator("tr[data-step-id='grad:W1']")
    expect(row.locator("th")).to_contain_text("2×2 matrix")  # the expected shape
    grid = row.locator("fieldset.matrix-grid")
    expect(grid.locator("legend")).to_have_text("∂loss/∂W1: 2×2 matrix")
    entries = grid.locator("input.matrix-entry")
    expect(entries).to_have_count(4)
    expect(entries.nth(1)).to_have_attribute(
        "aria-label", "row 1, column 2 of ∂loss/∂W1"
    )
    field = row.locator("input[name='grad:W1']")  # the form's own field

    # Typing and Tab: entries in reading order, the field follows as [[...]] text.
    entries.nth(0).click()
    page.keyboard.type("1")
    page.keyboard.press("Tab")
    assert active_id(page) == entries.nth(1).get_attribute("id")
    page.keyboard.type("2")
    page.keyboard.press("Tab")
    page.keyboard.type("3")
    page.keyboard.press("Tab")
    page.keyboard.type("1/3")
    expect(field).to_have_value("[[1, 2], [3, 1/3]]")
    expect(row.locator("output.preview .katex")).to_be_visible()  # previewed as typed

    # Pasting a whole matrix into one entry fills the grid.
    w1 = key["grad:W1"]
    paste(page, "tr[data-step-id='grad:W1'] input.matrix-entry", as_text(w1))
    expect(field).to_have_value(as_text(w1))
    expect(entries.nth(3)).to_have_value(f"{w1[1][1]:.6g}")
    # A pasted matrix of the wrong shape is kept as text and said so.
    w2_row = page.locator("tr[data-step-id='grad:W2']")
    paste(page, "tr[data-step-id='grad:W2'] input.matrix-entry", "[[0.1, 0.2]]")
    expect(w2_row.locator(".grid-note")).to_contain_text("1×2 matrix")
    expect(w2_row.locator("input[name='grad:W2']")).to_have_value("[[0.1, 0.2]]")

    # Text typed in a field fills its grid; a 1x1 grid writes [[v]].
    for step_id, value in key.items():
        if step_id in ("grad:W1", "grad:x"):
            continue
        page.locator(f"input[name='{step_id}']").fill(as_text(value))
    expect(w2_row.locator("input.matrix-entry").nth(1)).to_have_value(
        f"{key['grad:W2'][1][0]:.6g}"
    )
    a2 = page.locator("tr[data-step-id='forward:a2']")
    a2.locator("input.matrix-entry").fill(f"{float(key['forward:a2'][0][0]):.6g}")
    expect(a2.locator("input[name='forward:a2']")).to_have_value(
        as_text(key["forward:a2"])
    )
    x_row = page.locator("tr[data-step-id='grad:x']")
    x_row.locator("input.matrix-entry").nth(0).fill("9")  # one wrong cell
    x_row.locator("input.matrix-entry").nth(1).fill("9")
    expect(x_row.locator("input[name='grad:x']")).to_have_value("[[9, 9]]")

    page.get_by_role("button", name="Submit for grading").click()
    expect(page.locator("#progress")).to_have_text("Graded.")
    expect(row).to_have_class("cell-row status-correct")
    expect(a2).to_have_class("cell-row status-correct")  # typed in its 1x1 grid
    expect(x_row).to_have_class("cell-row status-incorrect")
    # Focus: on the announced summary, which links to the first cell to fix.
    assert active_id(page) == "feedback-body"
    summary = page.locator("#feedback-body")
    expect(summary).to_contain_text("score")
    fix = summary.locator(".first-to-fix a")
    expect(fix).to_have_text("∂loss/∂x")
    fix.click()
    assert active_id(page) == x_row.locator("input.matrix-entry").first.get_attribute(
        "id"
    )
    page.locator("table[data-family='grad']").screenshot(
        path=str(screenshots / "grid-desktop.png")
    )
    page.locator("#feedback").screenshot(
        path=str(screenshots / "focus-after-submit.png")
    )


def test_graph_marks_value_and_gradient_apart_and_links_cells(
    live_server, student, worker_factory, browser_at, screenshots
):
    worker_factory()
    page = browser_at(DESKTOP)
    log_in(page, live_server.url)
    page.goto(problem_url(live_server.url, "work-this-trace"))
    graph = page.locator("svg.graph-horizontal")
    expect(graph).to_be_visible()
    expect(page.locator("svg.graph-vertical")).to_be_hidden()

    answers = partly_wrong_trace(student)
    answers["grad:v"] = "12345"  # a wrong gradient beside a carried forward value
    for step_id, text in answers.items():
        page.locator(f"input[name='{step_id}']").fill(text)
    # The preview shows a decimal as typed, not as a fraction.
    page.locator("input[name='local:u/x']").fill("-0.025")
    expect(
        page.locator("tr[data-step-id='local:u/x'] output.preview .katex-mathml")
    ).to_contain_text("0.025")
    page.locator("input[name='local:u/x']").fill(answers["local:u/x"])
    page.get_by_role("button", name="Submit for grading").click()
    expect(page.locator("#progress")).to_have_text("Graded.")

    value_mark = graph.locator("[data-node='v'] .mark-forward")
    grad_mark = graph.locator("[data-node='v'] .mark-grad")
    expect(value_mark).to_have_class("mark mark-forward status-carried")
    expect(value_mark.locator(".marker")).to_have_text("↪")
    expect(grad_mark).to_have_class("mark mark-grad status-incorrect")
    expect(grad_mark.locator(".marker")).to_have_text("✗")
    expect(value_mark.locator("title")).to_have_text(
        "forward value of v: carried forward"
    )
    # A solved cell repeats no answer.
    expect(page.locator("tr[data-step-id='local:u/x'] .expected")).to_have_count(0)

    # Focus a cell: its node (and edge) light up.
    page.locator("input[name='local:u/x']").focus()
    expect(graph.locator("[data-node='u']")).to_have_class("node node-op linked")
    expect(graph.locator(".edge[data-from='x'][data-to='u']")).to_have_class(
        "edge status-correct linked"
    )
    page.locator("input[name='grad:u']").focus()
    expect(graph.locator(".edge[data-from='u'][data-to='v']")).to_have_class(
        "edge status-correct linked"
    )
    # Focus a node from the keyboard: its cells light up; Enter goes to its cell.
    node_v = graph.locator("a[data-node='v']")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('data-node')") == "v":
            break
    assert page.evaluate("document.activeElement.getAttribute('data-node')") == "v"
    for step_id in ("forward:v", "local:v/u", "local:v/b", "grad:v"):
        expect(page.locator(f"tr[data-step-id='{step_id}']")).to_contain_class("linked")
    expect(page.locator("tr[data-step-id='forward:u']")).not_to_contain_class("linked")
    page.locator("#graph").screenshot(path=str(screenshots / "graph-desktop.png"))
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.name") == "forward:v"
    expect(node_v).to_contain_class("linked")


PAGES = [
    ("lesson", ""),
    ("work this", "problems/work-this-trace/"),
    ("network", "problems/three-layer-network/"),
    ("pytorch", "problems/pytorch-network/"),
    ("fan-out", "problems/fan-out/"),
    ("quiz", "quizzes/credit-assignment/"),
]


def test_pages_at_390_px_never_scroll_sideways(
    live_server, student, browser_at, screenshots
):
    page = browser_at(PHONE)
    log_in(page, live_server.url)
    lesson = Lesson.objects.get(slug="credit-assignment")
    base = f"{live_server.url}/courses/{lesson.course.slug}/"
    page.goto(base)
    expect(page.locator("main")).not_to_contain_text("Markdown")  # author help
    for name, path in PAGES:
        page.goto(f"{base}{lesson.slug}/{path}")
        page.wait_for_load_state("load")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the {name} page is {width} px wide"
        clipped = page.evaluate(
            """() => [...document.querySelectorAll('.given dd, .trace-table th, main p')]
                 .filter(el => el.getBoundingClientRect().right > innerWidth + 0.5)
                 .map(el => el.textContent.slice(0, 40))"""
        )
        assert not clipped, f"{name}: cut off at the right: {clipped}"
        if "problems/" in path:
            graph = page.locator("svg.graph-vertical")
            expect(graph).to_be_visible()
            expect(page.locator("svg.graph-horizontal")).to_be_hidden()
            smallest = page.evaluate(
                """() => Math.min(...[...document.querySelectorAll(
                     'svg.graph-vertical text')].filter(t => t.textContent.trim())
                     .map(t => t.getScreenCTM().a * parseFloat(getComputedStyle(t).fontSize)))"""
            )
            assert smallest >= 10, f"{name}: graph text of {smallest:.1f} px"
            box = page.evaluate(
                "(() => { const w = document.querySelector('.graph-wrap');"
                " return [w.scrollWidth, w.clientWidth]; })()"
            )
            assert box[0] <= box[1], f"{name}: the graph scrolls sideways"
    page.goto(f"{base}{lesson.slug}/problems/pytorch-network/")
    page.locator(".graph-section").screenshot(path=str(screenshots / "phone-graph.png"))
    page.locator("table[data-family='forward']").screenshot(
        path=str(screenshots / "phone-grid.png")
    )


def test_every_graph_fits_at_1280_px(live_server, student, browser_at):
    page = browser_at(DESKTOP)
    log_in(page, live_server.url)
    for slug in (
        "work-this-trace",
        "fan-out",
        "pytorch-network",
        "three-layer-network",
    ):
        page.goto(problem_url(live_server.url, slug))
        expect(page.locator("svg.graph-horizontal")).to_be_visible()
        sizes = page.evaluate(
            "(() => { const w = document.querySelector('.graph-wrap');"
            " return [w.scrollWidth, w.clientWidth,"
            " document.documentElement.scrollWidth]; })()"
        )
        assert sizes[0] <= sizes[1], f"{slug}: the graph scrolls at 1280 px"
        assert sizes[2] <= 1280, f"{slug}: the page scrolls sideways"


def test_lesson_glossary_link_and_numbers_note(live_server, student, browser_at):
    page = browser_at(PHONE)
    log_in(page, live_server.url)
    lesson = Lesson.objects.get(slug="credit-assignment")
    page.goto(f"{live_server.url}/courses/{lesson.course.slug}/{lesson.slug}/")
    page.get_by_role("link", name="Full glossary →").click()
    expect(page.locator("#lesson-glossary")).to_be_in_viewport()
    expect(page.locator(".lesson-body")).to_contain_text("Upstream gradient")

    problem = Problem.objects.get(slug="work-this-trace")
    variant = services.variant_get_or_create(student=student, problem=problem)
    inputs = instantiate(problem.spec, variant.seed)["inputs"]
    page.goto(problem_url(live_server.url, "work-this-trace"))
    note = page.locator("#numbers-note")
    if inputs == problem.spec["inputs"]:  # this variant happens to be the lesson's
        expect(note).to_have_count(0)
    else:
        expect(note).to_contain_text("Your numbers differ from the example's")
        expect(note).to_contain_text("x = 2, y = 3, b = 1")
