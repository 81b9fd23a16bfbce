"""Loaded by pytest before Django (``-p tests.environment`` in pytest.ini).

Gives the test run its own secret and state folder, so tests never depend on
(or disturb) a developer's ``make run`` data.
"""

import os
import secrets
from pathlib import Path

_root = Path(__file__).resolve().parent.parent
os.environ.setdefault("SECRET_KEY", "tests-" + secrets.token_urlsafe(40))
# Production settings (a checkout's .env from `make run` says DEBUG=1: not here).
os.environ.setdefault("DEBUG", "0")
# Pages are rendered from the source folders; the production test
# (tests/config/test_production.py) runs collectstatic and the manifest.
os.environ.setdefault("STATIC_MANIFEST", "0")
# The test client and live server speak plain HTTP.
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("TRACEGRADE_VAR_DIR", str(_root / "var" / "test"))
