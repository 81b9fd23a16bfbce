import numpy as np
import pytest

from engine.gradcheck import check_grads
from engine.network import spec_errors
from engine.trace import trace
from tests.grader.problems import PYTORCH as LESSON


def transposed(spec):
    """The same network in the column convention (W @ a)."""
    t = lambda m: np.array(m, dtype=float).T.tolist()
    layers = [dict(layer, W=t(layer["W"])) for layer in spec["layers"]]
    return dict(
        spec,
        x=t(spec["x"]),
        target=t(spec["target"]),
        layers=layers,
        convention="column",
    )


def test_lesson_pytorch_forward():
    v = trace(LESSON).values
    np.testing.assert_allclose(v["forward:a1"], [[0.9, 1.1]])
    np.testing.assert_allclose(v["forward:a2"], [[0.75]])
    assert v["forward:loss"] == pytest.approx(0.0625)


def test_lesson_pytorch_gradients():
    v = trace(LESSON).values
    np.testing.assert_allclose(v["grad:W1"], [[-0.05, -0.3], [-0.1, -0.6]])
    np.testing.assert_allclose(v["grad:W2"], [[-0.45], [-0.55]])
    np.testing.assert_allclose(v["grad:x"], [[-0.115, -0.13]])


def test_step_ids():
    t = trace(LESSON)
    assert t.steps() == [
        "forward:z1",
        "forward:a1",
        "forward:z2",
        "forward:a2",
        "forward:loss",
        "grad:a2",
        "grad:z2",
        "grad:a1",
        "grad:z1",
        "grad:W2",
        "grad:W1",
        "grad:x",
    ]
    assert set(t.values) == set(t.steps())
    assert [n.op for n in t.nodes] == [
        "input",
        "param",
        "param",
        "linear",
        "relu",
        "linear",
        "identity",
        "loss",
    ]


def test_column_convention_is_the_transpose():
    row, column = trace(LESSON).values, trace(transposed(LESSON)).values
    for step in row:
        if step == "forward:loss":
            assert column[step] == pytest.approx(row[step])
        else:
            np.testing.assert_allclose(column[step], np.transpose(row[step]))


def test_column_convention_delta_formula():
    # delta1 = W2^T delta2 * relu'(z1), dL/dW2 = delta2 a1^T (the lesson's formulas)
    t = trace(transposed(LESSON))
    v, n = t.values, t.node_values
    delta1 = (n["W2"].T @ v["grad:z2"]) * (n["z1"] > 0)
    np.testing.assert_allclose(v["grad:z1"], delta1)
    np.testing.assert_allclose(v["grad:W2"], v["grad:z2"] @ n["a1"].T)


@pytest.mark.parametrize("convention", ["row", "column"])
@pytest.mark.parametrize("bias", [[0.1, -0.2], "matrix"])
def test_bias_gradient_has_the_bias_shape(convention, bias):
    spec = LESSON if convention == "row" else transposed(LESSON)
    spec = dict(
        spec,
        x=np.vstack([spec["x"]] * 3).tolist()
        if convention == "row"
        else np.hstack([spec["x"]] * 3).tolist(),
    )
    spec["target"] = [[1.0]] * 3 if convention == "row" else [[1.0] * 3]
    if bias == "matrix":
        bias = [[0.1, -0.2]] if convention == "row" else [[0.1], [-0.2]]
    spec["layers"] = [dict(spec["layers"][0], b=bias), spec["layers"][1]]
    v = trace(spec).values
    # A 1-D bias is the row (or column) it is added as; so is its gradient.
    added_as = (1, 2) if convention == "row" else (2, 1)
    assert np.shape(v["grad:b1"]) == added_as
    summed = v["grad:z1"].sum(axis=0 if convention == "row" else 1)
    np.testing.assert_allclose(np.ravel(v["grad:b1"]), summed)


def test_mse_is_the_mean():
    spec = dict(LESSON, x=[[1.0, 2.0], [0.5, -1.0]], target=[[1.0], [0.0]])
    total = trace(dict(spec, loss="squared_error")).values
    mean = trace(dict(spec, loss="mse")).values
    assert mean["forward:loss"] == pytest.approx(total["forward:loss"] / 2)
    np.testing.assert_allclose(mean["grad:W1"], total["grad:W1"] / 2)


def test_bce_gradient_through_sigmoid_is_prediction_minus_target():
    layers = [LESSON["layers"][0], {"W": [[0.1], [0.6]], "activation": "sigmoid"}]
    t = trace(dict(LESSON, layers=layers, loss="bce", target=[[1.0]]))
    a2 = t.node_values["a2"]
    assert t.values["forward:loss"] == pytest.approx(-np.log(a2[0, 0]))
    np.testing.assert_allclose(t.values["grad:z2"], a2 - 1.0)


def test_identity_output_still_has_a_node():
    t = trace(LESSON)
    assert "a2" in t.node_values
    np.testing.assert_allclose(t.values["grad:a2"], t.values["grad:z2"])


def test_recompute_without_overrides_equals_values():
    t = trace(LESSON)
    again = t.recompute({})
    for step, value in t.values.items():
        np.testing.assert_allclose(again[step], value)


def test_recompute_follows_through_a_wrong_hidden_layer():
    t = trace(LESSON)
    again = t.recompute({"forward:a1": [[1.0, 1.0]]})
    np.testing.assert_allclose(again["forward:a1"], [[0.9, 1.1]])
    np.testing.assert_allclose(again["forward:z2"], [[0.7]])
    np.testing.assert_allclose(again["grad:W2"], [[-0.6], [-0.6]])


def test_recompute_follows_through_a_wrong_upstream_gradient():
    t = trace(LESSON)
    again = t.recompute({"grad:z2": [[-1.0]]})
    np.testing.assert_allclose(again["grad:z2"], [[-0.5]])
    np.testing.assert_allclose(again["grad:W2"], [[-0.9], [-1.1]])


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"convention": "diagonal"}, "convention", "unknown convention"),
        ({"loss": "hinge"}, "loss", "unknown loss 'hinge'"),
        ({"x": [[1.0, 2.0, 3.0]]}, "layers[0].W", "must have 3 rows"),
        (
            {"target": [[1.0, 2.0]]},
            "target",
            "target is 1 x 2 but the output a2 is 1 x 1",
        ),
        ({"x": [[1.0], [2, 3]]}, "x", "must be a matrix"),
        ({"layers": []}, "layers", "non-empty"),
        ({"loss": "bce"}, "loss", "bce needs a sigmoid output layer"),
    ],
)
def test_spec_errors(change, field, message):
    errors = spec_errors(dict(LESSON, **change))
    assert any(f == field and message in m for f, m in errors), errors


def test_spec_errors_layer_fields():
    layers = [
        dict(LESSON["layers"][0], activation="rleu", b=[1.0, 2.0, 3.0]),
        {"W": [[0.1, 0.2]]},
    ]
    errors = dict(spec_errors(dict(LESSON, layers=layers)))
    assert "unknown activation 'rleu'" in errors["layers[0].activation"]
    assert "layers[0].b is 3" in errors["layers[0].b"]
    assert "layers[1].W has 1 row" in errors["layers[1].W"]


def test_lesson_spec_has_no_errors():
    assert spec_errors(LESSON) == []
    assert spec_errors(transposed(LESSON)) == []


def test_recompute_ignores_overrides_of_the_wrong_shape():
    t = trace(LESSON)
    again = t.recompute({"forward:a1": [[1.0, 1.0, 1.0]], "grad:z2": [[1.0], [2]]})
    for step, value in t.values.items():
        np.testing.assert_allclose(again[step], value)


# -- classification: a softmax output with a cross-entropy loss -----------------

CLASSIFIER = {
    "kind": "network_trace",
    "x": [[1.0, 2.0], [0.5, -1.0]],
    "layers": [
        {"W": [[0.5, 0.3], [0.2, 0.4]], "b": [[0.1, -0.1]], "activation": "tanh"},
        {"W": [[0.1, -0.2, 0.3], [0.6, 0.0, -0.4]], "activation": "softmax"},
    ],
    "target": [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]],
    "loss": "cross_entropy",
}


CLASSIFIER_COLUMN = transposed(CLASSIFIER)
CLASSIFIER_COLUMN["layers"][0]["b"] = [[0.1], [-0.1]]


@pytest.mark.parametrize("spec", [CLASSIFIER, CLASSIFIER_COLUMN])
def test_softmax_cross_entropy_gradient_is_prediction_minus_target(spec):
    t = trace(spec)
    a2, target = t.node_values["a2"], np.array(spec["target"])
    axis = 1 if spec.get("convention", "row") == "row" else 0
    np.testing.assert_allclose(a2.sum(axis=axis), 1.0)
    picked = np.sum(target * np.log(a2), axis=axis)
    assert t.values["forward:loss"] == pytest.approx(-picked.mean())
    np.testing.assert_allclose(t.values["grad:z2"], (a2 - target) / 2)
    check_grads(spec)


def test_softmax_is_shift_invariant_and_never_overflows():
    big = dict(CLASSIFIER, x=[[1000.0, 2000.0], [0.5, -1.0]])
    t = trace(big)
    assert np.isfinite(t.values["grad:W2"]).all()


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"loss": "mse"}, None, None),  # softmax with another loss is allowed
        (
            {"target": [[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]]},
            "target",
            "each row (one example) non-negative and summing to 1",
        ),
        (
            {
                "layers": [dict(CLASSIFIER["layers"][0], activation="softmax")]
                + CLASSIFIER["layers"][1:]
            },
            "layers[0].activation",
            "softmax is only for the output layer",
        ),
        (
            {
                "layers": CLASSIFIER["layers"][:1]
                + [dict(CLASSIFIER["layers"][1], activation="sigmoid")]
            },
            "loss",
            "cross_entropy needs a softmax output layer",
        ),
    ],
)
def test_classifier_spec_errors(change, field, message):
    errors = spec_errors(dict(CLASSIFIER, **change))
    if field is None:
        assert errors == []
    else:
        assert any(f == field and message in m for f, m in errors), errors
