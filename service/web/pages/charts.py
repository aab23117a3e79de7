"""Charts drawn on the server as inline SVG: no script, no CDN, readable on a closed network."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

BAR_GAP = 6


def _svg(height: int, title: str, body: list[str], width: int, kind: str) -> Markup:
    label = escape(title)
    return Markup(
        f'<svg class="chart {kind}" viewBox="0 0 {width} {height}" role="img" aria-label="{label}" '
        f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMinYMin meet">'
        f"<title>{label}</title>{''.join(body)}</svg>")


def column_chart(labels: Sequence[str], values: Sequence[float | None], title: str,
                 maximum: float = 100.0, unit: str = "%") -> Markup:
    """Vertical bars, one per label ("\n" starts a second line); None is drawn as a dash.

    Narrow on purpose: scaled to a phone's width its labels stay readable.
    """
    width, height, top, bottom, left = 420, 200, 16, 30, 28
    plot = height - top - bottom
    step = (width - left) / max(len(labels), 1)
    body = [f'<line class="axis" x1="{left}" y1="{top + plot}" x2="{width}" y2="{top + plot}"/>']
    for tick in (0, 50, 100):
        y = top + plot - plot * tick / 100
        body.append(f'<text class="tick" x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">'
                    f"{tick * maximum / 100:g}</text>")
        body.append(f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{width}" y2="{y:.1f}"/>')
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = left + index * step + BAR_GAP / 2
        middle, spoken = x + (step - BAR_GAP) / 2, label.replace("\n", " ")
        lines = "".join(f'<tspan x="{middle:.1f}" dy="{0 if n == 0 else 11}">{escape(part)}</tspan>'
                        for n, part in enumerate(label.split("\n")))
        body.append(f'<text class="tick" y="{height - 18}" text-anchor="middle">{lines}</text>')
        if value is None:
            body.append(f'<text class="tick muted" x="{middle:.1f}" '
                        f'y="{top + plot - 4}" text-anchor="middle">–</text>')
            continue
        bar = plot * min(value, maximum) / maximum
        body.append(f'<rect class="bar {_tone(value)}" x="{x:.1f}" y="{top + plot - bar:.1f}" '
                    f'width="{step - BAR_GAP:.1f}" height="{bar:.1f}"><title>{escape(spoken)}: '
                    f"{value:.1f}{unit}</title></rect>")
        body.append(f'<text class="value" x="{middle:.1f}" '
                    f'y="{top + plot - bar - 4:.1f}" text-anchor="middle">{value:.0f}</text>')
    return _svg(height, title, body, width, "columns")


def _tone(rate: float) -> str:
    return "good" if rate >= 90 else "fair" if rate >= 70 else "poor"


def stacked_bars(rows: Sequence[tuple[str, Sequence[int]]], series: Sequence[tuple[str, str]],
                 title: str) -> Markup:
    """Horizontal bars split into series (name, css class), one bar per row.

    The legend is HTML (see `legend`), so it wraps on a phone instead of being cut off.
    """
    width, label_width, row_height = 480, 150, 26
    height = row_height * max(len(rows), 1) + 4
    largest = max((sum(values) for _, values in rows), default=0) or 1
    scale = (width - label_width - 40) / largest
    body = []
    for index, (label, values) in enumerate(rows):
        y = index * row_height
        body.append(f'<text class="tick" x="{label_width - 6}" y="{y + 17}" text-anchor="end">'
                    f"{escape(_shorten(label, 24))}<title>{escape(label)}</title></text>")
        x = float(label_width)
        for (name, css), value in zip(series, values, strict=True):
            if value:
                body.append(f'<rect class="bar {css}" x="{x:.1f}" y="{y + 4}" '
                            f'width="{value * scale:.1f}" height="{row_height - 8}"><title>'
                            f"{escape(label)} – {escape(name)}: {value}</title></rect>")
                x += value * scale
        body.append(f'<text class="value" x="{x + 4:.1f}" y="{y + 17}">{sum(values)}</text>')
    return _svg(height, title, body, width, "bars")


def legend(series: Sequence[tuple[str, str]]) -> Markup:
    """The colour key of a chart's series as an HTML list."""
    items = "".join(f'<li><span class="swatch {css}"></span>{escape(name)}</li>'
                    for name, css in series)
    return Markup(f'<ul class="legend">{items}</ul>')


def _shorten(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"
