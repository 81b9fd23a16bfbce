"""Fixtures for the fault tests: a throwaway Redis, the test process's broker, content.

Every fault test runs its workers against its own ``redis-server`` on a free
port when the binary is installed, so a stopped broker or a killed worker
never disturbs anyone else's Redis (and nobody else's worker takes our
messages). Without the binary, the tests that only kill workers fall back to
the configured Redis; the broker-outage test cannot run.
"""

import shutil
import socket
import subprocess
import uuid
from pathlib import Path

import pytest

from config.celery import app
from courseware import problem_saving, services
from courseware.models import Problem
from tests.services import missing, redis_url
from tests.workers import wait_for

REDIS_SERVER = shutil.which("redis-server")

# A 31-step chain: heavier to grade than "Work this", so a batch is still
# running when a worker is killed.
LONG_CHAIN = {
    "kind": "scalar_trace",
    "program": "".join(
        f"h{i} = h{i - 1}*w + {i % 3 + 1}\n" for i in range(1, 31)
    ).replace("h0", "x")
    + "z = h30**2\n",
    "inputs": {"x": 0.5, "w": 0.9},
    "ask": ["forward", "local", "grad"],
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A ``redis-server`` child process on its own port, without persistence."""

    def __init__(self, log_dir: Path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log_path = log_dir / f"redis-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> "RedisServer":
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--logfile", str(self.log_path)],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        wait_for(self.answers, timeout=20, interval=0.05)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        wait_for(lambda: not self.answers(), timeout=20, interval=0.05)

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def client(self):
        import redis

        return redis.Redis.from_url(self.url)


@pytest.fixture
def own_redis(tmp_path: Path):
    """A private Redis (start, stop, start again); the test fails or skips without one."""
    if REDIS_SERVER is None:
        missing("redis-server is not installed (apt install redis-server)")
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def broker_url(tmp_path: Path) -> str:
    """A Redis broker for worker-killing tests: a private one if possible."""
    if REDIS_SERVER is None:
        yield redis_url()
        return
    server = RedisServer(tmp_path).start()
    yield server.url
    server.stop()


def point_app_at(url: str, monkeypatch) -> None:
    """Send this process's Celery messages to ``url`` (env first, as Celery reads it)."""
    # Order matters: monkeypatch records what getattr returns, and Celery derives
    # broker_write_url from broker_url and broker_url from the environment, so
    # patching a source before what derives from it would "restore" the new URL.
    monkeypatch.setattr(app.conf, "broker_write_url", None)
    monkeypatch.setattr(app.conf, "broker_url", url)
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    # Swap the pool out, never close it: monkeypatch puts the original back for
    # the tests that follow, and a closed one fails with "Acquire on closed pool".
    monkeypatch.setattr(app, "_pool", None)
    monkeypatch.setattr(app.amqp, "_producer_pool", None)


@pytest.fixture
def use_broker(monkeypatch):
    """``use_broker(url)``: this process enqueues on ``url`` until the test ends."""
    yield lambda url: point_app_at(url, monkeypatch)
    if app._pool is not None:
        app._pool.force_close_all()


@pytest.fixture(autouse=True)
def unbounded_in_flight(settings):
    """These drills post hundreds of submissions from one student on purpose."""
    settings.GRADING_MAX_IN_FLIGHT = 100_000


@pytest.fixture(autouse=True)
def isolated_cache(settings):
    """A private cache: API throttle counts never meet other runs' on a shared Redis."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"faults-{uuid.uuid4().hex}",
        }
    }


@pytest.fixture
def course(db):
    course, _ = services.course_upsert(slug="faults", title="Fault drills")
    lesson, _ = services.lesson_upsert(
        course=course, slug="credit", title="Credit assignment"
    )
    return lesson


@pytest.fixture
def make_problem(course):
    def make(slug: str, spec: dict) -> Problem:
        problem, _ = problem_saving.problem_save(
            lesson=course, slug=slug, title=slug, spec=spec, attempt_limit=None
        )
        return problem

    return make


@pytest.fixture
def student(django_user_model, course):
    user = django_user_model.objects.create_user(username="ada", password="pw-ada-1")
    services.course_enrol(course=course.course, user=user)
    return user


def key_answers(problem: Problem, student) -> dict[str, str]:
    """The student's variant's answer key, as text."""
    from engine.specs import instantiate
    from engine.trace import trace

    variant = services.variant_get_or_create(student=student, problem=problem)
    values = trace(instantiate(problem.spec, variant.seed)).values
    return {step: repr(float(value)) for step, value in values.items()}
