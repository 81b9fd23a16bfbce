"""Regenerate ``pytorch.json``: PyTorch's forward values and gradients for the
scalar programs and dense networks that ``tests/engine/test_against_pytorch.py``
checks the engine against.

The suite itself never imports torch (CI has none); it reads the recorded values.
Run this, with a Python that has torch and numpy, after changing a case::

    python3 -m venv /tmp/torch && /tmp/torch/bin/pip install torch==2.13.0 numpy==2.4.6
    /tmp/torch/bin/python tests/engine/golden/pytorch_golden.py

Each scalar case is the program text the engine parses and the same computation
written in torch by hand, so the two sides share nothing but the numbers. Every
named assignment is recorded (``forward:<name>`` and ``grad:<name>``), inputs
with their gradients. Networks are drawn at random (fixed seed) over every
activation, loss, convention and bias shape the ``network_trace`` kind accepts
(a ``cross_entropy`` case has a softmax output and one-hot targets, and its loss
is checked against ``F.cross_entropy`` on the logits). The ``kinks`` case sits
exactly on ties and zeros, where a derivative is a convention.
"""

import json
import random
from pathlib import Path

import torch
import torch.nn.functional as F

OUT = Path(__file__).with_name("pytorch.json")
SEED = 20261202

# name: (program, {input: (low, high)}, torch code returning {name: tensor} in order)
SCALAR = {
    "work_this": (
        "u = x*y\nv = u + b\nz = v**2\n",
        {"x": (-3, 3), "y": (-3, 3), "b": (-2, 2)},
        lambda t: _chain(
            t,
            u=lambda s: s["x"] * s["y"],
            v=lambda s: s["u"] + s["b"],
            z=lambda s: s["v"] ** 2,
        ),
    ),
    "one_line": (
        "z = (x*y + b)**2\n",
        {"x": (-3, 3), "y": (-3, 3), "b": (-2, 2)},
        lambda t: _chain(t, z=lambda s: (s["x"] * s["y"] + s["b"]) ** 2),
    ),
    "fan_out": (
        "u = x*y\nv = x + u\nf = u*v\n",
        {"x": (-3, 3), "y": (-3, 3)},
        lambda t: _chain(
            t,
            u=lambda s: s["x"] * s["y"],
            v=lambda s: s["x"] + s["u"],
            f=lambda s: s["u"] * s["v"],
        ),
    ),
    "neuron": (
        "p = w*x\ns = p + c\na = sigmoid(s)\nd = a - t\nL = d**2\n",
        {"w": (-2, 2), "x": (-2, 2), "c": (-1, 1), "t": (0, 1)},
        lambda t: _chain(
            t,
            p=lambda s: s["w"] * s["x"],
            s=lambda s: s["p"] + s["c"],
            a=lambda s: torch.sigmoid(s["s"]),
            d=lambda s: s["a"] - s["t"],
            L=lambda s: s["d"] ** 2,
        ),
    ),
    "micrograd": (
        "z = 2*x + 2 + x\ny = tanh(z*x) + sigmoid(z) + log(relu(z*z))\n",
        {"x": (-4, -0.5)},
        lambda t: _chain(
            t,
            z=lambda s: 2 * s["x"] + 2 + s["x"],
            y=lambda s: (
                torch.tanh(s["z"] * s["x"])
                + torch.sigmoid(s["z"])
                + torch.log(torch.relu(s["z"] * s["z"]))
            ),
        ),
    ),
    "functions": (
        "h = exp(x)*sin(y)\ng = sqrt(h*h + 1)\nq = log(g)/cos(y)\nr = tan(q/4) - abs(x)\n",
        {"x": (0.1, 1.5), "y": (0.2, 1.2)},
        lambda t: _chain(
            t,
            h=lambda s: torch.exp(s["x"]) * torch.sin(s["y"]),
            g=lambda s: torch.sqrt(s["h"] * s["h"] + 1),
            q=lambda s: torch.log(s["g"]) / torch.cos(s["y"]),
            r=lambda s: torch.tan(s["q"] / 4) - torch.abs(s["x"]),
        ),
    ),
    "vanishing": (
        "a1 = tanh(w1*x)\na2 = tanh(w2*a1)\na3 = sigmoid(w3*a2)\nL = (a3 - 1)**2\n",
        {"x": (-1, 1), "w1": (-3, 3), "w2": (-3, 3), "w3": (-3, 3)},
        lambda t: _chain(
            t,
            a1=lambda s: torch.tanh(s["w1"] * s["x"]),
            a2=lambda s: torch.tanh(s["w2"] * s["a1"]),
            a3=lambda s: torch.sigmoid(s["w3"] * s["a2"]),
            L=lambda s: (s["a3"] - 1) ** 2,
        ),
    ),
    "quotients": (
        "u = x/y\nv = u**3 - 1/y\nz = v*x - y**0.5\n",
        {"x": (-2, 2), "y": (0.5, 3)},
        lambda t: _chain(
            t,
            u=lambda s: s["x"] / s["y"],
            v=lambda s: s["u"] ** 3 - 1 / s["y"],
            z=lambda s: s["v"] * s["x"] - s["y"] ** 0.5,
        ),
    ),
    "hyperbolic": (
        "u = sinh(x)*cosh(y)\nv = sech(u) + atan(x*y)\nz = erf(v) - sign(x)*v\n",
        {"x": (-2, 2), "y": (-1.5, 1.5)},
        lambda t: _chain(
            t,
            u=lambda s: torch.sinh(s["x"]) * torch.cosh(s["y"]),
            v=lambda s: 1 / torch.cosh(s["u"]) + torch.atan(s["x"] * s["y"]),
            z=lambda s: torch.erf(s["v"]) - torch.sign(s["x"]) * s["v"],
        ),
    ),
    "activations": (
        "a = softplus(x)\nb = leaky_relu(x - y)\nc = elu(y)\nd = gelu(a*b + c)\n"
        "z = d**2\n",
        {"x": (-3, 3), "y": (-3, 3)},
        lambda t: _chain(
            t,
            a=lambda s: F.softplus(s["x"]),
            b=lambda s: F.leaky_relu(s["x"] - s["y"]),
            c=lambda s: F.elu(s["y"]),
            d=lambda s: F.gelu(s["a"] * s["b"] + s["c"]),
            z=lambda s: s["d"] ** 2,
        ),
    ),
    "max_min": (
        "m = max(x, y)\nn = min(x*y, 1)\nz = m*n + max(m, 0.5)\n",
        {"x": (-2, 2), "y": (-2, 2)},
        lambda t: _chain(
            t,
            m=lambda s: torch.maximum(s["x"], s["y"]),
            n=lambda s: torch.minimum(s["x"] * s["y"], _constant(1)),
            z=lambda s: s["m"] * s["n"] + torch.maximum(s["m"], _constant(0.5)),
        ),
    ),
    # Kinks and ties, where the derivative is a convention: x = y exactly.
    "kinks": (
        "u = max(x, y)\nv = min(x, y)\nw = relu(x - y) + leaky_relu(y - x)\n"
        "q = abs(x - y) + sign(x - y)\nz = u*v + w*q\n",
        {"x": (1.25, 1.25), "y": (1.25, 1.25)},
        lambda t: _chain(
            t,
            u=lambda s: torch.maximum(s["x"], s["y"]),
            v=lambda s: torch.minimum(s["x"], s["y"]),
            w=lambda s: torch.relu(s["x"] - s["y"]) + F.leaky_relu(s["y"] - s["x"]),
            q=lambda s: torch.abs(s["x"] - s["y"]) + torch.sign(s["x"] - s["y"]),
            z=lambda s: s["u"] * s["v"] + s["w"] * s["q"],
        ),
    ),
}
DRAWS = 6

ACTIVATIONS = {
    "identity": lambda z: z,
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "softplus": F.softplus,
    "leaky_relu": F.leaky_relu,
    "elu": F.elu,
    "gelu": F.gelu,
}
NETWORKS = 60


def _constant(value):
    return torch.tensor(value, dtype=torch.float64)


def _chain(inputs, **steps):
    values = dict(inputs)
    for name, step in steps.items():
        values[name] = step(values)
    return values


def _number(rng, low, high):
    return round(rng.uniform(low, high), 3)


def _recorded(values: dict) -> dict:
    for tensor in values.values():
        tensor.retain_grad()
    output = list(values.values())[-1]
    output.backward()
    forward = {f"forward:{n}": v.detach().tolist() for n, v in values.items()}
    # The output's own gradient (1) is not a step of a trace.
    grads = {f"grad:{n}": v.grad.tolist() for n, v in values.items() if v is not output}
    return forward | grads


def scalar_cases(rng) -> list:
    cases = []
    for name, (program, ranges, code) in SCALAR.items():
        for draw in range(DRAWS):
            inputs = {k: _number(rng, *bounds) for k, bounds in ranges.items()}
            leaves = {
                k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
                for k, v in inputs.items()
            }
            values = _recorded(code(leaves))
            # Inputs have no forward step in a trace; their gradients do.
            values = {k: v for k, v in values.items() if k[8:] not in inputs}
            spec = {"kind": "scalar_trace", "program": program, "inputs": inputs}
            cases.append({"name": f"{name}-{draw}", "spec": spec, "values": values})
    return cases


def _matrix(rng, rows, cols):
    return [[_number(rng, -1, 1) for _ in range(cols)] for _ in range(rows)]


def network_case(rng, number: int) -> dict:
    convention = rng.choice(["row", "column"])
    loss = rng.choice(["squared_error", "mse", "bce", "cross_entropy"])
    depth = rng.randint(1, 3)
    batch = rng.randint(1, 3)
    widths = [rng.randint(1, 4) for _ in range(depth + 1)]
    column = convention == "column"
    x = _matrix(rng, widths[0], batch) if column else _matrix(rng, batch, widths[0])
    layers = []
    for i in range(depth):
        fan_in, fan_out = widths[i], widths[i + 1]
        w = _matrix(rng, fan_out, fan_in) if column else _matrix(rng, fan_in, fan_out)
        layer = {"W": w, "activation": rng.choice(list(ACTIVATIONS))}
        bias = rng.choice(["none", "vector", "matrix"])
        if bias == "vector":
            layer["b"] = [_number(rng, -1, 1) for _ in range(fan_out)]
        elif bias == "matrix":
            layer["b"] = (
                _matrix(rng, fan_out, 1) if column else _matrix(rng, 1, fan_out)
            )
        layers.append(layer)
    if loss == "bce":
        layers[-1]["activation"] = "sigmoid"
    shape = (widths[-1], batch) if column else (batch, widths[-1])
    target = [
        [round(rng.random(), 3) for _ in range(shape[1])] for _ in range(shape[0])
    ]
    if loss == "cross_entropy":
        layers[-1]["activation"] = "softmax"
        target = _one_hot(rng, batch, widths[-1], column)
    spec = {
        "kind": "network_trace",
        "x": x,
        "layers": layers,
        "target": target,
        "loss": loss,
        "convention": convention,
    }
    return {"name": f"network-{number}", "spec": spec, "values": network_values(spec)}


def _one_hot(rng, batch: int, classes: int, column: bool) -> list:
    rows = [[0.0] * classes for _ in range(batch)]
    for row in rows:
        row[rng.randrange(classes)] = 1.0
    return [list(c) for c in zip(*rows)] if column else rows


def network_values(spec: dict) -> dict:
    def leaf(value):
        return torch.tensor(value, dtype=torch.float64, requires_grad=True)

    column = spec["convention"] == "column"
    values = {"x": leaf(spec["x"])}
    a = values["x"]
    for n, layer in enumerate(spec["layers"], start=1):
        w = values[f"W{n}"] = leaf(layer["W"])
        z = w @ a if column else a @ w
        if "b" in layer:
            b = values[f"b{n}"] = leaf(layer["b"])
            z = z + (b.reshape(-1, 1) if column and b.ndim == 1 else b)
        values[f"z{n}"] = z
        if layer["activation"] == "softmax":
            a = values[f"a{n}"] = torch.softmax(z, dim=0 if column else 1)
        else:
            a = values[f"a{n}"] = ACTIVATIONS[layer["activation"]](z) * 1.0
    target = torch.tensor(spec["target"], dtype=torch.float64)
    if spec["loss"] == "cross_entropy":
        examples = a.shape[1] if column else a.shape[0]
        values["loss"] = -(target * torch.log(a)).sum() / examples
        # The same number from torch's own loss on the logits.
        logits = z.T if column else z
        expected = F.cross_entropy(logits, target.T if column else target)
        assert torch.allclose(values["loss"], expected, rtol=1e-12)
    elif spec["loss"] == "bce":
        values["loss"] = F.binary_cross_entropy(a, target)
    elif spec["loss"] == "mse":
        values["loss"] = ((a - target) ** 2).mean()
    else:
        values["loss"] = ((a - target) ** 2).sum()
    recorded = _recorded(values)
    leaves = {"x"} | {k for k in values if k[0] in "Wb"}
    return {
        k: v
        for k, v in recorded.items()
        if not (k[:8] == "forward:" and k[8:] in leaves)
    }


def main() -> None:
    rng = random.Random(SEED)
    cases = scalar_cases(rng) + [network_case(rng, n) for n in range(NETWORKS)]
    header = {
        "generated_by": "tests/engine/golden/pytorch_golden.py",
        "torch": torch.__version__,
        "seed": SEED,
    }
    OUT.write_text(json.dumps(header | {"cases": cases}, indent=1) + "\n")
    print(f"wrote {len(cases)} cases to {OUT} with torch {torch.__version__}")


if __name__ == "__main__":
    main()
