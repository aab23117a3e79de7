"""Charts drawn on the server as inline SVG: no script, no CDN, readable on a closed network.

Sized for a phone first: the drawing is 360 units wide, about the width a 375 px screen gives
a card, so the 13-unit labels (app.css) stay 12–13 px there; on wider screens app.css caps the
chart's width so they do not grow past about 16 px. Numbers are written the Vietnamese way.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from service.formats import vn_number

WIDTH = 360
BAR_GAP = 6


def _svg(height: int, title: str, body: list[str], kind: str) -> Markup:
    label = escape(title)
    return Markup(
        f'<svg class="chart {kind}" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{label}" xmlns="http://www.w3.org/2000/svg" '
        f'preserveAspectRatio="xMinYMin meet"><title>{label}</title>{"".join(body)}</svg>')


def column_chart(labels: Sequence[str], values: Sequence[float | None], title: str,
                 maximum: float = 100.0, unit: str = "%") -> Markup:
    """Vertical bars, one per label ("\\n" starts a second line); None is drawn as a dash."""
    height, top, bottom, left = 220, 18, 36, 34
    plot = height - top - bottom
    step = (WIDTH - left) / max(len(labels), 1)
    body = [f'<line class="axis" x1="{left}" y1="{top + plot}" x2="{WIDTH}" y2="{top + plot}"/>']
    for tick in (0, 50, 100):
        y = top + plot - plot * tick / 100
        body.append(f'<text class="tick" x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">'
                    f"{vn_number(tick * maximum / 100)}</text>")
        body.append(f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{WIDTH}" y2="{y:.1f}"/>')
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = left + index * step + BAR_GAP / 2
        middle, spoken = x + (step - BAR_GAP) / 2, label.replace("\n", " ")
        lines = "".join(f'<tspan x="{middle:.1f}" dy="{0 if n == 0 else 13}">{escape(part)}</tspan>'
                        for n, part in enumerate(label.split("\n")))
        body.append(f'<text class="tick" y="{height - bottom + 16}" text-anchor="middle">'
                    f"{lines}</text>")
        if value is None:
            body.append(f'<text class="tick muted" x="{middle:.1f}" '
                        f'y="{top + plot - 4}" text-anchor="middle">–</text>')
            continue
        bar = plot * min(value, maximum) / maximum
        shown = vn_number(value, 1, unit if unit == "%" else f" {unit}")
        body.append(f'<rect class="bar {_tone(value)}" x="{x:.1f}" y="{top + plot - bar:.1f}" '
                    f'width="{step - BAR_GAP:.1f}" height="{bar:.1f}"><title>{escape(spoken)}: '
                    f"{shown}</title></rect>")
        body.append(f'<text class="value" x="{middle:.1f}" '
                    f'y="{top + plot - bar - 4:.1f}" text-anchor="middle">'
                    f"{vn_number(value)}</text>")
    return _svg(height, title, body, "columns")


def _tone(rate: float) -> str:
    return "good" if rate >= 90 else "fair" if rate >= 70 else "poor"


def stacked_bars(rows: Sequence[tuple[str, Sequence[int]]], series: Sequence[tuple[str, str]],
                 title: str) -> Markup:
    """Horizontal bars split into series (name, css class), one bar per row.

    Each row's name is written above its bar across the whole width, so long names of lĩnh
    vực and handling bodies stay whole and legible on a phone. The legend is HTML (see
    `legend`), so it wraps instead of being cut off.
    """
    row_height, bar_height, total_room = 40, 14, 44
    height = row_height * max(len(rows), 1)
    largest = max((sum(values) for _, values in rows), default=0) or 1
    scale = (WIDTH - total_room) / largest
    body = []
    for index, (label, values) in enumerate(rows):
        y = index * row_height
        body.append(f'<text class="tick" x="0" y="{y + 14}">{escape(_shorten(label, 48))}'
                    f"<title>{escape(label)}</title></text>")
        x, bar_top = 0.0, y + 19
        for (name, css), value in zip(series, values, strict=True):
            if value:
                body.append(f'<rect class="bar {css}" x="{x:.1f}" y="{bar_top}" '
                            f'width="{value * scale:.1f}" height="{bar_height}"><title>'
                            f"{escape(label)} – {escape(name)}: {vn_number(value)}</title></rect>")
                x += value * scale
        body.append(f'<text class="value" x="{x + 4:.1f}" y="{bar_top + bar_height - 2}">'
                    f"{vn_number(sum(values))}</text>")
    return _svg(height, title, body, "bars")


def legend(series: Sequence[tuple[str, str]]) -> Markup:
    """The colour key of a chart's series as an HTML list."""
    items = "".join(f'<li><span class="swatch {css}"></span>{escape(name)}</li>'
                    for name, css in series)
    return Markup(f'<ul class="legend">{items}</ul>')


def _shorten(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"
