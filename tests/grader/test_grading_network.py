"""Grading network traces: the lesson's PyTorch example and a three-layer network."""

import numpy as np
import pytest

from grader.grading import grade
from tests.grader.problems import PYTORCH, PYTORCH_KEY, THREE_LAYER


def matrix(value) -> str:
    array = np.atleast_2d(np.asarray(value, dtype=float))
    return (
        "["
        + ", ".join("[" + ", ".join(repr(float(v)) for v in row) + "]" for row in array)
        + "]"
    )


def key_answers(spec) -> dict[str, str]:
    from engine.trace import trace

    return {
        s: matrix(v)
        for s, v in trace(spec).values.items()
        if not s.startswith("local:")
    }


def test_the_lessons_numbers_score_full_marks():
    result = grade(PYTORCH, PYTORCH_KEY)
    assert result.outcome == "graded"
    assert {s.status for s in result.steps} == {"correct"}, result.to_dict()
    assert result.score == 1.0


def test_default_ask_is_forward_and_grad():
    result = grade(PYTORCH, PYTORCH_KEY)
    ids = [s.id for s in result.steps]
    assert "forward:z1" in ids and "grad:W1" in ids and "grad:x" in ids
    assert not any(i.startswith("local:") for i in ids)


def test_a_scalar_loss_may_be_typed_as_a_one_by_one_matrix():
    result = grade(
        PYTORCH, {**PYTORCH_KEY, "forward:loss": "[[0.0625]]", "grad:a2": "-0.5"}
    )
    assert result.step("forward:loss").status == "correct"
    assert result.step("grad:a2").status == "correct"


def test_three_layer_key_scores_full_marks():
    result = grade(THREE_LAYER, key_answers(THREE_LAYER))
    assert result.score == 1.0, result.to_dict(reveal=True)


def test_wrong_shape_is_incorrect_not_a_crash():
    result = grade(PYTORCH, {**PYTORCH_KEY, "grad:W1": "[[1, 2, 3]]"})
    assert result.step("grad:W1").status == "incorrect"


def test_follow_through_in_a_network():
    # The loss gradient without its 2 (-0.25), then everything after it halved.
    answers = {
        **PYTORCH_KEY,
        "grad:a2": "[[-0.25]]",
        "grad:z2": "[[-0.25]]",
        "grad:W2": "[[-0.225], [-0.275]]",
        "grad:a1": "[[-0.025, -0.15]]",
        "grad:z1": "[[-0.025, -0.15]]",
        "grad:W1": "[[-0.025, -0.15], [-0.05, -0.3]]",
        "grad:x": "[[-0.0575, -0.065]]",
    }
    result = grade(PYTORCH, answers)
    assert result.step("grad:a2").misconception == "loss_derivative_factor"
    for step in ("grad:z2", "grad:W2", "grad:a1", "grad:z1", "grad:W1", "grad:x"):
        found = result.step(step)
        assert found.status == "carried", (step, found)
        assert found.builds_on == "grad:a2", (step, found)
    assert result.score == pytest.approx(11 / 12)


def test_a_wrong_forward_value_carries_into_the_loss():
    result = grade(
        PYTORCH,
        {
            **PYTORCH_KEY,
            "forward:z2": "[[0.5]]",
            "forward:a2": "[[0.5]]",
            "forward:loss": "0.25",
        },
    )
    assert result.step("forward:z2").status == "incorrect"
    assert result.step("forward:a2").status == "carried"
    loss = result.step("forward:loss")
    assert loss.status == "carried" and loss.builds_on == "forward:z2"


@pytest.mark.parametrize(
    "spec, step, answer, code",
    [
        (PYTORCH, "grad:a2", "[[-0.25]]", "loss_derivative_factor"),
        (PYTORCH, "grad:W2", "[[-0.45, -0.55]]", "transpose"),
        (PYTORCH, "grad:W1", "[[-0.05, -0.1], [-0.3, -0.6]]", "transpose"),
        (PYTORCH, "grad:x", "[[-0.085, -0.135]]", "transpose"),  # W1 for W1ᵀ
        (PYTORCH, "grad:W2", "[[0.9], [1.1]]", "upstream_dropped"),
        (
            PYTORCH,
            "grad:W1",
            "[[0.5, 0.3], [0.2, 0.4]]",
            "forward_value_for_derivative",
        ),
        (PYTORCH, "grad:a1", "[[0.9, 1.1]]", "forward_value_for_derivative"),
        (PYTORCH, "grad:x", "[[0.115, 0.13]]", "sign_error"),
    ],
)
def test_misconception_bank_lesson_network(spec, step, answer, code):
    result = grade(spec, {**PYTORCH_KEY, step: answer})
    found = result.step(step)
    assert found.status == "incorrect", found
    assert found.misconception == code, found
    assert PYTORCH_KEY[step] not in found.message


def _three_layer_variant(step: str):
    """The three-layer network's key and the values each misconception gives."""
    from engine.trace import trace

    key = trace(THREE_LAYER).values
    g_a1 = np.asarray(key["grad:a1"])
    g_a2 = np.asarray(key["grad:a2"])
    a2 = np.asarray(key["forward:a2"])
    z1 = np.asarray(key["forward:z1"])
    return {
        # ReLU unit 2 is off (z1 < 0), but the gradient went through.
        "relu": ("grad:z1", g_a1, "relu_derivative"),
        # tanh layer: delta without tanh'(z2) ...
        "missing": ("grad:z2", g_a2, "activation_derivative_missing"),
        # ... or with tanh(z2) in place of tanh'(z2).
        "value": ("grad:z2", g_a2 * a2, "activation_value_for_derivative"),
        "z": ("grad:z1", z1, "forward_value_for_derivative"),
    }[step], key


@pytest.mark.parametrize("case", ["relu", "missing", "value", "z"])
def test_misconception_bank_three_layers(case):
    (step, value, code), _key = _three_layer_variant(case)
    answers = key_answers(THREE_LAYER)
    answers[step] = matrix(value)
    found = grade(THREE_LAYER, answers).step(step)
    assert found.status == "incorrect", found
    assert found.misconception == code, found


def test_carried_network_message_quotes_the_students_matrix():
    result = grade(
        PYTORCH, {**PYTORCH_KEY, "grad:z2": "[[-1]]", "grad:W2": "[[-0.9], [-1.1]]"}
    )
    found = result.step("grad:W2")
    assert found.status == "carried"
    assert "[[-1]]" in found.message and "your ∂loss/∂z2" in found.message
