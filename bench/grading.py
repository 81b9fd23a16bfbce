"""Median time of ``grader.grading.grade`` for the lesson's problems, in one run.

Target: under 5 ms median for "Work this" (a realistic, partly wrong answer,
with symbolic local derivatives, follow-through and a diagnosis).

    .venv/bin/python bench/grading.py
"""

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.grading import grade
from tests.grader.problems import (
    PYTORCH,
    PYTORCH_KEY,
    THREE_LAYER,
    WORK_THIS,
    WORK_THIS_KEY,
)

RUNS = 200
TARGET_MS = 5.0


def median_ms(spec: dict, answers: dict, runs: int = RUNS) -> float:
    grade(spec, answers)  # warm caches (imports, parser tables)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = grade(spec, answers)
        times.append(time.perf_counter() - start)
    assert result.outcome == "graded", result
    return statistics.median(times) * 1000


def three_layer_answers() -> dict[str, str]:
    from engine.trace import trace

    def text(value) -> str:
        rows = [
            [float(v) for v in row] for row in __import__("numpy").atleast_2d(value)
        ]
        return (
            "["
            + ", ".join("[" + ", ".join(f"{v:.6g}" for v in r) + "]" for r in rows)
            + "]"
        )

    values = trace(THREE_LAYER).values
    answers = {s: text(v) for s, v in values.items() if not s.startswith("local:")}
    answers["grad:a3"] = text(
        values["grad:a3"] / 2
    )  # the 2 of the squared error dropped
    return answers


def main() -> None:
    work_this_right = median_ms(WORK_THIS, WORK_THIS_KEY)
    partly_wrong = {**WORK_THIS_KEY, "forward:v": "8", "forward:z": "64", "grad:x": "3"}
    work_this_wrong = median_ms(WORK_THIS, partly_wrong)
    pytorch = median_ms(PYTORCH, PYTORCH_KEY)
    three_layer = median_ms(THREE_LAYER, three_layer_answers())
    print(f"grade() median over {RUNS} runs each:")
    print(f"  Work this, all right                  {work_this_right:7.2f} ms")
    print(
        f"  Work this, partly wrong (carried+diag) {work_this_wrong:7.2f} ms"
        f"   target < {TARGET_MS} ms: {'met' if work_this_wrong < TARGET_MS else 'MISSED'}"
    )
    print(f"  lesson's PyTorch network, all right   {pytorch:7.2f} ms")
    print(f"  three-layer network, partly wrong     {three_layer:7.2f} ms")


if __name__ == "__main__":
    main()
