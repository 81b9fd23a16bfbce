"""Checks of a verified launch's claims before anything is stored.

A signature proves who sent a launch, not that its claims are well formed:
platforms send odd values (a number where text belongs, ``{"id": null}``).
Each check names the claim and says what to do, so an odd launch is a clear
4xx page, never a 500.
"""

from typing import Any

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
MAX_ID = 255


class LaunchRefused(Exception):
    """A valid launch Tracegrade cannot serve; the message is shown to the user."""

    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.status = status


def _bad(claim: str, what: str) -> LaunchRefused:
    return LaunchRefused(
        f"The LMS sent a launch whose {claim} {what}. Ask the LMS administrator "
        "to check the tool's settings, then start the launch again.",
        400,
    )


def _identifier(value: Any, claim: str, *, required: bool) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str) or not value.strip():
        raise _bad(claim, "is not a non-empty text identifier")
    if len(value) > MAX_ID:
        raise _bad(claim, f"is longer than {MAX_ID} characters")


def _text(value: Any, claim: str) -> None:
    if value is not None and not isinstance(value, str):
        raise _bad(claim, "is not text")


def launch_claims_check(data: dict, *, resource_launch: bool) -> None:
    """Raise ``LaunchRefused`` (400) naming the first malformed claim of ``data``."""
    _identifier(data.get("sub"), "user id ('sub')", required=True)
    for name in ("given_name", "family_name", "name", "email"):
        _text(data.get(name), f"'{name}'")
    roles = data.get(LTI + "roles")
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise _bad("roles claim", "is not a list of role URIs")
    context = data.get(LTI + "context")
    if context is not None:
        if not isinstance(context, dict):
            raise _bad("context claim", "is not an object")
        _identifier(context.get("id"), "context id", required=True)
        for name in ("title", "label"):
            _text(context.get(name), f"context {name}")
    custom = data.get(LTI + "custom")
    if custom is not None and not isinstance(custom, dict):
        raise _bad("custom claim", "is not an object")
    if resource_launch:
        link = data.get(LTI + "resource_link")
        if not isinstance(link, dict):
            raise _bad("resource link claim", "is missing")
        _identifier(link.get("id"), "resource link id", required=True)
        _text(link.get("title"), "resource link title")
