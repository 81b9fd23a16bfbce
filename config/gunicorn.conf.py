"""gunicorn's production settings (``gunicorn -c config/gunicorn.conf.py``).

Chosen from measurements on the 2-core machine type (``docs/performance.md``,
"Web workers"): a page costs a few milliseconds of CPU and waits on
PostgreSQL and Redis in between, so a few threads per process overlap those
waits without the memory of more processes. Size it with the environment:
``WEB_CONCURRENCY`` processes (default: one per core, at least 2) and
``GUNICORN_THREADS`` threads each (``GUNICORN_WORKER_CLASS`` ``gthread`` or
``sync``).
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", max(2, os.cpu_count() or 1)))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", 2))
# A slow client or a stuck request must not hold a process for ever; grading
# is not done here (it is queued), so 30 s is generous for any page.
timeout = 30
keepalive = 5
