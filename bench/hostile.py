"""Hostile input, measured: the slowest preview, the slowest one-cell grading, errors.

Runs every text of ``tests/security/hostile.py``:

- through ``grader.preview.preview`` (what both live previews call), in the
  main thread and in a request thread (runserver, the test client);
- as one cell of an otherwise right "Work this" submission (in an
  expression step and a number step), as a matrix cell of the PyTorch
  network, and as the answer of ``expression`` and ``numeric`` problems;
- all at once: one submission made only of hostile cells.

Prints wall-clock and CPU seconds of the slowest of each and the number of
hostile cells whose submission came out ``error`` (goal: 0), plus how many
other cells of those submissions were not marked correct (goal: 0).

    .venv/bin/python bench/hostile.py
"""

import itertools
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.budget import CELL_SECONDS, SUBMISSION_SECONDS  # noqa: E402
from grader.grading import grade  # noqa: E402
from grader.preview import PREVIEW_SECONDS, preview  # noqa: E402
from tests.grader.problems import (  # noqa: E402
    PYTORCH,
    PYTORCH_KEY,
    WORK_THIS,
    WORK_THIS_KEY,
)
from tests.security.hostile import (  # noqa: E402
    CUBE_ROOTS,
    HOSTILE,
    HOSTILE_MATRICES,
    HOSTILE_STEPS,
    HOSTILE_TEXTS,
)

SYMBOLS = ["x", "y", "b", "u", "v", "z"]


def timed(work):
    wall, cpu = time.perf_counter(), time.thread_time()
    value = work()
    return value, time.perf_counter() - wall, time.thread_time() - cpu


def in_thread(work):
    box = []
    thread = threading.Thread(target=lambda: box.append(timed(work)))
    thread.start()
    thread.join()
    return box[0]


def label(text: str) -> str:
    kind = next(k for k, texts in HOSTILE.items() if text in texts)
    return f"{kind}: {text[:40]!r}{'...' if len(text) > 40 else ''}"


def previews():
    rows = []
    for text in HOSTILE_TEXTS:
        for where, run in (("main thread", timed), ("request thread", in_thread)):
            shown, wall, cpu = run(lambda t=text: preview(WORK_THIS, t, SYMBOLS))
            assert shown.ok or shown.message
            rows.append((wall, cpu, f"{label(text)} ({where})"))
    return rows


def one_cell_gradings():
    rows, errors, collateral = [], 0, 0
    cases = [
        (WORK_THIS, WORK_THIS_KEY, s, t) for s in HOSTILE_STEPS for t in HOSTILE_TEXTS
    ]
    cases += [(PYTORCH, PYTORCH_KEY, "forward:z1", t) for t in HOSTILE_MATRICES]
    for spec, key, step, text in cases:
        answers = {**key, step: text}
        result, wall, cpu = timed(lambda s=spec, a=answers: grade(s, a))
        errors += result.outcome == "error"
        collateral += sum(s.status != "correct" for s in result.steps if s.id != step)
        rows.append((wall, cpu, f"{step} = {text[:40]!r}"))
    singles = [
        {"kind": "expression", "expected": "2*v", "symbols": SYMBOLS},
        {"kind": "numeric", "expected": 42},
    ]
    for spec in singles:
        for text in HOSTILE_TEXTS:
            answers = {"answer": text}
            result, wall, cpu = timed(lambda s=spec, a=answers: grade(s, a))
            errors += result.outcome == "error"
            rows.append((wall, cpu, f"{spec['kind']} answer = {text[:40]!r}"))
    return rows, errors, collateral, len(cases) + len(singles) * len(HOSTILE_TEXTS)


def main() -> None:
    grade(WORK_THIS, WORK_THIS_KEY)  # warm imports and caches
    rows = previews()
    wall, cpu, what = max(rows)
    print(f"previews: {len(rows)} (deadline {PREVIEW_SECONDS} s)")
    print(f"  slowest preview: {wall:.3f} s wall, {cpu:.3f} s CPU  [{what}]")
    rows, errors, collateral, cells = one_cell_gradings()
    wall, cpu, what = max(rows)
    print(f"one-cell gradings: {cells} (cell budget {CELL_SECONDS} s)")
    print(f"  slowest: {wall:.3f} s wall, {cpu:.3f} s CPU  [{what}]")
    print(f"  hostile cells with outcome error: {errors}  (goal 0)")
    print(f"  other cells of those submissions not correct: {collateral}  (goal 0)")
    slow = itertools.cycle([CUBE_ROOTS, *HOSTILE_TEXTS])
    answers = {step: next(slow) for step in WORK_THIS_KEY}
    result, wall, cpu = timed(lambda: grade(WORK_THIS, answers))
    print(
        f"all {len(answers)} cells hostile: {wall:.3f} s wall, {cpu:.3f} s CPU, "
        f"outcome {result.outcome} (submission budget {SUBMISSION_SECONDS} s)"
    )


if __name__ == "__main__":
    main()
