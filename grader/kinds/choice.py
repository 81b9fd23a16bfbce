"""``choice``: pick one option, or several with ``multiple: true``.

Fields: ``prompt``, ``options`` (a list of ``{key, text, correct, feedback}``;
``key`` is what a student picks, and the one rule for naming an option),
``multiple``. Multiple choice scores
``max(0, (right picks - wrong picks) / right options)``.

Pure: no Django.
"""

from collections.abc import Mapping
from typing import Any

from engine.specs import COMMON_FIELDS, SpecError, prompt_errors
from grader import feedback
from grader.cells import grade_result
from grader.kinds.base import ANSWER, Kind
from grader.results import CORRECT, INCORRECT, INVALID, MISSING, GradeResult, StepResult

OPTION_FIELDS = ("key", "text", "correct", "feedback")
PICK = "Pick one of the options: {keys}."


class Choice(Kind):
    name = "choice"
    label = "Choice"
    order = 50
    fields = (*COMMON_FIELDS, "options", "multiple")
    nested_fields = (("options", OPTION_FIELDS, "in an option"),)

    def errors(self, spec: Mapping[str, Any]) -> list[SpecError]:
        return prompt_errors(spec) + _choice_errors(spec)

    def summary(self, spec: Mapping[str, Any]) -> str:
        return f"{self.label}: {len(self.options(spec))} option(s)"

    def public(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "multiple": bool(spec.get("multiple", False)),
            "options": [{"key": k, "text": t} for k, t in self.options(spec)],
        }

    def options(self, concrete: Mapping[str, Any]) -> list[tuple[str, str]]:
        # never ``correct`` or ``feedback``: those are the key
        return [(k, str(o.get("text", ""))) for k, o in _options(concrete).items()]

    def pick_message(self, concrete: Mapping[str, Any], text: str) -> str | None:
        keys = list(_options(concrete))
        picked = [part.strip() for part in text.split(",") if part.strip()]
        if picked and all(p in keys for p in picked):
            return ""
        return PICK.format(keys=", ".join(keys))

    def answer_key(self, concrete: Mapping[str, Any], trace=None) -> dict[str, str]:
        right = [k for k, o in _options(concrete).items() if o.get("correct")]
        return {ANSWER: ", ".join(right)}

    def grade(
        self, concrete: Mapping[str, Any], answers: Mapping[str, Any]
    ) -> GradeResult:
        return grade_choice(concrete, answers)


def _options(spec: Mapping) -> dict[str, Mapping]:
    """Key -> option, in order (validation makes every key a distinct text)."""
    return {str(option["key"]): option for option in spec.get("options") or ()}


def _choice_errors(spec) -> list[SpecError]:
    options = spec.get("options")
    if not isinstance(options, list) or len(options) < 2:
        return [SpecError("options", "options must list at least two choices")]
    errors, keys = [], []
    for i, option in enumerate(options):
        field = f"options[{i}]"
        if not isinstance(option, Mapping):
            errors.append(SpecError(field, "each option needs key, text and correct"))
            continue
        key = option.get("key")
        if not isinstance(key, str) or not key:
            errors.append(SpecError(f"{field}.key", "key must be a short text, e.g. a"))
        elif key in keys:
            errors.append(SpecError(f"{field}.key", f"key {key!r} is used twice"))
        keys.append(key)
        if not isinstance(option.get("text"), str):
            errors.append(SpecError(f"{field}.text", "text must be the option's text"))
        if not isinstance(option.get("correct"), bool):
            errors.append(
                SpecError(f"{field}.correct", "correct must be true or false")
            )
        if not isinstance(option.get("feedback", ""), str):
            errors.append(SpecError(f"{field}.feedback", "feedback must be text"))
    correct = sum(
        1 for o in options if isinstance(o, Mapping) and o.get("correct") is True
    )
    if spec.get("multiple", False):
        if correct == 0:
            errors.append(SpecError("options", "mark at least one option correct"))
    elif correct != 1:
        errors.append(
            SpecError(
                "options",
                f"a single choice needs exactly one correct option (found {correct}); "
                "set multiple: true for several",
            )
        )
    return errors


def grade_choice(spec: Mapping, answers: Mapping) -> GradeResult:
    options = _options(spec)
    right = {k for k, o in options.items() if o.get("correct")}
    given = answers.get(ANSWER)
    if isinstance(given, str):
        picked = (
            [p.strip() for p in given.split(",")]
            if spec.get("multiple")
            else [given.strip()]
        )
    elif isinstance(given, (list, tuple)):
        picked = [str(p).strip() for p in given]
    else:
        picked = []
    picked = [p for p in picked if p]
    if not picked:
        return grade_result([StepResult(ANSWER, MISSING, 0.0, feedback.MISSING)], spec)
    unknown = [p for p in picked if p not in options]
    if unknown:
        message = feedback.NOT_A_CHOICE.format(
            given=unknown[0], keys=", ".join(options)
        )
        return grade_result([StepResult(ANSWER, INVALID, 0.0, message)], spec)
    chosen = set(picked)
    expected = ", ".join(sorted(right))
    notes = [
        options[p].get("feedback", "") for p in picked if options[p].get("feedback")
    ]
    if chosen == right:
        message = " ".join(notes) or feedback.CORRECT
        step = StepResult(ANSWER, CORRECT, 1.0, message, expected=expected)
    else:
        hits, misses = len(chosen & right), len(chosen - right)
        score = (
            max(0.0, (hits - misses) / len(right))
            if spec.get("multiple") and right
            else 0.0
        )
        wrong_notes = [
            options[p]["feedback"]
            for p in picked
            if p not in right and options[p].get("feedback")
        ]
        message = " ".join(wrong_notes) or feedback.wrong(ANSWER)
        step = StepResult(
            ANSWER, INCORRECT, round(score, 6), message, expected=expected
        )
    return grade_result([step], spec)


KIND = Choice()
