"""UN CAT tables, their XLSX and PDF exports, open data and the dashboard page."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import shutil
import subprocess

import numpy as np
import openpyxl
import pytest
from django.urls import reverse

from custodywatch.accounts.models import AuditEvent, Role
from custodywatch.cases.models import Case, Charge
from custodywatch.complaints.models import Category
from custodywatch.kernels.suppression import augment
from custodywatch.ledger.models import Checkpoint
from custodywatch.ledger.services import ledger_integrate_all
from custodywatch.registry.models import Region
from custodywatch.reports import cat
from custodywatch.reports.services import figures_refresh
from tests.conftest import make_user, require_or_skip
from tests.kernels.test_suppression import pinned_cells
from tests.reports.conftest import NOW, at, complaint

pytestmark = pytest.mark.django_db


def test_cat_tables_hand_computed(dataset, people):
    tables = {t.key: t for t in cat.cat_tables(user=people["gpo"], year=2025)}
    almaty = Region.objects.get(code="KZ-75").name
    row = next(r for r in tables["region"].rows if r[0] == almaty)
    # received (c1, c2, c4), investigated, prosecuted, convictions, payments, paid
    assert row[1:] == [3, 1, 1, 1, 1, 500000.0]
    assert tables["region"].rows[-1][1:] == [3, 1, 1, 1, 1, 500000.0]
    victims = tables["victims"]
    male = next(r for r in victims.rows if r[0] == "Male")
    assert male[victims.header.index("30-44")] == 1 and male[-1] == 1
    sentences = tables["sentences"].rows
    assert sentences == [["Art. 146 Torture", 1, 1, 36.0, 0, 0, 0, 0, 0]]
    # A regional prosecutor elsewhere counts nothing of KZ-75.
    other = cat.cat_tables(user=people["head_b"], year=2025)[0]
    assert other.rows[-1][1:] == [0, 0, 0, 0, 0, 0.0]


def test_imported_charges_breaking_art_146_are_flagged_in_reports(dataset, people, signed_in,
                                                                   facility_b):
    """A conviction imported with probation is flagged, not refused: the dashboard counts the
    case (and links to the flagged list), the API says so, and the UN CAT sentences table
    counts the charge in its own column."""
    rule = [{"code": "art146_probation", "text": "No probation for torture (art. 146)."}]
    charge = Charge.objects.get(case=dataset.case)
    Charge.objects.filter(pk=charge.pk).update(probation=True, rule_flags=rule)
    Case.objects.filter(pk=dataset.case.pk).update(
        rule_flags=[dict(rule[0], charge=charge.pk)])
    client = signed_in(people["prosecutor_a"])
    tiles = {tile.key: tile for tile in client.get(reverse("home")).context["tiles"]}
    assert tiles["rule_flags"].figure == 1 and tiles["rule_flags"].alert
    assert tiles["rule_flags"].url == reverse("cases:index") + "?flagged=on"
    listed = client.get(tiles["rule_flags"].url)
    assert dataset.case.register_number in listed.content.decode()
    api = signed_in(people["prosecutor_a"]).get("/api/reports/dashboard")
    assert api.json()["cases_breaking_a_legal_rule"] == 1
    sentences = {t.key: t for t in cat.cat_tables(user=people["prosecutor_a"], year=2025)}
    row = sentences["sentences"].rows[0]
    assert row[sentences["sentences"].header.index("Rule flags")] == 1
    assert row[sentences["sentences"].header.index("Probation")] == 1
    # A prosecutor of another region counts nothing of it.
    other = make_user("prosecutor_b", Role.REGIONAL_PROSECUTOR, region=facility_b.region)
    elsewhere = {t.key: t for t in signed_in(other).get(reverse("home")).context["tiles"]}
    assert elsewhere["rule_flags"].figure == 0


def test_exports_carry_the_definitions_and_the_checkpoint(dataset, people, signed_in):
    ledger_integrate_all()
    checkpoint = Checkpoint.objects.order_by("-id").first()
    assert checkpoint is not None
    root = base64.b64encode(bytes(checkpoint.root)).decode()
    client = signed_in(people["gpo"])
    response = client.get(reverse("reports:cat_export", args=["xlsx"]), {"year": 2025})
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    text = "\n".join(str(c.value) for sheet in book for row in sheet.iter_rows()
                     for c in row if c.value is not None)
    assert "Allegations received: complaints in the categories torture" in text
    assert checkpoint.note in text and root in text
    assert str(checkpoint.size) in text
    region_sheet = next(sheet for sheet in book.worksheets if sheet["A4"].value == "Region")
    # Sheets are named by their tables' titles, in the reader's language, not by codes.
    assert region_sheet.title != "region"
    assert str(region_sheet["A1"].value).startswith(region_sheet.title.rstrip())
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT,
                                     object_type="reports.cat").count() == 1

    pdf = client.get(reverse("reports:cat_export", args=["pdf"]), {"year": 2025})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    pdftotext = shutil.which("pdftotext")
    require_or_skip(pdftotext is not None, "pdftotext is not installed")
    plain = subprocess.run([pdftotext, "-layout", "-", "-"], input=pdf.content,  # noqa: S603
                           capture_output=True, check=True).stdout.decode()
    flat = " ".join(plain.split())
    assert "Ledger tree size: " + str(checkpoint.size) in flat
    assert root in flat
    assert checkpoint.note.splitlines()[0] in flat  # the origin line of the signed note
    # The first page carries a short fingerprint; the signed note is in the appendix.
    first_page = " ".join(subprocess.run(  # noqa: S603
        [pdftotext, "-l", "1", "-layout", "-", "-"], input=pdf.content, capture_output=True,
        check=True).stdout.decode().split())
    fingerprint = bytes(checkpoint.root)[:8].hex()
    assert "Ledger fingerprint: " + " ".join(
        fingerprint[i:i + 4] for i in range(0, 16, 4)) in first_page
    assert checkpoint.note.splitlines()[0] not in first_page
    assert "Appendix: the signed ledger checkpoint" in flat
    assert "Investigated: pre-trial investigations registered in 2025" in flat
    assert client.get(reverse("reports:cat_export", args=["doc"])).status_code == 404


def test_open_data_hides_small_cells_and_resists_the_margins(dataset, client):
    # Almaty: 3 torture, 1 cruel, 1 conditions from the dataset; add larger counts so that
    # some cells are published and the small ones have to be protected.
    almaty, astana = Region.objects.get(code="KZ-75"), Region.objects.get(code="KZ-71")
    for _i in range(9):
        complaint(almaty, Category.CONDITIONS, at(5, 9))
        complaint(astana, Category.CONDITIONS, at(5, 9))
    for _i in range(6):
        complaint(astana, Category.TORTURE, at(6, 9))
    response = client.get(reverse("reports:open_data_download", args=["complaints", "json"]),
                          {"year": 2025})
    assert response.status_code == 200
    data = json.loads(response.content)
    rows, columns = data["rows"], data["columns"]
    values = data["values"]
    a, t = rows.index("KZ-75"), columns.index("torture")
    assert values[a][t] is None  # 2 torture complaints in Almaty: hidden
    assert values[rows.index("KZ-71")][t] == 6
    truth = np.zeros((len(rows), len(columns)), dtype=np.int64)
    truth[a, t], truth[a, columns.index("cruel_treatment")] = 2, 1
    truth[a, columns.index("conditions")] = 10
    truth[rows.index("KZ-71"), columns.index("conditions")] = 9
    truth[rows.index("KZ-71"), t] = 6
    full = augment(truth)
    published = [row + [total] for row, total in zip(values, data["row_totals"], strict=True)]
    published.append(data["column_totals"] + [data["total"]])
    mask = np.array([[v is None for v in row] for row in published])
    for i, row in enumerate(published):
        for j, value in enumerate(row):
            assert value is None or value == full[i, j]
    assert pinned_cells(full, mask) == []
    csv = client.get(reverse("reports:open_data_download", args=["complaints", "csv"]),
                     {"year": 2025})
    assert csv.status_code == 200 and csv.content.startswith(b"region,torture")
    page = client.get(reverse("reports:open_data"), {"year": 2025})
    assert page.status_code == 200 and "—".encode() in page.content
    assert client.get(reverse("reports:open_data_download",
                              args=["nothing", "csv"])).status_code == 404


def test_dashboard_for_readers_and_the_old_home_for_staff(dataset, people, signed_in):
    figures_refresh(since=dt.date(2025, 3, 1), now=NOW)
    client = signed_in(people["prosecutor_a"])
    response = client.get(reverse("home"))
    assert response.status_code == 200
    keys = [tile.key for tile in response.context["tiles"]]
    assert keys == ["in_custody", "overdue", "blind_rooms", "cameras", "blind_minutes",
                    "complaints", "allegations", "funnel", "cases", "rule_flags",
                    "recommendations", "facilities"]
    tiles = {tile.key: tile for tile in response.context["tiles"]}
    assert tiles["in_custody"].figure == 1  # r4 (FB-1 is outside the region)
    assert tiles["overdue"].figure == 1 and tiles["cases"].figure == 0  # K1 is final
    assert tiles["recommendations"].figure == 1
    assert b"<svg class=\"trend\"" in response.content
    mapped = client.get(reverse("home"), {"indicator": "detentions"})
    cells = {cell.code: cell for cell in mapped.context["blind_map"]}
    assert cells["KZ-35"].value is None  # outside the reader's region
    assert "/custody/overruns/?region=KZ-75" in cells["KZ-75"].url
    staff = signed_in(people["duty_a"]).get(reverse("home"))
    assert "tiles" not in staff.context and staff.status_code == 200
