"""Problem kinds: one module per kind, one object per kind, one registry.

Each module of this package that defines ``KIND`` (a ``grader.kinds.base.Kind``)
is a problem kind; nothing else lists them. Everything that differs between
kinds (the fields a spec may have, validation, a variant's steps, what a
student sees, the answer key, grading, the live preview) is a method of that
object, so courseware, the API, authoring and the templates ask the kind and
never compare kind names. Adding a kind is one module here plus its answer
template ``templates/courseware/kinds/<name>.html``.

Pure: no Django.
"""

import importlib
import pkgutil
from collections.abc import Mapping
from typing import Any

from engine.specs import SpecError, common_errors, unknown_field_errors
from grader.kinds.base import Kind


def _discover() -> dict[str, Kind]:
    found = []
    for module in pkgutil.iter_modules(__path__):
        kind = getattr(
            importlib.import_module(f"{__name__}.{module.name}"), "KIND", None
        )
        if isinstance(kind, Kind):
            found.append(kind)
    return {kind.name: kind for kind in sorted(found, key=lambda k: (k.order, k.name))}


REGISTRY: dict[str, Kind] = _discover()


class UnknownKind(ValueError):
    """A spec whose ``kind`` names no registered kind."""


def names() -> tuple[str, ...]:
    """Every kind's name, in the order authors see them."""
    return tuple(REGISTRY)


def choices() -> list[tuple[str, str]]:
    """``(name, label)`` of every kind: the model field's and the admin's choices."""
    return [(kind.name, kind.label) for kind in REGISTRY.values()]


def get(name: Any) -> Kind:
    """The kind called ``name``; ``UnknownKind`` when there is none."""
    kind = REGISTRY.get(name) if isinstance(name, str) else None
    if kind is None:
        raise UnknownKind(_unknown_message(name))
    return kind


def of(spec: Mapping[str, Any]) -> Kind:
    """The kind of a spec (``spec["kind"]``)."""
    return get(spec.get("kind") if isinstance(spec, Mapping) else None)


def validate(spec: Any) -> list[SpecError]:
    """Every problem found in ``spec`` (an empty list when it is valid).

    The spec's kind checks its own fields; a field no part of the kind reads
    is refused with the likely intended one. Trace specs are also traced at
    their own inputs and at the first ``engine.specs.VARIANTS_CHECKED``
    randomized variants, so an undefined value (a division by zero, the log of
    a negative number) is reported.

    Examples
    ========

    >>> validate({"kind": "scalar_trace", "program": "z = log(x)",
    ...           "inputs": {"x": 1}, "randomize": {"x": {"int": [-1, 2]}}})[0].field
    'randomize'
    >>> validate({"kind": "essay"})[0].message
    "unknown kind 'essay'; use scalar_trace, network_trace, expression, numeric or choice"
    """
    if not isinstance(spec, Mapping):
        return [SpecError("spec", "a spec must be a mapping with a 'kind' field")]
    try:
        kind = of(spec)
    except UnknownKind as error:
        return [SpecError("kind", str(error))]
    errors = unknown_field_errors(spec, kind.fields, kind.nested_fields)
    errors += kind.errors(spec) + common_errors(spec)
    if not errors:
        errors += kind.sound_errors(spec)
    return errors


def _unknown_message(name: Any) -> str:
    known = names()
    return f"unknown kind {name!r}; use {', '.join(known[:-1])} or {known[-1]}"
