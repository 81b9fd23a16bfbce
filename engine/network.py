"""Dense networks in numpy float64: graph, forward pass and backward pass.

A ``network_trace`` spec becomes the nodes ``x`` (input), ``W1, b1, W2, ...``
(parameters), then ``z1, a1, z2, a2, ..., loss``:

- ``z_l = a_{l-1} @ W_l + b_l`` (convention ``row``, as in PyTorch) or
  ``z_l = W_l @ a_{l-1} + b_l`` (convention ``column``, as in the delta formula),
  with ``a_0 = x``; a 1-D ``b`` is broadcast over the examples.
- ``a_l = f(z_l)`` for ``f`` any activation of ``engine.functions`` (identity,
  relu, sigmoid, tanh, softplus, leaky_relu, elu, gelu; ``a_l`` exists even for
  identity), applied elementwise; the output layer may also be ``softmax`` (over
  each example's features).
- ``loss`` (the table ``LOSSES``): ``squared_error`` = sum((a_L - target)**2),
  ``mse`` = its mean, ``bce`` = mean binary cross-entropy (as torch's BCELoss;
  needs a sigmoid output), ``cross_entropy`` = mean over the examples of
  -sum(target * log(a_L)) (torch's CrossEntropyLoss on z_L with probability
  targets; needs a softmax output, and each example's targets sum to 1).

Gradients are vector-Jacobian products, one small function per kind of node.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine import functions
from engine.graph import LEAF_OPS, Node, forward_id, grad_id
from engine.rules import ARRAY, RULES

ACTIVATIONS = functions.ACTIVATIONS  # elementwise, any layer
OUTPUT_ACTIVATIONS = ("softmax",)  # across an example's features, last layer only
CONVENTIONS = ("row", "column")
DEFAULT_LOSS = "squared_error"  # a spec without ``loss``


@dataclass(frozen=True)
class Loss:
    """A loss of the prediction ``a`` against ``target`` and its gradient d loss / d a.

    Both are called as ``f(a, target, examples)``; ``output`` names the output
    activation the loss needs, ``targets`` checks the target (an error or None).
    """

    value: Callable
    gradient: Callable
    derivative: str  # d loss / d a in words, ``{a}`` the prediction (worked solutions)
    output: str | None = None
    targets: Callable = lambda target, convention: None


def _probability_targets(target, convention: str) -> str | None:
    if ((target < 0) | (target > 1)).any():
        return "bce needs every target between 0 and 1"
    return None


def _distribution_targets(target, convention: str) -> str | None:
    sums = target.sum(axis=_feature_axis(convention))
    if (target < 0).any() or not np.allclose(sums, 1.0, rtol=0, atol=1e-9):
        example = "row" if convention == "row" else "column"
        return (
            "cross_entropy needs targets that are probabilities: each "
            f"{example} (one example) non-negative and summing to 1, e.g. one-hot"
        )
    return None


def _ce_gradient(a, target, examples):
    # -target / a, with 0 where the target is 0 (even if a underflowed to 0)
    safe = np.where(target == 0, 1.0, a)
    return np.where(target == 0, 0.0, -target / safe) / examples


LOSSES: dict[str, Loss] = {
    "squared_error": Loss(
        lambda a, t, n: np.sum((a - t) ** 2),
        lambda a, t, n: 2 * (a - t),
        "2({a} - target)",
    ),
    "mse": Loss(
        lambda a, t, n: np.mean((a - t) ** 2),
        lambda a, t, n: 2 * (a - t) / a.size,
        "2({a} - target) / (number of entries)",
    ),
    "bce": Loss(
        lambda a, t, n: -np.mean(t * np.log(a) + (1 - t) * np.log(1 - a)),
        lambda a, t, n: (a - t) / (a * (1 - a)) / a.size,
        "({a} - target) / ({a} ⊙ (1 - {a})) / (number of entries)",
        output="sigmoid",
        targets=_probability_targets,
    ),
    "cross_entropy": Loss(
        lambda a, t, n: -np.sum(np.where(t == 0, 0.0, t * np.log(a))) / n,
        _ce_gradient,
        "-target / {a} / (number of examples)",
        output="softmax",
        targets=_distribution_targets,
    ),
}


def _feature_axis(convention: str) -> int:
    # Features run along axis 1 in the row convention and axis 0 in the column one.
    return 1 if convention == "row" else 0


def softmax(z, axis: int):
    """exp(z) / sum(exp(z)) over ``axis``, shifted by the maximum so exp never overflows.

    Examples
    ========

    >>> softmax(np.array([[0.0, np.log(3.0)]]), axis=1).round(6).tolist()
    [[0.25, 0.75]]
    """
    shifted = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return shifted / np.sum(shifted, axis=axis, keepdims=True)


def softmax_vjp(g, a, axis: int):
    """dL/dz from dL/da = ``g`` for a = softmax(z): a * (g - sum(g * a)).

    Examples
    ========

    >>> softmax_vjp(np.array([[1.0, 1.0]]), np.array([[0.25, 0.75]]), 1).tolist()
    [[0.0, 0.0]]
    """
    return a * (g - np.sum(g * a, axis=axis, keepdims=True))


def network_nodes(spec: Mapping[str, Any]) -> tuple[tuple[Node, ...], dict]:
    """The graph of a network spec and its leaf values (``x``, ``W1``, ``b1``, ...).

    Examples
    ========

    >>> spec = {"x": [[1.0]], "layers": [{"W": [[2.0]]}], "target": [[0.0]]}
    >>> nodes, leaves = network_nodes(spec)
    >>> [n.name for n in nodes]
    ['x', 'W1', 'z1', 'a1', 'loss']
    """
    convention = spec.get("convention", "row")
    leaves = {"x": _array(spec["x"])}
    leaf_nodes = [Node("x", "input", (), "x (input)")]
    computed = []
    previous = "x"
    for number, layer in enumerate(spec["layers"], start=1):
        w, b, z, a = f"W{number}", f"b{number}", f"z{number}", f"a{number}"
        leaves[w] = _array(layer["W"])
        leaf_nodes.append(Node(w, "param", (), f"{w} (weights of layer {number})"))
        operands = (previous, w)
        if layer.get("b") is not None:
            leaves[b] = _bias(layer["b"], convention)
            leaf_nodes.append(Node(b, "param", (), f"{b} (bias of layer {number})"))
            operands += (b,)
        product = f"{previous} @ {w}" if convention == "row" else f"{w} @ {previous}"
        bias = f" + {b}" if len(operands) == 3 else ""
        computed.append(Node(z, "linear", operands, f"{z} = {product}{bias}", operands))
        activation = layer.get("activation", "identity")
        computed.append(Node(a, activation, (z,), f"{a} = {activation}({z})", (z,)))
        previous = a
    loss = spec.get("loss", DEFAULT_LOSS)
    target = tuple(tuple(float(v) for v in row) for row in spec["target"])
    computed.append(
        Node(
            "loss",
            "loss",
            (previous,),
            f"loss = {loss}({previous}, target)",
            (previous, target),
        )
    )
    return tuple(leaf_nodes + computed), leaves


def evaluate(
    nodes: tuple[Node, ...],
    leaves: Mapping[str, np.ndarray],
    convention: str,
    loss: str,
    overrides: Mapping[str, Any] = {},
) -> dict[str, Any]:
    """Every forward and grad step value, each from its own dependencies.

    A dependency's value is taken from ``overrides`` (``forward:n`` / ``grad:n``)
    when present, else from this computation; a step never uses its own override.
    ``forward:x`` / ``forward:W1`` overrides replace leaf values (used by gradcheck).
    An override of the wrong shape (or not a matrix) cannot be carried forward
    and is ignored.
    """
    forward: dict[str, Any] = {}

    def value(name):
        return _override(overrides, forward_id(name), forward[name])

    for node in nodes:
        if node.op in LEAF_OPS:
            forward[node.name] = leaves[node.name]
        else:
            forward[node.name] = _forward(node, value, convention, loss)
    output = nodes[-1].name
    grads: dict[str, Any] = {output: 1.0}

    def upstream(name):
        if name == output:
            return grads[name]
        return _override(overrides, grad_id(name), grads[name])

    for node in reversed(nodes):
        if node.op in LEAF_OPS:
            continue
        g = upstream(node.name)
        for parent, contribution in _vjp(node, g, value, convention, loss):
            grads[parent] = grads.get(parent, 0.0) + contribution
    steps = {forward_id(n.name): forward[n.name] for n in nodes if n.op not in LEAF_OPS}
    steps.update({grad_id(n.name): grads[n.name] for n in nodes[:-1]})
    return steps


def _override(overrides: Mapping[str, Any], step: str, computed):
    """The override of ``step`` if it has ``computed``'s shape, else ``computed``."""
    if step not in overrides:
        return computed
    try:
        override = _array(overrides[step])
    except (TypeError, ValueError):
        return computed
    if override.shape != np.shape(computed):
        return computed
    return override if override.ndim else float(override)


def _forward(node: Node, value, convention: str, loss: str):
    if node.op == "linear":
        return linear(*[value(name) for name in node.args], convention=convention)
    if node.op == "loss":
        a, target = value(node.args[0]), np.array(node.args[1])
        return loss_value(loss, a, target, convention)
    if node.op == "softmax":
        return softmax(value(node.args[0]), _feature_axis(convention))
    return RULES[node.op].forward(ARRAY, value(node.args[0]))


def _vjp(node: Node, g, value, convention: str, loss: str):
    """(parent, gradient contribution) pairs for upstream gradient ``g``."""
    if node.op == "linear":
        return zip(
            node.args,
            linear_vjp(g, *[value(n) for n in node.args], convention=convention),
        )
    if node.op == "loss":
        a, target = value(node.args[0]), np.array(node.args[1])
        return [(node.args[0], g * loss_gradient(loss, a, target, convention))]
    if node.op == "softmax":
        z = value(node.args[0])
        axis = _feature_axis(convention)
        return [(node.args[0], softmax_vjp(g, softmax(z, axis), axis))]
    rule, z = RULES[node.op], value(node.args[0])
    return [(node.args[0], g * rule.partials[0](ARRAY, rule.forward(ARRAY, z), z))]


def linear(a, w, b=None, *, convention: str = "row"):
    """``a @ W + b`` (row) or ``W @ a + b`` (column).

    Examples
    ========

    >>> linear(np.array([[1.0, 2.0]]), np.array([[0.5], [0.25]])).tolist()
    [[1.0]]
    >>> linear(np.array([[1.0], [2.0]]), np.array([[0.5, 0.25]]), np.array([1.0]),
    ...        convention="column").tolist()
    [[2.0]]
    """
    z = a @ w if convention == "row" else w @ a
    if b is not None:
        z = z + _bias_view(b, convention)
    return z


def linear_vjp(g, a, w, b=None, *, convention: str = "row") -> tuple:
    """Gradients of ``linear`` for ``a``, ``W`` (and ``b``), given dL/dz = ``g``.

    Examples
    ========

    >>> ga, gw = linear_vjp(np.array([[1.0]]), np.array([[1.0, 2.0]]),
    ...                     np.array([[0.5], [0.25]]))
    >>> ga.tolist(), gw.tolist()
    ([[0.5, 0.25]], [[1.0], [2.0]])
    """
    if convention == "row":
        grads = (g @ w.T, a.T @ g)
        bias_axis = 0
    else:
        grads = (w.T @ g, g @ a.T)
        bias_axis = 1
    if b is None:
        return grads
    return grads + (g.sum(axis=bias_axis).reshape(b.shape),)


def _bias_view(b, convention: str):
    # A 1-D bias is a row in the row convention and a column in the column one.
    return b.reshape(-1, 1) if convention == "column" and b.ndim == 1 else b


def loss_value(loss: str, a, target, convention: str = "row") -> float:
    """The loss of prediction ``a`` against ``target``.

    Examples
    ========

    >>> loss_value("squared_error", np.array([[0.75]]), np.array([[1.0]]))
    0.0625
    >>> round(loss_value("cross_entropy", np.array([[0.25, 0.75]]),
    ...                  np.array([[0.0, 1.0]])), 6)
    0.287682
    """
    with np.errstate(all="ignore"):
        return float(_loss(loss).value(a, target, _examples(a, convention)))


def loss_gradient(loss: str, a, target, convention: str = "row"):
    """d loss / d a.

    Examples
    ========

    >>> loss_gradient("squared_error", np.array([[0.75]]), np.array([[1.0]])).tolist()
    [[-0.5]]
    """
    with np.errstate(all="ignore"):
        return _loss(loss).gradient(a, target, _examples(a, convention))


def _loss(loss: str) -> Loss:
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; use {functions.listing(LOSSES)}")
    return LOSSES[loss]


def _examples(a, convention: str) -> int:
    return a.shape[1 - _feature_axis(convention)] if np.ndim(a) == 2 else 1


def _array(value) -> np.ndarray:
    return np.array(value, dtype=np.float64)


def _bias(value, convention: str) -> np.ndarray:
    """A bias as the matrix it is added as: a 1-D ``[0.1, -0.2]`` is a row (1 x n)
    in the row convention and a column (n x 1) in the column one, so its
    gradient has that shape too."""
    b = _array(value)
    if b.ndim == 1:
        return b.reshape(1, -1) if convention == "row" else b.reshape(-1, 1)
    return b


def spec_errors(spec: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(field, message) for every problem with a network spec's names and shapes.

    Examples
    ========

    >>> spec_errors({"x": [[1.0, 2.0]], "layers": [{"W": [[1.0]]}], "target": [[0]]})
    [('layers[0].W', 'layers[0].W has 1 row but x gives 2 features: W must have 2 rows for a @ W')]
    """
    errors: list[tuple[str, str]] = []
    convention = spec.get("convention", "row")
    if convention not in CONVENTIONS:
        errors.append(
            (
                "convention",
                (
                    f"unknown convention {convention!r}; use row "
                    "(a @ W) or column (W @ a)"
                ),
            )
        )
        return errors
    loss = spec.get("loss", DEFAULT_LOSS)
    if loss not in LOSSES:
        errors.append(
            ("loss", f"unknown loss {loss!r}; use {functions.listing(LOSSES)}")
        )
    x = _matrix(spec.get("x"), "x", errors)
    layers = spec.get("layers")
    if not isinstance(layers, list) or not layers:
        errors.append(
            ("layers", "layers must be a non-empty list of {W, b, activation}")
        )
        return errors
    feature_axis = _feature_axis(convention)
    width, source = (None, "x") if x is None else (x.shape[feature_axis], "x")
    for i, layer in enumerate(layers):
        width = _layer_errors(i, layer, width, source, convention, errors)
        source = f"layer {i + 1}"
    target = _matrix(spec.get("target"), "target", errors)
    if x is not None and target is not None and width is not None:
        examples = x.shape[1 - feature_axis]
        expected = (examples, width) if convention == "row" else (width, examples)
        if target.shape != expected:
            errors.append(
                (
                    "target",
                    (
                        f"target is {_shape(target.shape)} but the output "
                        f"a{len(layers)} is {_shape(expected)}"
                    ),
                )
            )
    errors += _output_errors(layers, loss, target, convention)
    return errors


def _output_errors(layers, loss: str, target, convention: str) -> list:
    """What the loss needs of the output layer and the target; softmax only last."""
    errors = []
    last = len(layers) - 1
    for i, layer in enumerate(layers[:-1]):
        if isinstance(layer, dict) and layer.get("activation") in OUTPUT_ACTIVATIONS:
            errors.append(
                (
                    f"layers[{i}].activation",
                    f"{layer['activation']} is only for the output layer "
                    f"(layers[{last}])",
                )
            )
    rule = LOSSES.get(loss)
    if rule is None:
        return errors
    output = (
        layers[-1].get("activation", "identity")
        if isinstance(layers[-1], dict)
        else None
    )
    if rule.output is not None and output != rule.output:
        errors.append(
            (
                "loss",
                f"{loss} needs a {rule.output} output layer: set "
                f"layers[{last}].activation to {rule.output}",
            )
        )
    if target is not None:
        problem = rule.targets(target, convention)
        if problem:
            errors.append(("target", problem))
    return errors


def _layer_errors(i, layer, width, source, convention, errors):
    """Check one layer; return the width it outputs (None when unknown)."""
    field = f"layers[{i}]"
    if not isinstance(layer, dict):
        errors.append((field, f"{field} must be a mapping with W, b and activation"))
        return None
    activation = layer.get("activation", "identity")
    if activation not in ACTIVATIONS + OUTPUT_ACTIVATIONS:
        errors.append(
            (
                f"{field}.activation",
                (
                    f"unknown activation {activation!r}; use "
                    f"{functions.listing(ACTIVATIONS + OUTPUT_ACTIVATIONS)}"
                ),
            )
        )
    w = _matrix(layer.get("W"), f"{field}.W", errors)
    if w is None:
        return None
    inputs, outputs = w.shape if convention == "row" else w.shape[::-1]
    if width is not None and inputs != width:
        if convention == "row":
            errors.append(
                (
                    f"{field}.W",
                    (
                        f"{field}.W has {_count(inputs, 'row')} but "
                        f"{source} gives {width} features: W must have {width} rows "
                        "for a @ W"
                    ),
                )
            )
        else:
            errors.append(
                (
                    f"{field}.W",
                    (
                        f"{field}.W has {_count(inputs, 'column')} but "
                        f"{source} gives {width} features: W must have {width} "
                        "columns for W @ a"
                    ),
                )
            )
    if layer.get("b") is not None:
        b = np.array(layer["b"], dtype=object)
        allowed = [(outputs,), (1, outputs) if convention == "row" else (outputs, 1)]
        if b.shape not in allowed:
            errors.append(
                (
                    f"{field}.b",
                    (
                        f"{field}.b is {_shape(b.shape)} but the layer "
                        f"has {outputs} outputs: use {_shape(allowed[0])} or "
                        f"{_shape(allowed[1])}"
                    ),
                )
            )
        elif not _all_numbers(b):
            errors.append((f"{field}.b", f"{field}.b must hold numbers only"))
    return outputs


def _matrix(value, field, errors):
    """``value`` as a 2-D float array, or None after recording why it is not one."""
    try:
        array = np.array(value, dtype=object)
    except ValueError:
        array = None
    if array is None or array.ndim != 2 or 0 in array.shape:
        errors.append(
            (
                field,
                (
                    f"{field} must be a matrix: a list of equal-length rows, "
                    "e.g. [[1.0, 2.0]]"
                ),
            )
        )
        return None
    if not _all_numbers(array):
        errors.append((field, f"{field} must hold numbers only"))
        return None
    return array.astype(np.float64)


def _all_numbers(array) -> bool:
    return all(
        isinstance(v, int | float) and not isinstance(v, bool) and np.isfinite(v)
        for v in array.flat
    )


def _shape(shape) -> str:
    return " x ".join(str(n) for n in shape)


def _count(n, noun):
    return f"{n} {noun}" + ("" if n == 1 else "s")
