"""The lesson's problems as specs (contract 1), shared by the grader tests and bench."""

WORK_THIS = {
    "kind": "scalar_trace",
    "program": "u = x*y\nv = u + b\nz = v**2\n",
    "inputs": {"x": 2, "y": 3, "b": 1},
    "ask": ["forward", "local", "grad"],
    "local_form": "either",
    "tolerance": {"rel": 1.0e-3},
}

# The key of WORK_THIS, as a student would type it.
WORK_THIS_KEY = {
    "forward:u": "6",
    "forward:v": "7",
    "forward:z": "49",
    "local:u/x": "y",
    "local:u/y": "x",
    "local:v/u": "1",
    "local:v/b": "1",
    "local:z/v": "2*v",
    "grad:v": "14",
    "grad:u": "14",
    "grad:x": "42",
    "grad:y": "28",
    "grad:b": "14",
}

# A value used twice: x feeds both u and v.
FAN_OUT = {
    "kind": "scalar_trace",
    "program": "u = x*y\nv = x + u\nf = u*v\n",
    "inputs": {"x": 2, "y": 3},
    "ask": ["forward", "grad"],
}
# u = 6, v = 8, f = 48; df/dv = 6, df/du = 8 + 6 = 14, df/dx = 14*3 + 6 = 48.

# A longer chain, for follow-through several steps deep.
CHAIN = {
    "kind": "scalar_trace",
    "program": "u = x*y\nv = u + b\nw = 3*v\nz = w**2\n",
    "inputs": {"x": 2, "y": 3, "b": 1},
    "ask": ["forward", "local", "grad"],
}
# u = 6, v = 7, w = 21, z = 441; dz/dw = 42, dz/dv = 126, dz/du = 126, dz/dx = 378.

# A neuron with an activation, graded with scalar steps.
NEURON = {
    "kind": "scalar_trace",
    "program": "p = w*x\ns = p + c\na = sigmoid(s)\nd = a - t\nL = d**2\n",
    "inputs": {"w": 0.5, "x": 2, "c": -1, "t": 1},
    "ask": ["forward", "grad"],
}
# s = 0, a = 0.5, L = 0.25; dL/da = -1, dL/ds = -0.25.
RELU_NEURON = {
    "kind": "scalar_trace",
    "program": "p = w*x\ns = p + c\na = relu(s)\nL = 3*a\n",
    "inputs": {"w": 0.5, "x": 2, "c": -3},
    "ask": ["forward", "local", "grad"],
}
# s = -2, a = 0, L = 0; dL/da = 3, da/ds = 0, dL/ds = 0, dL/dw = 0.

# The lesson's PyTorch example.
PYTORCH = {
    "kind": "network_trace",
    "x": [[1.0, 2.0]],
    "layers": [
        {"W": [[0.5, 0.3], [0.2, 0.4]], "activation": "relu"},
        {"W": [[0.1], [0.6]], "activation": "identity"},
    ],
    "target": [[1.0]],
    "loss": "squared_error",
    "convention": "row",
}
PYTORCH_KEY = {
    "forward:z1": "[[0.9, 1.1]]",
    "forward:a1": "[[0.9, 1.1]]",
    "forward:z2": "[[0.75]]",
    "forward:a2": "[[0.75]]",
    "forward:loss": "0.0625",
    "grad:a2": "[[-0.5]]",
    "grad:z2": "[[-0.5]]",
    "grad:W2": "[[-0.45], [-0.55]]",
    "grad:a1": "[[-0.05, -0.3]]",
    "grad:z1": "[[-0.05, -0.3]]",
    "grad:W1": "[[-0.05, -0.3], [-0.1, -0.6]]",
    "grad:x": "[[-0.115, -0.13]]",
}

# Three layers ("before moving on"), as in content/problems/three-layer-network.yaml:
# column convention, a ReLU unit that is off (z1 = [0.9, -0.3]), tanh, linear.
THREE_LAYER = {
    "kind": "network_trace",
    "x": [[1.0], [2.0]],
    "layers": [
        {"W": [[0.2, 0.3], [-0.4, 0.1]], "b": [[0.1], [-0.1]], "activation": "relu"},
        {"W": [[0.5, 0.2], [-0.3, 0.6]], "activation": "tanh"},
        {"W": [[1.0, -0.5]], "activation": "identity"},
    ],
    "target": [[0.5]],
    "loss": "squared_error",
    "convention": "column",
    "ask": ["forward", "grad"],
    "tolerance": {"rel": 0.001},
}
