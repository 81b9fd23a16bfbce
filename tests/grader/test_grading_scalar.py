"""Grading scalar traces: the lesson's "Work this" and friends, step by step."""

import pytest

from grader.grading import grade
from tests.grader.problems import (
    CHAIN,
    FAN_OUT,
    NEURON,
    RELU_NEURON,
    WORK_THIS,
    WORK_THIS_KEY,
)


def answers(**changes: str) -> dict[str, str]:
    return {
        **WORK_THIS_KEY,
        **{k.replace("__", ":").replace("_", "/"): v for k, v in changes.items()},
    }


def steps(result) -> dict[str, str]:
    return {s.id: s.status for s in result.steps}


def test_the_key_scores_full_marks():
    result = grade(WORK_THIS, WORK_THIS_KEY)
    assert result.outcome == "graded"
    assert result.score == 1.0
    assert set(steps(result).values()) == {"correct"}
    assert [s.id for s in result.steps][:3] == ["forward:u", "forward:v", "forward:z"]


@pytest.mark.parametrize(
    "answer", ["2*v", "2*(x*y+b)", "2*(u+b)", "2v", "14", "v*2", "28/2"]
)
def test_local_derivative_in_node_names_input_names_or_a_number(answer):
    result = grade(WORK_THIS, {**WORK_THIS_KEY, "local:z/v": answer})
    assert result.step("local:z/v").status == "correct", answer


def test_local_form_numeric_wants_a_number():
    spec = {**WORK_THIS, "local_form": "numeric"}
    result = grade(spec, {**WORK_THIS_KEY, "local:z/v": "2*v", "local:u/x": "y"})
    step = result.step("local:z/v")
    assert step.status == "invalid"
    assert "'v'" in step.message and step.column == 3
    assert result.step("grad:x").status == "correct"


def test_local_form_symbolic_wants_an_expression():
    spec = {**WORK_THIS, "local_form": "symbolic"}
    result = grade(spec, {**WORK_THIS_KEY, "local:z/v": "14", "local:v/u": "1"})
    assert result.step("local:z/v").status == "invalid"
    assert "expression" in result.step("local:z/v").message
    assert result.step("local:v/u").status == "correct"  # a constant needs no names


def test_a_number_where_a_forward_value_belongs():
    result = grade(WORK_THIS, {**WORK_THIS_KEY, "forward:u": "x*y"})
    step = result.step("forward:u")
    assert step.status == "invalid"
    assert step.column == 1
    assert step.score == 0.0


def test_invalid_cells_among_valid_ones_block_nothing():
    result = grade(
        WORK_THIS,
        {**WORK_THIS_KEY, "forward:v": "7)", "grad:x": "4 2 +", "local:z/v": "2*vv"},
    )
    statuses = steps(result)
    assert (
        statuses["forward:v"]
        == statuses["grad:x"]
        == statuses["local:z/v"]
        == "invalid"
    )
    assert all(
        statuses[s] == "correct"
        for s in statuses
        if s not in {"forward:v", "grad:x", "local:z/v"}
    )
    bad = result.step("forward:v")
    assert bad.column == 2 and bad.message
    assert result.outcome == "graded"
    assert result.score == pytest.approx(10 / 13)


def test_only_unreadable_cells_make_the_submission_invalid():
    result = grade(WORK_THIS, {"forward:u": "6 +", "forward:v": "((7"})
    assert result.outcome == "invalid"
    assert result.score == 0.0
    assert steps(result)["forward:z"] == "missing"
    assert grade(WORK_THIS, {}).outcome == "invalid"


def test_missing_cells_score_zero():
    partial = {k: v for k, v in WORK_THIS_KEY.items() if k.startswith("forward:")}
    result = grade(WORK_THIS, partial)
    assert result.outcome == "graded"
    assert result.score == pytest.approx(3 / 13)
    assert result.step("grad:x").status == "missing"


def test_weights_by_family_and_by_step():
    spec = {**WORK_THIS, "weights": {"grad": 2, "grad:x": 5}}
    result = grade(spec, {**WORK_THIS_KEY, "grad:x": "0"})
    # forward 3 + local 5 + grad (4 steps x 2) = 16 right, out of 16 + 5.
    assert result.score == pytest.approx(16 / 21)


# --- Follow-through ----------------------------------------------------------


def test_a_later_answer_right_for_the_students_own_value_is_carried():
    result = grade(WORK_THIS, {**WORK_THIS_KEY, "forward:v": "8", "forward:z": "64"})
    assert result.step("forward:v").status == "incorrect"
    z = result.step("forward:z")
    assert z.status == "carried"
    assert z.score == 1.0
    assert z.builds_on == "forward:v"
    assert (
        z.message
        == "Consistent with your v = 8; the error is in your forward value of v."
    )
    assert "49" not in z.message


def test_carried_credit_comes_from_the_spec():
    spec = {**WORK_THIS, "carried_credit": 0.5}
    result = grade(spec, {**WORK_THIS_KEY, "forward:v": "8", "forward:z": "64"})
    assert result.step("forward:z").score == 0.5


def test_an_answer_matching_the_key_is_correct_not_carried():
    result = grade(WORK_THIS, {**WORK_THIS_KEY, "forward:v": "8", "forward:z": "49"})
    assert result.step("forward:z").status == "correct"


def test_follow_through_chain_names_the_earliest_wrong_step():
    result = grade(
        CHAIN,
        {
            "forward:u": "7",
            "forward:v": "8",
            "forward:w": "24",
            "forward:z": "576",
            "local:z/w": "2*w",
            "grad:w": "48",
            "grad:v": "144",
            "grad:u": "144",
            "grad:x": "432",
        },
    )
    statuses = steps(result)
    assert statuses["forward:u"] == "incorrect"
    for step in ("forward:v", "forward:w", "forward:z", "grad:w", "grad:v", "grad:u"):
        assert statuses[step] == "carried", step
        assert result.step(step).builds_on == "forward:u", step
    assert result.step("local:z/w").status == "correct"
    w = result.step("forward:w")
    assert w.message == (
        "Consistent with your v = 8, which follows from your u = 7; "
        "the error is in your forward value of u."
    )
    # dz/dx = dz/du * y uses y = 3: 144 * 3 = 432.
    assert statuses["grad:x"] == "carried"


def test_follow_through_from_a_wrong_gradient():
    result = grade(
        WORK_THIS, {**WORK_THIS_KEY, "grad:v": "10", "grad:u": "10", "grad:x": "30"}
    )
    assert result.step("grad:v").status == "incorrect"
    assert result.step("grad:u").status == "carried"
    assert result.step("grad:x").status == "carried"
    assert result.step("grad:x").builds_on == "grad:v"


def test_follow_through_from_a_wrong_local_derivative():
    result = grade(
        WORK_THIS, {**WORK_THIS_KEY, "local:z/v": "v", "grad:v": "7", "grad:u": "7"}
    )
    assert result.step("local:z/v").status == "incorrect"
    assert result.step("grad:v").status == "carried"
    assert result.step("grad:v").builds_on == "local:z/v"


def test_a_symbolic_local_answer_is_evaluated_at_the_students_own_values():
    # forward:v wrong (8); local 2*v right; dz/dv = 16 follows from v = 8.
    result = grade(
        WORK_THIS,
        {**WORK_THIS_KEY, "forward:v": "8", "forward:z": "64", "grad:v": "16"},
    )
    grad_v = result.step("grad:v")
    assert grad_v.status == "carried"
    assert grad_v.builds_on == "forward:v"


# --- Misconceptions: a bank of realistic wrong answers -----------------------


@pytest.mark.parametrize(
    "spec, step, answer, code",
    [
        # Chain rule not applied: dz/dx given as du/dx = y.
        (WORK_THIS, "grad:x", "3", "upstream_dropped"),
        (WORK_THIS, "grad:y", "2", "upstream_dropped"),
        # d(xy)/dx given as x.
        (WORK_THIS, "local:u/x", "x", "local_swapped"),
        (WORK_THIS, "local:u/x", "2", "local_swapped"),
        (WORK_THIS, "grad:x", "28", "local_swapped"),
        # d(v^2)/dv: factor dropped, exponent not lowered.
        (WORK_THIS, "local:z/v", "v", "power_rule"),
        (WORK_THIS, "local:z/v", "2*v**2", "power_rule"),
        (WORK_THIS, "local:z/v", "98", "power_rule"),
        (WORK_THIS, "grad:v", "7", "power_rule"),
        (WORK_THIS, "grad:x", "-42", "sign_error"),
        (WORK_THIS, "local:z/v", "-2*v", "sign_error"),
        # The value of u given for dz/du.
        (WORK_THIS, "grad:u", "6", "forward_value_for_derivative"),
        (WORK_THIS, "local:u/x", "x*y", "forward_value_for_derivative"),
        # x feeds u and v: one path only.
        (FAN_OUT, "grad:x", "42", "fanout_not_summed"),
        (FAN_OUT, "grad:x", "6", "fanout_not_summed"),
        (FAN_OUT, "grad:u", "8", "fanout_not_summed"),
        # sigmoid: its derivative left out, or its value used for it.
        (NEURON, "grad:s", "-1", "activation_derivative_missing"),
        (NEURON, "grad:s", "-0.5", "activation_value_for_derivative"),
        # ReLU off (s < 0): the gradient passed through anyway.
        (RELU_NEURON, "grad:s", "3", "relu_derivative"),
        (RELU_NEURON, "local:a/s", "1", "relu_derivative"),
    ],
)
def test_misconception_bank(spec, step, answer, code):
    from engine.trace import trace

    key = trace(spec).values
    given = {s: repr(float(v)) for s, v in key.items()}
    given[step] = answer
    result = grade(spec, given)
    found = result.step(step)
    assert found.status == "incorrect", found
    assert found.misconception == code, found
    assert found.expected is not None
    # The message explains; it never gives the value away.
    assert repr(float(key[step])) not in found.message
    assert f"{float(key[step]):g}" not in found.message.split()


def test_messages_speak_the_lessons_language():
    result = grade(WORK_THIS, {**WORK_THIS_KEY, "grad:x": "3"})
    assert "upstream gradient by its local derivative" in result.step("grad:x").message
    result = grade(FAN_OUT, {"grad:x": "42"})
    assert "Gradients from two paths add" in result.step("grad:x").message


def test_expected_is_kept_out_of_the_students_view():
    result = grade(WORK_THIS, {**WORK_THIS_KEY, "grad:x": "3"})
    hidden = result.to_dict()
    shown = result.to_dict(reveal=True)
    assert all("expected" not in step for step in hidden["steps"])
    step = next(s for s in shown["steps"] if s["id"] == "grad:x")
    assert step["expected"] == "42"


def test_interpreted_shows_how_the_cell_was_read():
    result = grade(WORK_THIS, {**WORK_THIS_KEY, "local:z/v": "2v"})
    assert result.step("local:z/v").interpreted


def test_randomized_spec_uses_the_seed():
    spec = {
        **WORK_THIS,
        "randomize": {
            "x": {"int": [1, 5]},
            "y": {"int": [1, 5]},
            "b": {"int": [-3, 3]},
        },
    }
    from engine.specs import instantiate
    from engine.trace import trace

    concrete = instantiate(spec, 7)
    key = trace(concrete).values
    given = {s: repr(float(v)) for s, v in key.items()}
    assert grade(spec, given, seed=7).score == 1.0
    assert grade(spec, given, seed=7) == grade(spec, given, seed=7)
