"""Find the real services a test needs; skip (or, in CI, fail) when one is missing."""

import os
import shutil
import socket
from urllib.parse import urlparse

import pytest

REQUIRE_ALL = os.environ.get("TRACEGRADE_REQUIRE_ALL") == "1"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def missing(reason: str) -> None:
    """Skip with a visible reason, or fail when CI requires every service."""
    if REQUIRE_ALL:
        pytest.fail(f"TRACEGRADE_REQUIRE_ALL=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    parsed = urlparse(url)
    if not reachable(parsed.hostname or "127.0.0.1", parsed.port or 6379):
        missing(f"Redis is not reachable at {url}")
    return url


def chromium_path() -> str:
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        missing(f"Chromium is not installed at {CHROMIUM} (apt install chromium)")
    return CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
