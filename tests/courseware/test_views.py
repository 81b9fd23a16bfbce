"""The student pages and their JSON: rendering, previews, grading status, access, keys."""

import json
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from courseware import services
from courseware.models import Course, Lesson, Problem, Quiz, Submission
from courseware.views import SYSTEM_ERROR_MESSAGE
from engine.specs import instantiate
from engine.trace import trace
from grader.services import submission_grade

COURSE, LESSON, WORK_THIS = "deep-learning", "credit-assignment", "work-this-trace"


@pytest.fixture
def course(db) -> Course:
    call_command("import_content", "content/", verbosity=0)
    return Lesson.objects.get(slug=LESSON).course


def make_student(course: Course, username: str):
    user = get_user_model().objects.create_user(username, password="pw-for-tests-1")
    services.course_enrol(course=course, user=user)
    return user


@pytest.fixture
def student(course):
    return make_student(course, "ada")


@pytest.fixture
def other(course):
    return make_student(course, "grace")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(name: str, *args) -> str:
    course_slug = Lesson.objects.get(slug=LESSON).course.slug
    return reverse(f"courseware:{name}", args=[course_slug, LESSON, *args])


def key_of(user, slug: str = WORK_THIS) -> tuple[Problem, dict]:
    """The answer key of ``user``'s variant: step id -> value."""
    problem = Problem.objects.get(slug=slug)
    variant = services.variant_get_or_create(student=user, problem=problem)
    spec = instantiate(problem.spec, variant.seed)
    return problem, trace(spec).values


def submit_and_grade(user, answers: dict, slug: str = WORK_THIS) -> Submission:
    problem = Problem.objects.get(slug=slug)
    submission = services.submission_create(
        student=user, problem=problem, answers=answers
    )
    submission_grade(submission_id=submission.id)
    submission.refresh_from_db()
    return submission


def status_json(client: Client, submission: Submission) -> dict:
    response = client.get(reverse("courseware:submission-status", args=[submission.id]))
    assert response.status_code == 200
    return response.json()


def wrong_everywhere(values: dict) -> dict:
    """A trace with every cell wrong, and never equal to a key value."""
    return {step: str(10_000 + i) for i, step in enumerate(values)}


# --- Pages ----------------------------------------------------------------------


def test_home_is_public_and_lists_a_students_courses(student):
    assert "Sign in" in Client().get("/").content.decode()
    page = client_for(student).get("/").content.decode()
    assert "The Credit Assignment Problem" in page


def test_lesson_requires_login(course):
    response = Client().get(url("lesson"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_lesson_page_renders_markdown_math_code_and_links(student):
    response = client_for(student).get(url("lesson"))
    page = response.content.decode()
    assert response.status_code == 200
    assert '<span class="math inline">' in page  # TeX left for KaTeX
    assert "vendor/katex-0.16.47/katex.min.js" in page
    assert '<pre class="highlight"><code class="language-python">' in page
    assert "<details>" in page and "advanced reader" in page
    assert url("problem", WORK_THIS) in page
    assert "quizzes/" in page


def test_pages_load_nothing_from_other_sites(student):
    client = client_for(student)
    for page_url in (url("lesson"), url("problem", WORK_THIS), "/"):
        page = client.get(page_url).content.decode()
        assert not re.search(r'(src|href)="(https?:)?//', page), page_url


def test_lesson_body_with_a_script_is_sanitised(student):
    lesson = Lesson.objects.get(slug=LESSON)
    lesson.body = "# Title\n\nHello <script>alert('owned')</script> world"
    lesson.save()
    page = client_for(student).get(url("lesson")).content.decode()
    assert "alert('owned')" not in page
    assert "Hello" in page


def test_a_non_member_gets_404(course):
    stranger = get_user_model().objects.create_user("mallory", password="pw-1234567")
    client = client_for(stranger)
    assert client.get(url("lesson")).status_code == 404
    assert client.get(url("problem", WORK_THIS)).status_code == 404


def test_problem_page_has_a_labelled_input_per_step_and_the_graph(student):
    _, values = key_of(student)
    page = client_for(student).get(url("problem", WORK_THIS)).content.decode()
    for step_id in values:
        name = re.search(
            rf'<input[^>]*name="{re.escape(step_id)}"[^>]*>', page, re.DOTALL
        )
        assert name, step_id
        assert 'aria-label="' in name.group(0)
        input_id = re.search(r'id="([^"]+)"', name.group(0)).group(1)
        assert f'<label for="{input_id}">' in page
    assert "∂v/∂u" in page and "∂z/∂x" in page
    assert 'aria-label="local derivative of v with respect to u"' in page
    nodes = re.findall(r'data-node="([^"]+)"', page)
    # twice: the wide drawing and the narrow screens' vertical one
    assert sorted(nodes) == sorted(["x", "y", "b", "u", "v", "z"] * 2)
    assert 'aria-live="polite"' in page


def test_network_problem_page_shows_matrix_cells_and_layer_nodes(student):
    page = client_for(student).get(url("problem", "pytorch-network")).content.decode()
    assert re.findall(r'data-node="([^"]+)"', page) == [
        "x", "W1", "W2", "z1", "a1", "z2", "a2", "loss",
    ] * 2  # fmt: skip
    grid = re.search(r'<input[^>]*name="grad:W1"[^>]*>', page, re.S).group(0)
    assert 'data-shape="2x2"' in grid  # the page script's grid
    assert "2×2 matrix" in page  # the expected shape, shown without JavaScript
    assert 'name="grad:W1"' in page
    assert "[[0.5, 0.3], [0.2, 0.4]]" in page  # a given weight matrix


def test_choice_problem_page_never_sends_which_option_is_right(student):
    page = client_for(student).get(url("problem", "reverse-mode-cost")).content.decode()
    assert page.count('type="radio"') == 4
    assert "Reverse mode avoids it" not in page  # per-option feedback is the key
    assert "correct: true" not in page.lower()


def test_choice_options_carry_their_keys_and_the_revealed_answer_is_marked(student):
    Quiz.objects.update(due_at=timezone.now() - timedelta(days=1))  # quiz over
    client = client_for(student)
    page = client.get(url("problem", "relu-blame")).content.decode()
    assert '<span class="option-key">a</span>' in page
    assert '<span class="option-key">b</span>' in page
    assert "(the answer)" not in page  # attempts left: nothing marked
    for _ in range(2):  # relu-blame allows two attempts
        submit_and_grade(student, {"answer": "b"}, slug="relu-blame")
    page = client.get(url("problem", "relu-blame")).content.decode()
    marked = re.findall(r'<p class="choice-option correct-option">.*?</p>', page, re.S)
    assert len(marked) == 1 and 'value="a"' in marked[0]
    assert marked[0].count("(the answer)") == 1


def test_expression_problem_page_has_a_single_labelled_answer(student):
    page = client_for(student).get(url("problem", "power-rule-local")).content.decode()
    assert '<label for="answer-input">' in page
    assert "2*v" not in page


# --- Validate endpoint ----------------------------------------------------------------


def validate(client: Client, step_id: str, text: str, slug: str = WORK_THIS):
    return client.post(
        url("validate", slug),
        data=json.dumps({"step_id": step_id, "text": text}),
        content_type="application/json",
    )


def test_validate_returns_latex_for_a_readable_answer(student):
    response = validate(client_for(student), "local:z/v", "2*v")
    assert response.status_code == 200
    data = response.json()
    assert data["ok"] is True and "v" in data["latex"]
    assert set(data) == {"ok", "latex", "message", "column"}


def test_validate_points_at_the_column_of_an_unreadable_answer(student):
    data = validate(client_for(student), "forward:u", "2*(3").json()
    assert data["ok"] is False
    assert data["column"] is not None
    assert data["message"]


def test_validate_rejects_a_name_outside_the_graph(student):
    data = validate(client_for(student), "forward:u", "2*q").json()
    assert data["ok"] is False and "q" in data["message"]


def test_validate_rejects_a_step_the_problem_does_not_have(student):
    response = validate(client_for(student), "forward:nope", "1")
    assert response.status_code == 400
    assert "not a step" in response.json()["message"]


def test_validate_creates_no_submission(student):
    validate(client_for(student), "forward:u", "6")
    assert not Submission.objects.exists()


def test_validate_and_submit_need_the_csrf_token(student):
    client = Client(enforce_csrf_checks=True)
    client.force_login(student)
    assert validate(client, "forward:u", "6").status_code == 403
    response = client.post(url("problem", WORK_THIS), {"forward:u": "6"})
    assert response.status_code == 403


# --- Submitting and the status JSON -------------------------------------------------------


def test_submit_by_form_stores_a_queued_submission_and_redirects(student):
    response = client_for(student).post(
        url("problem", WORK_THIS), {"forward:u": "6", "grad:x": ""}
    )
    submission = Submission.objects.get()
    assert response.status_code == 302
    assert f"submission={submission.id}" in response["Location"]
    assert submission.answers == {"forward:u": "6"}
    assert submission.status == Submission.Status.QUEUED


def test_submit_by_script_returns_the_status_url(student):
    response = client_for(student).post(
        url("problem", WORK_THIS), {"forward:u": "6"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 202
    data = response.json()
    assert data["status"] == "queued" and data["done"] is False
    assert data["steps"] == []
    assert data["status_url"].endswith("/status")
    assert data["next_idempotency_key"]


def test_submit_with_no_answers_explains_what_to_do(student):
    response = client_for(student).post(
        url("problem", WORK_THIS), {"forward:u": ""}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 400
    assert "fill in at least one step" in " ".join(response.json()["errors"])


def test_status_json_reports_each_step_after_grading(student):
    _, values = key_of(student)
    answers = {step: json.dumps(float(value)) for step, value in values.items()}
    submission = submit_and_grade(student, answers)
    data = status_json(client_for(student), submission)
    assert data["status"] == "graded" and data["done"] is True
    assert data["score"] == pytest.approx(1.0)
    assert {step["id"] for step in data["steps"]} == set(values)
    assert {step["status"] for step in data["steps"]} == {"correct"}
    assert data["attempts_left"] is None  # unlimited
    assert data["history"][0]["id"] == str(submission.id)


def test_status_json_never_contains_the_key_before_the_reveal(student):
    _, values = key_of(student)
    submission = submit_and_grade(student, wrong_everywhere(values))
    client = client_for(student)
    data = status_json(client, submission)
    assert data["reveal"] is False
    assert all("expected" not in step for step in data["steps"])
    key_numbers = {f"{float(v):g}" for v in values.values()} - {"0", "1", "-1"}
    for step in data["steps"]:
        spoken = " ".join(str(step[k] or "") for k in ("message", "interpreted"))
        found = set(re.findall(r"-?\d+(?:\.\d+)?", spoken))
        assert not (found & key_numbers), (step, found & key_numbers)
    page = client.get(url("problem", WORK_THIS)).content.decode()
    assert "Answer: <code>" not in page


def test_the_key_is_shown_once_the_policy_allows(student):
    problem, values = key_of(student)
    problem.reveal_policy = Problem.RevealPolicy.ALWAYS
    problem.save()
    # Never while a quiz containing the problem is open: close the demo quiz.
    Quiz.objects.update(due_at=timezone.now() - timedelta(days=1))
    submission = submit_and_grade(student, wrong_everywhere(values))
    data = status_json(client_for(student), submission)
    assert data["reveal"] is True
    by_id = {step["id"]: step for step in data["steps"]}
    assert float(by_id["forward:u"]["expected"]) == pytest.approx(values["forward:u"])


def test_a_revealed_key_shows_each_answer_once_and_none_for_solved_cells(student):
    problem, values = key_of(student)
    problem.reveal_policy = Problem.RevealPolicy.ALWAYS
    problem.save()
    Quiz.objects.update(due_at=timezone.now() - timedelta(days=1))
    answers = wrong_everywhere(values)
    answers["local:v/u"] = "1"  # solved: its key reads "1 = 1"
    submission = submit_and_grade(student, answers)
    by_id = {s["id"]: s for s in status_json(client_for(student), submission)["steps"]}
    assert by_id["local:v/u"]["status"] == "correct"
    assert "expected" not in by_id["local:v/u"]
    assert by_id["local:v/b"]["expected"] == "1"  # not "1 = 1"
    assert " = " in by_id["local:z/v"]["expected"]  # "2*v = 14": formula and value
    page = client_for(student).get(url("problem", WORK_THIS)).content.decode()
    assert "<code>1 = 1</code>" not in page


def test_a_variant_with_other_numbers_says_so_beside_the_given_values(student):
    problem = Problem.objects.get(slug=WORK_THIS)
    variant = services.variant_get_or_create(student=student, problem=problem)
    variant.seed = next(
        seed
        for seed in range(1, 50)
        if instantiate(problem.spec, seed)["inputs"] != problem.spec["inputs"]
    )
    variant.save()
    page = client_for(student).get(url("problem", WORK_THIS)).content.decode()
    note = re.search(r'<p class="note" id="numbers-note">(.*?)</p>', page, re.S)
    assert "Your numbers differ from the example's" in note.group(1)
    assert "(x = 2, y = 3, b = 1)" in " ".join(note.group(1).split())


def test_partly_wrong_trace_shows_correct_carried_and_incorrect(student):
    _, values = key_of(student)
    answers = {step: f"{float(value):g}" for step, value in values.items()}
    wrong_u = values["forward:u"] + 1
    answers["forward:u"] = f"{wrong_u:g}"
    answers["forward:v"] = f"{wrong_u + (values['forward:v'] - values['forward:u']):g}"
    answers["forward:z"] = f"{float(answers['forward:v']) ** 2:g}"
    submission = submit_and_grade(student, answers)
    client = client_for(student)
    statuses = {s["id"]: s["status"] for s in status_json(client, submission)["steps"]}
    assert statuses["forward:u"] == "incorrect"
    assert statuses["forward:v"] == "carried"
    assert statuses["local:u/x"] == "correct"
    page = client.get(url("problem", WORK_THIS)).content.decode()
    assert 'class="cell-row status-incorrect" data-step-id="forward:u"' in page
    assert "↪ carried forward" in page
    assert 'class="mark mark-forward status-incorrect" data-steps="forward:u"' in page
    assert 'class="mark mark-forward status-carried" data-steps="forward:v"' in page


def test_a_failed_grading_shows_a_plain_message_and_no_details(student):
    submission = services.submission_create(
        student=student,
        problem=Problem.objects.get(slug=WORK_THIS),
        answers={"forward:u": "6"},
    )
    Submission.objects.filter(pk=submission.pk).update(
        status=Submission.Status.ERROR,
        result={"outcome": "error", "score": None, "steps": [],
                "message": "Traceback (most recent call last): boom"},
    )  # fmt: skip
    data = status_json(client_for(student), submission)
    assert data["outcome"] == "error"
    assert data["message"] == SYSTEM_ERROR_MESSAGE
    assert "Traceback" not in json.dumps(data)


# --- Students only see their own work -------------------------------------------------


def test_another_students_submission_is_404(student, other):
    _, values = key_of(student)
    submission = submit_and_grade(student, wrong_everywhere(values))
    client = client_for(other)
    status_url = reverse("courseware:submission-status", args=[submission.id])
    assert client.get(status_url).status_code == 404
    page_url = url("problem", WORK_THIS) + f"?submission={submission.id}"
    assert client.get(page_url).status_code == 404


def test_a_student_works_on_their_own_variant(student, other):
    response = client_for(other).get(url("problem", WORK_THIS))
    variant = response.context["problem"].variants.get(student=other)
    assert response.context["workspace"] is not None
    own_spec = instantiate(Problem.objects.get(slug=WORK_THIS).spec, variant.seed)
    given = dict(response.context["workspace"]["given"])
    assert given == {k: f"{v:g}" if isinstance(v, float) else str(v)
                     for k, v in own_spec["inputs"].items()}  # fmt: skip
    assert not response.context["history"]


def test_history_lists_only_the_students_own_attempts(student, other):
    _, values = key_of(student)
    mine = submit_and_grade(student, wrong_everywhere(values))
    page = client_for(other).get(url("problem", WORK_THIS)).content.decode()
    assert str(mine.id) not in page


# --- The depth plot -------------------------------------------------------------------------


def test_gradient_depth_json_has_six_series(student):
    response = client_for(student).get(
        reverse("courseware:gradient-depth"), {"max_depth": 12, "weight_scale": 1.0}
    )
    data = response.json()
    assert data["depths"] == list(range(1, 13))
    assert {(s["activation"], s["residual"]) for s in data["series"]} == {
        (a, r) for a in ("sigmoid", "tanh", "relu") for r in (False, True)
    }
    sigmoid = next(s for s in data["series"] if s["activation"] == "sigmoid"
                   and not s["residual"])  # fmt: skip
    assert sigmoid["values"][-1] < sigmoid["values"][0]  # it vanishes with depth


def test_gradient_depth_json_rejects_out_of_range_controls(student):
    response = client_for(student).get(
        reverse("courseware:gradient-depth"), {"max_depth": 5000, "weight_scale": 1}
    )
    assert response.status_code == 400
    assert "max_depth" in response.json()["message"]


def test_an_instructor_sees_a_students_attempt_with_the_students_numbers(
    course, student
):
    instructor = get_user_model().objects.create_user("prof", password="pw-12345678")
    services.course_enrol(course=course, user=instructor, role="instructor")
    _, values = key_of(student)
    submission = submit_and_grade(student, wrong_everywhere(values))
    response = client_for(instructor).get(
        url("problem", WORK_THIS) + f"?submission={submission.id}"
    )
    assert response.status_code == 200
    own_spec = instantiate(Problem.objects.get(slug=WORK_THIS).spec,
                           submission.variant.seed)  # fmt: skip
    assert dict(response.context["workspace"]["given"]) == {
        k: str(v) for k, v in own_spec["inputs"].items()
    }
    assert response.context["payload"]["reveal"] is True  # staff may see the key
