"""Horizontal bar charts as inline SVG, drawn on the server (no chart library, no CDN).

Each bar carries its value as text too, so the chart reads without colour and
in a screen reader (``<title>`` per bar, ``role="img"`` with a description).
"""

from collections.abc import Sequence
from html import escape

LABEL_W, BAR_W, VALUE_W = 180, 360, 70
BAR_H, GAP, MARGIN = 20, 6, 8


def bar_chart(
    title: str,
    bars: Sequence[tuple[str, float, str]],
    *,
    maximum: float | None = None,
    css_class: str = "",
) -> str:
    """SVG markup for ``bars`` of ``(label, value, value text)``, longest = ``maximum``.

    Examples
    ========

    >>> svg = bar_chart("Errors", [("forward:u", 0.5, "50%")], maximum=1.0)
    >>> 'width="180.0"' in svg and "forward:u" in svg and "50%" in svg
    True
    """
    if not bars:
        return ""
    top = maximum if maximum else max(value for _, value, _ in bars) or 1.0
    height = MARGIN * 2 + len(bars) * (BAR_H + GAP) - GAP
    width = LABEL_W + BAR_W + VALUE_W
    summary = "; ".join(f"{label}: {text}" for label, _, text in bars)
    parts = [
        (
            f'<svg class="chart {escape(css_class)}" xmlns="http://www.w3.org/2000/svg" '
            f'role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'aria-label="{escape(title)}: {escape(summary)}">'
        ),
        f"<title>{escape(title)}</title>",
    ]
    for index, (label, value, text) in enumerate(bars):
        y = MARGIN + index * (BAR_H + GAP)
        length = max(0.0, min(1.0, value / top)) * BAR_W
        middle = y + BAR_H / 2 + 4
        parts += [
            f'<g class="bar" data-label="{escape(label)}">',
            f"<title>{escape(label)}: {escape(text)}</title>",
            (
                f'<text x="{LABEL_W - 6}" y="{middle}" text-anchor="end" '
                f'class="bar-label">{escape(_short(label))}</text>'
            ),
            (
                f'<rect x="{LABEL_W}" y="{y}" width="{length:.1f}" height="{BAR_H}" '
                f'class="bar-fill" rx="2"/>'
            ),
            (
                f'<text x="{LABEL_W + length + 6:.1f}" y="{middle}" '
                f'class="bar-value">{escape(text)}</text>'
            ),
            "</g>",
        ]
    parts.append("</svg>")
    return "\n".join(parts)


def _short(label: str, limit: int = 26) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
