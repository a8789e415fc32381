"""Who sees which case, through the pages and the API: grants and denials."""

from __future__ import annotations

import pytest
from django.urls import reverse

from custodywatch.accounts.models import AuditEvent
from custodywatch.accounts.services import token_create
from custodywatch.cases import selectors
from tests.cases.conftest import ERDR_A, ERDR_B, ORIGIN
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


def _visible(user) -> set[str]:
    return set(selectors.cases_visible(user=user).values_list("register_number", flat=True))


def test_who_sees_which_case(cw):
    p = cw.people
    both = {ERDR_A, ERDR_B}
    assert _visible(p["gpo"]) == both
    assert _visible(p["admin"]) == both
    assert _visible(p["ombuds"]) == both
    assert _visible(p["prosecutor_a"]) == {ERDR_A}
    assert _visible(p["prosecutor_a2"]) == {ERDR_A}
    assert _visible(p["prosecutor_b"]) == {ERDR_B}
    assert _visible(p["forensic"]) == {ERDR_A}  # assigned to its examination
    assert _visible(p["forensic_2"]) == set()
    assert _visible(p["compensation"]) == set()  # no claim yet
    for name in ("head_a", "head_b", "duty_a", "analyst", "agent_a"):
        assert _visible(p[name]) == set(), name
    # The suspect holds a regional prosecutor's account in the case's region: never his case.
    assert _visible(p["suspect"]) == set()


def test_forensic_report_readers(cw):
    p, exam = cw.people, cw.examination
    readers = {name for name, user in p.items()
               if selectors.may_read_forensic_report(user=user, examination=exam)}
    # The case's supervising prosecutor, the country-scope GPO, the examiner. Not the other
    # regional prosecutor of the region, not the Ombudsperson, not the administrator.
    assert readers == {"prosecutor_a", "gpo", "forensic"}


def test_pages_grant_and_deny(client, cw):
    p = cw.people
    case_url = reverse("cases:case_detail", args=[cw.case_a.pk])
    exam_url = reverse("cases:examination", args=[cw.examination.pk])
    pdf_url = reverse("cases:examination_pdf", args=[cw.examination.pk])
    officer_url = reverse("cases:officer", args=[cw.accused.officer_id])
    expected = {
        # name: (case page, examination page)
        "prosecutor_a": (200, 200), "prosecutor_a2": (200, 404), "gpo": (200, 200),
        "ombuds": (200, 404), "admin": (200, 404), "forensic": (200, 200),
        "forensic_2": (404, 404), "prosecutor_b": (404, 404), "suspect": (404, 404),
        "head_a": (404, 404), "analyst": (404, 404), "compensation": (404, 404),
    }
    for name, (case_status, exam_status) in expected.items():
        client.logout()
        sign_in(client, p[name])
        assert client.get(case_url).status_code == case_status, name
        assert client.get(exam_url).status_code == exam_status, name
        assert client.get(pdf_url).status_code == exam_status, name
    # The suspect: not in the list, not his officer page, not the case, not by the API.
    client.logout()
    sign_in(client, p["suspect"])
    listing = client.get(reverse("cases:index"))
    assert listing.status_code == 200 and ERDR_A not in listing.content.decode()
    assert client.get(officer_url).status_code == 404
    assert client.get(f"/api/cases/{ERDR_A}").status_code == 404
    assert ERDR_A not in client.get("/api/cases/").content.decode()
    assert AuditEvent.objects.filter(actor=p["suspect"], action=AuditEvent.Action.DENIED,
                                     object_id=str(cw.case_a.pk)).exists()
    # The forensic expert sees the header and his examination, not the parties.
    client.logout()
    sign_in(client, p["forensic"])
    page = client.get(case_url).content.decode()
    assert "examination-link" in page and "Officer Suspect" not in page
    # The Ombudsperson reads the case, but the examination is not a link for him.
    client.logout()
    sign_in(client, p["ombuds"])
    page = client.get(case_url).content.decode()
    assert "Officer Suspect" in page and "examination-link" not in page
    # Staff of the facility: the list itself is refused.
    client.logout()
    sign_in(client, p["head_a"])
    assert client.get(reverse("cases:index")).status_code == 403


def test_api_scopes_by_token(client, cw):
    p = cw.people

    def bearer(user) -> dict:
        raw, _token = token_create(acting_user=p["admin"], origin=ORIGIN, user=user, name="t")
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    listed = client.get("/api/cases/", **bearer(p["prosecutor_a"])).json()
    assert [c["register_number"] for c in listed["items"]] == [ERDR_A]
    assert client.get(f"/api/cases/{ERDR_B}", **bearer(p["prosecutor_a"])).status_code == 404
    detail = client.get(f"/api/cases/{ERDR_A}", **bearer(p["prosecutor_a"])).json()
    assert detail["region"] == "KZ-75" and detail["status"] == "registered"
    suspect = bearer(p["suspect"])
    assert client.get(f"/api/cases/{ERDR_A}", **suspect).status_code == 404
    assert client.get("/api/cases/", **suspect).json()["items"] == []
    assert client.get("/api/cases/", **bearer(p["head_a"])).status_code == 403
    assert client.get("/api/cases/").status_code == 401
