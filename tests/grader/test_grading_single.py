"""The single-answer kinds (expression, numeric, choice) and the result type."""

import pytest

from grader.grading import grade
from grader.kinds import validate
from grader.results import GradeResult, StepResult

EXPRESSION = {"kind": "expression", "expected": "2*v", "symbols": ["v"]}
NUMERIC = {"kind": "numeric", "expected": "1/3", "tolerance": {"rel": 0.01}}
CHOICE = {
    "kind": "choice",
    "options": [
        {
            "key": "a",
            "text": "forward mode",
            "feedback": "One pass per input: a million passes.",
        },
        {
            "key": "b",
            "text": "reverse mode",
            "correct": True,
            "feedback": "One backward pass.",
        },
    ],
}
MULTIPLE = {
    "kind": "choice",
    "multiple": True,
    "options": [
        {"key": "a", "text": "its input", "correct": True},
        {
            "key": "b",
            "text": "the whole network",
            "feedback": "Gradients are local messages.",
        },
        {"key": "c", "text": "the upstream gradient", "correct": True},
    ],
}


@pytest.mark.parametrize(
    "answer, status, code",
    [
        ("2v", "correct", None),
        ("v + v", "correct", None),
        ("v*2", "correct", None),
        ("-2*v", "incorrect", "sign_error"),
        ("v", "incorrect", None),
        ("2*v**2", "incorrect", None),
    ],
)
def test_expression(answer, status, code):
    step = grade(EXPRESSION, {"answer": answer}).step("answer")
    assert (step.status, step.misconception) == (status, code)


def test_expression_unreadable_is_invalid_with_a_column():
    result = grade(EXPRESSION, {"answer": "2*(v"})
    assert result.outcome == "invalid"
    step = result.step("answer")
    assert step.status == "invalid" and step.column is not None and step.message


def test_expression_unknown_name_is_invalid():
    step = grade(EXPRESSION, {"answer": "2*w"}).step("answer")
    assert step.status == "invalid"


@pytest.mark.parametrize(
    "answer, status",
    [
        ("0.333", "correct"),
        ("1/3", "correct"),
        ("0.3", "incorrect"),
        ("0.33", "correct"),
    ],
)
def test_numeric_within_tolerance(answer, status):
    assert grade(NUMERIC, {"answer": answer}).step("answer").status == status


def test_numeric_default_tolerance_and_sign():
    spec = {"kind": "numeric", "expected": 42}
    assert grade(spec, {"answer": "42.01"}).score == 1.0
    step = grade(spec, {"answer": "-42"}).step("answer")
    assert step.misconception == "sign_error"
    assert "42" not in step.message


def test_numeric_division_by_zero_is_invalid():
    step = grade(NUMERIC, {"answer": "1/0"}).step("answer")
    assert step.status == "invalid"


def test_numeric_matrix():
    spec = {"kind": "numeric", "expected": [[1, 2], [3, 4]]}
    assert grade(spec, {"answer": "[[1, 2], [3, 4]]"}).score == 1.0
    assert grade(spec, {"answer": "[[1, 3], [2, 4]]"}).score == 0.0


def test_choice_single():
    right = grade(CHOICE, {"answer": "b"})
    assert right.score == 1.0
    wrong = grade(CHOICE, {"answer": "a"}).step("answer")
    assert wrong.status == "incorrect"
    assert wrong.message == "One pass per input: a million passes."
    assert grade(CHOICE, {"answer": "z"}).step("answer").status == "invalid"
    assert grade(CHOICE, {}).step("answer").status == "missing"


def test_choice_multiple_partial_credit():
    assert grade(MULTIPLE, {"answer": ["a", "c"]}).score == 1.0
    assert grade(MULTIPLE, {"answer": "a, c"}).score == 1.0
    assert grade(MULTIPLE, {"answer": ["a"]}).score == 0.5
    half_wrong = grade(MULTIPLE, {"answer": ["a", "b"]})
    assert half_wrong.score == 0.0
    assert half_wrong.step("answer").message == "Gradients are local messages."


def test_unknown_kind_is_a_system_error_without_traceback(caplog):
    result = grade({"kind": "essay"}, {"answer": "x"})
    assert result.outcome == "error"
    assert result.score is None
    assert "Traceback" not in result.message and "staff" in result.message
    assert "Grading a essay problem failed" in caplog.text


def test_a_broken_spec_is_a_system_error():
    result = grade({"kind": "scalar_trace", "program": "z = = x", "inputs": {}}, {})
    assert result.outcome == "error"


def test_time_limits_are_not_swallowed(monkeypatch):
    class SoftTimeLimitExceeded(Exception):
        pass

    def slow(spec, answers):
        raise SoftTimeLimitExceeded()

    from grader import kinds

    monkeypatch.setattr(kinds.get("numeric"), "grade", slow)
    with pytest.raises(SoftTimeLimitExceeded):
        grade({"kind": "numeric", "expected": 1}, {"answer": "1"})


def test_to_dict_keeps_expected_out_unless_revealed():
    result = GradeResult(
        "graded", 0.5, (StepResult("answer", "incorrect", 0.0, "No.", expected="42"),)
    )
    assert "expected" not in result.to_dict()["steps"][0]
    assert result.to_dict(reveal=True)["steps"][0]["expected"] == "42"
    assert result.to_dict()["score"] == 0.5


# A declared domain: the chain rule of log gives 1/x only where x > 0 is asked.
LOG_DERIVATIVE = {
    "kind": "expression",
    "prompt": "Simplify log(x^2) for the positive x of a probability.",
    "answer": "2*log(x)",
    "symbols": ["x"],
    "domain": {"x": "positive"},
}


@pytest.mark.parametrize(
    "answer, domain, status",
    [
        ("log(x^2)", {"x": "positive"}, "correct"),
        ("log(x^2)", None, "incorrect"),  # for x < 0 only log(x^2) is real
        ("2*log(abs(x))", {"x": "positive"}, "correct"),
        ("log(2*x)", {"x": "positive"}, "incorrect"),
    ],
)
def test_expression_on_its_declared_domain(answer, domain, status):
    spec = {**LOG_DERIVATIVE, "domain": domain}
    assert grade(spec, {"answer": answer}).step("answer").status == status


def test_a_domain_must_name_symbols_and_known_domains():
    assert validate(LOG_DERIVATIVE) == []
    [error] = validate({**LOG_DERIVATIVE, "domain": {"y": "positive"}})
    assert (error.field, error.message) == ("domain.y", "'y' is not a symbol; use x")
    [error] = validate({**LOG_DERIVATIVE, "domain": {"x": "big"}})
    assert (
        error.message
        == "unknown domain 'big'; use positive, negative, nonzero, integer"
    )
