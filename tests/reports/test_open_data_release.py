"""Monthly open-data releases (issue 24, item 8): one row per unit and month, counts of people
under the threshold suppressed region by region, files that never change, each file's hash in
the evidence ledger, DCAT metadata, a public page."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from custodywatch.ledger.models import LeafKind, PendingLeaf
from custodywatch.reports.models import OpenDataFile, OpenDataRelease
from custodywatch.reports.open_data_release import _suppress_people
from custodywatch.reports.services import open_data_release_publish

pytestmark = pytest.mark.django_db
MARCH = dt.date(2025, 3, 1)


def rows_of(release: OpenDataRelease) -> dict[str, dict[str, str]]:
    content = release.files.get(name__endswith=".csv").content
    return {row["facility"]: row for row in csv.DictReader(io.StringIO(bytes(content).decode()))}


def test_a_release_suppresses_small_counts_of_people_not_rooms(dataset, settings):
    release = open_data_release_publish(month=MARCH)
    rows = rows_of(release)
    assert set(rows) == {"FA-1", "FB-1"}
    fa = rows["FA-1"]
    # Four detentions at FA-1 in March (conftest): under five, hidden.
    assert fa["detentions"] == "" and fa["allegations"] == ""
    assert fa["month"] == "2025-03" and fa["region"] == "KZ-75"
    # The same month with a threshold of 1 shows what was hidden.
    settings.CUSTODYWATCH_SMALL_CELL = 1
    shown = rows_of(open_data_release_publish(month=MARCH))["FA-1"]
    assert shown["detentions"] == "4"
    assert shown["held_past_limit"] == "2"  # r2 released late, r4 still held past its limit
    assert shown["recommendations_issued"] == "1"


def test_a_lone_small_cell_in_a_region_takes_the_next_smallest_with_it():
    rows = [{"region": "KZ-75", "facility": code, "detentions": n, "cases": 9}
            for code, n in (("A", 2), ("B", 7), ("C", 40))]
    rows.append({"region": "KZ-35", "facility": "D", "detentions": 3, "cases": 9})
    for row in rows:  # the other people's columns, all large
        for column in ("held_past_limit", "allegations", "substantiated", "convictions"):
            row[column] = 50
    _suppress_people(rows)
    by_code = {row["facility"]: row for row in rows}
    # A's 2 is hidden; with the region's total published elsewhere, 7 would give it away.
    assert by_code["A"]["detentions"] is None and by_code["B"]["detentions"] is None
    assert by_code["C"]["detentions"] == 40
    assert by_code["D"]["detentions"] is None
    assert by_code["C"]["cases"] == 9 and by_code["A"]["held_past_limit"] == 50


def test_each_file_is_hashed_into_the_ledger_and_served_byte_for_byte(dataset, client):
    release = open_data_release_publish(month=MARCH)
    files = list(release.files.all())
    assert sorted(f.name.rsplit(".", 1)[-1] for f in files) == ["csv", "json", "jsonld"]
    queued = {leaf.sha256 for leaf in PendingLeaf.objects.filter(kind=LeafKind.OPEN_DATA_FILE)}
    for file in files:
        content = bytes(file.content)
        assert file.sha256 == hashlib.sha256(content).hexdigest() and file.sha256 in queued
        answer = client.get(reverse("reports:open_data_release_file",
                                    args=[release.version, file.name]))
        assert answer.status_code == 200 and answer.content == content
    assert client.get(reverse("reports:open_data_release_file",
                              args=[release.version, "other.csv"])).status_code == 404


def test_the_dcat_entry_lists_every_file_with_its_checksum_and_licence(dataset):
    release = open_data_release_publish(month=MARCH, base_url="https://cw.example/od/")
    dcat = json.loads(bytes(release.files.get(name__endswith=".jsonld").content))
    assert dcat["@type"] == "dcat:Dataset" and dcat["dcat:version"] == str(release.version)
    assert dcat["dct:license"]["@id"].startswith("https://creativecommons.org/licenses/by/")
    assert dcat["dct:temporal"]["dcat:endDate"] == "2025-03-31"
    listed = {d["dct:title"]: d["spdx:checksum"]["spdx:checksumValue"]
              for d in dcat["dcat:distribution"]}
    data = {f.name: f.sha256 for f in release.files.exclude(name__endswith=".jsonld")}
    assert listed == data
    assert all(d["dcat:downloadURL"]["@id"].startswith(
        f"https://cw.example/od/releases/{release.version}/") for d in dcat["dcat:distribution"])


def test_a_correction_is_a_new_version_and_the_old_one_stays(dataset):
    first = open_data_release_publish(month=MARCH)
    before = {f.name: f.sha256 for f in first.files.all()}
    second = open_data_release_publish(month=MARCH, note="late records added")
    assert second.version == first.version + 1
    assert {f.name: f.sha256 for f in OpenDataRelease.objects.get(pk=first.pk).files.all()} \
        == before
    assert OpenDataFile.objects.filter(release=second).count() == 3


def test_a_month_that_has_not_ended_is_refused_and_nothing_is_written(db):
    with pytest.raises(ValueError, match="month"):
        open_data_release_publish(month=dt.date.today())
    assert not OpenDataRelease.objects.exists() and not PendingLeaf.objects.filter(
        kind=LeafKind.OPEN_DATA_FILE).exists()
    with pytest.raises(CommandError, match="--month"):
        call_command("reports", "publish-open-data", "--month", "2025-13")


def test_the_public_page_lists_releases_and_says_when_there_is_none(client, dataset):
    empty = client.get(reverse("reports:open_data_releases"))
    assert empty.status_code == 200 and b'data-testid="no-releases"' in empty.content
    out = io.StringIO()
    call_command("reports", "publish-open-data", "--month", "2025-03", stdout=out)
    release = OpenDataRelease.objects.get()
    assert f"version {release.version}" in out.getvalue()
    page = client.get(reverse("reports:open_data_releases")).content.decode()
    for file in release.files.all():
        assert file.name in page and file.sha256 in page


def test_the_worker_publishes_what_is_due_once(db):
    from custodywatch.reports.tasks import publications

    first = publications()
    assert "units_month" in first and "npm_annual" in first
    kinds = sorted(OpenDataRelease.objects.values_list("kind", flat=True))
    assert kinds == [OpenDataRelease.Kind.NPM_ANNUAL, OpenDataRelease.Kind.UNITS_MONTH]
    assert publications() == "nothing due"
    assert OpenDataRelease.objects.count() == 2
