"""Engine timings, one run each: python bench/engine.py

Prints forward+backward time of a 100,000-node scalar Value chain, of a dense
network trace, and of trace() of the lesson's "Work this" program (parse, exact
values, symbolic local derivatives). Compare figures between commits; nothing
here is asserted.
"""

import gc
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.scalar import Value
from engine.trace import trace

WORK_THIS = {
    "kind": "scalar_trace",
    "program": "z = (x*y + b)**2",
    "inputs": {"x": 2, "y": 3, "b": 1},
}


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def value_chain(nodes: int):
    def forward():
        x = Value(0.5)
        y = x
        for i in range(nodes - 1):
            y = (y * 0.999).tanh() if i % 2 else y + 0.001
        return x, y

    forward_time, (_x, y) = timed(forward)
    backward_time, _ = timed(y.backward)
    return forward_time, backward_time


def network_spec(width: int, depth: int, batch: int):
    rng = np.random.default_rng(0)
    layers = [
        {
            "W": (rng.standard_normal((width, width)) / np.sqrt(width)).tolist(),
            "b": np.zeros(width).tolist(),
            "activation": "tanh",
        }
        for _ in range(depth)
    ]
    return {
        "kind": "network_trace",
        "x": rng.standard_normal((batch, width)).tolist(),
        "layers": layers,
        "target": np.zeros((batch, width)).tolist(),
        "loss": "mse",
    }


def main():
    for label in ("garbage collector on", "garbage collector off"):
        if label.endswith("off"):
            # Python's cycle collector rescans the growing graph while it is built;
            # this line shows how much of the time is the collector's.
            gc.disable()
        forward_time, backward_time = value_chain(100_000)
        gc.enable()
        print(
            f"Value chain, 100,000 nodes ({label}): forward "
            f"{forward_time * 1e3:.0f} ms, backward {backward_time * 1e3:.0f} ms, "
            f"total {(forward_time + backward_time) * 1e3:.0f} ms"
        )
    spec = network_spec(width=64, depth=4, batch=32)
    network_time, t = timed(lambda: trace(spec))
    print(
        f"network trace, 4 layers of 64 units, batch 32 ({len(t.values)} steps): "
        f"forward+backward {network_time * 1e3:.1f} ms"
    )
    lesson_time, _ = timed(lambda: trace(spec | network_spec(2, 2, 1)))
    print(f"network trace, lesson size (2 layers, 2 units): {lesson_time * 1e3:.2f} ms")
    first_time, t = timed(lambda: trace(WORK_THIS))
    again_time, t = timed(lambda: trace(WORK_THIS))
    print(
        f"trace() of Work this ({len(t.values)} steps, exact): first call "
        f"{first_time * 1e3:.1f} ms, again {again_time * 1e3:.1f} ms"
    )
    recompute_time, _ = timed(lambda: t.recompute({"forward:v": 8.0}))
    print(f"recompute() of Work this with one override: {recompute_time * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
