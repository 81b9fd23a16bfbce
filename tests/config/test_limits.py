"""Worker CPU limits are per task: a long-lived pool process is never killed for its age."""

import subprocess
import sys
import textwrap

from tests.workers import ROOT

BURN = """
import sys, time
from config import limits

def burn(seconds):
    start = limits.cpu_used_seconds()
    while limits.cpu_used_seconds() - start < seconds:
        pass

budget, tasks, each = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
for _ in range(tasks):
    limits.cpu_budget_reset(budget)  # what task_prerun does before every task
    burn(each)
print("survived", flush=True)
"""


def _run(budget: int, tasks: int, each: float) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(BURN), str(budget), str(tasks), str(each)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_many_tasks_within_the_budget_outlive_the_budget():
    # 8 tasks of 0.5 s CPU each: 4 s in all, four times a 1 s budget.
    result = _run(budget=1, tasks=8, each=0.5)
    assert result.returncode == 0, result.stderr
    assert "survived" in result.stdout


def test_one_task_over_its_budget_is_stopped():
    result = _run(budget=1, tasks=1, each=4.0)
    assert result.returncode == -24  # SIGXCPU
    assert "survived" not in result.stdout
