"""Line charts as standalone SVG, for benchmark figures in the README (no plotting library needed).

    svg = panels([Panel("search p95 (ms)", xs, {"unfiltered": [...], "executive": [...]}, goal=150), ...])
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from html import escape

WIDTH, HEIGHT = 420, 300
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 60, 20, 36, 56
COLOURS = ["#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df"]


@dataclass(frozen=True)
class Panel:
    """One chart: series of y values over shared x values (log-scaled x, linear y from 0)."""

    title: str
    xs: list[float]
    series: dict[str, list[float]]
    x_label: str = "chunks"
    goal: float | None = None  # a horizontal dashed line, e.g. a latency target
    notes: list[str] = field(default_factory=list)


def panels(charts: list[Panel]) -> str:
    """The charts side by side in one SVG document."""
    body = "".join(f'<g transform="translate({i * WIDTH},0)">{_panel(c)}</g>' for i, c in enumerate(charts))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH * len(charts)}" height="{HEIGHT}" '
            f'font-family="sans-serif" font-size="11">'
            f'<rect width="100%" height="100%" fill="white"/>{body}</svg>\n')


def _panel(chart: Panel) -> str:
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    lo_x, hi_x = math.log10(min(chart.xs)), math.log10(max(chart.xs))
    values = [v for ys in chart.series.values() for v in ys] + ([chart.goal] if chart.goal else [])
    top = _nice_ceiling(max(values) if values else 1.0)

    def x_of(x: float) -> float:
        span = (hi_x - lo_x) or 1.0
        return MARGIN_LEFT + (math.log10(x) - lo_x) / span * plot_w

    def y_of(y: float) -> float:
        return MARGIN_TOP + plot_h - y / top * plot_h

    parts = [f'<text x="{WIDTH / 2}" y="18" text-anchor="middle" font-size="13">{escape(chart.title)}</text>',
             f'<line x1="{MARGIN_LEFT}" y1="{MARGIN_TOP + plot_h}" x2="{MARGIN_LEFT + plot_w}" '
             f'y2="{MARGIN_TOP + plot_h}" stroke="#444"/>',
             f'<line x1="{MARGIN_LEFT}" y1="{MARGIN_TOP}" x2="{MARGIN_LEFT}" y2="{MARGIN_TOP + plot_h}" '
             f'stroke="#444"/>']
    for i in range(5):
        y = top * i / 4
        parts.append(f'<line x1="{MARGIN_LEFT}" y1="{y_of(y):.1f}" x2="{MARGIN_LEFT + plot_w}" y2="{y_of(y):.1f}" '
                     f'stroke="#ddd"/><text x="{MARGIN_LEFT - 6}" y="{y_of(y) + 4:.1f}" '
                     f'text-anchor="end">{_label(y)}</text>')
    for x in chart.xs:
        parts.append(f'<text x="{x_of(x):.1f}" y="{MARGIN_TOP + plot_h + 16}" text-anchor="middle">{_label(x)}</text>')
    parts.append(f'<text x="{MARGIN_LEFT + plot_w / 2}" y="{HEIGHT - 22}" text-anchor="middle">'
                 f'{escape(chart.x_label)} (log scale)</text>')
    if chart.goal is not None:
        parts.append(f'<line x1="{MARGIN_LEFT}" y1="{y_of(chart.goal):.1f}" x2="{MARGIN_LEFT + plot_w}" '
                     f'y2="{y_of(chart.goal):.1f}" stroke="#888" stroke-dasharray="4 3"/>'
                     f'<text x="{MARGIN_LEFT + plot_w}" y="{y_of(chart.goal) - 4:.1f}" text-anchor="end" '
                     f'fill="#666">goal {_label(chart.goal)}</text>')
    for n, (name, ys) in enumerate(chart.series.items()):
        colour = COLOURS[n % len(COLOURS)]
        points = " ".join(f"{x_of(x):.1f},{y_of(y):.1f}" for x, y in zip(chart.xs, ys, strict=True))
        parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        parts.extend(f'<circle cx="{x_of(x):.1f}" cy="{y_of(y):.1f}" r="3" fill="{colour}"/>'
                     for x, y in zip(chart.xs, ys, strict=True))
        parts.append(f'<text x="{MARGIN_LEFT + 8}" y="{MARGIN_TOP + 12 + 14 * n}" fill="{colour}">'
                     f'{escape(name)}</text>')
    if chart.notes:
        parts.append(f'<text x="{MARGIN_LEFT}" y="{HEIGHT - 6}" fill="#666">{escape(" · ".join(chart.notes))}</text>')
    return "".join(parts)


def _nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is at least `value`."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def _label(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:g}M"
    if value >= 1_000:
        return f"{value / 1_000:g}k"
    return f"{value:g}"
