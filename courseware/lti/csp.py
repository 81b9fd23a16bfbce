"""Content-Security-Policy for the LTI pages that carry an inline script.

pylti1p3's cookie check (OIDC login) and the deep-linking return form are
written with an inline ``<script>``. Rather than allowing inline scripts,
each such response allows exactly its own scripts, by SHA-256 hash.
"""

import base64
import hashlib
import re
from urllib.parse import urlsplit

from django.http import HttpResponse

_SCRIPT = re.compile(rb"<script\b[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)
_STYLE = re.compile(rb"<style\b[^>]*>(.*?)</style>", re.DOTALL | re.IGNORECASE)


def _hashes(pattern: re.Pattern, content: bytes) -> list[str]:
    return [
        f"'sha256-{base64.b64encode(hashlib.sha256(body).digest()).decode()}'"
        for body in pattern.findall(content)
        if body.strip()
    ]


def allow_own_inline_code(
    response: HttpResponse, form_targets: tuple[str, ...] = ()
) -> HttpResponse:
    """Let ``response`` run the inline scripts and styles it contains (and no others).

    ``form_targets``: URLs its forms post to (their origins join ``form-action``).
    """
    update: dict[str, list[str]] = {}
    content = getattr(response, "content", b"")
    scripts, styles = _hashes(_SCRIPT, content), _hashes(_STYLE, content)
    if scripts:
        update["script-src"] = scripts
    if styles:
        update["style-src"] = styles
    origins = [_origin(url) for url in form_targets if _origin(url)]
    if origins:
        update["form-action"] = origins
    if update:
        response._csp_update = {**getattr(response, "_csp_update", {}), **update}
    return response


def _origin(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}"
