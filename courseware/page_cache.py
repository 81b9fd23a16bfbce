"""Whole student pages rendered once per state, not once per request.

``cached_page("lesson")`` wraps a page view. On a GET it reads the page's
digest (``courseware.page_state``: every row the page is made from, for this
user, in one SQL statement) and looks the rendered page up under the user,
the URL and that digest. A hit is served without the view (no ORM, no
template); a miss runs the view and stores its page when the digest read
after the view is the one read before (nothing changed while it rendered).

A cached page must not repeat what is fresh in every response:

- CSRF tokens: each stored token (checked to be the user's secret) becomes a
  placeholder, and a hit gets a newly masked token (``get_token``), which also
  sets the CSRF cookie as the view would have.
- Idempotency keys: views make them with ``fresh_key()``, which records them
  while a page is captured; each becomes a placeholder, and a hit gets new ones.

``cached_api_read`` does the same for the API's reads of a problem (its data,
rendered by DRF as usual), and ``cached_value`` for any value a view loads
from the rows of a digest (the API's problem with the user's role, variant
seed and current version, loaded by every problem request and submission).

Only plain 200 HTML answers are stored: no cookies set by the view, session
unchanged, no CSP nonce used, no query string but ``?quiz=``. Keys name the
user, so one user's page is never served to another; the cache is per process
(``pages`` alias, local memory) and only a shortcut: when it fails, the view
runs.
"""

import contextvars
import hashlib
import logging
import re
import uuid
from functools import wraps

from django.core.cache import caches
from django.http import HttpResponse
from django.middleware.csrf import _unmask_cipher_token, get_token
from rest_framework.response import Response

from courseware import page_state

logger = logging.getLogger(__name__)

CACHE_ALIAS = "pages"
ALLOWED_QUERY = {"quiz"}
_KEYS: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "tracegrade_page_keys", default=None
)
_CSRF = "\x00csrf\x00"
_KEY = "\x00key{}\x00"
_TOKEN = re.compile(r"[A-Za-z0-9]{64}")
_PLACEHOLDER = re.compile("\x00(csrf|key\\d+)\x00")


def fresh_key() -> str:
    """A new random key for a page (an idempotency key); a cached page gets new ones."""
    value = uuid.uuid4().hex
    keys = _KEYS.get()
    if keys is not None:
        keys.append(value)
    return value


def cached_page(page: str):
    """Serve the view's GET answers from the cache while ``page``'s digest holds."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not _cacheable_request(request):
                return view(request, *args, **kwargs)
            slugs = {k.removesuffix("_slug"): v for k, v in kwargs.items()}
            before = _digest(page, request.user, slugs, "rendering")
            if before is None:
                return view(request, *args, **kwargs)
            key = _key(page, request, before)
            stored = _get(key)
            if stored is not None:
                return _serve(request, stored)
            keys: list[str] = []
            reset = _KEYS.set(keys)
            try:
                response = view(request, *args, **kwargs)
            finally:
                _KEYS.reset(reset)
            if _storable(request, response) and _still(
                page, request.user, slugs, before
            ):
                _set(key, _template_of(request, response, keys))
            return response

        return wrapper

    return decorate


def cached_api_read(page: str, state=lambda **kwargs: {}):
    """For a DRF ``get``: its data served again while the digest of ``page`` holds
    (as ``cached_page``); ``state(**url_kwargs)`` names what the digest is of."""

    def decorate(method):
        @wraps(method)
        def wrapper(self, request, *args, **kwargs):
            user = request.user
            if request.query_params or not user.is_authenticated:
                return method(self, request, *args, **kwargs)
            params = state(**kwargs)
            before = _digest(page, user, params, "computing")
            if before is None:
                return method(self, request, *args, **kwargs)
            key = _key(page, request, before)
            stored = _get(key)
            if stored is not None:
                return Response(stored)
            response = method(self, request, *args, **kwargs)
            if response.status_code == 200 and isinstance(response.data, dict):
                if _still(page, user, params, before):
                    _set(key, response.data)
            return response

        return wrapper

    return decorate


def cached_value(page: str, *, user, params: dict, name: str, load):
    """``load()``, or what it returned before while the digest of ``page`` (for
    ``user`` and ``params``) holds; ``name`` tells apart values of one digest.

    The value is stored pickled (each read gets its own copy) and only when the
    digest read after ``load()`` is the one read before. ``None`` is never
    stored. Off PostgreSQL, or when the digest or the cache cannot be read,
    ``load()`` runs every time.
    """
    if not user.is_authenticated:
        return load()
    before = _digest(page, user, params, "loading")
    if before is None:
        return load()
    text = "\n".join([page, name, str(user.pk), repr(sorted(params.items())), before])
    key = f"value:{hashlib.blake2b(text.encode(), digest_size=16).hexdigest()}"
    stored = _get(key)
    if stored is not None:
        return stored
    value = load()
    if value is not None and _still(page, user, params, before):
        _set(key, value)
    return value


def problem_state(*, pk, **kwargs) -> dict:
    """``cached_api_read``'s state of a problem read (``/problems/<pk>/...``)."""
    return {"problem": int(pk)}


def _digest(page: str, user, params: dict, instead: str) -> str | None:
    """The digest of ``page``; None off PostgreSQL or when it cannot be read
    (logged: the caller then does the work, ``instead``, never worse off)."""
    try:
        return page_state.digest(page, user_id=user.pk, **params)
    except Exception as error:
        logger.warning("page state unreadable (%r); %s", error, instead)
        return None


def _still(page: str, user, params: dict, before: str) -> bool:
    """Whether the digest read after the view is the one read before it."""
    try:
        return page_state.digest(page, user_id=user.pk, **params) == before
    except Exception as error:
        logger.warning("page state unreadable (%r); not storing", error)
        return False


def _cacheable_request(request) -> bool:
    return (
        request.method == "GET"
        and request.user.is_authenticated
        and set(request.GET) <= ALLOWED_QUERY
    )


def _key(page: str, request, digest: str) -> str:
    parts = [page, str(request.user.pk), request.get_host(), request.get_full_path()]
    text = "\n".join([*parts, digest])
    return f"page:{hashlib.blake2b(text.encode(), digest_size=16).hexdigest()}"


def _storable(request, response) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and response.get("Content-Type", "").startswith("text/html")
        and not request.session.modified
        # A CSP nonce is per response: a page that used one is never replayed.
        and getattr(request, "_csp_nonce", None) is None
        and set(response.headers) <= {"Content-Type"}
    )


def _template_of(request, response, keys: list[str]) -> tuple[str, str]:
    """The page with its CSRF tokens and fresh keys replaced by placeholders."""
    html = response.content.decode(response.charset)
    secret = request.META.get("CSRF_COOKIE")

    def token(match: re.Match) -> str:
        text = match.group(0)
        if secret and _unmask_cipher_token(text) == secret:
            return _CSRF
        return text

    html = _TOKEN.sub(token, html)
    for number, value in enumerate(keys):
        html = html.replace(value, _KEY.format(number))
    return response["Content-Type"], html


def _serve(request, stored: tuple[str, str]) -> HttpResponse:
    content_type, html = stored
    csrf = get_token(request)
    fresh: dict[str, str] = {}

    def fill(match: re.Match) -> str:
        name = match.group(1)
        if name == "csrf":
            return csrf
        return fresh.setdefault(name, uuid.uuid4().hex)

    return HttpResponse(_PLACEHOLDER.sub(fill, html), content_type=content_type)


def _get(key: str):
    try:
        return caches[CACHE_ALIAS].get(key)
    except Exception as error:
        logger.warning("page cache unavailable (%r)", error)
        return None


def _set(key: str, value) -> None:
    try:
        caches[CACHE_ALIAS].set(key, value)
    except Exception as error:
        logger.warning("page cache unavailable (%r); not storing", error)
