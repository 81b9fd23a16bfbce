"""Problem specs (contract 1): validation, randomized variants, variant checks.

``randomize`` maps a name to one rule:

- ``{int: [lo, hi]}``: an integer from lo to hi inclusive,
- ``{choice: [a, b, ...]}``: one of the listed numbers,
- ``{uniform: [lo, hi], decimals: n}``: a number in [lo, hi] rounded to n
  decimals (default 2).

In a ``scalar_trace`` the names are inputs. In a ``network_trace`` they name a
whole matrix, ``x``, ``target``, ``layers[k].W`` or ``layers[k].b``, and the rule
draws every entry independently (row by row). Each name draws from its own
generator seeded by ``(seed, name)``, so a variant is the same on every machine
and adding a randomized name never changes the others.
"""

import copy
import difflib
import random
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from engine import network
from engine.program import (
    RESERVED,
    ProgramError,
    exact_number,
    free_names,
    parse_program,
)
from engine.trace import UndefinedValue, trace

FAMILIES = ("forward", "local", "grad")
LOCAL_FORMS = ("symbolic", "numeric", "either")
VARIANTS_CHECKED = 20
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z_0-9]*\Z")

# The fields a kind reads (``grader.kinds``: each kind lists its own); anything
# else is a typo an author must hear about (a misspelled ``tolerence`` would
# otherwise leave the default in force).
COMMON_FIELDS = ("kind", "prompt", "tolerance")
TRACE_FIELDS = (
    "randomize",
    "ask",
    "local_form",
    "weights",
    "carried_credit",
    "hint_penalty",
)
SCALAR_TRACE_FIELDS = (*COMMON_FIELDS, "program", "inputs", *TRACE_FIELDS)
NETWORK_TRACE_FIELDS = (
    *COMMON_FIELDS,
    "x",
    "layers",
    "target",
    "loss",
    "convention",
    *TRACE_FIELDS,
)  # fmt: skip
LAYER_FIELDS = ("W", "b", "activation")
TOLERANCE_FIELDS = ("rel", "abs")
_MATRIX_PATH = re.compile(r"(x|target)\Z|layers\[(\d+)\]\.(W|b)\Z")


@dataclass(frozen=True)
class SpecError:
    """One problem with a spec: the field, what is wrong, and the program line."""

    field: str
    message: str
    line: int | None = None


# A whole spec is validated by ``grader.kinds.validate``, which asks the spec's
# kind; these are the checks the kinds share.


def common_errors(spec: Mapping[str, Any]) -> list[SpecError]:
    """The checks of fields any kind may have: ``tolerance`` and ``hint_penalty``."""
    return _tolerance_errors(spec.get("tolerance")) + _fraction_errors(
        spec, "hint_penalty"
    )


def _fraction_errors(spec, field: str) -> list[SpecError]:
    """A share of credit (``hint_penalty: 0.25``): a number from 0 to 1."""
    value = spec.get(field)
    if value is None:
        return []
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not 0 <= value <= 1
    ):
        return [SpecError(field, f"{field} must be a number from 0 to 1, e.g. 0.25")]
    return []


def spec_from_program(program: str) -> dict:
    """The ``scalar_trace`` spec of a bare program (``z = tanh(w*x + b)``).

    Its inputs are the names the program reads, given small distinct values
    (2, 3, 1, then 4, 5, ...) that the author can change afterwards.

    Examples
    ========

    >>> spec_from_program("z = tanh(w*x + b)")
    {'kind': 'scalar_trace', 'program': 'z = tanh(w*x + b)\\n', 'inputs': {'w': 2, 'x': 3, 'b': 1}}
    """
    names = free_names(program)
    values = [2, 3, 1, *range(4, len(names) + 2)]
    return {
        "kind": "scalar_trace",
        "program": program.strip() + "\n",
        "inputs": dict(zip(names, values, strict=False)),
    }


def instantiate(spec: Mapping[str, Any], seed: int | None) -> dict:
    """The concrete spec of variant ``seed``, without its ``randomize`` key.

    ``seed=None`` keeps the spec's own inputs. Same seed, same numbers.

    Examples
    ========

    >>> spec = {"kind": "scalar_trace", "program": "z = x*y", "inputs": {"x": 2, "y": 3},
    ...         "randomize": {"x": {"int": [1, 5]}}}
    >>> instantiate(spec, None)["inputs"]
    {'x': 2, 'y': 3}
    >>> instantiate(spec, 7) == instantiate(spec, 7)
    True
    """
    concrete = copy.deepcopy(dict(spec))
    rules = concrete.pop("randomize", None) or {}
    if seed is None:
        return concrete
    for name in sorted(rules):
        rng = random.Random(f"{seed}:{name}")
        if "program" in concrete:  # a scalar trace: the name is an input
            concrete["inputs"][name] = _sample(rules[name], rng)
        else:  # a network: the name is a matrix path
            owner, key = _matrix_owner(concrete, name)
            owner[key] = _sample_matrix(owner[key], rules[name], rng)
    return concrete


def check_variants(spec: Mapping[str, Any], seeds: Iterable[int]) -> list[tuple]:
    """``(seed, message)`` for every variant whose trace has an undefined value.

    Examples
    ========

    >>> spec = {"kind": "scalar_trace", "program": "z = 1/x", "inputs": {"x": 1},
    ...         "randomize": {"x": {"choice": [1, 0]}}}
    >>> [seed for seed, _ in check_variants(spec, range(6))]
    [2, 4]
    """
    problems = []
    for seed in seeds:
        try:
            trace(instantiate(spec, seed))
        except ValueError as error:  # UndefinedValue, ProgramError, bad shapes
            problems.append((seed, str(error)))
    return problems


# scalar_trace -------------------------------------------------------------------


def scalar_trace_errors(spec) -> list[SpecError]:
    errors = []
    inputs = spec.get("inputs")
    if not isinstance(inputs, Mapping) or not inputs:
        errors.append(SpecError("inputs", _inputs_message(spec.get("program"))))
        inputs = {}
    for name, value in inputs.items():
        if not isinstance(name, str) or not IDENTIFIER.match(name) or name in RESERVED:
            errors.append(SpecError(f"inputs.{name}", f"{name!r} cannot be a name"))
        errors += number_errors(value, f"inputs.{name}")
    program = spec.get("program")
    if not isinstance(program, str) or not program.strip():
        errors.append(
            SpecError("program", "program must be text: one assignment per line")
        )
    elif inputs:
        try:
            parse_program(program, inputs)
        except ProgramError as error:
            errors.append(SpecError("program", error.message, error.line))
    ask = spec.get("ask", list(FAMILIES))
    if not isinstance(ask, list) or not ask or any(a not in FAMILIES for a in ask):
        errors.append(SpecError("ask", "ask must list some of forward, local and grad"))
    if spec.get("local_form", "either") not in LOCAL_FORMS:
        errors.append(
            SpecError("local_form", "local_form must be symbolic, numeric or either")
        )
    return errors + randomize_errors(spec.get("randomize"), set(inputs))


def _inputs_message(program) -> str:
    names = free_names(program) if isinstance(program, str) else []
    if not names:
        return "inputs must map each input name to a number"
    example = spec_from_program(program)["inputs"]
    shown = ", ".join(f"{name}: {value}" for name, value in example.items())
    return (
        f"the program reads {', '.join(names)}: give each a number, "
        f"e.g. inputs: {{{shown}}}"
    )


# network_trace ------------------------------------------------------------------


def network_trace_errors(spec) -> list[SpecError]:
    errors = [SpecError(f, m) for f, m in network.spec_errors(spec)]
    return errors + randomize_errors(spec.get("randomize"), _network_names(spec))


# randomize ----------------------------------------------------------------------


def randomize_errors(randomize, names) -> list[SpecError]:
    if randomize is None:
        return []
    if not isinstance(randomize, Mapping):
        return [SpecError("randomize", "randomize must map names to rules")]
    errors = []
    for name, rule in randomize.items():
        field = f"randomize.{name}"
        if name not in names:
            known = ", ".join(sorted(names))
            errors.append(SpecError(field, f"cannot randomize {name!r}; use {known}"))
        message = _rule_error(rule)
        if message:
            errors.append(SpecError(field, message))
    return errors


def _rule_error(rule) -> str | None:
    """What is wrong with one randomize rule, or None."""
    if not isinstance(rule, Mapping):
        return "a rule is {int: [lo, hi]}, {choice: [...]} or {uniform: [lo, hi]}"
    kinds = [k for k in ("int", "choice", "uniform") if k in rule]
    extra = set(rule) - {"int", "choice", "uniform", "decimals"}
    if len(kinds) != 1 or extra or ("decimals" in rule and kinds != ["uniform"]):
        return "use exactly one of int, choice or uniform (decimals only with uniform)"
    values = rule[kinds[0]]
    if kinds == ["choice"]:
        if (
            not isinstance(values, list)
            or not values
            or not all(_is_number(v) for v in values)
        ):
            return "choice must be a non-empty list of numbers"
        return None
    if not (isinstance(values, list) and len(values) == 2):
        return f"{kinds[0]} must be a range [lo, hi]"
    lo, hi = values
    if kinds == ["int"]:
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            return "int needs whole numbers [lo, hi]"
        return None if lo <= hi else f"empty range: lo {lo} is above hi {hi}"
    if not all(_is_number(v) and not isinstance(v, str) for v in values):
        return "uniform needs numbers [lo, hi]"
    if not lo < hi:
        return f"empty range: lo {lo} must be below hi {hi}"
    decimals = rule.get("decimals", 2)
    if (
        not isinstance(decimals, int)
        or isinstance(decimals, bool)
        or not (0 <= decimals <= 12)
    ):
        return "decimals must be a whole number from 0 to 12"
    return None


def _sample(rule: Mapping[str, Any], rng: random.Random):
    if "int" in rule:
        return rng.randint(*rule["int"])
    if "choice" in rule:
        return rng.choice(rule["choice"])
    lo, hi = rule["uniform"]
    return round(rng.uniform(lo, hi), rule.get("decimals", 2))


def _sample_matrix(matrix, rule, rng):
    if isinstance(matrix, list):
        return [_sample_matrix(entry, rule, rng) for entry in matrix]
    return _sample(rule, rng)


def _network_names(spec) -> set[str]:
    names = {"x", "target"}
    for k, layer in enumerate(spec.get("layers") or []):
        names.add(f"layers[{k}].W")
        if isinstance(layer, Mapping) and layer.get("b") is not None:
            names.add(f"layers[{k}].b")
    return names


def _matrix_owner(spec, name):
    """(container, key) holding the matrix called ``name``."""
    match = _MATRIX_PATH.match(name)
    if match.group(1):
        return spec, match.group(1)
    return spec["layers"][int(match.group(2))], match.group(3)


def undefined_errors(spec) -> list[SpecError]:
    try:
        trace(instantiate(spec, None))
    except UndefinedValue as error:
        field = "inputs" if "program" in spec else "spec"
        return [SpecError(field, f"at the spec's own numbers, {error}")]
    if not spec.get("randomize"):
        return []
    problems = check_variants(spec, range(VARIANTS_CHECKED))
    if not problems:
        return []
    seed, message = problems[0]
    return [
        SpecError(
            "randomize",
            f"{len(problems)} of the first {VARIANTS_CHECKED} variants are undefined, "
            f"e.g. variant {seed}: {message}; narrow the ranges",
        )
    ]


# single-answer kinds ------------------------------------------------------------


def prompt_errors(spec) -> list[SpecError]:
    prompt = spec.get("prompt")
    if isinstance(prompt, str) and prompt.strip():
        return []
    return [SpecError("prompt", "prompt must be the question's text")]


def unknown_field_errors(
    spec: Mapping[str, Any],
    fields: Iterable[str],
    nested: Iterable[tuple[str, Iterable[str], str]] = (),
) -> list[SpecError]:
    """Every field of ``spec`` not among ``fields``, with the likely intended one.

    ``nested`` names list fields whose items are mappings with fields of their
    own: ``(name, item fields, where)``, e.g. a network's layers.

    Examples
    ========

    >>> unknown_field_errors({"kind": "numeric", "answer": 1, "tolerence": {}},
    ...                      ("kind", "answer", "tolerance"))[0].message
    "unknown field 'tolerence' for a numeric problem; did you mean 'tolerance'?"
    """
    fields, kind = tuple(fields), spec.get("kind")
    article = "an" if str(kind)[:1] in "aeiou" else "a"
    errors = _unknown(spec, fields, "", f"for {article} {kind} problem")
    for name, allowed, where in nested:
        items = spec.get(name) if name in fields else None
        for i, item in enumerate(items if isinstance(items, list) else ()):
            if isinstance(item, Mapping):
                errors += _unknown(item, allowed, f"{name}[{i}].", where)
    tolerance = spec.get("tolerance")
    if isinstance(tolerance, Mapping):
        errors += _unknown(tolerance, TOLERANCE_FIELDS, "tolerance.", "in a tolerance")
    return errors


def _unknown(mapping: Mapping, allowed, prefix: str, where: str) -> list[SpecError]:
    return [
        SpecError(
            f"{prefix}{name}",
            f"unknown field {name!r} {where}; {field_hint(name, allowed)}",
        )
        for name in mapping
        if name not in allowed
    ]


def field_hint(name, allowed) -> str:
    """What to write instead of an unknown field: the close one, else the choices.

    Examples
    ========

    >>> field_hint("tolerence", ("kind", "tolerance"))
    "did you mean 'tolerance'?"
    >>> field_hint("colour", ("kind", "answer"))
    'use kind, answer'
    """
    close = difflib.get_close_matches(str(name), list(allowed), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else f"use {', '.join(allowed)}"


def number_errors(value, field: str) -> list[SpecError]:
    if _is_number(value):
        return []
    return [SpecError(field, f"{value!r} is not a number; write e.g. 2, -0.5 or 1/3")]


def _is_number(value) -> bool:
    try:
        exact_number(value)
    except (TypeError, ValueError):
        return False
    return True


def _tolerance_errors(tolerance) -> list[SpecError]:
    if tolerance is None:
        return []
    if (
        isinstance(tolerance, Mapping)
        and tolerance
        and set(tolerance) <= {"rel", "abs"}
        and all(
            isinstance(v, int | float) and not isinstance(v, bool) and v >= 0
            for v in tolerance.values()
        )
    ):
        return []
    return [
        SpecError("tolerance", "tolerance is {rel: 1.0e-3} and/or {abs: 0.01}, >= 0")
    ]
