"""The tile-grid map of Kazakhstan's 20 regions: one square per region, shaded by a value.

A tile grid keeps every region equally visible (Almaty city is as readable as Karaganda
region) and needs no boundary data; it is a recognised alternative to a choropleth.
"""

from __future__ import annotations

from dataclasses import dataclass

# Sequential reds, light to dark (ColorBrewer "Reds", 5 classes): colour-blind safe.
SHADES = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"]
NO_DATA = "#e9edf2"
TILE = 92
GAP = 6


@dataclass(frozen=True)
class RegionValue:
    code: str
    label: str
    row: int
    col: int
    value: float | None  # a share 0..1, or None where the region has no data in scope
    caption: str
    url: str


@dataclass(frozen=True)
class Tile:
    x: int
    y: int
    fill: str
    dark_text: bool
    region: RegionValue


def shade(value: float | None, maximum: float) -> str:
    if value is None:
        return NO_DATA
    if maximum <= 0:
        return SHADES[0]
    index = min(int(value / maximum * len(SHADES)), len(SHADES) - 1)
    return SHADES[index]


def layout(regions: list[RegionValue]) -> tuple[list[Tile], int, int]:
    """Tiles with their positions and colours, and the picture's width and height."""
    values = [r.value for r in regions if r.value is not None]
    maximum = max(values, default=0.0)
    tiles = []
    for region in regions:
        fill = shade(region.value, maximum)
        tiles.append(Tile(x=region.col * (TILE + GAP), y=region.row * (TILE + GAP), fill=fill,
                          dark_text=fill in (SHADES[0], SHADES[1], NO_DATA), region=region))
    columns = max((r.col for r in regions), default=0) + 1
    rows = max((r.row for r in regions), default=0) + 1
    return tiles, columns * (TILE + GAP) - GAP, rows * (TILE + GAP) - GAP
