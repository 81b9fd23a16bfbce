"""Vanishing and exploding gradients: the lesson's "advanced reader" part.

A chain of ``depth`` layers h_1, ..., h_n of ``width`` units each:

- plain:    h_{l+1} = f(W_l h_l)
- residual: h_{l+1} = h_l + f(W_l h_l)

with f any activation of ``engine.functions`` (sigmoid, tanh, relu, identity, ...). ``W_l`` has independent normal
entries of standard deviation ``weight_scale / sqrt(width)`` and h_1 is
standard normal, all drawn from ``seed`` in a fixed order (h_1, W_1, W_2, ...),
so a deeper chain extends a shallower one with the same seed. The loss is
L = sum(h_n) / sqrt(width), so dL/dh_n is a unit vector (the gradient of a
one-layer chain has size 1 at every width), and

    dL/dh_1 = dL/dh_n * prod_l dh_{l+1}/dh_l

is a product of ``depth - 1`` local Jacobians: each ``diag(f'(W_l h_l)) W_l``,
or ``I + diag(f'(W_l h_l)) W_l`` with the residual's identity path.
"""

import numpy as np

from engine.functions import ACTIVATIONS, listing
from engine.rules import ARRAY, RULES

CHAIN_ACTIVATIONS = ACTIVATIONS


def layer1_gradient(
    depth: int,
    activation: str = "sigmoid",
    weight_scale: float = 1.0,
    residual: bool = False,
    seed: int = 0,
    width: int = 1,
) -> float:
    """The size (Euclidean norm) of dL/dh_1 for a chain of ``depth`` layers.

    Examples
    ========

    >>> layer1_gradient(1)
    1.0
    >>> layer1_gradient(20, "sigmoid") < 1e-9
    True
    >>> layer1_gradient(20, "sigmoid", residual=True) > 1
    True
    """
    return gradient_by_depth([depth], activation, weight_scale, residual, seed, width)[
        0
    ]


def gradient_by_depth(
    depths,
    activation: str = "sigmoid",
    weight_scale: float = 1.0,
    residual: bool = False,
    seed: int = 0,
    width: int = 1,
) -> list[float]:
    """``layer1_gradient`` for each depth in ``depths`` (one chain, for a plot).

    Examples
    ========

    >>> sizes = gradient_by_depth([2, 4, 8], "sigmoid")
    >>> sizes[0] > sizes[1] > sizes[2]
    True
    """
    if activation not in CHAIN_ACTIVATIONS:
        raise ValueError(
            f"unknown activation {activation!r}; use {listing(CHAIN_ACTIVATIONS)}"
        )
    depths = list(depths)
    if any(d < 1 for d in depths):
        raise ValueError("depth counts layers and must be at least 1")
    deepest = max(depths)
    rng = np.random.default_rng(seed)
    h = rng.standard_normal(width)
    weights = [
        rng.standard_normal((width, width)) * weight_scale / np.sqrt(width)
        for _ in range(deepest - 1)
    ]
    jacobians = []
    for w in weights:
        h, jacobian = _layer(h, w, activation, residual)
        jacobians.append(jacobian)
    return [float(np.linalg.norm(_backward(jacobians[: d - 1], width))) for d in depths]


def _layer(h, w, activation: str, residual: bool):
    """The next layer's value and its Jacobian d h_next / d h."""
    rule = RULES[activation]
    pre = w @ h
    out = rule.forward(ARRAY, pre)
    jacobian = rule.partials[0](ARRAY, out, pre) * np.ones_like(pre)
    jacobian = jacobian[:, None] * w
    if residual:
        return h + out, np.eye(len(h)) + jacobian
    return out, jacobian


def _backward(jacobians, width: int):
    """dL/dh_1: the unit upstream gradient times each Jacobian, last layer first."""
    grad = np.ones(width) / np.sqrt(width)
    for jacobian in reversed(jacobians):
        grad = grad @ jacobian
    return grad
