"""Small server-drawn SVG pictures (CSP-safe: no script, no style attribute).

Every number that goes into the markup is a float or int we computed; labels are escaped by
format_html.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe


def trend_line(values: Sequence[float], labels: Sequence[str], title: str,
               width: int = 220, height: int = 56) -> SafeString:
    """A line over months with a dot on the last value."""
    if not values:
        return mark_safe("")  # noqa: S308 (a constant)
    top = max(max(values), 1)
    step = width / max(len(values) - 1, 1)
    points = [(round(i * step, 1), round(height - 4 - (v / top) * (height - 10), 1))
              for i, v in enumerate(values)]
    path = " ".join(f"{x},{y}" for x, y in points)
    dots = format_html_join(
        "", '<circle cx="{}" cy="{}" r="2" class="trend-dot"><title>{}: {}</title></circle>',
        ((x, y, label, value) for (x, y), label, value in zip(points, labels, values,
                                                             strict=True)))
    return format_html(
        '<svg class="trend" viewBox="0 0 {} {}" role="img" aria-label="{}">'
        '<polyline points="{}" class="trend-line" fill="none"/>{}</svg>',
        width, height, title, path, dots)


def bars(items: Sequence[tuple[str, int]], title: str, width: int = 220) -> SafeString:
    """Horizontal bars with their labels and counts."""
    if not items:
        return mark_safe("")  # noqa: S308 (a constant)
    top = max(max(count for _label, count in items), 1)
    row = 16
    height = row * len(items)
    label_width = 110
    rows = format_html_join("", (
        '<text x="0" y="{}" class="bars-label">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="10" class="bars-bar"><title>{}: {}</title></rect>'
        '<text x="{}" y="{}" class="bars-value">{}</text>'), (
        (i * row + 11, label, label_width, i * row + 2,
         round(count / top * (width - label_width - 40), 1), label, count,
         label_width + round(count / top * (width - label_width - 40), 1) + 4, i * row + 11,
         count)
        for i, (label, count) in enumerate(items)))
    return format_html('<svg class="bars" viewBox="0 0 {} {}" role="img" aria-label="{}">{}'
                       '</svg>', width, height, title, rows)


def quantiles(distribution: np.ndarray) -> tuple[float, ...] | None:
    """(p25, median, p75, p90, largest) of all units' values: computed once per figure."""
    if distribution.size == 0:
        return None
    return (*np.percentile(distribution, [25, 50, 75, 90]).tolist(),
            float(distribution.max()))


def distribution_strip(summary: tuple[float, ...] | None, value: float, title: str,
                       width: int = 120, height: int = 14) -> SafeString:
    """Where ``value`` sits among all units (``summary`` from quantiles()): the middle half
    as a band, the median as a tick, this unit as a dot (red above the 90th percentile)."""
    if summary is None:
        return mark_safe("")  # noqa: S308 (a constant)
    p25, p50, p75, p90, largest = summary
    top = float(max(largest, value, 1))

    def x(v: float) -> float:
        return round(2 + v / top * (width - 4), 1)

    outlier = value > p90 and value > 0
    return format_html(
        '<svg class="diststrip" viewBox="0 0 {w} {h}" role="img" aria-label="{t}">'
        '<line x1="2" x2="{end}" y1="{mid}" y2="{mid}" class="strip-axis"/>'
        '<rect x="{a}" y="3" width="{band}" height="{bh}" class="strip-band"/>'
        '<line x1="{m}" x2="{m}" y1="2" y2="{h2}" class="strip-median"/>'
        '<circle cx="{v}" cy="{mid}" r="3.5" class="{cls}"/></svg>',
        w=width, h=height, t=title, end=width - 2, mid=height / 2, a=x(p25),
        band=max(x(p75) - x(p25), 1), bh=height - 6, m=x(p50), h2=height - 2, v=x(value),
        cls="strip-unit strip-outlier" if outlier else "strip-unit")


class StripMaker:
    """distribution_strip() for many units against one distribution: the band, the median
    and the title are drawn once; each unit adds its dot. Same markup, a fraction of the
    cost on a page of 50 units x 8 figures."""

    def __init__(self, summary: tuple[float, ...] | None, title: str, width: int = 120,
                 height: int = 14) -> None:
        self.summary, self.width, self.height = summary, width, height
        if summary is None:
            return
        p25, p50, p75, self.p90, self.largest = summary
        self.title = title
        self.mid = height / 2
        self._fixed: dict[float, SafeString] = {}  # per top of the scale: the markup before the dot
        self._quartiles = (p25, p50, p75)

    def _x(self, v: float, top: float) -> float:
        return round(2 + v / top * (self.width - 4), 1)

    def _head(self, top: float) -> SafeString:
        head = self._fixed.get(top)
        if head is None:
            p25, p50, p75 = self._quartiles
            w, h = self.width, self.height
            head = format_html(
                '<svg class="diststrip" viewBox="0 0 {w} {h}" role="img" aria-label="{t}">'
                '<line x1="2" x2="{end}" y1="{mid}" y2="{mid}" class="strip-axis"/>'
                '<rect x="{a}" y="3" width="{band}" height="{bh}" class="strip-band"/>'
                '<line x1="{m}" x2="{m}" y1="2" y2="{h2}" class="strip-median"/>',
                w=w, h=h, t=self.title, end=w - 2, mid=self.mid, a=self._x(p25, top),
                band=max(self._x(p75, top) - self._x(p25, top), 1), bh=h - 6,
                m=self._x(p50, top), h2=h - 2)
            self._fixed[top] = head
        return head

    def strip(self, value: float) -> SafeString:
        if self.summary is None:
            return mark_safe("")  # noqa: S308 (a constant)
        top = float(max(self.largest, value, 1))
        outlier = value > self.p90 and value > 0
        cls = "strip-unit strip-outlier" if outlier else "strip-unit"
        # Only numbers we computed and a constant class go into the dot.
        return mark_safe(  # noqa: S308
            f'{self._head(top)}<circle cx="{self._x(float(value), top)}" cy="{self.mid}" '
            f'r="3.5" class="{cls}"/></svg>')


def burndown(points: Sequence[tuple[str, int, int, bool]], title: str, first_label: str,
             second_label: str, width: int = 260, height: int = 80) -> SafeString:
    """Two lines falling towards zero over days, ``(day label, first, second, baseline)``
    per point (the baseline first, drawn as a hollow dot): blind rooms and broken cameras."""
    if not points:
        return mark_safe("")  # noqa: S308 (a constant)
    top = max(max(max(a, b) for _d, a, b, _base in points), 1)
    step = (width - 8) / max(len(points) - 1, 1)

    def xy(i: int, value: int) -> tuple[float, float]:
        return round(4 + i * step, 1), round(height - 6 - value / top * (height - 14), 1)

    lines = []
    series: tuple[tuple[Literal[1, 2], str, str], ...] = (
        (1, "burn-rooms", first_label), (2, "burn-cameras", second_label))
    for which, css, label in series:
        coords = [xy(i, point[which]) for i, point in enumerate(points)]
        path = " ".join(f"{x},{y}" for x, y in coords)
        dots = format_html_join("", '<circle cx="{}" cy="{}" r="{}" class="{}"><title>{}, {}: '
                                '{}</title></circle>', (
            (x, y, 3 if point[3] else 1.5, f"{css} burn-baseline" if point[3] else css,
             label, point[0], point[which])
            for (x, y), point in zip(coords, points, strict=True)))
        lines.append(format_html('<polyline points="{}" class="{}" fill="none"/>{}', path,
                                 css, dots))
    return format_html(
        '<svg class="burndown" viewBox="0 0 {w} {h}" role="img" aria-label="{t}">'
        '<line x1="4" x2="{end}" y1="{zero}" y2="{zero}" class="burn-zero"/>{a}{b}</svg>',
        w=width, h=height, t=title, end=width - 4, zero=height - 6, a=lines[0], b=lines[1])
