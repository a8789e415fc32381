"""A complaint and its cases: the "case opened" timeline event and the cases listed on the
complaint's page (only those the reader may open); accused officers linked to officer records,
who never see, handle or are alerted about the complaint, whatever their role (UI and API),
and who become the suspects of a case opened from it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from custodywatch.accounts.models import AuditEvent, Role
from custodywatch.accounts.services import token_create
from custodywatch.cases import selectors, services
from custodywatch.cases.models import Accusation, Case, CaseParty, Officer
from custodywatch.complaints import selectors as complaint_selectors
from custodywatch.complaints import services as complaints
from custodywatch.complaints.models import TimelineEvent
from custodywatch.complaints.services import routing
from custodywatch.complaints.views import _eligible_handlers
from tests.cases.conftest import ERDR_A, ORIGIN, file_torture_complaint
from tests.conftest import make_user, sign_in

pytestmark = pytest.mark.django_db
ERDR_C = "261535031000003"


def _page(client, user, complaint) -> tuple[int, str]:
    client.logout()
    sign_in(client, user)
    response = client.get(reverse("complaints:detail", args=[complaint.pk]))
    return response.status_code, response.content.decode()


def test_case_opened_on_the_timeline_and_listed_to_those_who_may_open_it(client, cw,
                                                                         facility_b):
    p, complaint = cw.people, cw.complaint
    event = complaint.timeline.get(kind=TimelineEvent.Kind.CASE_OPENED)
    assert (event.note, event.actor, event.at) == (ERDR_A, p["prosecutor_a"],
                                                   cw.case_a.registered_at)
    # The GPO opens a second case from the same complaint, about a unit of another region.
    case_c = services.case_open(acting_user=p["gpo"], origin=ORIGIN, register_number=ERDR_C,
                                title="Transferred and beaten in FB-1", facility=facility_b,
                                complaints=[complaint])
    assert complaint.timeline.filter(kind=TimelineEvent.Kind.CASE_OPENED).count() == 2
    status, page = _page(client, p["gpo"], complaint)
    assert status == 200
    assert page.count('data-testid="complaint-case"') == 2 and ERDR_C in page
    # The region's prosecutor sees the complaint and his region's case, not the other one:
    # neither in the list nor in the timeline's note.
    status, page = _page(client, p["prosecutor_a"], complaint)
    assert status == 200
    assert page.count('data-testid="complaint-case"') == 1
    assert ERDR_A in page and ERDR_C not in page and "Case opened" in page
    assert AuditEvent.objects.filter(actor=p["prosecutor_a"], action=AuditEvent.Action.LIST,
                                     object_type="cases.case",
                                     detail__complaint=complaint.reference).exists()
    # No case access, no cases (the complaint page itself is refused to such roles).
    for name in ("analyst", "head_a", "forensic", "compensation"):
        assert selectors.complaint_cases(user=p[name], complaint=complaint,
                                         origin=ORIGIN) == [], name
    assert [c.pk for c in selectors.complaint_cases(user=p["ombuds"], complaint=complaint,
                                                    origin=ORIGIN)] == [cw.case_a.pk, case_c.pk]
    # A complaint with no case says so.
    other = file_torture_complaint(cw.case_a.facility)
    status, page = _page(client, p["prosecutor_a"], other)
    assert 'data-testid="complaint-case"' not in page and "No case you may open" in page


def test_accused_officers_never_see_or_handle_the_complaint(client, cw, facility_a):
    p = cw.people
    # Officers of the accused unit who also hold accounts that would see the complaint.
    accused_gp = make_user("accused_gp", Role.GENERAL_PROSECUTOR)
    accused_rp = make_user("accused_rp", Role.REGIONAL_PROSECUTOR, region=facility_a.region)
    complaint = file_torture_complaint(facility_a)
    complaints.complaint_register(acting_user=p["prosecutor_a"], origin=ORIGIN,
                                  complaint=complaint)
    complaints.complaint_reassign(acting_user=p["prosecutor_a"], origin=ORIGIN,
                                  complaint=complaint, handler=accused_rp, reason="load")
    for user in (accused_gp, accused_rp):
        assert _page(client, user, complaint)[0] == 200  # before any link

    # Bad input: a clear error beside the field, nothing written.
    client.logout()
    sign_in(client, p["prosecutor_a"])
    accuse = reverse("complaints:action", args=[complaint.pk, "accuse"])
    refused = client.post(accuse, {"full_name": "", "personnel_number": ""})
    assert refused.status_code == 422 and "full name or personnel number" in \
        refused.content.decode()
    refused = client.post(accuse, {"full_name": "Капитан Х", "username": "nobody-such"})
    assert refused.status_code == 422 and "No user account has this name" in \
        refused.content.decode()
    assert not Accusation.objects.exists() and not Officer.objects.filter(
        full_name="Капитан Х").exists()

    # The handler links both; the accused handler loses the complaint at once.
    for name, number, user in (("Серікбаев Марат", "K-77", accused_gp),
                               ("Омаров Руслан", "K-78", accused_rp)):
        done = client.post(accuse, {"full_name": name, "personnel_number": number,
                                    "rank": "капитан", "username": user.username})
        assert done.status_code == 302, done.content.decode()[:500]
    complaint.refresh_from_db()
    assert complaint.handler is None
    assert set(Accusation.objects.filter(complaint=complaint)
               .values_list("officer__user__username", flat=True)) == {"accused_gp",
                                                                         "accused_rp"}
    kinds = list(complaint.timeline.values_list("kind", flat=True))
    assert kinds.count(TimelineEvent.Kind.ACCUSED) == 2 and kinds[-1] == "reassigned"
    status, page = _page(client, p["prosecutor_a"], complaint)
    assert page.count('data-testid="accusation"') == 2 and "Серікбаев Марат" in page
    # The same officer again: refused.
    with pytest.raises(ValidationError):
        services.accusation_add(acting_user=p["prosecutor_a"], origin=ORIGIN,
                                complaint=complaint, personnel_number="K-77")

    # Whatever his role: not in the page, the inbox, the export or the API.
    for user in (accused_gp, accused_rp):
        assert _page(client, user, complaint)[0] == 404
        assert complaint.reference not in client.get(reverse("complaints:inbox")).content \
            .decode()
        assert complaint.reference not in client.get(reverse("complaints:export")).content \
            .decode()
        assert AuditEvent.objects.filter(actor=user, action=AuditEvent.Action.DENIED,
                                         object_id=str(complaint.pk)).exists()
        raw, _token = token_create(acting_user=p["admin"], origin=ORIGIN, user=user, name="t")
        bearer = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
        assert client.get(f"/api/complaints/{complaint.reference}", **bearer).status_code \
            == 404
        listed = client.get("/api/complaints/?status=registered", **bearer).json()["items"]
        assert complaint.reference not in {row["reference"] for row in listed}
    # The other handlers still see it.
    assert _page(client, p["gpo"], complaint)[0] == 200

    # Never given it: not offered, refused by the service, and not alerted.
    offered = set(_eligible_handlers(complaint))
    assert p["prosecutor_a"] in offered and not offered & {accused_gp, accused_rp}
    _page(client, p["prosecutor_a"], complaint)
    refused = client.post(reverse("complaints:action", args=[complaint.pk, "reassign"]),
                          {"handler": accused_gp.pk, "reason": "try"})
    assert refused.status_code == 422
    for user in (accused_gp, accused_rp):
        with pytest.raises(ValidationError):
            complaints.complaint_reassign(acting_user=p["gpo"], origin=ORIGIN,
                                          complaint=complaint, handler=user, reason="x")
    recipients = routing._transfer_alert_recipients(complaint)
    assert p["prosecutor_a"] in recipients and accused_rp not in recipients

    # A case opened from it: the page pre-fills the accused as suspects.
    form = client.get(reverse("cases:case_new") + f"?complaint={complaint.pk}").content.decode()
    officers = {o.user.username: o
                for o in Officer.objects.filter(accusations__complaint=complaint)}
    for officer in officers.values():
        assert f'value="{officer.pk}"' in form
    assert form.count("checked") >= 2
    opened = client.post(reverse("cases:case_new"), {
        "register_number": ERDR_C, "title": "Complaint case", "facility": facility_a.pk,
        "complaints": [complaint.pk], "suspects": [officers["accused_gp"].pk]})
    assert opened.status_code == 302, opened.content.decode()[:800]
    case = Case.objects.get(register_number=ERDR_C)
    assert list(case.parties.values_list("role", "officer__user__username")) == [
        (CaseParty.Role.SUSPECT, "accused_gp")]
    # Neither accused sees the case: one is its suspect, the other accused in its complaint.
    for user in (accused_gp, accused_rp):
        assert not selectors.cases_visible(user=user).filter(pk=case.pk).exists()
        assert complaint.pk not in complaint_selectors.complaints_visible(user=user) \
            .values_list("pk", flat=True)
    assert selectors.cases_visible(user=p["prosecutor_a"]).filter(pk=case.pk).exists()

    # A wrong link is removed with a reason only; then the officer sees it again.
    accusation = Accusation.objects.get(officer=officers["accused_rp"])
    unaccuse = reverse("complaints:action", args=[complaint.pk, "unaccuse"])
    assert client.post(unaccuse, {"accusation": accusation.pk, "reason": ""}).status_code == 422
    assert Accusation.objects.filter(pk=accusation.pk).exists()
    assert client.post(unaccuse, {"accusation": accusation.pk,
                                  "reason": "another Омаров"}).status_code == 302
    assert not Accusation.objects.filter(pk=accusation.pk).exists()
    assert _page(client, accused_rp, complaint)[0] == 200
    assert _page(client, accused_gp, complaint)[0] == 404  # still the case's suspect


def test_only_handlers_link_accused_officers(cw):
    p = cw.people
    for name in ("head_a", "analyst", "prosecutor_b"):
        with pytest.raises(Exception) as refused:
            services.accusation_add(acting_user=p[name], origin=ORIGIN, complaint=cw.complaint,
                                    full_name="Someone")
        assert refused.type.__name__ == "PermissionDenied", name
    assert not Accusation.objects.exists()
