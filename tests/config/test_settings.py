import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Set by the test run itself (tests/environment.py, tests/e2e): not production's.
TEST_ONLY_ENV = (
    "SECRET_KEY",
    "DEBUG",
    "SECURE_SSL_REDIRECT",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)


def _check(env: dict) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in TEST_ONLY_ENV}
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
    )


def test_production_refuses_to_start_without_secret_key():
    result = _check({"DEBUG": "0"})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_refuses_a_weak_secret_key():
    result = _check({"DEBUG": "0", "SECRET_KEY": "django-insecure-abc"})
    assert result.returncode != 0
    assert "too weak" in result.stderr


def test_development_starts_without_secret_key():
    assert _check({"DEBUG": "1"}).returncode == 0


def test_deploy_check_is_clean_in_production():
    env = {"DEBUG": "0", "SECRET_KEY": "k" * 20 + "x9Q-r7Zp2Lm4Nv8Tq3Ws6Yb1Hc5Jd0Fg"}
    clean = {k: v for k, v in os.environ.items() if k not in TEST_ONLY_ENV}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
