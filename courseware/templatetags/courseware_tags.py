"""Small display filters for the student pages: scores and step statuses."""

from django import template

from courseware.graph_svg import STATUS_MARKERS

register = template.Library()


@register.filter
def percent(score) -> str:
    """A 0..1 score as a whole percentage: ``0.834`` -> ``"83%"``; blank for no score."""
    if score is None or score == "":
        return ""
    return f"{float(score) * 100:.0f}%"


@register.filter
def status_icon(status: str) -> str:
    """The text icon that goes with a step status (colour is never the only signal)."""
    return STATUS_MARKERS.get(status, ("", ""))[0]


@register.filter
def status_label(status: str) -> str:
    """The words for a step status, e.g. ``carried`` -> ``carried forward``."""
    return STATUS_MARKERS.get(status, ("", status or ""))[1]


@register.filter
def answer_keys(expected) -> list[str]:
    """The option keys of a revealed choice answer: ``"a, c"`` -> ``["a", "c"]``.

    Empty while the answer is not revealed (no ``expected`` in the feedback).
    """
    if not expected:
        return []
    return [key.strip() for key in str(expected).split(",") if key.strip()]
