"""Issue 24 item 5 (part): safeguards on time by region and citizenship, redress,
rehabilitation and NPM activity in the UN CAT tables, hand-computed on the reports' dataset,
and in the XLSX export."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.urls import reverse

from custodywatch.cases.models import CaseParty, SupportReferral
from custodywatch.custody.models import CustodyAlert, CustodyRecord
from custodywatch.registry.models import Region
from custodywatch.reports import cat
from tests.accountability.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def more(dataset):
    r1 = CustodyRecord.objects.get(full_name="r1")
    r2 = CustodyRecord.objects.get(full_name="r2")
    CustodyRecord.objects.filter(pk=r2.pk).update(citizenship="UZ")
    for clock in (CustodyAlert.Clock.LAWYER, CustodyAlert.Clock.RELATIVES):
        CustodyAlert.objects.create(custody_record=r1, clock=clock,
                                    level=CustodyAlert.Level.OVERDUE, raised_at=at(11, 10))
    CustodyAlert.objects.create(custody_record=r2, clock=CustodyAlert.Clock.MEDICAL,
                                level=CustodyAlert.Level.OVERDUE, raised_at=at(16, 10))
    # A warning is not a breach.
    CustodyAlert.objects.create(custody_record=r2, clock=CustodyAlert.Clock.LAWYER,
                                level=CustodyAlert.Level.DUE_SOON, raised_at=at(16, 1))
    victim = CaseParty.objects.get(case=dataset.case, role=CaseParty.Role.VICTIM)
    SupportReferral.objects.create(case=dataset.case, victim=victim, kind="psychological",
                                   centre="Centre", status="completed",
                                   referred_at=at(25, 10), status_changed_at=at(28, 10))
    return dataset


def test_new_sections_hand_computed(more, people):
    tables = {t.key: t for t in cat.cat_tables(user=people["gpo"], year=2025)}
    almaty = Region.objects.get(code="KZ-75").name
    region = tables["safeguards_region"]
    # FA-1: r1..r4 (4 detentions): relatives late 1, lawyer late 1, medical late 1.
    assert next(r for r in region.rows if r[0] == almaty)[1:] == [4, 3, 3, 3, 75.0, 75.0, 75.0]
    # With FB-1's b1: 5 in all.
    assert region.rows[-1][1] == 5
    citizenship = {r[0]: r[1:5] for r in tables["safeguards_citizenship"].rows}
    assert citizenship["KZ"] == [4, 3, 3, 4] and citizenship["UZ"] == [1, 1, 1, 0]
    assert list(citizenship)[0] == "KZ"
    redress = dict(tables["redress"].rows)
    assert redress["Claims received"] == 1 and redress["Claims paid"] == 1
    assert redress["Amount paid (KZT)"] == 500000.0
    assert redress["Median days from application to payment"] == 11.0
    rehabilitation = {r[0]: r[-1] for r in tables["rehabilitation"].rows}
    assert rehabilitation["Psychological support"] == 1 and rehabilitation["Total"] == 1
    recommendations = dict(tables["npm_recommendations"].rows)
    assert recommendations["Not started"] == 1 and recommendations["Total"] == 1
    # Outside the scope: nothing of FA-1.
    theirs = {t.key: t for t in cat.cat_tables(user=people["head_b"], year=2025)}
    assert theirs["safeguards_region"].rows[-1][1] == 1
    assert dict(theirs["redress"].rows)["Claims paid"] == 0


def test_the_export_carries_the_new_sections(more, people, signed_in):
    client = signed_in(people["gpo"])
    response = client.get(reverse("reports:cat_export", args=["xlsx"]), {"year": 2025})
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    titles = {str(sheet["A1"].value) for sheet in book.worksheets}
    for title in ("Safeguards on time, by region", "Redress: the Victim Compensation Fund",
                  "Rehabilitation: support referrals of victims",
                  "Disciplinary measures against officers and heads",
                  "NPM visits, by kind and status"):
        assert title in titles


def test_accountabilitys_parts_reach_the_cat_tables_through_its_providers(more, people,
                                                                        monkeypatch):
    # Reports sits below accountability and does not import it: the disciplinary measures
    # and the Fund's recourse rows come from accountability/cat.py, registered at ready, in
    # the places they always had.
    from django.core.exceptions import ImproperlyConfigured

    from custodywatch.reports import cat_providers

    tables = cat.cat_tables(user=people["gpo"], year=2025)
    keys = [t.key for t in tables]
    assert keys[keys.index("deaths") + 1] == "discipline"
    redress = [row[0] for row in next(t for t in tables if t.key == "redress").rows]
    assert redress[-3:] == ["Median days from application to payment",
                            "Recourse claims filed against convicted officers",
                            "Recovered from officers (KZT)"]
    # Without accountability's provider the export refuses rather than leave figures out.
    monkeypatch.delitem(cat_providers._providers, "discipline")
    with pytest.raises(ImproperlyConfigured, match="discipline"):
        cat.cat_tables(user=people["gpo"], year=2025)
    with pytest.raises(ImproperlyConfigured, match="slot"):
        cat_providers.register_cat_provider("no such slot", lambda *args: [])
