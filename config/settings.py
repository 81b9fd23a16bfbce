"""Settings, read from the environment (twelve-factor, via django-environ).

With nothing set, Tracegrade runs embedded: SQLite and kombu's filesystem
broker under ``var/``, with a real Celery worker process. ``DATABASE_URL`` and
``CELERY_BROKER_URL`` / ``REDIS_URL`` switch to PostgreSQL and Redis.
"""

import secrets
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("TRACEGRADE_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()
# A checkout's own settings file (written by ``make run``: DEBUG=1), so that
# ``manage.py <command>`` works in the same checkout as the server it runs.
# The process environment wins over the file.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)


def _secret_key() -> str:
    key = env.str("SECRET_KEY", default="")
    if key:
        if not DEBUG and (len(key) < 32 or key.startswith("django-insecure")):
            raise ImproperlyConfigured(
                "SECRET_KEY is too weak for production: use 50 random characters "
                "(python -c 'import secrets; print(secrets.token_urlsafe(50))')."
            )
        return key
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Production refuses to start without one; "
            "set SECRET_KEY, or DEBUG=1 for local development."
        )
    # Development only: one random key per checkout, kept in var/.
    path = VAR_DIR / "dev_secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "knox",
    "lti_tool",
    "courseware",
    "grader",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # NUL and control characters in a query string: 400, before any view.
    "config.query_string.QueryStringMiddleware",
    # Outside LtiFramingMiddleware, which widens frame-ancestors for LTI sessions.
    "csp.middleware.CSPMiddleware",
    # Static files from the same process, compressed and with hashed names.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Database, cache or broker down: JSON 503 for the API, a page for people.
    "config.outage.OutageMiddleware",
    # Outside the session and CSRF middleware, whose cookies it marks
    # SameSite=None; Secure for an LTI session (Lax for every other one).
    "courseware.lti.cookies.LtiCookieMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "lti_tool.middleware.LtiLaunchMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Inside XFrameOptionsMiddleware: lets the LMS frame pages of an LTI session.
    "courseware.lti.middleware.LtiFramingMiddleware",
    # Last, as django-axes asks: answers a locked-out sign-in with 429.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db(
        "DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'tracegrade.sqlite3'}"
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so that a worker process sees the test database too.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    # Take the write lock at BEGIN: a web process and a worker writing at once
    # wait for each other instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Keep connections open between requests (a new PostgreSQL connection costs
# more than most pages); checked before reuse, so a restarted database is
# reconnected instead of failing the request.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=300)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# courseware.page_state prepares its statements once per connection; off for
# a pooler that hands each transaction another server connection (PgBouncer
# in transaction mode).
PAGE_STATE_PREPARE = env.bool("PAGE_STATE_PREPARE", default=True)
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# django-axes first: it refuses a locked-out (username, address) before the
# password is even checked, and records every failure.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
# Production serves what ``collectstatic`` wrote to STATIC_ROOT, with hashed
# names (cached for a year) and gzip/brotli copies; development serves the
# source folders. STATIC_MANIFEST=0 (the test settings) skips the manifest.
STATIC_MANIFEST = env.bool("STATIC_MANIFEST", default=not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# --- Celery -----------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# The embedded broker: kombu's SQLAlchemy transport over a SQLite file in var/
# (config.broker), where a message is a row written in one transaction; a
# reader never sees half of one.
EMBEDDED_BROKER_URL = f"sqla+sqlite:///{VAR_DIR / 'broker.sqlite3'}"
CELERY_BROKER_URL = (
    env.str("CELERY_BROKER_URL", default="") or REDIS_URL or EMBEDDED_BROKER_URL
)
if CELERY_BROKER_URL.startswith(("sqla+", "sqlalchemy+")):
    CELERY_BROKER_TRANSPORT = "config.broker:Transport"
    CELERY_BROKER_URL = CELERY_BROKER_URL.split("+", 1)[1]
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Passed to SQLAlchemy's create_engine: wait for the write lock.
        "connect_args": {"timeout": 30},
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # A message whose worker vanished is redelivered after this many seconds.
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=600),
        # Fail fast when Redis is down: the submission stays queued in the
        # database and the sweeper sends it later; the student is not kept waiting.
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
    }
# Publishing gives up quickly (the sweeper re-sends what was not sent).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# Celery's Django fixup closes every database connection before and after each
# task unless this is set (a new PostgreSQL backend per task: half the CPU of a
# no-op task, 30 % of a submission's; docs/performance.md). With it, the fixup closes them every this many tasks,
# and config.celery treats each task as Django treats a request: the
# connection is kept for CONN_MAX_AGE and dropped after an error.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
GRADING_SOFT_TIME_LIMIT = env.int("GRADING_SOFT_TIME_LIMIT", default=10)
GRADING_TIME_LIMIT = env.int("GRADING_TIME_LIMIT", default=15)
# Per worker child process, enforced with setrlimit when the child starts.
WORKER_MEMORY_LIMIT_MB = env.int("WORKER_MEMORY_LIMIT_MB", default=1024)
# CPU seconds one task may use (reset at the start of every task, so a
# long-lived pool process never accumulates towards it).
WORKER_CPU_LIMIT_SECONDS = env.int(
    "WORKER_CPU_LIMIT_SECONDS", default=GRADING_TIME_LIMIT + 5
)
# Workers record that they are alive every WORKER_HEARTBEAT_SECONDS; /readyz
# fails when none has for WORKER_HEARTBEAT_MAX_AGE seconds.
WORKER_HEARTBEAT_SECONDS = env.float("WORKER_HEARTBEAT_SECONDS", default=5.0)
WORKER_HEARTBEAT_MAX_AGE = env.float("WORKER_HEARTBEAT_MAX_AGE", default=30.0)
# The sweeper (Celery beat, every GRADING_SWEEP_EVERY seconds) re-sends
# grading for submissions that were never sent, whose message the broker
# lost, or whose worker died after claiming them.
GRADING_SWEEP_EVERY = env.float("GRADING_SWEEP_EVERY", default=15.0)
GRADING_SWEEP_QUEUED_AFTER = env.int("GRADING_SWEEP_QUEUED_AFTER", default=30)
GRADING_SWEEP_GRADING_AFTER = env.int(
    "GRADING_SWEEP_GRADING_AFTER", default=GRADING_TIME_LIMIT + 30
)
# A message that was sent and is still queued is only re-sent when the queue
# is empty (the broker lost it) or after this long.
GRADING_RESEND_AFTER = env.int("GRADING_RESEND_AFTER", default=600)
# Fairness: a student may have at most this many submissions waiting or being
# graded; beyond it a new one is refused (see courseware.fairness).
GRADING_MAX_IN_FLIGHT = env.int("GRADING_MAX_IN_FLIGHT", default=10)
# The hard deadline (seconds) of one live preview in the web process.
PREVIEW_TIME_LIMIT = env.float("PREVIEW_TIME_LIMIT", default=0.5)

# --- Client address, login lockout -----------------------------------------
# How many proxies in front of the app append to X-Forwarded-For. 0 (the
# default): the header is ignored and the client is REMOTE_ADDR, so a client
# cannot choose its own address. Behind one reverse proxy (nginx, a load
# balancer), 1. Used by every rate limit and by django-axes (config.client_ip).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_CLIENT_IP_CALLABLE = "config.client_ip.client_ip"
# Locked out: this many wrong passwords for one username from one address...
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
# ...for this long (then it may try again). A student elsewhere is not locked out.
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
# The failures are database rows (admin: Axes), so they hold across web processes.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"

# --- REST API ---------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Token first, so an unauthenticated call answers 401 with WWW-Authenticate.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "courseware.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "courseware.api.errors.exception_handler",
    # The API's own reading of X-Forwarded-For (config.client_ip applies the same).
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_PARSER_CLASSES": [
        "courseware.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Scoped rates; the load test raises them through the environment. The
    # student pages' preview and submit share the "validate" and "submit" counts.
    "DEFAULT_THROTTLE_RATES": {
        "submit": env.str("THROTTLE_SUBMIT", default="30/min"),
        "validate": env.str("THROTTLE_VALIDATE", default="120/min"),
        "token": env.str("THROTTLE_TOKEN", default="10/min"),
    },
}
REST_KNOX = {
    # Tokens are stored hashed; the plain token is shown once, when created.
    "TOKEN_TTL": timedelta(hours=env.int("API_TOKEN_TTL_HOURS", default=24 * 30)),
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Tracegrade API",
    "DESCRIPTION": "Backpropagation exercises graded step by step.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Cache ------------------------------------------------------------------
# Shared by every web process: API throttling counts and LTI launch state
# (OIDC nonces, launch data) must survive a hop between gunicorn workers.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="tracegrade"),
            # Redis down must not hang a request (throttles then let it pass).
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
# Rendered content (lesson and prompt HTML, graph SVGs, the API's variant and
# problem views; courseware.content_cache). Its keys hash the content they
# are made from, so they never go stale and need no sharing between
# processes: by default each process keeps its own (no network round trip
# per fragment; docs/performance.md measures both). CONTENT_CACHE=redis
# shares them in Redis instead.
CONTENT_CACHE = env.str("CONTENT_CACHE", default="local")
if CONTENT_CACHE == "redis" and REDIS_URL:
    CACHES["content"] = {
        **CACHES["default"],
        "KEY_PREFIX": CACHES["default"].get("KEY_PREFIX", "tracegrade") + "-content",
        "TIMEOUT": 24 * 3600,
    }
else:
    CACHES["content"] = {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "tracegrade-content",
        "TIMEOUT": None,  # content-addressed: evicted by size (MAX_ENTRIES), never stale
        "OPTIONS": {"MAX_ENTRIES": env.int("CONTENT_CACHE_ENTRIES", default=2000)},
    }
# Whole student pages, keyed by the user, the URL and a digest of every row
# the page is made from (courseware.page_cache, courseware.page_state): never
# stale, per process, evicted by size.
CACHES["pages"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "tracegrade-pages",
    "TIMEOUT": env.int("PAGE_CACHE_TIMEOUT", default=3600),
    "OPTIONS": {"MAX_ENTRIES": env.int("PAGE_CACHE_ENTRIES", default=1000)},
}
# Sessions are read from the cache and written through to the database
# (config.sessions: the database answers when the cache is down).
SESSION_ENGINE = "config.sessions"

# --- LTI 1.3 ----------------------------------------------------------------
# Origins allowed to frame pages of an LTI session, besides the ones the
# launch itself names (return URLs); e.g. https://school.instructure.com
LTI_FRAME_ANCESTORS = env.list("LTI_FRAME_ANCESTORS", default=[])
# LTI Dynamic Registration: deployments a platform registers start inactive
# (an administrator ticks "is active" in the admin) unless this is set.
LTI_DYNAMIC_REGISTRATION_ACTIVATE = env.bool(
    "LTI_DYNAMIC_REGISTRATION_ACTIVATE", default=False
)
# Registration fetches URLs the platform names; private and loopback hosts are
# refused (no requests into the tool's own network) unless this is set.
LTI_REGISTRATION_ALLOW_PRIVATE_HOSTS = env.bool(
    "LTI_REGISTRATION_ALLOW_PRIVATE_HOSTS", default=False
)

# --- Tracegrade -------------------------------------------------------------
# Seeds variants: two students see different numbers, a reload the same ones.
VARIANT_SECRET = env.str("VARIANT_SECRET", default=SECRET_KEY)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# --- Production hardening (manage.py check --deploy) -----------------------
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]  # probes speak plain HTTP
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
# Lax for every session; courseware.lti.cookies makes the cookies of an LTI
# session (shown in the LMS's iframe, across sites) SameSite=None; Secure.
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Content-Security-Policy (django-csp 4) ----------------------------------
# Everything from this origin (no CDN, ever): scripts, styles, KaTeX's fonts,
# Swagger UI (drf-spectacular's sidecar, its script served as a file). No
# inline scripts or styles; the LTI pages that a library writes with an inline
# script allow exactly that script by hash (courseware.lti.csp). Nobody frames
# a page, except the LMS of an LTI session (courseware.lti.middleware).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "font-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
