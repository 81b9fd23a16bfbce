"""The problem admin: YAML spec editing with field+line errors, versions, actions, pages."""

import pytest
from django import forms
from django.contrib.auth import get_user_model
from django.urls import reverse

from courseware import problem_saving, services
from courseware.authoring.spec_text import spec_dump
from courseware.models import Problem, ProblemVersion, QuestionTest, Submission
from engine.variants import variant_flaws

pytestmark = pytest.mark.django_db

SPEC = {
    "kind": "scalar_trace",
    "program": "u = x*y\nv = u + b\nz = v**2\n",
    "inputs": {"x": 2, "y": 3, "b": 1},
    "randomize": {"x": {"int": [1, 5]}, "y": {"int": [1, 5]}, "b": {"int": [-3, 3]}},
    "ask": ["forward", "local", "grad"],
}


@pytest.fixture
def lesson():
    course, _ = services.course_upsert(slug="dl", title="Deep Learning")
    lesson, _ = services.lesson_upsert(course=course, slug="ca", title="Credit")
    return lesson


@pytest.fixture
def problem(lesson):
    problem, _ = problem_saving.problem_save(
        lesson=lesson, slug="work", title="Work this", spec=SPEC
    )
    return problem


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser("teacher", password="pw-12345678")
    client.force_login(user)
    return user


def change_url(problem) -> str:
    return reverse("admin:courseware_problem_change", args=[problem.pk])


def form_data(response, **changes) -> dict:
    """What the browser would post back from an admin change form, with ``changes``."""
    data = {}
    bound = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        bound += [formset.management_form, *formset.forms]
    for form in bound:
        for name, field in form.fields.items():
            value = form[name].value()
            if isinstance(field, forms.SplitDateTimeField):
                data[form.add_prefix(name) + "_0"] = data[
                    form.add_prefix(name) + "_1"
                ] = ""
            elif isinstance(field, forms.JSONField):
                data[form.add_prefix(name)] = field.prepare_value(value)
            elif isinstance(field, forms.BooleanField):
                if value:
                    data[form.add_prefix(name)] = "on"
            elif value is not None:
                data[form.add_prefix(name)] = value
    data.update(changes)
    return data


def submit(student, problem) -> Submission:
    return services.submission_create(
        student=student, problem=problem, answers={"forward:u": "6"}
    )


def test_the_change_form_shows_the_spec_as_yaml(client, staff, problem):
    response = client.get(change_url(problem))
    assert response.status_code == 200
    text = response.context["adminform"].form["spec_text"].value()
    assert text.startswith("kind: scalar_trace\nprogram: |\n  u = x*y\n")
    assert "inputs: {x: 2, y: 3, b: 1}" in text


def test_saving_a_bad_spec_names_field_and_line_and_saves_nothing(
    client, staff, problem
):
    page = client.get(change_url(problem))
    text = spec_dump(SPEC).replace("v = u + b", "v = u + ")
    response = client.post(change_url(problem), form_data(page, spec_text=text))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["spec_text"]
    assert errors[0].startswith("line 4: program: ")
    problem.refresh_from_db()
    assert problem.spec == SPEC


def test_saving_an_answered_problem_makes_a_new_version(client, staff, problem):
    student = get_user_model().objects.create_user("ada")
    old = submit(student, problem)
    page = client.get(change_url(problem))
    text = spec_dump(SPEC).replace("z = v**2", "z = v**3")
    response = client.post(change_url(problem), form_data(page, spec_text=text))
    assert response.status_code == 302, response.context["adminform"].form.errors
    problem.refresh_from_db()
    assert problem.version == 2 and problem.spec["program"].endswith("z = v**3\n")
    old.refresh_from_db()
    assert old.problem_version.number == 1
    assert old.problem_version.spec == SPEC
    new = submit(student, problem)
    assert new.problem_version.number == 2
    page = client.get(change_url(problem))
    versions = page.context["inline_admin_formsets"][1]
    assert [form.original.number for form in versions] == [1, 2]
    assert b"z = v**3" in page.content  # the version's spec summary


def test_saving_an_unanswered_problem_corrects_version_1_in_place(
    client, staff, problem
):
    page = client.get(change_url(problem))
    text = spec_dump(SPEC).replace("z = v**2", "z = v**3")
    client.post(change_url(problem), form_data(page, spec_text=text, title="New"))
    problem.refresh_from_db()
    assert (problem.version, problem.title) == (1, "New")
    assert (
        ProblemVersion.objects.get(problem=problem).spec["program"].endswith("v**3\n")
    )


def test_adding_a_problem_from_yaml(client, staff, lesson, problem):
    add = reverse("admin:courseware_problem_add")
    page = client.get(add)
    text = "kind: expression\nanswer: 2*v\nsymbols: [v]\n"
    data = form_data(page, lesson=lesson.pk, slug="d", title="D", spec_text=text)
    data["prompt"] = "Differentiate $v^2$."
    response = client.post(add, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    created = Problem.objects.get(slug="d")
    assert (created.kind, created.version, created.spec["answer"]) == (
        "expression", 1, "2*v",
    )  # fmt: skip
    assert created.versions.count() == 1


def test_adding_a_problem_from_one_program_line(client, staff, lesson):
    add = reverse("admin:courseware_problem_add")
    page = client.get(add)
    data = form_data(
        page, lesson=lesson.pk, slug="neuron", title="Neuron",
        spec_text="z = tanh(w*x + b)",
    )  # fmt: skip
    response = client.post(add, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    created = Problem.objects.get(slug="neuron")
    assert created.kind == "scalar_trace"
    assert created.spec["inputs"] == {"w": 2, "x": 3, "b": 1}
    # The author sees the spec it became, inputs included, ready to edit.
    text = client.get(change_url(created)).context["adminform"].form["spec_text"]
    assert "inputs: {w: 2, x: 3, b: 1}" in text.value()


def test_a_spec_without_inputs_names_the_inputs_it_needs(client, staff, problem):
    page = client.get(change_url(problem))
    text = "kind: scalar_trace\nprogram: z = (x*y + b)**2\n"
    response = client.post(change_url(problem), form_data(page, spec_text=text))
    errors = response.context["adminform"].form.errors["spec_text"]
    assert errors == [
        "line 1: inputs: the program reads x, y, b: give each a number, "
        "e.g. inputs: {x: 2, y: 3, b: 1}"
    ]


def test_saving_runs_the_question_tests_and_reports_failures(client, staff, problem):
    QuestionTest.objects.create(
        problem=problem, name="z literal", answers={"forward:z": "49"},
        expected_score=1.0, variants=2,
    )  # fmt: skip
    page = client.get(change_url(problem))
    response = client.post(change_url(problem), form_data(page), follow=True)
    text = [str(m) for m in response.context["messages"]]
    assert any("1 of 3 failed (z literal)" in m for m in text), text


def test_question_tests_added_inline_are_saved_and_run(client, staff, problem):
    page = client.get(change_url(problem))
    data = form_data(page)
    data.update({
        "question_tests-TOTAL_FORMS": "1",
        "question_tests-0-name": "carried",
        "question_tests-0-answers": '{"forward:u": "{key}+1", "forward:v": "{key}+1"}',
        "question_tests-0-expected_score": str(1 / 13),
        "question_tests-0-expected_statuses": '{"forward:v": "carried"}',
        "question_tests-0-variants": "3",
    })  # fmt: skip
    response = client.post(change_url(problem), data, follow=True)
    assert problem.question_tests.get().variants == 3
    text = [str(m) for m in response.context["messages"]]
    assert any("all 3 passed" in m for m in text), text


def test_the_question_test_report_page(client, staff, problem):
    QuestionTest.objects.create(
        problem=problem, name="z literal", answers={"forward:z": "49"},
        expected_score=1.0, variants=2,
    )  # fmt: skip
    url = reverse("admin:courseware_problem_question_tests", args=[problem.pk])
    response = client.get(url)
    content = response.content.decode()
    assert "✗ 1 of 3 tests failed" in content
    assert "The answer key grades 1.0" in content and "automatic" in content
    assert "variant 1:</strong>" in content
    assert "expected 1" in content


def test_the_preview_shows_graph_key_and_variants(client, staff, problem):
    url = reverse("admin:courseware_problem_preview", args=[problem.pk])
    response = client.get(url)
    content = response.content.decode()
    assert '<svg class="graph graph-horizontal"' in content
    preview = response.context["preview"]
    assert preview.columns == ["own numbers"] + [f"variant {n}" for n in range(1, 6)]
    rows = {row.step_id: row for row in preview.rows}
    assert rows["forward:z"].values[0] == "49"
    assert rows["local:z/v"].formula == "2*v"
    assert rows["grad:x"].values[0] == "42"
    assert preview.givens[0] == "x = 2, y = 3, b = 1"
    assert "All of the first 200 variants are defined." in content


def test_the_preview_flags_variants_that_hide_mistakes(client, staff, problem):
    # SPEC draws b from -3..3: b = -x*y makes v = 0 (and with it z and grad:v).
    url = reverse("admin:courseware_problem_preview", args=[problem.pk])
    preview = client.get(url).context["preview"]
    assert preview.uninformative, "some of 200 variants of SPEC coincide or are 0"
    seed, message = preview.uninformative[0]
    assert variant_flaws(SPEC, seed) and message == "; ".join(variant_flaws(SPEC, seed))
    content = client.get(url).content.decode()
    assert "would hide a mistake" in content
    assert f"<li>variant {seed}: " in content


def test_the_preview_of_posted_text_reports_undefined_variants(client, staff, problem):
    url = reverse("admin:courseware_problem_preview", args=[problem.pk])
    text = spec_dump(SPEC).replace("z = v**2", "z = 1/v")
    response = client.post(url, {"spec_text": text})
    problems = response.context["spec_problems"]
    assert [p.field for p in problems] == ["randomize"]
    assert problems[0].line == 7
    assert "of the first 200 variants are undefined (variant 42: " in str(problems[0])
    assert "undefined at v = 0" in response.content.decode()
    problem.refresh_from_db()
    assert problem.spec == SPEC  # previewing saves nothing


def test_saving_undefined_randomisation_is_refused_with_the_seed(
    client, staff, problem
):
    page = client.get(change_url(problem))
    text = spec_dump(SPEC).replace("z = v**2", "z = 1/v")
    response = client.post(change_url(problem), form_data(page, spec_text=text))
    errors = response.context["adminform"].form.errors["spec_text"]
    assert errors[0].startswith("line 7: randomize: ")
    assert "variant 42: the value of z = 1/v is undefined at v = 0" in errors[0]


def test_publish_unpublish_and_duplicate_actions(client, staff, problem):
    QuestionTest.objects.create(
        problem=problem, name="t", answers={"forward:z": "{key}"}, expected_score=1 / 13
    )
    changelist = reverse("admin:courseware_problem_changelist")

    def act(action):
        return client.post(
            changelist, {"action": action, "_selected_action": [problem.pk]}
        )

    act("unpublish")
    problem.refresh_from_db()
    assert not problem.published
    act("publish")
    problem.refresh_from_db()
    assert problem.published
    act("duplicate")
    copy = Problem.objects.get(slug="work-copy")
    assert (copy.title, copy.published, copy.version) == ("Work this (copy)", False, 1)
    assert copy.spec == problem.spec
    assert list(copy.question_tests.values_list("name", flat=True)) == ["t"]
    act("duplicate")
    assert Problem.objects.filter(slug="work-copy-2").exists()
    # A stored spec that is no longer valid (edited in the database, say) is
    # not copied, and the page says which and why.
    Problem.objects.filter(pk=problem.pk).update(
        spec={**problem.spec, "program": "z ="}
    )
    response = client.post(
        changelist,
        {"action": "duplicate", "_selected_action": [problem.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert (
        "Not copied: &#x27;work&#x27; is no longer valid" in response.content.decode()
    )
    assert not Problem.objects.filter(slug="work-copy-3").exists()


def test_run_question_tests_action_opens_the_report(client, staff, problem):
    response = client.post(
        reverse("admin:courseware_problem_changelist"),
        {"action": "run_question_tests", "_selected_action": [problem.pk]},
    )
    assert response.url == reverse(
        "admin:courseware_problem_question_tests", args=[problem.pk]
    )


def test_authoring_pages_need_staff(client, problem):
    user = get_user_model().objects.create_user("ada", password="pw-12345678")
    client.force_login(user)
    for name in ("preview", "question_tests", "analytics", "step_results_csv"):
        url = reverse(f"admin:courseware_problem_{name}", args=[problem.pk])
        assert client.get(url).status_code == 302  # to the admin login


def test_moving_a_problem_to_another_course_is_refused_on_the_form(
    client, staff, problem
):
    other, _ = services.course_upsert(slug="ml", title="Machine Learning")
    elsewhere, _ = services.lesson_upsert(course=other, slug="ca", title="Credit")
    page = client.get(change_url(problem))
    response = client.post(change_url(problem), form_data(page, lesson=elsewhere.pk))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["lesson"] == [
        "A problem cannot move to a lesson of another course; "
        "duplicate it there instead."
    ]
    problem.refresh_from_db()
    assert problem.lesson_id != elsewhere.pk


def test_adding_a_taken_slug_says_so_once(client, staff, lesson, problem):
    add = reverse("admin:courseware_problem_add")
    page = client.get(add)
    data = form_data(page, lesson=lesson.pk, slug="work", title="Again")
    response = client.post(add, data)
    assert response.context["adminform"].form.errors == {
        "slug": ["This lesson already has a problem 'work'; pick another slug."]
    }


def test_problem_save_moves_lesson_fields_and_versions(problem):
    saved, _ = problem_saving.problem_save(
        problem=problem, lesson=problem.lesson, slug="renamed", spec=SPEC, points=2.0
    )
    assert (saved.pk, saved.slug, saved.points, saved.version) == (
        problem.pk, "renamed", 2.0, 1,
    )  # fmt: skip
