"""Work done once per content version, not once per request.

Rendered lesson and prompt HTML, a variant's graph SVG, the API's view of a
variant and the student view of a problem are pure functions of content
(a lesson's body, a problem's fields and spec, a variant's seed). Each is
stored in Django's ``content`` cache under a key that hashes exactly the
content it is made from, so an edit (in the admin, an import, the authoring
API, even a queryset ``update()``) makes a new key: nothing stale is ever
served, and nothing has to be invalidated. (``Problem.version`` alone would
not do: a spec corrected before anyone answered keeps its version number.)

The cache is only a shortcut: when it is unreachable the value is computed
as if it were missing.
"""

import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any

from django.core.cache import caches
from django.utils.safestring import SafeString, mark_safe

from courseware.graph_svg import graph_svg
from courseware.models import Lesson, Problem
from courseware.rendering import render_markdown

logger = logging.getLogger(__name__)

CACHE_ALIAS = "content"
_SPEC_HASH = "_tracegrade_spec_hash"


def content_key(kind: str, *parts: Any) -> str:
    """A cache key for ``kind`` made from the content ``parts`` (hashed).

    Examples
    ========
    >>> content_key("lesson-html", 1, "# Hi") == content_key("lesson-html", 1, "# Hi")
    True
    >>> content_key("lesson-html", 1, "# Hi") == content_key("lesson-html", 1, "# Ho")
    False
    """
    text = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return f"{kind}:{hashlib.blake2b(text.encode(), digest_size=16).hexdigest()}"


def cached(key: str, compute: Callable[[], Any]) -> Any:
    """The value stored under ``key``, else ``compute()`` (stored for next time)."""
    try:
        cache = caches[CACHE_ALIAS]
        value = cache.get(key)
    except Exception as error:  # the cache is a shortcut, never a dependency
        logger.warning("content cache unavailable (%r); computing %s", error, key)
        return compute()
    if value is None:
        value = compute()
        try:
            cache.set(key, value)
        except Exception as error:
            logger.warning("content cache unavailable (%r); not storing", error)
    return value


def spec_hash(problem: Problem) -> str:
    """A hash of the problem's spec, computed once per problem object."""
    known = problem.__dict__.get(_SPEC_HASH)
    if known is None or known[0] is not problem.spec:
        text = json.dumps(problem.spec, sort_keys=True, default=str)
        known = (problem.spec, hashlib.blake2b(text.encode()).hexdigest())
        problem.__dict__[_SPEC_HASH] = known
    return known[1]


# --- What is cached ---------------------------------------------------------------


def lesson_html(lesson: Lesson) -> SafeString:
    """The lesson's body as sanitised HTML (``courseware.rendering``)."""
    return _markdown_html("lesson-html", lesson.body)


def prompt_html(problem: Problem) -> SafeString:
    """The problem's prompt as sanitised HTML."""
    return _markdown_html("prompt-html", problem.prompt)


def _markdown_html(kind: str, text: str) -> SafeString:
    html = cached(content_key(kind, text), lambda: str(render_markdown(text)))
    return mark_safe(html)  # sanitised by render_markdown before it was stored


def graph_markup(
    problem: Problem, seed: int | None, trace, statuses: dict[str, str], **options
) -> str:
    """``courseware.graph_svg.graph_svg(trace, statuses, **options)`` of a variant."""
    key = content_key(
        "graph-svg",
        problem.kind,
        spec_hash(problem),
        seed,
        sorted(statuses.items()),
        sorted(options.items()),
    )
    return cached(key, lambda: graph_svg(trace, statuses, **options))


def step_ids(problem: Problem, compute: Callable[[], Any]) -> Any:
    """The answerable step ids of the problem's spec (``services.problem_step_ids``)."""
    return cached(content_key("step-ids", problem.kind, spec_hash(problem)), compute)


def submission_replay(submission_id: Any, reveal: bool, compute: Callable[[], Any]):
    """The backward-pass replay of one graded submission (its answers and version
    never change), with or without the key's numbers."""
    return cached(content_key("replay", str(submission_id), bool(reveal)), compute)


def variant_data(problem: Problem, seed: int | None, compute: Callable[[], Any]):
    """The API's ``VariantSerializer`` data of one variant."""
    key = content_key(
        "variant-view",
        problem.pk,
        problem.kind,
        problem.prompt,
        spec_hash(problem),
        seed,
    )
    return cached(key, compute)


def problem_data(problem: Problem, compute: Callable[[], Any]):
    """The API's ``ProblemSerializer`` data: what every student sees of a problem."""
    key = content_key(
        "problem-view",
        problem.pk,
        problem.lesson.course.slug,
        problem.lesson.slug,
        [getattr(problem, name) for name in PROBLEM_FIELDS],
        spec_hash(problem),
    )
    return cached(key, compute)


# Every field ``ProblemSerializer`` reads from the problem row.
PROBLEM_FIELDS = (
    "slug", "title", "kind", "prompt", "points", "attempt_limit", "due_at", "order",
)  # fmt: skip
