"""The NPM's annual report (issue 24, item 7): visits by type and place, findings by category
and severity, recommendations made and implemented, as PDF and XLSX in kk, ru and en with the
ledger checkpoint, published with each file's hash in the ledger, nothing identifying."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from custodywatch.accounts.models import Role
from custodywatch.ledger.models import LeafKind, PendingLeaf
from custodywatch.registry.models import Agency
from custodywatch.reports.models import OpenDataRelease
from custodywatch.reports.npm_annual import npm_tables
from custodywatch.reports.services import npm_annual_report_publish
from custodywatch.visits.models import Finding, ImplementationStatus, Recommendation, Visit
from tests.conftest import make_user
from tests.visits.conftest import add_finding, issue, plan_visit

pytestmark = pytest.mark.django_db
YEAR = 2025
SECRET_FINDING = "Detainee Serikbayev was beaten in cell R1."


@pytest.fixture
def year_of_visits(people, facility_a, facility_b):
    monitor = make_user("monitor", Role.NPM_MONITOR)
    police = Agency.objects.get(code="MVD")
    first = plan_visit(monitor, facility_a)
    second = plan_visit(monitor, facility_b, kind=Visit.Kind.PLANNED)
    add_finding(monitor, first, text=SECRET_FINDING, severity=Finding.Severity.URGENT)
    add_finding(monitor, second)
    made = [issue(monitor, first, police), issue(monitor, second, police)]
    plan_visit(monitor, facility_a)  # planned, never completed: not counted
    Visit.objects.filter(pk__in=[first.pk, second.pk]).update(
        status=Visit.Status.COMPLETED, starts_on=dt.date(YEAR, 5, 1), ends_on=dt.date(YEAR, 5, 1))
    Recommendation.objects.filter(pk__in=[r.pk for r in made]).update(
        issued_on=dt.date(YEAR, 5, 2), deadline=dt.date(YEAR, 8, 1))
    Recommendation.objects.filter(pk=made[0].pk).update(
        status=ImplementationStatus.IMPLEMENTED)
    return facility_a, facility_b


def rows(tables, key):
    return {row[0]: row[1:] for row in next(t for t in tables if t.key == key).rows}


def test_the_tables_count_completed_visits_findings_and_recommendations(year_of_visits):
    facility_a, facility_b = year_of_visits
    tables = npm_tables(year=YEAR)
    places = rows(tables, "visits_by_place")
    assert sum(v[0] for v in places.values()) == 2
    assert sum(v[1] for v in places.values()) == 1  # one unannounced
    findings = rows(tables, "findings")["Material conditions"]
    assert sum(findings) == 2 and findings[-1] == 1  # one urgent
    recommended = rows(tables, "recommendations")["Material conditions"]
    assert recommended[:3] == [2, 1, 0] and recommended[3] == "50 %"
    assert sum(sum(v) for v in rows(tables, "findings").values()) == 2
    assert npm_tables(year=YEAR + 1)[0].rows[0][1] == 0  # the planned visit is not counted


def test_published_in_three_languages_with_hashes_and_nothing_identifying(year_of_visits):
    facility_a, _b = year_of_visits
    release = npm_annual_report_publish(year=YEAR)
    assert release.kind == OpenDataRelease.Kind.NPM_ANNUAL
    files = {file.name: file for file in release.files.all()}
    assert sorted(name.rsplit("-", 1)[-1] for name in files) == [
        "en.pdf", "en.xlsx", "kk.pdf", "kk.xlsx", "ru.pdf", "ru.xlsx"]
    queued = set(PendingLeaf.objects.filter(kind=LeafKind.OPEN_DATA_FILE)
                 .values_list("sha256", flat=True))
    assert {file.sha256 for file in files.values()} <= queued
    ru = load_workbook(io.BytesIO(bytes(next(f for n, f in files.items()
                                             if n.endswith("ru.xlsx")).content)))
    texts = " ".join(str(cell.value) for sheet in ru for row in sheet.iter_rows()
                     for cell in row if cell.value is not None)
    assert "Материальные условия" in texts and "Material conditions" not in texts
    assert SECRET_FINDING not in texts and facility_a.name not in texts
    if shutil.which("pdftotext"):
        pdf = next(f for n, f in files.items() if n.endswith("en.pdf"))
        text = subprocess.run(["pdftotext", "-", "-"], input=bytes(pdf.content),
                              capture_output=True, check=True).stdout.decode()
        assert "Findings by category and severity" in text and SECRET_FINDING not in text
        assert "Ledger" in text


def test_a_year_not_over_is_refused(db):
    with pytest.raises(CommandError, match="--year"):
        call_command("reports", "publish-npm-report", "--year", str(dt.date.today().year))
    assert not OpenDataRelease.objects.exists()
