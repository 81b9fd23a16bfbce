"""Course content as files: read a content folder into the database, write it back.

Layout of a content folder (the files are the source of truth)::

    course.yaml             slug, title, description
    lessons/<slug>.md       YAML front matter (title, slug, order, ...) + Markdown body
    problems/<slug>.yaml    slug, title, lesson, order, kind, prompt, points,
                            attempt_limit, reveal_policy, [due_at, published,] spec,
                            [tests: question tests, see courseware.authoring]
    quizzes/<slug>.yaml     slug, title, lesson, [opens_at, due_at, max_attempts,]
                            problems: [problem slugs, in order]

``import_folder`` checks every file first and imports nothing if one is bad
(each error names the file, the field and what is wrong). Importing is
idempotent: unchanged files change nothing, and a changed spec goes through
``problem_spec_update`` (a new version once students have answered it).
``export_folder`` writes the same shapes back, so import -> export -> import
changes nothing.

Edits made in the admin are never overwritten silently: each import records
(``ContentImport``) a fingerprint of every item as its file said and as it was
stored. Next time, an item whose stored object no longer matches was edited in
the admin: if its file is unchanged the edit is kept (``report.kept``); if the
file changed too it is a conflict, left as the admin has it and reported
(``report.conflicts``), unless ``force=True`` makes the files win.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from django.utils.dateparse import parse_datetime

from courseware import services
from courseware.authoring import services as authoring_services
from courseware.models import ContentImport, Course, Lesson, Problem, Quiz
from engine.specs import field_hint
from grader.kinds import validate

PROBLEM_KEYS = {
    "slug",
    "title",
    "lesson",
    "order",
    "kind",
    "prompt",
    "points",
    "attempt_limit",
    "reveal_policy",
    "due_at",
    "published",
    "spec",
    "tests",
}
QUIZ_KEYS = {
    "slug",
    "title",
    "lesson",
    "opens_at",
    "due_at",
    "max_attempts",
    "problems",
}
REVEAL_POLICIES = {choice.value for choice in Problem.RevealPolicy}


class ContentError(Exception):
    """One or more content files are wrong; ``errors`` lists "file: field: message" lines."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # edited in the admin, file unchanged
    conflicts: list[str] = field(default_factory=list)  # edited in both: not imported

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    def record(self, label: str, *, new: bool, changed: bool) -> None:
        (self.created if new else self.updated if changed else self.unchanged).append(
            label
        )


# --- Spec validation ---------------------------------------------------------


def spec_errors(spec: Any, *, prompt: str = "") -> list[tuple[str, str]]:
    """``(field, message)`` pairs for a bad spec; empty when it is valid.

    Uses ``grader.kinds.validate`` (programs parse, shapes match, activations
    exist).
    The engine asks expression, numeric and choice specs for the question's
    text; a spec without its own ``prompt`` is checked with the problem's.
    """
    if not isinstance(spec, dict):
        return [("spec", "must be a mapping")]
    if prompt and not spec.get("prompt"):
        spec = {**spec, "prompt": prompt}
    errors = []
    for error in validate(spec):
        where = error.field or "spec"
        if getattr(error, "line", None):
            where = f"{where} (line {error.line})"
        errors.append((where, error.message))
    return errors


# --- Reading -------------------------------------------------------------------


def course_slug(folder: Path) -> str:
    """The slug in ``folder/course.yaml``."""
    data = _read_yaml(Path(folder) / "course.yaml", errors := [])
    if errors or not isinstance(data, dict) or not data.get("slug"):
        raise ContentError(
            errors or [f"{Path(folder) / 'course.yaml'}: slug: is required"]
        )
    return str(data["slug"])


def split_front_matter(text: str) -> tuple[dict, str]:
    """``("---\\nyaml\\n---\\nbody")`` -> ``(front matter dict, body)``."""
    if not text.startswith("---\n"):
        return {}, text
    end = text.find("\n---\n", 4)
    if end == -1:
        raise ValueError("front matter starts with '---' but has no closing '---' line")
    front = yaml.safe_load(text[4:end]) or {}
    if not isinstance(front, dict):
        raise ValueError("front matter must be a YAML mapping")  # noqa: TRY004
    return front, text[end + len("\n---\n") :].lstrip("\n")


def read_folder(folder: Path) -> dict[str, Any]:
    """Parse and check every file; raise ``ContentError`` listing every problem found."""
    folder = Path(folder)
    errors: list[str] = []
    course = _read_yaml(folder / "course.yaml", errors)
    if isinstance(course, dict):
        for key in ("slug", "title"):
            if not course.get(key):
                errors.append(f"{folder / 'course.yaml'}: {key}: is required")
    elif not errors:
        errors.append(
            f"{folder / 'course.yaml'}: must be a mapping with slug and title"
        )

    lessons = [
        _read_lesson(path, errors) for path in sorted((folder / "lessons").glob("*.md"))
    ]
    lessons = [lesson for lesson in lessons if lesson]
    lesson_slugs = {lesson["slug"] for lesson in lessons}

    problems = []
    for path in sorted((folder / "problems").glob("*.yaml")):
        problem = _read_problem(path, lesson_slugs, errors)
        if problem:
            problems.append(problem)
    seen: dict[tuple[str, str], Path] = {}
    for problem in problems:
        key = (problem["lesson"], problem["slug"])
        if key in seen:
            errors.append(
                f"{problem['path']}: slug: '{key[1]}' is also used by {seen[key]}"
            )
        seen[key] = problem["path"]

    quizzes = []
    for path in sorted((folder / "quizzes").glob("*.yaml")):
        quiz = _read_quiz(path, set(seen), errors)
        if quiz:
            quizzes.append(quiz)
    if errors:
        raise ContentError(errors)
    return {
        "course": course,
        "lessons": lessons,
        "problems": problems,
        "quizzes": quizzes,
    }


def _read_yaml(path: Path, errors: list[str]) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        errors.append(f"{path}: file is missing")
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        errors.append(
            f"{path}{where}: not valid YAML: {getattr(error, 'problem', error)}"
        )
    return None


def _read_lesson(path: Path, errors: list[str]) -> dict | None:
    try:
        front, body = split_front_matter(path.read_text(encoding="utf-8"))
    except (ValueError, yaml.YAMLError) as error:
        errors.append(f"{path}: front matter: {error}")
        return None
    slug = str(front.get("slug") or path.stem)
    if not front.get("title"):
        errors.append(f"{path}: title: is required in the front matter")
        return None
    order = front.get("order", 0)
    if not isinstance(order, int):
        errors.append(f"{path}: order: must be a whole number, got {order!r}")
        return None
    return {
        "path": path,
        "slug": slug,
        "title": str(front["title"]),
        "order": order,
        "summary": str(front.get("summary", "")),
        "front_matter": front,
        "body": body,
    }


def _read_problem(path: Path, lesson_slugs: set[str], errors: list[str]) -> dict | None:
    data = _read_yaml(path, errors)
    if data is None:
        return None
    if not isinstance(data, dict):
        errors.append(f"{path}: must be a mapping")
        return None
    before = len(errors)
    for key in sorted(set(data) - PROBLEM_KEYS):
        errors.append(
            f"{path}: {key}: unknown field; {field_hint(key, sorted(PROBLEM_KEYS))}"
        )
    for key in ("slug", "title", "lesson", "kind", "spec"):
        if not data.get(key):
            errors.append(f"{path}: {key}: is required")
    if len(errors) > before:
        return None
    if data["lesson"] not in lesson_slugs:
        errors.append(f"{path}: lesson: no lesson '{data['lesson']}' in lessons/")
    spec = data["spec"]
    if not isinstance(spec, dict):
        errors.append(f"{path}: spec: must be a mapping")
        return None
    if data["kind"] != spec.get("kind"):
        errors.append(
            f"{path}: kind: '{data['kind']}' differs from spec.kind '{spec.get('kind')}'"
        )
    for where, message in spec_errors(spec, prompt=str(data.get("prompt") or "")):
        errors.append(f"{path}: spec.{where}: {message}")
    policy = data.get("reveal_policy", Problem.RevealPolicy.AFTER_ATTEMPTS)
    if policy not in REVEAL_POLICIES:
        errors.append(
            f"{path}: reveal_policy: unknown policy {policy!r}; "
            f"use one of {', '.join(sorted(REVEAL_POLICIES))}"
        )
    limit = data.get("attempt_limit")
    if limit is not None and (
        not isinstance(limit, int) or isinstance(limit, bool) or limit < 1
    ):
        errors.append(
            f"{path}: attempt_limit: must be a whole number >= 1 or null (unlimited)"
        )
    points = data.get("points", 1)
    if not isinstance(points, int | float) or isinstance(points, bool) or points < 0:
        errors.append(f"{path}: points: must be a number >= 0")
    order = data.get("order", 0)
    if not isinstance(order, int) or isinstance(order, bool) or order < 0:
        errors.append(f"{path}: order: must be a whole number >= 0")
    due_at = _read_datetime(path, "due_at", data.get("due_at"), errors)
    tests = _read_question_tests(path, data.get("tests"), errors)
    if len(errors) > before:
        return None
    return {
        "path": path,
        "slug": str(data["slug"]),
        "lesson": data["lesson"],
        "fields": {
            "title": str(data["title"]),
            "spec": spec,
            "prompt": str(data.get("prompt") or ""),
            "points": float(points),
            "attempt_limit": limit,
            "reveal_policy": policy,
            "due_at": due_at,
            "order": order,
            "published": bool(data.get("published", True)),
        },
        "tests": tests,
    }


def _read_question_tests(path: Path, tests: Any, errors: list[str]) -> list[dict]:
    """A problem's ``tests:`` (question tests; see ``courseware.authoring.question_tests``)."""
    if tests is None:
        return []
    if not isinstance(tests, list):
        errors.append(f"{path}: tests: must be a list of question tests")
        return []
    read = []
    for index, test in enumerate(tests):
        where = f"{path}: tests[{index}]"
        if not isinstance(test, dict) or not test.get("name"):
            errors.append(
                f"{where}: each test needs a name, answers and expected_score"
            )
            continue
        unknown = set(test) - {"name", "answers", "expected_score",
                               "expected_statuses", "variants"}  # fmt: skip
        if unknown:
            errors.append(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        answers, statuses = test.get("answers"), test.get("expected_statuses", {})
        score, variants = test.get("expected_score"), test.get("variants", 5)
        before = len(errors)
        if not isinstance(answers, dict) or not answers:
            errors.append(f"{where}.answers: must map step ids to answers")
        if not isinstance(statuses, dict):
            errors.append(f"{where}.expected_statuses: must map step ids to statuses")
        if isinstance(score, bool) or not isinstance(score, int | float):
            errors.append(f"{where}.expected_score: must be a number from 0 to 1")
        if isinstance(variants, bool) or not isinstance(variants, int) or variants < 1:
            errors.append(f"{where}.variants: must be a whole number >= 1")
        if len(errors) == before:
            read.append({
                "name": str(test["name"]),
                "answers": {str(k): str(v) for k, v in answers.items()},
                "expected_score": float(score),
                "expected_statuses": statuses,
                "variants": variants,
            })  # fmt: skip
    return read


def _read_quiz(
    path: Path, problem_keys: set[tuple[str, str]], errors: list[str]
) -> dict | None:
    data = _read_yaml(path, errors)
    if not isinstance(data, dict):
        if data is not None:
            errors.append(f"{path}: must be a mapping")
        return None
    before = len(errors)
    for key in sorted(set(data) - QUIZ_KEYS):
        errors.append(
            f"{path}: {key}: unknown field; {field_hint(key, sorted(QUIZ_KEYS))}"
        )
    for key in ("slug", "title", "lesson", "problems"):
        if not data.get(key):
            errors.append(f"{path}: {key}: is required")
    if len(errors) > before:
        return None
    for index, slug in enumerate(data["problems"]):
        if (data["lesson"], slug) not in problem_keys:
            errors.append(
                f"{path}: problems[{index}]: no problem '{slug}' in lesson '{data['lesson']}'"
            )
    limit = data.get("max_attempts")
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        errors.append(f"{path}: max_attempts: must be a whole number >= 1 or null")
    opens_at = _read_datetime(path, "opens_at", data.get("opens_at"), errors)
    due_at = _read_datetime(path, "due_at", data.get("due_at"), errors)
    if len(errors) > before:
        return None
    return {
        "path": path,
        "slug": str(data["slug"]),
        "lesson": data["lesson"],
        "problems": list(data["problems"]),
        "fields": {
            "title": str(data["title"]),
            "opens_at": opens_at,
            "due_at": due_at,
            "max_attempts": limit,
        },
    }


def _read_datetime(
    path: Path, key: str, value: Any, errors: list[str]
) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        parsed = parse_datetime(value)
        if parsed is None:
            errors.append(
                f"{path}: {key}: not a date and time, use e.g. 2026-03-01T23:59:00Z"
            )
            return None
        value = parsed
    if not isinstance(value, datetime):
        errors.append(
            f"{path}: {key}: not a date and time, use e.g. 2026-03-01T23:59:00Z"
        )
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


# --- Importing -----------------------------------------------------------------


@transaction.atomic
def import_folder(folder: Path, *, force: bool = False) -> ImportReport:
    """Import a content folder (all or nothing); see the module docstring."""
    content = read_folder(folder)
    report = ImportReport()
    data = content["course"]
    sync = _Sync(Course.objects.filter(slug=data["slug"]).first(), report, force)
    course = sync(
        "course",
        f"course {data['slug']}",
        data,
        sync.course,
        course_to_data,
        lambda: services.course_upsert(
            slug=str(data["slug"]),
            title=str(data["title"]),
            description=str(data.get("description") or ""),
        ),
    )

    lessons: dict[str, Lesson] = {}
    for item in content["lessons"]:
        label = f"lesson {item['slug']}"
        lessons[item["slug"]] = sync(
            label,
            label,
            item,
            Lesson.objects.filter(course=course, slug=item["slug"]).first(),
            lesson_to_data,
            lambda item=item: services.lesson_upsert(
                course=course,
                slug=item["slug"],
                title=item["title"],
                order=item["order"],
                summary=item["summary"],
                body=item["body"],
                front_matter=item["front_matter"],
            ),
        )

    problems: dict[tuple[str, str], Problem] = {}
    for item in content["problems"]:
        lesson = lessons[item["lesson"]]
        problems[(lesson.slug, item["slug"])] = sync(
            f"problem {lesson.slug}/{item['slug']}",
            f"problem {item['slug']}",
            item,
            Problem.objects.filter(lesson=lesson, slug=item["slug"]).first(),
            problem_to_data,
            lambda item=item, lesson=lesson: _problem_upsert(lesson, item),
        )

    for item in content["quizzes"]:
        lesson = lessons[item["lesson"]]
        sync(
            f"quiz {lesson.slug}/{item['slug']}",
            f"quiz {item['slug']}",
            item,
            Quiz.objects.filter(lesson=lesson, slug=item["slug"]).first(),
            quiz_to_data,
            lambda item=item, lesson=lesson: services.quiz_upsert(
                lesson=lesson,
                slug=item["slug"],
                problems=[problems[(lesson.slug, slug)] for slug in item["problems"]],
                **item["fields"],
            ),
        )
    return report


def _problem_upsert(lesson: Lesson, item: dict) -> tuple[Problem, bool]:
    problem, changed = services.problem_upsert(
        lesson=lesson, slug=item["slug"], **item["fields"]
    )
    tests_changed = authoring_services.question_tests_replace(
        problem=problem, tests=item["tests"]
    )
    return problem, changed or tests_changed


def fingerprint(data: Any) -> str:
    """SHA-256 of ``data`` as canonical JSON (keys sorted; dates and paths as text)."""
    text = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


class _Sync:
    """Writes one item of a folder unless that would overwrite an admin edit.

    Called with the item's record key, its label in the report, the item as
    read, the stored object (or ``None``), the function giving a stored object's
    file shape, and the upsert that writes it (returning ``(object, changed)``).
    """

    def __init__(self, course: Course | None, report: ImportReport, force: bool):
        self.course, self.report, self.force = course, report, force
        self.records = (
            {r.key: r for r in ContentImport.objects.filter(course=course)}
            if course
            else {}
        )

    def __call__(self, key, label, item, existing, to_data, upsert):
        record = self.records.get(key)
        before = to_data(existing) if existing is not None else None
        edited = (
            before is not None
            and record is not None
            and not self.force
            and fingerprint(before) != record.stored_fingerprint
        )
        if edited and fingerprint(_file_data(item)) == record.file_fingerprint:
            self.report.kept.append(label)  # only the admin changed it: keep that
            return existing
        savepoint = transaction.savepoint()
        instance, changed = upsert()
        if edited and to_data(instance) != before:
            # Changed in the admin and in its file: neither wins silently.
            transaction.savepoint_rollback(savepoint)
            self.report.conflicts.append(label)
            return existing
        transaction.savepoint_commit(savepoint)
        if isinstance(instance, Problem):
            label = f"{label} (v{instance.version})"
        self.report.record(label, new=existing is None, changed=changed)
        self.course = self.course or instance  # a new course records its own items
        ContentImport.objects.update_or_create(
            course=self.course,
            key=key,
            defaults={
                "file_fingerprint": fingerprint(_file_data(item)),
                "stored_fingerprint": fingerprint(to_data(instance)),
            },
        )
        return instance


def _file_data(item: dict) -> dict:
    # Where the folder is does not change what its files say.
    return {name: value for name, value in item.items() if name != "path"}


# --- Exporting -----------------------------------------------------------------


class _ContentDumper(yaml.SafeDumper):
    """Block style for documents and multi-line text; flow style for small leaves.

    Matrices and number lists come out as ``[[0.5, 0.3], [0.2, 0.4]]`` and small
    mappings of scalars as ``{x: 2, y: 3}``, the way an author writes them.
    """


class _Document(dict):
    """The top-level mapping of a file: always block style."""


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, bool | int | float)


def _is_numeric_list(value: Any) -> bool:
    return isinstance(value, list) and all(
        _is_scalar(item) or _is_numeric_list(item) for item in value
    )


def _is_small_mapping(value: dict) -> bool:
    return len(value) <= 4 and all(
        _is_scalar(item)
        or _is_numeric_list(item)
        or (isinstance(item, str) and len(item) <= 24 and "\n" not in item)
        for item in value.values()
    )


def _represent_str(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_list(dumper: yaml.SafeDumper, value: list):
    flow = _is_numeric_list(value) or (
        len(value) <= 6
        and all(isinstance(item, str) and len(item) <= 12 for item in value)
    )
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow)


def _represent_dict(dumper: yaml.SafeDumper, value: dict):
    flow = not isinstance(value, _Document) and _is_small_mapping(value)
    return dumper.represent_mapping("tag:yaml.org,2002:map", value, flow_style=flow)


_ContentDumper.add_representer(str, _represent_str)
_ContentDumper.add_representer(list, _represent_list)
_ContentDumper.add_representer(dict, _represent_dict)
_ContentDumper.add_representer(_Document, _represent_dict)


def dump_yaml(data: dict) -> str:
    """A content file's YAML: block style at the top, readable leaves."""
    return yaml.dump(
        _Document(data),
        Dumper=_ContentDumper,
        sort_keys=False,
        allow_unicode=True,
        width=88,
    )


def _datetime_text(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def export_folder(folder: Path, *, course: Course) -> list[Path]:
    """Write ``course`` as a content folder; returns the files written."""
    folder = Path(folder)
    written: list[Path] = []

    def write(relative: str, text: str) -> None:
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)

    write("course.yaml", dump_yaml(course_to_data(course)))

    for lesson in Lesson.objects.filter(course=course).order_by("order", "slug"):
        data = lesson_to_data(lesson)
        write(
            f"lessons/{lesson.slug}.md",
            f"---\n{dump_yaml(data['front'])}---\n\n{data['body']}",
        )

    problems = list(
        Problem.objects.filter(lesson__course=course)
        .select_related("lesson")
        .order_by("lesson__order", "order", "slug")
    )
    slug_counts: dict[str, int] = {}
    for problem in problems:
        slug_counts[problem.slug] = slug_counts.get(problem.slug, 0) + 1
    for problem in problems:
        name = problem.slug
        if slug_counts[problem.slug] > 1:
            name = f"{problem.lesson.slug}.{problem.slug}"
        write(f"problems/{name}.yaml", dump_yaml(problem_to_data(problem)))

    for quiz in Quiz.objects.filter(lesson__course=course).select_related("lesson"):
        write(f"quizzes/{quiz.slug}.yaml", dump_yaml(quiz_to_data(quiz)))
    return written


def course_to_data(course: Course) -> dict[str, Any]:
    """A course in its ``course.yaml`` shape."""
    data = {"slug": course.slug, "title": course.title}
    if course.description:
        data["description"] = course.description
    return data


def lesson_to_data(lesson: Lesson) -> dict[str, Any]:
    """A lesson as its file holds it: ``front`` matter and Markdown ``body``."""
    front = {"title": lesson.title, "slug": lesson.slug, "order": lesson.order}
    if lesson.summary:
        front["summary"] = lesson.summary
    front.update(
        (key, value)
        for key, value in lesson.front_matter.items()
        if key not in {"title", "slug", "order", "summary"}
    )
    body = lesson.body if lesson.body.endswith("\n") else lesson.body + "\n"
    return {"front": front, "body": body}


def quiz_to_data(quiz: Quiz) -> dict[str, Any]:
    """A quiz in its ``quizzes/*.yaml`` shape."""
    data = {"slug": quiz.slug, "title": quiz.title, "lesson": quiz.lesson.slug}
    for key in ("opens_at", "due_at"):
        if getattr(quiz, key):
            data[key] = _datetime_text(getattr(quiz, key))
    if quiz.max_attempts is not None:
        data["max_attempts"] = quiz.max_attempts
    data["problems"] = [
        item.problem.slug for item in quiz.items.select_related("problem")
    ]
    return data


def problem_to_data(problem: Problem) -> dict[str, Any]:
    """A problem in its content-file shape (the keys of ``problems/*.yaml``)."""
    data: dict[str, Any] = {
        "slug": problem.slug,
        "title": problem.title,
        "lesson": problem.lesson.slug,
        "order": problem.order,
        "kind": problem.kind,
        "points": int(problem.points)
        if problem.points == int(problem.points)
        else problem.points,
        "attempt_limit": problem.attempt_limit,
        "reveal_policy": problem.reveal_policy,
    }
    if problem.due_at:
        data["due_at"] = _datetime_text(problem.due_at)
    if not problem.published:
        data["published"] = False
    data["prompt"] = problem.prompt
    data["spec"] = problem.spec
    tests = authoring_services.question_tests_data(problem=problem)
    if tests:
        data["tests"] = tests
    return data
