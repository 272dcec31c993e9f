"""Charts drawn on the server as SVG: no script, nothing fetched, readable without JavaScript."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT = 720, 220
LEFT, BOTTOM, TOP = 44, 22, 12


def bars(values: Sequence[int], labels: Sequence[str], title: str) -> Markup:
    """A bar chart of ``values`` (one bar each, labelled below); the y axis starts at 0."""
    high = max(max(values, default=0), 1)
    step = _nice_step(high)
    top = step * -(-high // step)
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    slot = plot_w / max(len(values), 1)
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
             f'height="{HEIGHT}" role="img" aria-label="{escape(title)}" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for tick in range(0, top + 1, step):
        y = TOP + plot_h - plot_h * tick / top
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - 8}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="#e3e8ee"/><text x="{LEFT - 4}" y="{y + 4:.1f}" '
                     f'text-anchor="end">{tick}</text>')
    for i, (value, label) in enumerate(zip(values, labels, strict=True)):
        h = plot_h * value / top
        x = LEFT + i * slot
        parts.append(f'<rect class="bar" x="{x + slot * 0.15:.1f}" y="{TOP + plot_h - h:.1f}" '
                     f'width="{slot * 0.7:.1f}" height="{h:.1f}"><title>{escape(label)}: '
                     f'{value}</title></rect>')
        parts.append(f'<text x="{x + slot / 2:.1f}" y="{HEIGHT - 6}" text-anchor="middle">'
                     f'{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _nice_step(high: int) -> int:
    """A round tick step giving at most five ticks up to ``high``."""
    step = 1
    while high / step > 5:
        for factor in (2, 5, 10):
            if high / (step * factor) <= 5:
                return step * factor
        step *= 10
    return step
