"""Our equivalence checker against the naive ``sympy.simplify(a - b) == 0``.

Usage, from the project's root::

    .venv/bin/python bench/equivalence.py [--timeout SECONDS]

Both run on the STACK answer-test cases of ``../shared/conformance`` (the same
cases, translation and scoring as ``run_stack_answer_tests.py``). The naive
checker gets SymPy objects built by our parser (student text is never
sympified) and, for the numeric-tolerance cases, compares ``evalf`` values with
the tolerance; each of its calls runs in a separate worker process that is
killed after ``--timeout`` seconds, and a timeout counts as a disagreement.
Prints median and max time per call, agreement rates and the speed ratio.
"""

import argparse
import importlib.util
import multiprocessing
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNNER = ROOT.parent / "shared" / "conformance" / "run_stack_answer_tests.py"
sys.path.insert(0, str(ROOT))

from engine.equivalence import equivalent  # noqa: E402 - after sys.path
from engine.expressions import ParseError, parse  # noqa: E402


def load_runner():
    spec = importlib.util.spec_from_file_location("stack_runner", RUNNER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_cases(runner) -> list[dict]:
    """The runner's supported cases: translated text, symbols, tolerance, want."""
    import csv

    with open(RUNNER.parent / "stack_answer_tests.tsv") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    cases = []
    for case in csv.DictReader(lines, delimiter="\t"):
        expected = int(case["expected"])
        options = case["options"].strip()
        text = case["student"] + " " + case["teacher"]
        if expected != -1 and runner.OUT_OF_LANGUAGE.search(text):
            continue
        if options and not runner._is_number(options):
            continue
        tolerance = None
        amount = float(options) if runner._is_number(options) else 0.05
        if case["test"] == "NumRelative":
            tolerance = {"rel": amount}
        elif case["test"] == "NumAbsolute":
            tolerance = {"abs": amount}
        s, t = runner.translate(case["student"]), runner.translate(case["teacher"])
        cases.append(
            {
                "student": s,
                "teacher": t,
                "symbols": runner.symbols_of(s, t),
                "tolerance": tolerance,
                "expected": expected,
            }
        )
    return cases


def ours(case) -> object:
    try:
        return equivalent(
            case["student"], case["teacher"], case["symbols"], case["tolerance"]
        )
    except ParseError:
        return "parse-error"


def naive(case) -> object:
    """What a first attempt looks like: simplify the difference and test for 0."""
    import sympy

    try:
        a = parse(case["student"], case["symbols"])
        b = parse(case["teacher"], case["symbols"])
    except ParseError:
        return "parse-error"
    tolerance = case["tolerance"]
    try:
        if tolerance is None:
            return bool(sympy.simplify(a - b) == 0)
        gap, reference = abs(float((a - b).evalf())), abs(float(b.evalf()))
        bound = tolerance.get("abs", tolerance.get("rel", 0) * reference)
        return gap <= bound
    except (TypeError, ValueError):
        return None


def agrees(case, got) -> bool | None:
    """The runner's scoring: True/False, or None when the case is unsupported."""
    if case["expected"] == -1:
        return got == "parse-error" or got is None
    if got == "parse-error":
        return None
    return got is (case["expected"] in (1, -3))


def _serve(connection):
    while True:
        case = connection.recv()
        started = time.perf_counter()
        result = naive(case)
        connection.send((result, time.perf_counter() - started))


class TimedWorker:
    """One worker process for naive calls; replaced when a call times out."""

    def __init__(self):
        self.start()

    def start(self):
        self.parent, child = multiprocessing.Pipe()
        self.process = multiprocessing.Process(target=_serve, args=(child,))
        self.process.daemon = True
        self.process.start()

    def call(self, case, timeout: float):
        self.parent.send(case)
        if self.parent.poll(timeout):
            return self.parent.recv()
        self.process.kill()
        self.process.join()
        self.start()
        return "timeout", timeout

    def close(self):
        self.process.kill()
        self.process.join()


def measure_ours(cases) -> tuple[list, list]:
    for case in cases:  # warm caches (imports, mpmath contexts) before timing
        ours(case)
    results, times = [], []
    for case in cases:
        started = time.perf_counter()
        results.append(ours(case))
        times.append(time.perf_counter() - started)
    return results, times


def measure_naive(cases, timeout: float) -> tuple[list, list]:
    worker = TimedWorker()
    worker.call(cases[0], timeout * 10)  # warm the worker's imports
    results, times = [], []
    try:
        for case in cases:
            result, seconds = worker.call(case, timeout)
            results.append(result)
            times.append(seconds)
    finally:
        worker.close()
    return results, times


def summary(name, cases, results, times) -> tuple[float, float]:
    verdicts = [agrees(case, got) for case, got in zip(cases, results, strict=True)]
    scored = [v for v in verdicts if v is not None]
    rate = sum(scored) / len(scored) if scored else 0.0
    median = statistics.median(times)
    timeouts = sum(1 for r in results if r == "timeout")
    print(
        f"{name:<28} agreement {sum(scored)}/{len(scored)} = {rate:.3f}   "
        f"median {median * 1e3:8.2f} ms   max {max(times) * 1e3:9.2f} ms"
        + (f"   timeouts {timeouts}" if timeouts else "")
    )
    return rate, median


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--timeout", type=float, default=2.0)
    args = parser.parse_args()
    cases = load_cases(load_runner())
    print(
        f"{len(cases)} conformance cases; naive calls time out after {args.timeout} s"
    )
    our_results, our_times = measure_ours(cases)
    naive_results, naive_times = measure_naive(cases, args.timeout)
    our_rate, our_median = summary("engine.equivalence", cases, our_results, our_times)
    naive_rate, naive_median = summary(
        "naive simplify(a - b) == 0", cases, naive_results, naive_times
    )
    per_call = [n / o for n, o in zip(naive_times, our_times, strict=True)]
    print(
        f"speed ratio: median of per-call ratios {statistics.median(per_call):.1f}x;"
        f" median naive / median ours {naive_median / our_median:.1f}x;"
        f" total time {sum(naive_times) / sum(our_times):.1f}x"
    )
    print(f"agreement: ours {our_rate:.3f}, naive {naive_rate:.3f}")
    symbolic = [i for i, case in enumerate(cases) if case["symbols"]]
    ours_symbolic = statistics.median(our_times[i] for i in symbolic)
    naive_symbolic = statistics.median(naive_times[i] for i in symbolic)
    print(
        f"cases with variables ({len(symbolic)}): median ours "
        f"{ours_symbolic * 1e3:.2f} ms, naive {naive_symbolic * 1e3:.2f} ms, "
        f"ratio {naive_symbolic / ours_symbolic:.1f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
