"""The content folder: the lesson keeps every part, problems validate, import/export round trip."""

import shutil
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command

import config.celery
from courseware import content_io, problem_saving, services
from courseware.models import Course, Lesson, Problem, ProblemVersion, Quiz, QuizItem

CONTENT = Path(settings.BASE_DIR) / "content"
LESSON = CONTENT / "lessons" / "credit-assignment.md"


def problem_files() -> list[Path]:
    return sorted((CONTENT / "problems").glob("*.yaml"))


def snapshot() -> list:
    """Everything an import writes, to compare before and after."""
    return [
        list(Course.objects.values()),
        list(Lesson.objects.values()),
        list(Problem.objects.values()),
        list(ProblemVersion.objects.values("problem_id", "number", "spec")),
        list(Quiz.objects.values()),
        list(QuizItem.objects.values()),
    ]


# --- The lesson -------------------------------------------------------------------


@pytest.mark.parametrize(
    "part",
    [
        "## Core question",
        "How does one scalar error teach millions of internal parameters?",
        "## You should leave able to",
        "Explain backpropagation as chain-rule bookkeeping.",
        "Distinguish the forward pass, loss computation, and backward pass.",
        "Recognize vanishing and exploding gradients as products of local derivatives.",
        "## Before moving on",
        "say what each local derivative contributes",
        "## The idea",
        "### Blame flows through causality",
        "Suppose a pizza arrives burnt.",
        "## The chain rule is the engine",
        (
            r"$$\frac{\partial L}{\partial x} = \frac{\partial L}{\partial y} \cdot "
            r"\frac{\partial y}{\partial x}$$"
        ),
        "## Why reverse mode is the bargain",
        "The key insight is that gradients are local messages.",
        "## Key takeaways",
        "Vanishing and exploding gradients are not bugs in code",
        "## Micrograd: the whole idea in tiny pieces",
        r"$$\frac{\partial z}{\partial x} = y, \quad \frac{\partial z}{\partial y} = x$$",
        "<details><summary>For the advanced reader",
        r"\prod_{\ell=2}^{n}",
        r"$$h_{\ell+1} = h_\ell + F(h_\ell)$$",
        "</details>",
        "## Math details",
        r"\delta^{(\ell)} = \left(W^{(\ell+1)}\right)^T \delta^{(\ell+1)} \odot",
        r"\frac{\partial L}{\partial W^{(\ell)}} = \delta^{(\ell)} \left(a^{(\ell-1)}\right)^T",
        "```python\nimport torch",
        "loss = (y - 1.0) ** 2   # Loss",
        "```python\nclass Value:",
        'print(f"dc/da = {a.grad}, dc/db = {b.grad}")  # 3.0, 2.0',
        "## Work this",
        "For $z = (xy + b)^2$, write the forward values for $x=2$, $y=3$, $b=1$",
        "Backpropagation is not intelligence. It is accounting.",
    ],
)
def test_lesson_keeps_every_part(part):
    assert part in LESSON.read_text()


def test_lesson_math_is_clean_latex():
    text = LESSON.read_text()
    # The text export duplicated every formula as "Lx=Lyyx\frac..." and "xx".
    for mangled in ("Lx=Ly", "xx affects", "zx=y", "h+1=h"):
        assert mangled not in text


def test_lesson_front_matter():
    front, body = content_io.split_front_matter(LESSON.read_text())
    assert front["title"] == "The Credit Assignment Problem"
    assert front["slug"] == "credit-assignment"
    assert len(front["objectives"]) == 3
    assert front["core_question"].startswith("How does one scalar error")
    assert "three-layer network" in front["before_moving_on"]
    assert body.startswith("# The Credit Assignment Problem")


def test_advanced_part_renders_as_a_collapsible_block():
    from courseware.rendering import render_markdown

    html = str(render_markdown(content_io.split_front_matter(LESSON.read_text())[1]))
    start, end = html.index("<details"), html.index("</details>")
    assert "<summary>For the advanced reader" in html[start:end]
    assert 'class="math block"' in html[start:end]


# --- The problems -----------------------------------------------------------------


@pytest.mark.parametrize("path", problem_files(), ids=lambda p: p.stem)
def test_every_problem_validates(path):
    data = yaml.safe_load(path.read_text())
    assert data["slug"] == path.stem
    assert data["kind"] == data["spec"]["kind"]
    for key in (
        "title",
        "lesson",
        "order",
        "prompt",
        "points",
        "attempt_limit",
        "reveal_policy",
    ):
        assert key in data, key
    assert problem_saving.spec_errors(data["spec"], prompt=data["prompt"]) == []


def test_content_covers_the_lesson():
    problems = {path.stem: yaml.safe_load(path.read_text()) for path in problem_files()}
    kinds = [p["kind"] for p in problems.values()]
    assert kinds.count("choice") >= 5
    # Every question a prompt asks has its answer cells (issue 16): the path to
    # dz/dx, how a fan-out's gradients combine, what each layer did to the blame.
    for question in ("work-this-path", "fan-out-combine", "three-layer-blame"):
        assert problems[question]["kind"] == "choice"
    asks_more = [s for s, p in problems.items() if "say in one sentence" in p["prompt"]]
    assert not asks_more
    assert {"scalar_trace", "network_trace", "expression", "numeric", "choice"} <= set(
        kinds
    )
    work = problems["work-this-trace"]["spec"]
    assert work["program"].split("\n")[:3] == ["u = x*y", "v = u + b", "z = v**2"]
    assert work["inputs"] == {"x": 2, "y": 3, "b": 1} and work["randomize"]
    # The lesson's product runs from l = 2 to n: nine factors for ten layers.
    assert problems["vanishing-sigmoid"]["spec"]["answer"] == pytest.approx(0.25**9)
    assert problems["vanishing-residual"]["spec"]["answer"] == pytest.approx(1.05**10)
    for problem in problems.values():
        if problem["kind"] == "choice":
            options = problem["spec"]["options"]
            right = sum(o["correct"] for o in options)
            assert right >= 1 if problem["spec"].get("multiple") else right == 1
            assert all(o["feedback"] for o in options)  # per-option feedback


def test_pytorch_example_has_the_golden_loss():
    """The lesson's listing: relu(x @ w1) @ w2, loss (y - 1)^2 = 0.0625."""
    import numpy as np

    spec = yaml.safe_load((CONTENT / "problems" / "pytorch-network.yaml").read_text())[
        "spec"
    ]
    a = np.array(spec["x"])
    for layer in spec["layers"]:
        z = a @ np.array(layer["W"])
        a = np.maximum(z, 0) if layer["activation"] == "relu" else z
    loss = float(((a - np.array(spec["target"])) ** 2).sum())
    assert loss == pytest.approx(0.0625)


def key_answers(spec: dict) -> dict[str, str]:
    """The answer key of a content problem, typed as a student would."""
    from engine.trace import trace

    if spec["kind"] in ("scalar_trace", "network_trace"):
        values = trace(spec).values
        return {
            step: str(value.tolist() if hasattr(value, "tolist") else value)
            for step, value in values.items()
        }
    if spec["kind"] == "choice":
        return {"answer": ",".join(o["key"] for o in spec["options"] if o["correct"])}
    return {"answer": str(spec["answer"])}


@pytest.mark.parametrize("path", problem_files(), ids=lambda p: p.stem)
def test_content_keys_grade_full_marks(path):
    """Each problem's own answer key grades 1.0 (needs the engine and grader)."""
    grading = pytest.importorskip("grader.grading")
    pytest.importorskip("engine.trace")
    pytest.importorskip("engine.specs")
    data = yaml.safe_load(path.read_text())
    spec = {**data["spec"], "prompt": data["spec"].get("prompt") or data["prompt"]}
    result = grading.grade(spec, key_answers(spec))
    assert result.outcome == "graded", result.to_dict()
    assert result.score == pytest.approx(1.0), result.to_dict()


# --- Import and export ------------------------------------------------------------


@pytest.mark.django_db
def test_import_is_idempotent():
    first = content_io.import_folder(CONTENT)
    assert first.created
    before = snapshot()
    again = content_io.import_folder(CONTENT)
    assert not again.changed
    assert snapshot() == before
    assert Problem.objects.count() == len(problem_files())
    assert Quiz.objects.get().items.count() == len(problem_files())


@pytest.mark.django_db
def test_import_command_reports(capsys):
    call_command("import_content", str(CONTENT))
    call_command("import_content", str(CONTENT))
    assert "0 created, 0 updated" in capsys.readouterr().out


@pytest.mark.django_db
def test_export_reproduces_the_content_folder(tmp_path):
    content_io.import_folder(CONTENT)
    call_command("export_content", str(tmp_path / "out"))
    for source in CONTENT.rglob("*"):
        if source.suffix in (".yaml", ".md") and source.name != "README.md":
            exported = tmp_path / "out" / source.relative_to(CONTENT)
            assert exported.read_text() == source.read_text(), source.name


@pytest.mark.django_db
def test_import_export_import_is_a_no_op(tmp_path):
    content_io.import_folder(CONTENT)
    before = snapshot()
    content_io.export_folder(tmp_path, course=Course.objects.get())
    assert not content_io.import_folder(tmp_path).changed
    assert snapshot() == before


@pytest.fixture
def content_copy(tmp_path) -> Path:
    folder = tmp_path / "content"
    shutil.copytree(CONTENT, folder)
    return folder


def edit_yaml(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(content_io.dump_yaml(data))


@pytest.mark.django_db
def test_reimport_updates_what_changed_and_versions_answered_specs(
    content_copy, monkeypatch
):
    monkeypatch.setattr(config.celery.app, "send_task", lambda *a, **k: None)
    from django.contrib.auth import get_user_model

    content_io.import_folder(content_copy)
    work = Problem.objects.get(slug="work-this-trace")
    student = get_user_model().objects.create_user("ann")
    old = services.submission_create(
        student=student, problem=work, answers={"forward:u": "6"}
    )

    work_file = content_copy / "problems" / "work-this-trace.yaml"
    edit_yaml(work_file, lambda d: d["spec"]["inputs"].update(x=4))
    edit_yaml(content_copy / "problems" / "fan-out.yaml", lambda d: d.update(points=5))
    edit_yaml(content_copy / "problems" / "micrograd-multiply.yaml",
              lambda d: d["spec"]["inputs"].update(a=5))  # fmt: skip
    report = content_io.import_folder(content_copy)

    assert sorted(report.updated) == [
        "problem fan-out (v1)", "problem micrograd-multiply (v1)", "problem work-this-trace (v2)",
    ]  # fmt: skip
    work.refresh_from_db()
    assert work.version == 2 and work.spec["inputs"]["x"] == 4
    old.refresh_from_db()
    assert old.problem_version.spec["inputs"]["x"] == 2
    micro = Problem.objects.get(slug="micrograd-multiply")
    assert (
        micro.version == 1 and micro.versions.get().spec["inputs"]["a"] == 5
    )  # in place
    assert Problem.objects.get(slug="fan-out").points == 5


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["spec"].update(kind="tree_trace"), "kind"),
        (
            lambda d: d.update(reveal_policy="sometimes"),
            "reveal_policy: unknown policy 'sometimes'",
        ),
        (
            lambda d: d.update(attempt_limit=0),
            "attempt_limit: must be a whole number >= 1",
        ),
        (lambda d: d.update(lesson="nope"), "lesson: no lesson 'nope'"),
        (lambda d: d.update(atempt_limit=3), "atempt_limit: unknown field"),
        (lambda d: d.pop("spec"), "spec: is required"),
        # Refused when saved (courseware.problem_saving), reported the same way:
        (
            lambda d: d["spec"].update(tolerence={"rel": 0.1}),
            "spec.tolerence: unknown field 'tolerence'",
        ),
        (
            lambda d: d.update(title="T" * 201),
            "title: Ensure this value has at most 200 characters",
        ),
    ],
)
def test_bad_files_are_refused_naming_file_and_field(content_copy, change, expected):
    path = content_copy / "problems" / "fan-out.yaml"
    edit_yaml(path, change)
    with pytest.raises(CommandError) as raised:
        call_command("import_content", str(content_copy))
    assert "Nothing imported" in str(raised.value)
    assert f"{path}" in str(raised.value) and expected in str(raised.value)
    assert not Course.objects.exists()


@pytest.mark.django_db
def test_invalid_yaml_names_the_line(content_copy):
    path = content_copy / "problems" / "fan-out.yaml"
    path.write_text("slug: fan-out\ntitle: [unclosed\n")
    with pytest.raises(content_io.ContentError) as raised:
        content_io.import_folder(content_copy)
    assert any(str(path) in line and "line" in line for line in raised.value.errors)
