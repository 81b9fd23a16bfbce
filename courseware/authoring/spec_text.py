"""A problem spec as the text an author edits: YAML (JSON is accepted too).

``spec_load`` turns the text into a spec and lists what is wrong with it,
each problem naming the field and the line of the text it is on. The checks
are ``grader.kinds.validate`` and, for randomized specs, the kind's ``undefined_variants`` on
the first ``VARIANTS_CHECKED`` variants. The line comes from PyYAML's composed
node tree, so an author sees "line 7: layers[1].activation: unknown activation 'rleu'".

Text that is only a program (``z = tanh(w*x + b)``, one assignment per line)
is a ``scalar_trace`` with default inputs (``engine.specs.spec_from_program``);
the saved spec shows them, ready to edit.
"""

import re
from dataclasses import dataclass
from typing import Any

import yaml

from courseware.content_io import dump_yaml
from engine.program import is_program
from engine.specs import spec_from_program
from grader import kinds
from grader.kinds import validate

VARIANTS_CHECKED = 200  # random variants checked for undefined values on save
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

    ``prompt`` stands in for a missing ``spec.prompt`` (the engine asks
    expression, numeric and choice specs for the question's text).

    Examples
    ========

    >>> spec, problems = spec_load("kind: essay\\n")
    >>> [str(p) for p in problems]
    ["line 1: kind: unknown kind 'essay'; use scalar_trace, network_trace, expression, numeric or choice"]
    """
    if is_program(text):
        spec = spec_from_program(text)
        return spec, [
            SpecProblem(error.field, error.message, error.line)
            for error in validate(spec)
        ]
    try:
        root = yaml.compose(text)
        spec = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        return None, [
            SpecProblem("spec", f"not valid YAML: {problem}", mark and mark.line + 1)
        ]
    if not isinstance(spec, dict):
        return spec, [
            SpecProblem("spec", "a spec must be a mapping with a 'kind' field", 1)
        ]
    checked = spec if spec.get("prompt") or not prompt else {**spec, "prompt": prompt}
    problems = [
        SpecProblem(
            error.field, error.message, spec_line(root, error.field, error.line)
        )
        for error in validate(checked)
    ]
    if not problems and spec.get("randomize"):
        problems = _undefined_variants(checked, root)
    return spec, problems


def _undefined_variants(spec: dict, root) -> list[SpecProblem]:
    """Randomisation checked on more variants than ``validate`` does, with the seeds."""
    undefined = kinds.of(spec).undefined_variants(spec, range(1, VARIANTS_CHECKED + 1))
    if not undefined:
        return []
    examples = "; ".join(
        f"variant {seed}: {message}" for seed, message in undefined[:3]
    )
    return [
        SpecProblem(
            "randomize",
            f"{len(undefined)} of the first {VARIANTS_CHECKED} variants are undefined "
            f"({examples}); narrow the ranges",
            spec_line(root, "randomize"),
        )
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
