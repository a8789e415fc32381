from __future__ import annotations

import pytest
from django.urls import reverse

from custodywatch.core.region_map import NO_DATA, SHADES, RegionValue, layout, shade
from custodywatch.registry.models import Region
from tests.conftest import ensure_reference_data


def region(code: str, row: int, col: int, value: float | None) -> RegionValue:
    return RegionValue(code=code, label=code, row=row, col=col, value=value, caption="",
                       url=f"/r/{code}")


def test_shade_scales_to_the_largest_value():
    assert shade(None, 1.0) == NO_DATA
    assert shade(0.0, 0.5) == SHADES[0]
    assert shade(0.5, 0.5) == SHADES[-1]
    assert shade(0.26, 0.5) == SHADES[2]


def test_layout_places_tiles_on_the_grid():
    tiles, width, height = layout([region("A", 0, 0, 0.1), region("B", 1, 2, None)])
    positions = {tile.region.code: (tile.x, tile.y, tile.fill) for tile in tiles}
    assert positions["A"][:2] == (0, 0)
    assert positions["B"] == (2 * 98, 98, NO_DATA)
    assert (width, height) == (3 * 98 - 6, 2 * 98 - 6)


@pytest.mark.django_db
def test_every_region_has_its_own_tile():
    ensure_reference_data()  # a transactional test on this worker may have flushed them
    cells = {(r.grid_row, r.grid_col) for r in Region.objects.all()}
    assert len(cells) == Region.objects.count() == 20


@pytest.mark.django_db
def test_dashboard_map_shows_only_the_readers_regions(signed_in, people):
    response = signed_in(people["prosecutor_a"]).get(reverse("home"))
    values = {cell.code: cell for cell in response.context["blind_map"]}
    assert values["KZ-75"].value == pytest.approx(1 / 3)  # FA-1: R3 of R1-R3 has no camera
    assert values["KZ-75"].caption == "1/3"
    assert values["KZ-35"].value is None  # Karaganda's facility is outside the scope
    assert "?region=KZ-75" in values["KZ-75"].url
    assert b'class="regionmap"' in response.content
