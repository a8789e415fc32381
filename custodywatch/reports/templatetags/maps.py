from __future__ import annotations

from django import template

from custodywatch.core.region_map import SHADES, TILE, RegionValue, layout

register = template.Library()


@register.inclusion_tag("reports/region_map.html")
def region_map(regions: list[RegionValue], title: str, legend_low: str, legend_high: str) -> dict:
    tiles, width, height = layout(regions)
    return {"tiles": tiles, "width": width, "height": height, "tile_size": TILE, "title": title,
            "shades": SHADES, "legend_low": legend_low, "legend_high": legend_high}
