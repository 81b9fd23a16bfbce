import itertools

import pytest

from engine.depth import gradient_by_depth, layer1_gradient
from engine.scalar import Value


def test_one_layer_passes_the_gradient_unchanged():
    for width in (1, 4):
        assert layer1_gradient(1, width=width) == pytest.approx(1.0)


def test_sigmoid_gradient_vanishes_with_depth():
    sizes = gradient_by_depth(range(1, 21), "sigmoid", weight_scale=1.0)
    assert all(a > b for a, b in itertools.pairwise(sizes))
    assert sizes[-1] < 1e-9


def test_residual_connections_keep_the_gradient_alive():
    plain = layer1_gradient(30, "sigmoid", residual=False, seed=3)
    residual = layer1_gradient(30, "sigmoid", residual=True, seed=3)
    assert plain < 1e-10
    assert residual > 0.1


def test_large_weights_explode():
    assert layer1_gradient(30, "relu", weight_scale=3.0, residual=True, width=8) > 1e6


def test_deterministic_by_seed():
    assert layer1_gradient(10, "tanh", seed=5) == layer1_gradient(10, "tanh", seed=5)
    assert layer1_gradient(10, "tanh", seed=5) != layer1_gradient(10, "tanh", seed=6)


def test_deeper_chain_extends_the_shallower_one():
    assert gradient_by_depth([3, 7], "tanh", seed=2) == [
        layer1_gradient(3, "tanh", seed=2),
        layer1_gradient(7, "tanh", seed=2),
    ]


def test_width_one_chain_agrees_with_value_backprop():
    import numpy as np

    rng = np.random.default_rng(4)
    h1 = Value(float(rng.standard_normal(1)[0]))
    weights = [float(rng.standard_normal((1, 1))[0, 0]) for _ in range(5)]
    h = h1
    for w in weights:
        h = h + (h * w).tanh()
    h.backward()
    assert abs(h1.grad) == pytest.approx(
        layer1_gradient(6, "tanh", residual=True, seed=4)
    )


def test_unknown_activation():
    with pytest.raises(ValueError, match="unknown activation 'softmax'"):
        layer1_gradient(3, "softmax")
