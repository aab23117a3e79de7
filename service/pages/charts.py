"""Charts drawn on the server as inline SVG: no script, no CDN, readable on a closed network."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH = 640
BAR_GAP = 6


def _svg(height: int, title: str, body: list[str]) -> Markup:
    label = escape(title)
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{label}" '
        f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMinYMin meet">'
        f"<title>{label}</title>{''.join(body)}</svg>")


def column_chart(labels: Sequence[str], values: Sequence[float | None], title: str,
                 maximum: float = 100.0, unit: str = "%") -> Markup:
    """Vertical bars, one per label; a None value is drawn as a gap marked 'không có'."""
    height, top, bottom, left = 220, 20, 40, 36
    plot = height - top - bottom
    step = (WIDTH - left) / max(len(labels), 1)
    body = [f'<line class="axis" x1="{left}" y1="{top + plot}" x2="{WIDTH}" y2="{top + plot}"/>']
    for tick in (0, 50, 100):
        y = top + plot - plot * tick / 100
        body.append(f'<text class="tick" x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">'
                    f"{tick * maximum / 100:g}</text>")
        body.append(f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{WIDTH}" y2="{y:.1f}"/>')
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = left + index * step + BAR_GAP / 2
        body.append(f'<text class="tick" x="{x + (step - BAR_GAP) / 2:.1f}" y="{height - 22}" '
                    f'text-anchor="middle">{escape(label)}</text>')
        if value is None:
            body.append(f'<text class="tick muted" x="{x + (step - BAR_GAP) / 2:.1f}" '
                        f'y="{top + plot - 4}" text-anchor="middle">–</text>')
            continue
        bar = plot * min(value, maximum) / maximum
        body.append(f'<rect class="bar {_tone(value)}" x="{x:.1f}" y="{top + plot - bar:.1f}" '
                    f'width="{step - BAR_GAP:.1f}" height="{bar:.1f}"><title>{escape(label)}: '
                    f"{value:.1f}{unit}</title></rect>")
        body.append(f'<text class="value" x="{x + (step - BAR_GAP) / 2:.1f}" '
                    f'y="{top + plot - bar - 4:.1f}" text-anchor="middle">{value:.0f}</text>')
    return _svg(height, title, body)


def _tone(rate: float) -> str:
    return "good" if rate >= 90 else "fair" if rate >= 70 else "poor"


def stacked_bars(rows: Sequence[tuple[str, Sequence[int]]], series: Sequence[tuple[str, str]],
                 title: str) -> Markup:
    """Horizontal bars split into series (name, css class), one bar per row, with a legend."""
    label_width, row_height, legend = 190, 26, 28
    height = legend + row_height * max(len(rows), 1) + 8
    largest = max((sum(values) for _, values in rows), default=0) or 1
    scale = (WIDTH - label_width - 50) / largest
    body = []
    for index, (name, css) in enumerate(series):
        x = label_width + index * 120
        body.append(f'<rect class="bar {css}" x="{x}" y="6" width="12" height="12"/>'
                    f'<text class="tick" x="{x + 16}" y="17">{escape(name)}</text>')
    for index, (label, values) in enumerate(rows):
        y = legend + index * row_height
        body.append(f'<text class="tick" x="{label_width - 6}" y="{y + 16}" text-anchor="end">'
                    f"{escape(_shorten(label))}<title>{escape(label)}</title></text>")
        x = float(label_width)
        for (name, css), value in zip(series, values, strict=True):
            if value:
                body.append(f'<rect class="bar {css}" x="{x:.1f}" y="{y + 4}" '
                            f'width="{value * scale:.1f}" height="{row_height - 8}"><title>'
                            f"{escape(label)} – {escape(name)}: {value}</title></rect>")
                x += value * scale
        body.append(f'<text class="value" x="{x + 4:.1f}" y="{y + 16}">{sum(values)}</text>')
    return _svg(height, title, body)


def _shorten(text: str, size: int = 28) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"
