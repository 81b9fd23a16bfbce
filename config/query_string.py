"""Refuses query strings that carry NUL or other control characters (400, not 500).

No parameter of Tracegrade legitimately holds one, and some layers (the
PostgreSQL driver among them) fail on a NUL byte in text. Checked once, here,
for every URL, instead of in every view that reads a parameter.
"""

import re
from urllib.parse import unquote_to_bytes

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

# C0 controls except tab, newline and carriage return, which some clients do
# send in text parameters; DEL too.
CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MESSAGE = (
    "The address contains a control character (such as %00); remove it and try again."
)


def has_control_characters(query_string: str) -> bool:
    """Whether the raw or percent-decoded query string holds a control character."""
    raw = query_string.encode("latin-1", "replace")
    return bool(CONTROL.search(raw) or CONTROL.search(unquote_to_bytes(raw)))


class QueryStringMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if has_control_characters(request.META.get("QUERY_STRING", "")):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"errors": [{"field": None, "message": MESSAGE}]}, status=400
                )
            return HttpResponseBadRequest(MESSAGE, content_type="text/plain")
        return self.get_response(request)
