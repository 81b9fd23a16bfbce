"""A problem spec as the text an author edits: YAML (JSON is accepted too).

``spec_load`` turns the text into a spec and lists what is wrong with it,
each problem naming the field and the line of the text it is on. The checks
are saving's own (``courseware.problem_saving.spec_errors``); ``spec_parse``
only reads the text and ``spec_problems`` puts the checks' errors on its
lines, for the admin form, whose save checks the rest. The line comes from
PyYAML's composed node tree, so an author sees "line 7: layers[1].activation: unknown activation 'rleu'".

Text that is only a program (``z = tanh(w*x + b)``, one assignment per line)
is a ``scalar_trace`` with default inputs (``engine.specs.spec_from_program``);
the saved spec shows them, ready to edit.
"""

import re
from dataclasses import dataclass
from typing import Any

import yaml

from courseware.content_io import dump_yaml
from courseware.problem_saving import spec_errors
from engine.program import is_program
from engine.specs import SpecError, spec_from_program

_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


@dataclass(frozen=True)
class SpecProblem:
    """One thing wrong with a spec's text: the field, the 1-based line, the message."""

    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.field}: {self.message}"


def spec_dump(spec: Any) -> str:
    """The spec as the content files write it (``courseware.content_io.dump_yaml``)."""
    if not isinstance(spec, dict):
        return yaml.safe_dump(spec)
    return dump_yaml(spec)


def spec_load(text: str, *, prompt: str = "") -> tuple[Any, list[SpecProblem]]:
    """Parse and check spec text. Returns ``(spec, problems)``; no problems means valid.

    The checks are ``courseware.problem_saving.spec_errors`` (what saving
    checks); ``prompt`` stands in for a missing ``spec.prompt``.

    Examples
    ========

    >>> spec, problems = spec_load("kind: essay\\n")
    >>> [str(p) for p in problems]
    ["line 1: kind: unknown kind 'essay'; use scalar_trace, network_trace, expression, numeric or choice"]
    """
    spec, root, problems = spec_parse(text)
    if problems:
        return spec, problems
    return spec, spec_problems(spec_errors(spec, prompt=prompt), root)


def spec_parse(text: str) -> tuple[Any, yaml.Node | None, list[SpecProblem]]:
    """The spec in ``text``, its composed YAML (for lines) and why it is unreadable.

    Text that is only program lines is a ``scalar_trace``
    (``engine.specs.spec_from_program``); its composed tree is ``None``.
    """
    if is_program(text):
        return spec_from_program(text), None, []
    try:
        root = yaml.compose(text)
        spec = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        return (
            None,
            None,
            [SpecProblem("spec", f"not valid YAML: {problem}", mark and mark.line + 1)],
        )
    if not isinstance(spec, dict):
        return (
            spec,
            root,
            [SpecProblem("spec", "a spec must be a mapping with a 'kind' field", 1)],
        )
    return spec, root, []


def spec_problems(errors: list[SpecError], root: yaml.Node | None) -> list[SpecProblem]:
    """``engine.specs.SpecError`` s placed on the lines of the text they came from."""
    if root is None:  # program text: the engine's line is the text's line
        return [SpecProblem(e.field, e.message, e.line) for e in errors]
    return [
        SpecProblem(e.field, e.message, spec_line(root, e.field, e.line))
        for e in errors
    ]


def spec_line(root: yaml.Node | None, field: str, program_line: int | None = None):
    """The 1-based line of ``field`` (``layers[1].activation``) in the composed text.

    The deepest node of the path that exists is used, so a missing key points
    at its parent. ``program_line`` (a line inside a multi-line text value,
    such as ``program``) is added to the value's first line.
    """
    if root is None:
        return None
    node, key_node = root, None
    for name, index in _PATH_PART.findall(field or ""):
        child = _child(node, name, int(index) if index else None)
        if child is None:
            break
        key_node, node = child
    if node is root:
        return root.start_mark.line + 1
    line = (key_node or node).start_mark.line + 1
    if program_line and isinstance(node, yaml.ScalarNode):
        # A "|" block starts on the line after its key; a plain or quoted
        # scalar starts on the key's own line.
        first = node.start_mark.line + (2 if node.style in ("|", ">") else 1)
        line = first + program_line - 1
    return line


def _child(node, name: str, index: int | None):
    """``(key node, value node)`` of a mapping key or a sequence item, or ``None``."""
    if index is not None:
        if isinstance(node, yaml.SequenceNode) and index < len(node.value):
            return None, node.value[index]
        return None
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == name:
                return key, value
    return None
