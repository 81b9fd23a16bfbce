"""Saving a problem: the one write behind the admin, the authoring API and the import.

``problem_save`` owns a problem's fields, the checks of its spec (the only
call of the engine's spec validator is ``spec_errors``), moving it to another
lesson or renaming it, and the uniqueness of (lesson, slug). Whatever it
refuses it refuses with ``ProblemInvalid``, which each caller turns into its
own shape once: the admin form's errors, the API's 400
(``courseware.api.errors``), the import's "file: field: message" lines
(``courseware.content_io``).

Versioning is ``problem_spec_update``'s: a spec change on a version that has
submissions makes a new ``ProblemVersion``; otherwise the version is corrected
in place.
"""

from collections.abc import Mapping
from copy import copy
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from courseware.models import Lesson, Problem, ProblemVersion
from engine.specs import SpecError
from grader import kinds
from grader.kinds import validate as spec_validate

# The problem fields an author edits besides lesson, slug and spec.
PROBLEM_FIELDS = (
    "title",
    "prompt",
    "points",
    "attempt_limit",
    "reveal_policy",
    "due_at",
    "order",
    "published",
)
VARIANTS_CHECKED = 200  # random variants checked for undefined values on save


class ProblemInvalid(Exception):
    """A problem ``problem_save`` refuses, and everything wrong with it.

    ``spec_errors``: ``engine.specs.SpecError`` s, their ``field`` a path inside
    the spec (``layers[1].activation``; ``spec`` for the spec as a whole).
    ``field_errors``: ``(field, message)`` pairs for the problem's other fields
    (``slug``, ``lesson``, ``title``, ...).
    """

    def __init__(
        self,
        *,
        spec_errors: list[SpecError] | None = None,
        field_errors: list[tuple[str, str]] | None = None,
    ):
        self.spec_errors = list(spec_errors or [])
        self.field_errors = list(field_errors or [])
        super().__init__(
            "; ".join(
                [f"spec.{e.field}: {e.message}" for e in self.spec_errors]
                + [f"{field}: {message}" for field, message in self.field_errors]
            )
        )


def spec_errors(spec: Any, *, prompt: str = "") -> list[SpecError]:
    """Everything wrong with ``spec``; an empty list when it is valid.

    The kind's checks (``grader.kinds.validate``: programs parse, shapes match,
    activations exist, no undefined value at the spec's own numbers), then a
    randomized spec's first ``VARIANTS_CHECKED`` variants. The engine asks expression, numeric and
    choice specs for the question's text: a spec without its own ``prompt`` is
    checked with the problem's.
    """
    if isinstance(spec, Mapping) and prompt and not spec.get("prompt"):
        spec = {**spec, "prompt": prompt}
    errors = spec_validate(spec)
    if not errors and isinstance(spec, Mapping) and spec.get("randomize"):
        errors = _undefined_variants(spec)
    return errors


def _undefined_variants(spec: Mapping) -> list[SpecError]:
    undefined = kinds.of(spec).undefined_variants(spec, range(1, VARIANTS_CHECKED + 1))
    if not undefined:
        return []
    examples = "; ".join(
        f"variant {seed}: {message}" for seed, message in undefined[:3]
    )
    return [
        SpecError(
            "randomize",
            f"{len(undefined)} of the first {VARIANTS_CHECKED} variants are undefined "
            f"({examples}); narrow the ranges",
        )
    ]


def problem_check(
    *, problem: Problem | None, lesson: Lesson, slug: str, spec: Any, **fields: Any
) -> Problem:
    """A copy of ``problem`` (or a new problem) with the changes applied, if valid.

    Raises ``ProblemInvalid`` listing every problem found: spec errors (with
    the prompt the problem will have), model field errors, a (lesson, slug)
    another problem holds, a move to a lesson of another course. Saves nothing.
    """
    target = Problem(lesson=lesson, slug=slug) if problem is None else copy(problem)
    errors = []
    if problem is not None and lesson.course_id != problem.lesson.course_id:
        errors.append(
            (
                "lesson",
                "A problem cannot move to a lesson of another course; "
                "duplicate it there instead.",
            )
        )
    taken = Problem.objects.filter(lesson=lesson, slug=slug)
    if problem is not None:
        taken = taken.exclude(pk=problem.pk)
    if taken.exists():
        errors.append(
            ("slug", f"This lesson already has a problem '{slug}'; pick another slug.")
        )
    target.lesson, target.slug = lesson, slug
    for name, value in fields.items():
        setattr(target, name, value)
    if isinstance(spec, Mapping):
        target.kind = spec.get("kind", target.kind)
    try:
        target.full_clean(
            exclude=["spec", "kind"], validate_unique=False, validate_constraints=False
        )  # (lesson, slug): checked above, with a clearer message
    except ValidationError as error:
        errors += [
            (field, message)
            for field, messages in error.message_dict.items()
            for message in messages
        ]
    found = spec_errors(spec, prompt=target.prompt)
    if found or errors:
        raise ProblemInvalid(spec_errors=found, field_errors=errors)
    return target


@transaction.atomic
def problem_save(
    *,
    problem: Problem | None = None,
    lesson: Lesson | None = None,
    slug: str | None = None,
    spec: Any = None,
    **fields: Any,
) -> tuple[Problem, bool]:
    """Create a problem (``problem=None``) or change one. Returns ``(problem, changed)``.

    ``fields`` are any of ``PROBLEM_FIELDS``; for an existing problem, what is
    not given (``lesson``, ``slug``, ``spec`` included) keeps its value, and a
    new ``lesson`` or ``slug`` moves or renames it (within its course). A new
    problem needs ``lesson``, ``slug``, ``spec`` and ``title`` and gets version 1;
    a changed spec is versioned as ``problem_spec_update`` versions it. Raises
    ``ProblemInvalid`` (see ``problem_check``); nothing is saved then.
    """
    unknown = set(fields) - set(PROBLEM_FIELDS)
    if unknown:
        raise TypeError(f"problem_save got unknown fields {sorted(unknown)}")
    if problem is not None:
        problem = Problem.objects.select_for_update().get(pk=problem.pk)
        before = _stored(problem)
        lesson = lesson or problem.lesson
        slug = slug if slug is not None else problem.slug
        spec = problem.spec if spec is None else spec
    checked = problem_check(
        problem=problem, lesson=lesson, slug=slug, spec=spec, **fields
    )
    if problem is None:
        checked.spec, checked.version = spec, 1
        checked.full_clean()
        checked.save()
        _save(ProblemVersion(problem=checked, number=1, spec=spec))
        return checked, True
    if _stored(checked) != before:
        checked.save()
    _spec_save(problem=checked, spec=spec)
    return checked, _stored(checked) != before


def _stored(problem: Problem) -> tuple:
    names = ("lesson_id", "slug", "spec", "version", *PROBLEM_FIELDS)
    return tuple(getattr(problem, name) for name in names)


@transaction.atomic
def problem_spec_update(*, problem: Problem, spec: dict) -> Problem:
    """Replace a problem's spec (checked), versioning it when students already answered it.

    If the current version has submissions, a new ``ProblemVersion`` is made and
    ``problem.version`` goes up by one; those submissions keep the version (and
    so the key) they were graded against. Otherwise the current version is
    corrected in place. An unchanged spec changes nothing. Raises
    ``ProblemInvalid`` for a bad spec.
    """
    found = spec_errors(spec, prompt=problem.prompt)
    if found:
        raise ProblemInvalid(spec_errors=found)
    _spec_save(problem=problem, spec=spec)
    return problem


def _spec_save(*, problem: Problem, spec: dict) -> None:
    current = problem_version_current(problem=problem)
    if spec == problem.spec and spec == current.spec:
        return
    if current.submissions.exists():
        current = ProblemVersion(problem=problem, number=current.number + 1, spec=spec)
    else:
        current.spec = spec
    _save(current)
    problem.spec, problem.version = spec, current.number
    problem.kind = spec.get("kind", problem.kind)
    _save(problem)


def _save(instance) -> None:
    instance.full_clean()
    instance.save()


def problem_version_current(*, problem: Problem) -> ProblemVersion:
    """The ProblemVersion matching ``problem.version`` (made from the spec if missing)."""
    version, _ = ProblemVersion.objects.get_or_create(
        problem=problem, number=problem.version, defaults={"spec": problem.spec}
    )
    return version
