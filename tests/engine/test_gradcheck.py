from dataclasses import replace

import numpy as np
import pytest

from engine.gradcheck import check_grads, numeric_grads
from engine.trace import trace

WORK_THIS = {
    "kind": "scalar_trace",
    "program": "z = (x*y + b)**2",
    "inputs": {"x": 2, "y": 3, "b": 1},
}
LESSON = {
    "kind": "network_trace",
    "x": [[1.0, 2.0]],
    "layers": [
        {"W": [[0.5, 0.3], [0.2, 0.4]], "activation": "relu"},
        {"W": [[0.1], [0.6]]},
    ],
    "target": [[1.0]],
}


def test_numeric_grads_of_work_this():
    numeric = numeric_grads(trace(WORK_THIS))
    assert numeric["grad:x"] == pytest.approx(42.0)
    assert set(numeric) == {"grad:x", "grad:y", "grad:b", "grad:u", "grad:v"}


def test_numeric_grads_of_a_network_are_matrices():
    numeric = numeric_grads(trace(LESSON))
    np.testing.assert_allclose(
        numeric["grad:W1"], [[-0.05, -0.3], [-0.1, -0.6]], atol=1e-8
    )


def test_check_grads_passes_for_specs_and_traces():
    check_grads(WORK_THIS)
    check_grads(trace(LESSON))


def test_check_grads_failure_prints_analytic_and_numeric():
    t = trace(WORK_THIS)
    wrong = replace(t, values={**t.values, "grad:x": 21.0})
    with pytest.raises(
        AssertionError, match=r"grad:x is wrong\nanalytic: 21.0\nnumeric: 4(2|1\.99)"
    ):
        check_grads(wrong)
