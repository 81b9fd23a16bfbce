"""The registry of problem kinds (grader.kinds): a new kind is one module plus its
answer template, and everything else (validation, the page, the API, grading,
the author's key) asks the kind."""

import re
import sys
from pathlib import Path

import pytest
from django.template.loader import get_template
from django.urls import reverse
from rest_framework.test import APIClient

from courseware import problem_saving
from courseware.authoring.question_tests import answer_key
from courseware.models import Lesson
from grader import kinds
from grader.grading import grade
from tests.courseware.test_views import LESSON, client_for, make_student
from tests.courseware.test_views import course as course  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parents[2]

# A whole new kind, written as an author of Tracegrade would: one module.
COUNT_MODULE = '''
"""``count``: a whole number (how many layers, weights, paths...)."""

from engine.specs import COMMON_FIELDS, SpecError, prompt_errors
from grader.cells import grade_result
from grader.kinds.base import ANSWER, Kind
from grader.results import CORRECT, INCORRECT, MISSING, StepResult


class Count(Kind):
    name = "count"
    label = "Count"
    order = 90
    fields = (*COMMON_FIELDS, "answer")

    def errors(self, spec):
        answer = spec.get("answer")
        if isinstance(answer, int) and not isinstance(answer, bool) and answer >= 0:
            return prompt_errors(spec)
        return prompt_errors(spec) + [SpecError("answer", "answer must be a count")]

    def answer_key(self, concrete, trace=None):
        return {ANSWER: str(concrete["answer"])}

    def grade(self, concrete, answers):
        text = str(answers.get(ANSWER) or "").strip()
        if not text:
            step = StepResult(ANSWER, MISSING, 0.0, "Missing.")
        elif text == str(concrete["answer"]):
            step = StepResult(ANSWER, CORRECT, 1.0, "Correct.")
        else:
            step = StepResult(ANSWER, INCORRECT, 0.0, "Count again.")
        return grade_result([step], concrete)


KIND = Count()
'''
COUNT_TEMPLATE = (
    '<p class="count-answer"><label for="answer-input">How many?</label>'
    '<input type="number" id="answer-input" name="answer" min="0"></p>\n'
)


@pytest.fixture
def count_kind(tmp_path, monkeypatch, settings):
    """The ``count`` kind, installed as a module of grader.kinds and a template."""
    package = tmp_path / "kinds"
    package.mkdir()
    (package / "count.py").write_text(COUNT_MODULE)
    templates = tmp_path / "templates" / "courseware" / "kinds"
    templates.mkdir(parents=True)
    (templates / "count.html").write_text(COUNT_TEMPLATE)
    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "DIRS": [*settings.TEMPLATES[0]["DIRS"], tmp_path / "templates"],
        },
    ]
    monkeypatch.setattr(kinds, "__path__", [*kinds.__path__, str(package)])
    monkeypatch.setattr(kinds, "REGISTRY", kinds._discover())
    yield kinds.get("count")
    sys.modules.pop("grader.kinds.count", None)


def test_the_registry_lists_the_five_kinds_in_order():
    assert kinds.names() == (
        "scalar_trace",
        "network_trace",
        "expression",
        "numeric",
        "choice",
    )
    assert kinds.validate({"kind": "essay"})[0].message == (
        "unknown kind 'essay'; use scalar_trace, network_trace, expression, "
        "numeric or choice"
    )


@pytest.mark.parametrize("name", kinds.names())
def test_every_kind_has_its_answer_template(name):
    assert get_template(f"courseware/kinds/{name}.html")


def test_no_courseware_module_or_template_names_a_kind():
    """Courseware asks the kind object; a kind name compared anywhere else is a
    second place to change when a kind is added."""
    names = "|".join(kinds.names())
    quoted = re.compile(rf"""["']({names})["']""")
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("courseware", "templates")
        for path in (ROOT / folder).rglob("*")
        if path.suffix in (".py", ".html") and "migrations" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if quoted.search(line)
    ]
    assert found == []


def test_a_new_kind_is_one_module_and_its_template(count_kind, course):  # noqa: F811
    spec = {"kind": "count", "prompt": "How many layers?", "answer": 3}
    assert kinds.validate({**spec, "answer": -1})[0].field == "answer"
    assert kinds.validate({**spec, "anwser": 3})[0].message.endswith(
        "did you mean 'answer'?"
    )
    assert kinds.validate(spec) == []
    lesson = Lesson.objects.get(slug=LESSON)
    problem, _ = problem_saving.problem_save(
        lesson=lesson,
        slug="count-layers",
        title="Count the layers",
        spec=spec,
        prompt="How many layers?",
    )
    assert answer_key(problem.spec, None) == {"answer": "3"}
    assert grade(spec, {"answer": "3"}).score == 1.0
    assert grade(spec, {"answer": "4"}).steps[0].message == "Count again."

    student = make_student(lesson.course, "ada")
    client = client_for(student)
    page_url = reverse(
        "courseware:problem", args=[lesson.course.slug, LESSON, "count-layers"]
    )
    page = client.get(page_url).content.decode()
    assert 'class="count-answer"' in page and "How many layers?" in page
    response = client.post(page_url, {"answer": "3"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 202
    preview = client.post(
        reverse(
            "courseware:validate", args=[lesson.course.slug, LESSON, "count-layers"]
        ),
        data='{"step_id": "answer", "text": "3"}',
        content_type="application/json",
    ).json()
    assert preview["ok"] is True

    api = APIClient()
    api.force_authenticate(student)
    detail = api.get(f"/api/v1/problems/{problem.pk}/").json()
    assert detail["kind"] == "count"
    variant = api.get(f"/api/v1/problems/{problem.pk}/variant/").json()
    assert variant["step_ids"] == ["answer"] and variant["nodes"] == []


SUMMARIES = [
    ({"kind": "scalar_trace", "program": "z = (x*y + b)**2\n"}, "z = (x*y + b)**2\n"),
    (
        {"kind": "network_trace", "layers": [{}, {}, {}], "loss": "cross_entropy"},
        "Network trace: 3 layer(s), loss cross_entropy",
    ),
    (
        {"kind": "network_trace", "layers": [{}]},
        "Network trace: 1 layer(s), loss squared_error",
    ),
    ({"kind": "expression", "answer": "2*x"}, "Expression: 2*x"),
    ({"kind": "numeric", "answer": 0.25}, "Numeric: 0.25"),
    (
        {"kind": "choice", "options": [{"key": "a"}, {"key": "b"}]},
        "Choice: 2 option(s)",
    ),
]


@pytest.mark.parametrize(("spec", "line"), SUMMARIES, ids=lambda v: str(v)[:30])
def test_each_kind_names_what_a_spec_asks_in_one_line(spec, line):
    assert kinds.of(spec).summary(spec) == line
