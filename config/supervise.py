"""``make run``'s process supervisor: the web server and one Celery worker (with beat).

    python -m config.supervise [--port 8000]

The worker is restarted when it exits (a crash, an out-of-memory kill), with
a loud line on the terminal each time; if it keeps exiting (more than
``--max-restarts`` times within a minute) or the web server exits, everything
is stopped and the exit status says so. Ctrl-C stops both.
"""

import argparse
import os
import signal
import subprocess
import sys
import time
from collections import deque
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def web_command(port: int) -> list[str]:
    return [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]


def worker_command(var_dir: Path) -> list[str]:
    return [
        sys.executable, "-m", "celery", "-A", "config", "worker", "-B",
        "-Q", "grading,default", "--concurrency", "2", "-l", "info",
        "-n", "embedded@%h", "--schedule", str(var_dir / "celerybeat-schedule"),
    ]  # fmt: skip


def say(message: str) -> None:
    print(f"\n*** make run: {message}\n", file=sys.stderr, flush=True)


class Supervisor:
    def __init__(self, *, port: int, max_restarts: int, var_dir: Path):
        self.port = port
        self.max_restarts = max_restarts
        self.var_dir = var_dir
        self.restarts: deque[float] = deque()
        self.web: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self.stopping = False

    def start_worker(self) -> None:
        # Its own process group: when the worker's main process dies (an
        # out-of-memory kill), its pool processes and beat are ended with it
        # (``_end_group``) instead of living on as orphans.
        self.worker = subprocess.Popen(
            worker_command(self.var_dir), cwd=ROOT, start_new_session=True
        )

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._stop_signal)
        signal.signal(signal.SIGINT, self._stop_signal)
        self.web = subprocess.Popen(web_command(self.port), cwd=ROOT)
        self.start_worker()
        print(f"supervisor: web pid {self.web.pid}, worker pid {self.worker.pid}",
              flush=True)  # fmt: skip
        try:
            return self._watch()
        finally:
            self.stop()

    def _watch(self) -> int:
        while not self.stopping:
            time.sleep(0.5)
            if self.web.poll() is not None:
                say(f"the web server exited (status {self.web.returncode}); stopping.")
                return 1
            if self.worker.poll() is None:
                continue
            status = self.worker.returncode
            _end_group(self.worker)
            now = time.monotonic()
            self.restarts.append(now)
            while self.restarts and now - self.restarts[0] > 60:
                self.restarts.popleft()
            if len(self.restarts) > self.max_restarts:
                say(
                    f"the grading worker exited (status {status}) "
                    f"{len(self.restarts)} times within a minute; stopping. "
                    "Submissions stay queued and are graded at the next start."
                )
                return 1
            say(f"the grading worker exited (status {status}); restarting it.")
            self.start_worker()
            print(f"supervisor: worker pid {self.worker.pid}", flush=True)
        return 0

    def _stop_signal(self, signum, _frame) -> None:
        self.stopping = True

    def stop(self) -> None:
        for process in (self.worker, self.web):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in (self.worker, self.web):
            if process is None:
                continue
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        if self.worker is not None:
            _end_group(self.worker)


def _end_group(process: subprocess.Popen) -> None:
    """SIGKILL what is left of ``process``'s process group (orphaned children)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # the group is already gone


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--max-restarts", type=int, default=5)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    var_dir = Path(os.environ.get("TRACEGRADE_VAR_DIR", ROOT / "var"))
    var_dir.mkdir(parents=True, exist_ok=True)
    supervisor = Supervisor(
        port=args.port, max_restarts=args.max_restarts, var_dir=var_dir
    )
    return supervisor.run()


if __name__ == "__main__":
    sys.exit(main())
