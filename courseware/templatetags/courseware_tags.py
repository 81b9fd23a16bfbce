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
