"""Graded submissions per second through the HTTP API, against the broker's own floor.

Starts everything on loopback and throws it away afterwards: a PostgreSQL
database (``tracegrade_bench``, migrated, ``content/`` imported), a private
``redis-server`` on a free port (or ``--redis-url``), gunicorn and one Celery
worker. Then, in one run:

1. the floor: a no-op Celery task (``grader.tasks.heartbeat``, which writes one
   row) on the same broker and database: round trip (sequential) and
   throughput (a burst);
2. peak: N "Work this" submissions POSTed through ``/api/v1/submissions/`` by
   concurrent clients; graded per second and submit-to-graded latency;
3. latency at half the measured peak: submissions sent open-loop at a fixed
   pace; p50 and p99.

For the floor's burst and the peak it also prints where the machine's CPU
went, in milliseconds per task or submission: the web processes, the worker's,
PostgreSQL's, Redis's, this process (the clients), interrupts (the kernel's
network work), time the hypervisor took (steal) and the rest (other processes
and kernel threads), from ``/proc`` (Linux).

Latency is the worker's ``graded_at`` minus the client's send time (one
machine, one clock); at the end every submission is read back through the
API and must be ``graded`` with score 1.

    .venv/bin/python bench/throughput.py [--submissions 600] [--clients 8]

Targets (reported, not asserted): throughput at least half the no-op floor;
p99 under 100 ms at half the peak rate.
"""

import argparse
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Self

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PROBLEM_SLUG = "work-this-trace"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"{what}: not within {timeout} s")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def add_stack_arguments(parser, database: str, web_workers: int = 2) -> None:
    """The options every bench that starts a ``Stack`` takes.

    ``BENCH_DATABASE`` and ``BENCH_REDIS_URL`` set the defaults, so that
    several people on one machine each bench in a database of their own.
    """
    parser.add_argument(
        "--database",
        default=os.environ.get("BENCH_DATABASE", database),
        help="PostgreSQL database to create and drop (env BENCH_DATABASE)",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL") or None,
        help="a Redis database of this run's own, flushed at start "
        "(env BENCH_REDIS_URL); default: a private redis-server",
    )
    parser.add_argument("--web-workers", type=int, default=web_workers)
    parser.add_argument("--worker-class", default="sync", choices=("sync", "gthread"))
    parser.add_argument("--threads", type=int, default=1, help="per web worker")
    parser.add_argument("--pool", type=int, default=2, help="Celery concurrency")


def stack_from(args, students: int) -> "Stack":
    return Stack(
        students=students,
        database=args.database,
        redis_url=args.redis_url,
        web_workers=args.web_workers,
        worker_class=args.worker_class,
        threads=args.threads,
        pool=args.pool,
    )


def web_description(args) -> str:
    threads = f" x{args.threads} threads" if args.worker_class == "gthread" else ""
    return f"gunicorn {args.worker_class} x{args.web_workers}{threads}"


class Stack:
    """PostgreSQL database, Redis, gunicorn and one Celery worker, all thrown away on exit."""

    def __init__(
        self,
        *,
        students: int = 20,
        database: str = "tracegrade_bench",
        postgres: str = "postgres://postgres@127.0.0.1:5432",
        redis_url: str | None = None,
        web_workers: int = 2,
        worker_class: str = "sync",
        threads: int = 1,
        pool: int = 2,
    ):
        self.student_count = students
        self.database = database
        self.postgres = postgres.rstrip("/")
        self.redis_url = redis_url
        self.web_workers = web_workers
        self.worker_class = worker_class
        self.threads = threads
        self.pool = pool
        self.processes: list[subprocess.Popen] = []
        self.names: list[str] = []
        self.students: list[dict] = []

    # --- lifecycle ---------------------------------------------------------------

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="tracegrade-bench-"))
        self._database_create()
        if self.redis_url is None:
            port = free_port()
            self._spawn(
                "redis",
                [shutil.which("redis-server") or "redis-server", "--port", str(port),
                 "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            )  # fmt: skip
            self.redis_url = f"redis://127.0.0.1:{port}/0"
            wait_until(lambda: _answers(port), 20, "redis-server")
        else:  # a database of this run's own (``--redis-url``): start it empty
            import redis

            redis.Redis.from_url(self.redis_url).flushdb()
        self.web_port = free_port()
        self.env = {
            "DATABASE_URL": f"{self.postgres}/{self.database}",
            "REDIS_URL": self.redis_url,
            "CELERY_BROKER_URL": self.redis_url,
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "SECURE_SSL_REDIRECT": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "THROTTLE_SUBMIT": "1000000/min",
            "THROTTLE_VALIDATE": "1000000/min",
            "THROTTLE_TOKEN": "1000000/min",
            # A burst of 600 from 20 students queues more than 10 each once the
            # API outruns the worker; fairness would refuse them (measured apart,
            # tests/courseware/test_fairness.py).
            "GRADING_MAX_IN_FLIGHT": "1000000",
            "LOG_LEVEL": "WARNING",
            "TRACEGRADE_VAR_DIR": str(self.tmp / "var"),
            # Pages as production serves them: hashed files from WhiteNoise.
            "STATIC_ROOT": str(self.tmp / "static"),
            "STATIC_MANIFEST": "1",
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
        os.environ.update(self.env)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        self._content_and_students()
        self._spawn(
            "web",
            [str(BIN / "gunicorn"), "config.wsgi", "-c", "config/gunicorn.conf.py",
             "--bind", f"127.0.0.1:{self.web_port}", "--workers",
             str(self.web_workers), "--worker-class", self.worker_class,
             "--threads", str(self.threads), "--log-level", "warning"],
        )  # fmt: skip
        self._spawn(
            "worker",
            [str(BIN / "celery"), "-A", "config", "worker", "-Q", "grading,default",
             "--concurrency", str(self.pool), "-l", "warning", "--without-gossip",
             "--without-mingle", "--without-heartbeat"],
        )  # fmt: skip
        wait_until(lambda: self.get("/healthz")[0] == 200, 60, "gunicorn")
        heartbeat_send(f"warm-{uuid.uuid4().hex}")
        wait_until(lambda: _heartbeats(), 60, "celery worker")

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
        self.processes.clear()
        self.names.clear()
        if "django" in sys.modules and getattr(self, "env", None):
            from django.db import connections

            connections.close_all()
        self._database_drop()
        if getattr(self, "tmp", None):
            shutil.rmtree(self.tmp, ignore_errors=True)

    def _spawn(self, name: str, argv: list[str]) -> None:
        env = {**os.environ, **getattr(self, "env", {})}
        self.names.append(name)
        with open(self.tmp / f"{name}.log", "ab") as log:  # the child keeps its copy
            self.processes.append(
                subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log,
                                 stderr=subprocess.STDOUT, start_new_session=True)
            )  # fmt: skip

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(f"{self.postgres}/postgres", autocommit=True) as conn:
            conn.execute(sql)

    def _database_create(self) -> None:
        self._database_drop()
        self._admin(f'CREATE DATABASE "{self.database}"')

    def _database_drop(self) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')

    def _content_and_students(self) -> None:
        from django.contrib.auth import get_user_model
        from django.core.management import call_command
        from knox.models import AuthToken

        from courseware import services
        from courseware.models import Problem
        from engine.specs import instantiate
        from engine.trace import trace

        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        call_command("import_content", str(ROOT / "content"), verbosity=0)
        self.problem = Problem.objects.select_related("lesson__course").get(
            slug=PROBLEM_SLUG
        )
        lesson = self.problem.lesson
        User = get_user_model()
        for n in range(self.student_count):
            user = User.objects.create_user(
                username=f"bench{n:04d}", password=secrets.token_urlsafe(12)
            )
            services.course_enrol(course=lesson.course, user=user)
            variant = services.variant_get_or_create(student=user, problem=self.problem)
            values = trace(instantiate(self.problem.spec, variant.seed)).values
            self.students.append(
                {
                    "token": AuthToken.objects.create(user)[1],
                    "answers": {k: repr(float(v)) for k, v in values.items()},
                    "course": lesson.course.slug,
                    "lesson": lesson.slug,
                    "problem": self.problem.pk,
                }
            )

    # --- HTTP ----------------------------------------------------------------------

    def request(self, method: str, path: str, body=None, token: str | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.web_port, timeout=30)
        # One request per connection, said so: the server closes it at once
        # rather than keep it open for a next request that never comes.
        headers = {"Accept": "application/json", "Connection": "close"}
        if token:
            headers["Authorization"] = f"Token {token}"
        payload = None
        if body is not None:
            payload = json.dumps(body)
            headers["Content-Type"] = "application/json"
            headers["Idempotency-Key"] = uuid.uuid4().hex
        try:
            connection.request(method, path, payload, headers)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        return response.status, data

    def get(self, path: str, token: str | None = None):
        try:
            return self.request("GET", path, token=token)
        except OSError:
            return 0, b""

    def submit(self, student: dict) -> tuple[float, str]:
        """POST one submission; returns (send time, submission id)."""
        sent = time.time()
        status, data = self.request(
            "POST",
            "/api/v1/submissions/",
            {"problem": student["problem"], "answers": student["answers"]},
            token=student["token"],
        )
        if status != 201:
            raise RuntimeError(f"submit answered {status}: {data[:300]!r}")
        return sent, json.loads(data)["id"]


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


# --- The floor: a no-op task ---------------------------------------------------------


def heartbeat_send(token: str) -> None:
    from config.celery import app

    sent_at = datetime.now(UTC).isoformat()
    app.send_task("grader.tasks.heartbeat", args=[token, sent_at], queue="default")


def _heartbeats(prefix: str = "warm-") -> int:
    from grader.models import Heartbeat

    return Heartbeat.objects.filter(token__startswith=prefix).count()


# --- Where the CPU goes ---------------------------------------------------------------


def cpu_use(stack: "Stack") -> Counter:
    """CPU clock ticks used so far: the stack's processes by name (each spawned
    in a session of its own: its process group), PostgreSQL's and Redis's
    processes, this one, and the whole machine (``busy``, ``all``)."""
    groups = dict(zip((p.pid for p in stack.processes), stack.names, strict=True))
    used: Counter = Counter()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            text = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue  # gone meanwhile
        command = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        ticks = int(fields[11]) + int(fields[12])  # utime + stime
        if int(fields[2]) in groups:
            used[groups[int(fields[2])]] += ticks
        elif command == "postgres":
            used["postgres"] += ticks
        elif command.startswith("redis-server"):
            used["redis"] += ticks
        elif int(entry) == os.getpid():
            used["clients"] += ticks
    machine = [int(v) for v in Path("/proc/stat").read_text().split()[1:9]]
    used["all"] = sum(machine)
    used["busy"] = used["all"] - machine[3] - machine[4]  # without idle and iowait
    used["interrupts"] = machine[5] + machine[6]  # irq and softirq: the network
    used["steal"] = machine[7]  # taken by the hypervisor
    return used


def cpu_report(before: Counter, after: Counter, count: int) -> str:
    """Milliseconds of CPU per item between two ``cpu_use`` readings."""
    spent = after - before
    per = 1000 / os.sysconf("SC_CLK_TCK") / count
    parts = ["web", "worker", "postgres", "redis", "clients"]
    rest = spent["busy"] - sum(spent[name] for name in parts)
    shown = [f"{name} {spent[name] * per:.1f}" for name in parts if spent[name]]
    busy = spent["busy"] / spent["all"] * 100 if spent["all"] else 0
    rest -= spent["interrupts"] + spent["steal"]
    return (
        ", ".join(shown)
        + f", interrupts {spent['interrupts'] * per:.1f}, steal {spent['steal'] * per:.1f}"
        f", other {rest * per:.1f}; total {spent['busy'] * per:.1f} ms "
        f"(machine {busy:.0f} % busy)"
    )


def floor(round_trips: int, burst: int, stack: "Stack") -> dict:
    from grader.models import Heartbeat

    run = uuid.uuid4().hex[:8]
    for i in range(round_trips):
        token = f"rt-{run}-{i}"
        heartbeat_send(token)
        wait_until(
            lambda t=token: Heartbeat.objects.filter(token=t).exists(),
            30, "heartbeat", interval=0.001,
        )  # fmt: skip
    trips = [
        (h.received_at - h.sent_at).total_seconds() * 1000
        for h in Heartbeat.objects.filter(token__startswith=f"rt-{run}-")
    ]
    start, before = time.time(), cpu_use(stack)
    for i in range(burst):
        heartbeat_send(f"burst-{run}-{i}")
    prefix = f"burst-{run}-"
    wait_until(lambda: _heartbeats(prefix) == burst, 300, "burst", interval=0.02)
    cpu = cpu_report(before, cpu_use(stack), burst)
    last = max(
        Heartbeat.objects.filter(token__startswith=prefix).values_list(
            "received_at", flat=True
        )
    )
    return {
        "round_trip_p50_ms": percentile(trips, 50),
        "round_trip_p99_ms": percentile(trips, 99),
        "tasks_per_s": burst / (last.timestamp() - start),
        "cpu": cpu,
    }


# --- Submissions through the API ---------------------------------------------------


def _graded_at(ids: list[str], timeout: float) -> dict[str, float]:
    from courseware.models import Submission

    def done():
        return Submission.objects.filter(pk__in=ids, status="graded").count() == len(
            ids
        )

    wait_until(done, timeout, "grading", interval=0.05)
    return {
        str(pk): at.timestamp()
        for pk, at in Submission.objects.filter(pk__in=ids).values_list(
            "pk", "graded_at"
        )
    }


def _check_through_api(stack: Stack, sent: list[tuple[float, str, dict]]) -> None:
    for _, submission_id, student in sent:
        status, data = stack.request(
            "GET", f"/api/v1/submissions/{submission_id}/", token=student["token"]
        )
        body = json.loads(data)
        if status != 200 or body["status"] != "graded" or body["score"] != 1.0:
            raise RuntimeError(f"{submission_id}: {status} {body}")


def peak(stack: Stack, count: int, clients: int) -> dict:
    students = stack.students

    def one(i: int):
        student = students[i % len(students)]
        sent, submission_id = stack.submit(student)
        return sent, submission_id, student

    start, before = time.time(), cpu_use(stack)
    with ThreadPoolExecutor(clients) as pool:
        sent = list(pool.map(one, range(count)))
    accepted = time.time()
    graded = _graded_at([s[1] for s in sent], timeout=600)
    cpu = cpu_report(before, cpu_use(stack), count)
    _check_through_api(stack, sent)
    latencies = [(graded[i] - t) * 1000 for t, i, _ in sent]
    return {
        "graded_per_s": count / (max(graded.values()) - start),
        "accepted_per_s": count / (accepted - start),
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "cpu": cpu,
    }


def paced(stack: Stack, rate: float, seconds: float) -> dict:
    """Open loop: submission i leaves at start + i / rate, whatever came back before."""
    count = max(20, int(rate * seconds))
    students = stack.students
    sent: list = [None] * count
    late = []

    def one(i: int, due: float):
        late.append(time.time() - due)
        student = students[i % len(students)]
        sent_at, submission_id = stack.submit(student)
        sent[i] = (sent_at, submission_id, student)

    start = time.time() + 0.2
    with ThreadPoolExecutor(64) as pool:
        for i in range(count):
            due = start + i / rate
            time.sleep(max(0.0, due - time.time()))
            pool.submit(one, i, due)
    graded = _graded_at([s[1] for s in sent], timeout=600)
    _check_through_api(stack, sent)
    latencies = [(graded[i] - t) * 1000 for t, i, _ in sent]
    return {
        "rate": rate,
        "count": count,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "max_start_delay_ms": max(late) * 1000,
    }


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def machine() -> str:
    import platform

    import psycopg
    import redis
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    info = redis.Redis.from_url(os.environ["CELERY_BROKER_URL"]).info("server")
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores, {memory:.0f} GiB RAM, Python "
        f"{platform.python_version()}, PostgreSQL {pg}, Redis "
        f"{info['redis_version']} (psycopg {psycopg.__version__})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--submissions", type=int, default=600)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=15.0, help="paced run length")
    add_stack_arguments(parser, database="tracegrade_bench")
    args = parser.parse_args()

    with stack_from(args, students=args.students) as stack:
        print(f"machine: {machine()}; load average {load_average()}")
        print(
            f"stack: {web_description(args)}, 1 Celery worker "
            f"(prefork x{args.pool}), Redis broker, PostgreSQL; loopback"
        )
        stack.submit(stack.students[0])  # warm every layer once
        no_op = floor(round_trips=200, burst=args.submissions, stack=stack)
        top = peak(stack, args.submissions, args.clients)
        half = paced(stack, top["graded_per_s"] / 2, args.seconds)

    ratio = top["graded_per_s"] / no_op["tasks_per_s"]
    print()
    print(
        f"floor (no-op task): {no_op['tasks_per_s']:.0f} tasks/s; round trip "
        f"p50 {no_op['round_trip_p50_ms']:.1f} ms, p99 {no_op['round_trip_p99_ms']:.1f} ms"
    )
    print(
        f"peak ({args.submissions} submissions, {args.clients} clients): "
        f"{top['graded_per_s']:.0f} graded/s (API accepted {top['accepted_per_s']:.0f}/s); "
        f"submit-to-graded p50 {top['p50_ms']:.0f} ms, p99 {top['p99_ms']:.0f} ms"
    )
    print(f"ratio graded/floor: {ratio:.2f}  (target >= 0.50)")
    print(f"CPU per no-op task (floor burst): {no_op['cpu']}")
    print(f"CPU per submission (peak): {top['cpu']}")
    print(
        f"half peak ({half['rate']:.0f}/s open loop, {half['count']} submissions): "
        f"p50 {half['p50_ms']:.1f} ms, p99 {half['p99_ms']:.1f} ms  (target p99 < 100 ms; "
        f"sender lag max {half['max_start_delay_ms']:.1f} ms)"
    )


if __name__ == "__main__":
    main()
