"""What a student reads when a step is wrong: each mis-message a review found (issue 16).

Every test here failed before the change it names: the message named a step
by its id, gave a conceptual hint to a rounding slip, the generic hint to a
wrong shape, or a diagnosis that was itself the student's mistake.
"""

import numpy as np
import pytest

from engine.trace import trace
from grader.grading import grade
from grader.preview import preview
from tests.grader.problems import PYTORCH, PYTORCH_KEY, WORK_THIS, WORK_THIS_KEY


def _matrix(value) -> str:
    rows = np.atleast_2d(np.asarray(value, dtype=float))
    return "[" + ", ".join(str([float(v) for v in r]) for r in rows) + "]"


def _network_key(spec) -> dict[str, str]:
    values = trace(spec).values
    return {s: _matrix(v) for s, v in values.items() if not s.startswith("local:")}


def _scalar(program: str, inputs: dict, **extra) -> dict:
    return {
        "kind": "scalar_trace",
        "program": program,
        "inputs": inputs,
        "ask": ["forward", "local", "grad"],
        "tolerance": {"rel": 0.001},
        **extra,
    }


# --- Shapes -------------------------------------------------------------------

ONE_D_BIAS = {
    **PYTORCH,
    "layers": [
        {**PYTORCH["layers"][0], "b": [0.1, -0.2]},
        PYTORCH["layers"][1],
    ],
}


def test_a_one_d_bias_gradient_is_answerable_as_a_list_or_a_row():
    key = _network_key(ONE_D_BIAS)
    row = key["grad:b1"]
    assert row.startswith("[[") and row.count("[") == 2  # the key is a 1 x 2 row
    flat = row[1:-1]  # "[a, b]", as PyTorch prints a 1-D tensor
    for typed in (row, flat):
        result = grade(ONE_D_BIAS, {**key, "grad:b1": typed})
        assert result.step("grad:b1").status == "correct", typed
        assert result.score == 1.0


def test_a_one_by_one_value_typed_as_a_number_still_carries_forward():
    # z2 = 0.5 is wrong (0.75); a2 and the loss follow from it exactly.
    answers = {
        **PYTORCH_KEY,
        "forward:z2": "0.5",
        "forward:a2": "0.5",
        "forward:loss": "0.25",
        "grad:a2": "-1",
    }
    result = grade(PYTORCH, answers)
    assert result.step("forward:z2").status == "incorrect"
    assert result.step("forward:a2").status == "carried"
    assert result.step("forward:loss").status == "carried"
    assert result.step("grad:a2").status == "carried"


def test_a_wrong_shape_says_the_shape_the_step_needs():
    result = grade(PYTORCH, {**PYTORCH_KEY, "grad:W2": "[[1, 2], [3, 4]]"})
    step = result.step("grad:W2")
    assert step.status == "incorrect"
    assert step.message == (
        "This is a 2x2 matrix, but this step needs a 2x1 matrix (one column)."
    )


def test_a_transposed_gradient_is_still_diagnosed_as_a_transposition():
    result = grade(PYTORCH, {**PYTORCH_KEY, "grad:W2": "[[-0.45, -0.55]]"})
    assert result.step("grad:W2").misconception == "transpose"


# --- Steps named as the table names them --------------------------------------


def test_carried_messages_name_steps_as_the_table_does():
    answers = {**WORK_THIS_KEY, "forward:u": "7", "forward:v": "8", "forward:z": "64"}
    result = grade(WORK_THIS, {**answers, "grad:v": "16", "grad:u": "16"})
    messages = " ".join(s.message for s in result.steps)
    assert "forward:" not in messages and "grad:" not in messages
    assert result.step("forward:z").message == (
        "Consistent with your v = 8, which follows from your u = 7; "
        "the error is in your forward value of u."
    )
    assert "your ∂z/∂v = 16" in result.step("grad:u").message


def test_a_constant_local_derivative_is_shown_once():
    result = grade(WORK_THIS, WORK_THIS_KEY)
    assert result.step("local:v/u").expected == "1"
    assert result.step("local:z/v").expected == "2*v = 14"


# --- Near misses --------------------------------------------------------------

SIGMOID = _scalar("a = sigmoid(s)\nz = 3*a\n", {"s": 1})  # da/ds = 0.196612


@pytest.mark.parametrize("typed", ["0.2", "0.197", "0.1955"])
def test_a_near_miss_asks_for_more_digits_not_for_another_idea(typed):
    step = grade(SIGMOID, {"local:a/s": typed}).step("local:a/s")
    assert step.status == "incorrect"
    assert step.message == (
        "Close, but not within this step's tolerance: keep more digits "
        "(at least 4 significant digits) and round only at the end."
    )
    assert "0.1966" not in step.message


def test_a_bare_integer_is_not_taken_for_a_rounding():
    step = grade(SIGMOID, {"local:a/s": "1"}).step("local:a/s")
    assert "Close" not in step.message


def test_a_near_miss_of_a_network_matrix():
    answers = {**PYTORCH_KEY, "grad:x": "[[-0.1152, -0.1302]]"}
    step = grade(PYTORCH, answers).step("grad:x")
    assert step.message.startswith("Close, but not within this step's tolerance")


# --- Diagnoses that must not be the student's own mistake ----------------------

SQUARE = _scalar("u = x*x\nz = 3*u\n", {"x": 2})


@pytest.mark.parametrize("typed", ["x", "2"])
def test_x_times_x_one_factor_only_is_told_both_factors_count(typed):
    step = grade(SQUARE, {"local:u/x": typed}).step("local:u/x")
    assert step.status == "incorrect"
    assert "treating its other inputs as constants" not in step.message
    assert step.message.startswith("x is both factors of u = x·x")


def test_x_times_x_wrong_otherwise_is_not_told_to_hold_x_constant():
    step = grade(SQUARE, {"local:u/x": "7"}).step("local:u/x")
    assert "treating its other inputs as constants" not in step.message


EXP = _scalar("u = 2*x\nv = exp(u)\nz = v + 1\n", {"x": 0.5})  # v = e


def test_exp_reusing_the_students_own_value_is_not_called_a_non_derivative():
    step = grade(EXP, {"forward:v": "3", "local:v/u": "3"}).step("local:v/u")
    assert step.status == "incorrect"
    assert step.misconception != "forward_value_for_derivative"
    assert step.message.startswith("exp is its own derivative")


def test_sqrt_without_its_half_is_a_power_rule_slip():
    spec = _scalar("s = sqrt(w)\nz = 3*s\n", {"w": 4})
    for typed in ("1/sqrt(w)", "0.5"):  # 1/sqrt(4) = 0.5; the key is 0.25
        step = grade(spec, {"local:s/w": typed}).step("local:s/w")
        assert step.misconception == "power_rule", typed


# --- Single-answer problems ---------------------------------------------------

POWER_RULE = {
    "kind": "expression",
    "answer": "2*v",
    "symbols": ["v"],
    "derivative_of": "v**2",
}


@pytest.mark.parametrize(
    "typed, code",
    [("v", "power_rule"), ("2*v**2", "power_rule"), ("-2*v", "sign_error")],
)
def test_a_single_derivative_answer_gets_the_traces_diagnosis(typed, code):
    step = grade(POWER_RULE, {"answer": typed}).step("answer")
    assert step.status == "incorrect"
    assert step.misconception == code
    assert step.message != "Not right."


def test_a_numeric_answer_near_miss():
    step = grade({"kind": "numeric", "answer": 0.19661193}, {"answer": "0.2"}).step(
        "answer"
    )
    assert step.message.startswith("Close, but not within this step's tolerance")


# --- Preview says what grading will do ----------------------------------------


def test_preview_refuses_a_name_where_grading_needs_a_number():
    work = trace(WORK_THIS)
    shown = preview(WORK_THIS, "2*v", (), step_id="grad:v", trace=work)
    assert not shown.ok
    assert shown.message.startswith("This step asks for a number")
    graded = grade(WORK_THIS, {**WORK_THIS_KEY, "grad:v": "2*v"}).step("grad:v")
    assert graded.status == "invalid" and graded.message == shown.message
    assert preview(WORK_THIS, "2*v", (), step_id="local:z/v", trace=work).ok


def test_preview_shows_the_answer_as_typed():
    work = trace(WORK_THIS)
    shown = preview(WORK_THIS, "2*(v+1)", (), step_id="local:z/v", trace=work)
    graded = grade(WORK_THIS, {"local:z/v": "2*(v+1)"}).step("local:z/v")
    assert shown.latex == graded.interpreted
    assert "\\left(v + 1\\right)" in shown.latex
