"""The lists the scorecard links to, filtered to a unit and a period (and video to a region):
each figure's link, followed, lists as many records as the figure counts; a unit or region
outside the reader's scope lists nothing. The reports API, scoped like the pages."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from custodywatch.accounts.models import AuditEvent
from custodywatch.complaints.models import Category
from custodywatch.reports.services import figures_refresh
from tests.conftest import sign_in
from tests.reports.conftest import NOW, at, complaint

pytestmark = pytest.mark.django_db

MARCH = {"from": "2025-03-01", "to": "2025-03-31"}


@pytest.fixture
def refreshed(dataset, facility_b):
    # An allegation at FB-1 (Karaganda): outside a regional prosecutor of KZ-75.
    complaint(facility_b.region, Category.TORTURE, at(13, 9), facility_b)
    figures_refresh(since=dt.date(2025, 1, 1), now=NOW)
    return dataset


def client_of(user) -> Client:  # type: ignore[no-untyped-def]
    return sign_in(Client(), user)


def _get(client: Client, url: str):  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response


def test_each_unit_figure_links_to_a_list_that_counts_the_same(refreshed, people):
    client = client_of(people["prosecutor_a"])
    unit = _get(client, reverse("reports:unit", args=["FA-1"]) + "?period=2025-03")
    cells = {cell["key"]: cell for cell in unit.context["cells"]}
    assert cells["detentions"]["value"] == 4 and cells["overruns"]["value"] == 2

    custody = _get(client, cells["detentions"]["url"])
    assert custody.context["totals"]["detentions"] == 4  # r1-r4, not FB-1's b1
    assert {r.full_name for r in _get(client, cells["overruns"]["url"]).context["page"]} == {
        "r2", "r4"}

    allegations = _get(client, cells["allegations"]["url"])
    assert cells["allegations"]["value"] == allegations.context["page"].paginator.count == 2
    # c1 happened on 14 March though received on the 20th; c4 names no unit.
    assert parse_qs(urlsplit(cells["allegations"]["url"]).query)["happened_from"] == [
        "2025-03-01"]

    video = _get(client, cells["blind_minutes"]["url"])
    assert video.context["totals"].custody_rooms == 3  # FA-1's R1-R3
    assert parse_qs(urlsplit(cells["cases"]["url"]).query)["facility"] == ["FA-1"]
    assert "FA-1" in cells["open_recommendations"]["url"]

    # The scorecard's own cells link the same way.
    card = _get(client, reverse("reports:scorecard") + "?period=2025-03")
    (row,) = card.context["rows"]
    assert {c["key"]: c["url"] for c in row["cells"]} == {k: c["url"] for k, c in cells.items()}


def test_custody_overruns_by_unit_and_dates_stay_in_scope(refreshed, people):
    url = reverse("custody:overruns")
    regional, national = client_of(people["prosecutor_a"]), client_of(people["gpo"])
    denied = _get(regional, f"{url}?facility=FB-1&from=2025-03-01&to=2025-03-31")
    assert denied.context["totals"]["detentions"] == 0 and not denied.context["page"]
    assert _get(national, f"{url}?facility=FB-1&from=2025-03-01&to=2025-03-31").context[
        "totals"]["detentions"] == 1
    # Dates: both days included, local midnight (r2 at 23:30 on the 15th is the 15th's).
    assert _get(national, f"{url}?facility=FA-1&from=2025-03-15&to=2025-03-15").context[
        "totals"]["detentions"] == 1
    assert _get(national, f"{url}?facility=FA-1&from=2025-03-16&to=2025-03-20").context[
        "totals"]["detentions"] == 2  # r3 (00:30 on the 16th) and r4
    # Without a unit or dates the old filters still work: the last 30 days hold nothing.
    assert _get(national, f"{url}?region=KZ-75&days=30").context["totals"]["detentions"] == 0
    assert _get(national, f"{url}?region=KZ-75&from=2025-03-01").context[
        "totals"]["detentions"] == 4


def test_complaints_inbox_by_unit_allegations_and_dates(refreshed, people):
    url = reverse("complaints:inbox")
    regional, national = client_of(people["prosecutor_a"]), client_of(people["gpo"])

    def count(client: Client, query: str) -> int:
        return _get(client, f"{url}?{query}").context["page"].paginator.count

    assert count(national, "facility=FB-1") == 1
    assert count(regional, "facility=FB-1") == 0  # another region's unit: nothing
    assert count(regional, "facility=FA-1") == 3  # c1, c2 and the conditions complaint c3
    assert count(regional, "facility=FA-1&allegations=on") == 2
    assert count(regional, "allegations=on") == 3  # c4 names no unit
    assert count(regional, "facility=FA-1&allegations=on&happened_from=2025-03-15") == 1
    assert count(regional, "allegations=on&happened_to=2025-03-14") == 1  # c1's incident
    # A bad date drops that filter only, never the others.
    assert count(regional, "facility=FA-1&happened_from=March") == 3
    assert count(regional, "category=torture") == 2  # existing filters unchanged


def test_video_lists_by_region_and_unit_stay_in_scope(facility_a, facility_b, people):
    url = reverse("video:overview")
    regional, national = client_of(people["prosecutor_a"]), client_of(people["gpo"])

    def rooms(client: Client, query: str) -> int:
        return _get(client, f"{url}?{query}").context["totals"].custody_rooms

    assert rooms(national, "") == 6
    assert rooms(national, "region=KZ-35") == rooms(national, "facility=FB-1") == 3
    assert rooms(regional, "region=KZ-35") == rooms(regional, "facility=FB-1") == 0
    page = _get(regional, f"{url}?region=KZ-75")
    assert page.context["totals"].custody_rooms == 3
    assert b'hx-get="/video/?region=KZ-75"' in page.content  # the refresh keeps the filter
    assert all(room.facility.region.code == "KZ-75" for room in page.context["never_covered"])


def test_dashboard_blind_map_lands_on_the_regions_video_list(refreshed, people):
    page = _get(client_of(people["gpo"]), reverse("home"))
    cells = {cell.code: cell for cell in page.context["blind_map"]}
    assert cells["KZ-35"].url == reverse("video:overview") + "?region=KZ-35"
    minutes = _get(client_of(people["gpo"]), reverse("home") + "?indicator=blind_minutes")
    assert {c.code: c.url for c in minutes.context["blind_map"]}["KZ-75"] == (
        reverse("video:overview") + "?region=KZ-75")
    tiles = {tile.key: tile for tile in page.context["tiles"]}
    # Recommendations overdue: their own picture, by the body addressed (FA-1's, to MVD).
    assert tiles["recommendations"].figure == 1
    picture = str(tiles["recommendations"].picture)
    assert "Overdue recommendations by the body" in picture and ">MVD<" in picture
    assert "Convictions" not in picture


def test_reports_api_scoped_like_the_pages(refreshed, people):
    regional = client_of(people["prosecutor_a"])
    dashboard = regional.get("/api/reports/dashboard")
    assert dashboard.status_code == 200
    data = dashboard.json()
    assert data["recommendations_overdue"] == 1
    assert data["recommendations_overdue_by_body"] == {"MVD": 1}
    assert data["custody_rooms"] == 3 and data["custody_rooms_never_covered"] == 1
    assert len(data["trends"]["detentions"]["values"]) == 12

    card = regional.get("/api/reports/scorecard", {"period": "2025-03", "sort": "detentions"})
    assert card.status_code == 200
    units = card.json()["units"]
    assert [unit["code"] for unit in units] == ["FA-1"]  # not FB-1
    assert units[0]["figures"]["blind_minutes"] == 200
    assert "facility=FA-1" in units[0]["links"]["detentions"]
    assert card.json()["national"]["detentions"]["largest"] == 4.0
    assert regional.get("/api/reports/scorecard",
                        {"period": "2025-03", "region": "KZ-35"}).json()["units"] == []

    unit = regional.get("/api/reports/scorecard/FA-1", {"period": "2025-03"}).json()
    assert [head["full_name"] for head in unit["heads"]] == ["Head One", "Head Two"]
    assert [head["figures"]["detentions"] for head in unit["heads"]] == [2, 2]
    assert unit["heads"][0]["last_day"] == "2025-03-15"
    assert regional.get("/api/reports/scorecard/FB-1").status_code == 404
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DENIED,
                                     object_type="reports.unit", object_label="FB-1").exists()

    regions = {r["code"]: r for r in regional.get("/api/reports/regions").json()}
    assert regions["KZ-35"]["value"] is None and regions["KZ-75"]["caption"] == "1/3"

    for bad in ({"period": "March"}, {"sort": "nothing"}, {"page": 0}):
        assert regional.get("/api/reports/scorecard", bad).status_code == 422, bad
    assert regional.get("/api/reports/regions", {"indicator": "x"}).status_code == 422

    staff = client_of(people["head_a"])  # unit staff do not read reports
    for path in ("/api/reports/dashboard", "/api/reports/scorecard",
                 "/api/reports/scorecard/FA-1", "/api/reports/regions"):
        assert staff.get(path).status_code == 403, path
    assert Client().get("/api/reports/dashboard").status_code == 401


def test_open_data_api_is_public(refreshed):
    response = Client().get("/api/reports/open-data", {"year": 2025})
    assert response.status_code == 200
    tables = {table["table"]: table for table in response.json()["tables"]}
    assert "complaints" in tables and tables["complaints"]["threshold"] == 5
    # Same figures as the public JSON download.
    download = Client().get(reverse("reports:open_data_download", args=["complaints", "json"]),
                            {"year": 2025}).json()
    assert download["values"] == tables["complaints"]["values"]
    assert Client().get("/api/reports/open-data", {"year": 1990}).status_code == 422


def test_heads_across_units_split_like_the_unit_page(refreshed, people, facility_b):
    from custodywatch.registry.models import HeadAppointment
    from custodywatch.reports import selectors

    HeadAppointment.objects.create(facility=facility_b, full_name="Head Karaganda",
                                   position="Head", started_on=dt.date(2020, 1, 1))
    HeadAppointment.objects.create(facility=facility_b, full_name="Head Gone",
                                   position="Head", started_on=dt.date(2019, 1, 1),
                                   ended_on=dt.date(2020, 1, 1))
    march = selectors.Period(dt.date(2025, 3, 1), dt.date(2025, 4, 1), "2025-03")
    expected = {score.head.full_name: score.figures
                for score in selectors.head_scores(facility=refreshed.facility, period=march)}

    regional = client_of(people["prosecutor_a"])
    page = _get(regional, reverse("reports:heads") + "?period=2025-03")
    shown = {score.head.full_name: score.figures for score in page.context["page"]}
    assert shown == expected  # Head One and Head Two; nobody of FB-1 (another region)
    assert shown["Head One"]["blind_minutes"] == 50 and shown["Head Two"]["overruns"] == 1
    assert (reverse("reports:unit", args=["FA-1"]) + "?period=2025-03").encode() in page.content

    national = client_of(people["gpo"])
    names = [s.head.full_name for s in _get(national, reverse("reports:heads") + "?period="
                                            "2025-03").context["page"]]
    assert names == ["Head One", "Head Two", "Head Karaganda"]  # not who left in 2020
    assert [s.head.full_name for s in _get(national, reverse("reports:heads") + "?period="
                                           "2025-03&q=FB-1").context["page"]] == [
        "Head Karaganda"]
    api = national.get("/api/reports/heads", {"period": "2025-03", "region": "KZ-35"}).json()
    assert api["units"] == ["FB-1"] and api["heads"][0]["figures"]["detentions"] == 1
    assert regional.get("/api/reports/heads", {"region": "KZ-35"}).json()["heads"] == []
    assert client_of(people["duty_a"]).get(reverse("reports:heads")).status_code == 403
    assert client_of(people["duty_a"]).get("/api/reports/heads").status_code == 403


def test_strip_maker_draws_what_distribution_strip_draws():
    import random

    import numpy as np

    from custodywatch.reports import charts

    rng = random.Random(3)
    for _ in range(50):
        values = np.array([rng.randint(0, 40) for _ in range(rng.randint(1, 30))])
        summary = charts.quantiles(values)
        maker = charts.StripMaker(summary, "Detentions <among> all")
        for value in (0, int(values.max()), rng.randint(0, 80)):
            assert maker.strip(value) == charts.distribution_strip(
                summary, value, "Detentions <among> all")
    assert charts.StripMaker(None, "x").strip(3) == ""


def test_dashboard_figures_are_shared_within_a_scope_and_say_when_taken(
        refreshed, people, settings):
    """With sharing on, a second national reader gets the first one's figures (the page and
    the API say when they were taken); a regional prosecutor never gets the national ones."""
    from django.core.cache import cache

    from custodywatch.custody.models import CustodyRecord
    from tests.conftest import make_user

    settings.CUSTODYWATCH_OVERVIEW_CACHE_SECONDS = 30
    cache.clear()
    try:
        first = _get(client_of(people["gpo"]), reverse("home"))
        in_custody = {t.key: t.figure for t in first.context["tiles"]}["in_custody"]
        taken = first.context["as_of"]
        assert 'data-testid="figures-as-of"' in first.content.decode()
        CustodyRecord.objects.filter(ended_at__isnull=True).update(ended_at=taken,
                                                                  end_reason="released")
        second = _get(client_of(make_user("gpo_2", "general_prosecutor")), reverse("home"))
        assert second.context["as_of"] == taken
        assert {t.key: t.figure for t in second.context["tiles"]}["in_custody"] == in_custody
        api = client_of(people["gpo"]).get("/api/reports/dashboard").json()
        assert api["in_custody"] == in_custody and api["as_of"].startswith(
            taken.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S"))
        # Another scope counts for itself, after the change: nobody is held any more.
        regional = _get(client_of(people["prosecutor_a"]), reverse("home"))
        assert {t.key: t.figure for t in regional.context["tiles"]}["in_custody"] == 0
        assert in_custody > 0
    finally:
        cache.clear()
