"""Planning visits, findings with photos, sealed interviews, and who sees what."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import AuditEvent
from custodywatch.visits import services
from custodywatch.visits.models import Category, Finding, Interview, TeamMember, Visit
from tests.visits.conftest import TODAY, add_finding, issue, plan_visit

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def complete(monitor, visit):
    services.visit_status_set(acting_user=monitor, origin=SYSTEM_ORIGIN, visit=visit,
                              status=Visit.Status.IN_PROGRESS)
    services.visit_status_set(acting_user=monitor, origin=SYSTEM_ORIGIN, visit=visit,
                              status=Visit.Status.COMPLETED)


def test_facility_head_cannot_plan_a_visit_and_the_refusal_is_audited(people, facility_a):
    with pytest.raises(PermissionDenied):
        plan_visit(people["head_a"], facility_a)
    assert not Visit.objects.exists()
    assert AuditEvent.objects.filter(actor=people["head_a"],
                                     action=AuditEvent.Action.DENIED).exists()


def test_bad_dates_name_the_field_and_save_nothing(monitor, facility_a):
    with pytest.raises(ValidationError) as caught:
        plan_visit(monitor, facility_a, starts_on=TODAY, ends_on=TODAY - dt.timedelta(days=1))
    assert "ends_on" in caught.value.message_dict
    assert not Visit.objects.exists()


def test_next_visit_checklist_lists_the_open_recommendations(monitor, visit, police):
    open_one = issue(monitor, visit, police)
    closed = issue(monitor, visit, police, text="Repair the light.")
    closed.status = "implemented"
    closed.save()
    next_visit = plan_visit(monitor, visit.facility, starts_on=TODAY + dt.timedelta(days=60),
                            ends_on=TODAY + dt.timedelta(days=60))
    assert list(next_visit.checklist.values_list("recommendation", flat=True)) == [open_one.pk]


def test_visit_status_moves_only_forward(monitor, visit):
    with pytest.raises(ValidationError) as caught:
        services.visit_status_set(acting_user=monitor, origin=SYSTEM_ORIGIN, visit=visit,
                                  status=Visit.Status.COMPLETED)
    assert "status" in caught.value.message_dict
    complete(monitor, visit)
    visit.refresh_from_db()
    assert visit.status == Visit.Status.COMPLETED and visit.completed_at is not None


def test_unannounced_visit_stays_hidden_from_the_facility_until_completed(
        monitor, visit, people, signed_in, client):
    url = reverse("visits:visit_detail", args=[visit.pk])
    signed_in(people["head_a"])
    assert client.get(url).status_code == 404
    assert visit.facility.code not in client.get(reverse("visits:calendar") + "?month=2026-03"
                                                 ).content.decode()
    complete(monitor, visit)
    assert client.get(url).status_code == 200


def test_interview_notes_are_sealed_and_only_monitors_read_them(
        monitor, visit, people, signed_in, client):
    secret = "Беслан: ұрып-соғу, 3 March, officer Petrov"
    interview = services.interview_record(
        acting_user=monitor, origin=SYSTEM_ORIGIN, visit=visit,
        interviewee=Interview.Interviewee.DETAINEE, notes=secret)
    assert secret.encode() not in bytes(Interview.objects.get(pk=interview.pk).sealed_notes)
    complete(monitor, visit)
    url = reverse("visits:visit_detail", args=[visit.pk])

    signed_in(monitor)
    page = client.get(url).content.decode()
    assert secret in page
    assert AuditEvent.objects.filter(actor=monitor, action=AuditEvent.Action.READ,
                                     object_type="visits.interview").exists()

    for reader in (people["head_a"], people["gpo"], people["admin"]):
        signed_in(reader)
        page = client.get(url).content.decode()
        assert client.get(url).status_code == 200
        assert secret not in page and "Private interviews" not in page
    signed_in(people["head_a"])
    pdf = client.get(reverse("visits:visit_report", args=[visit.pk, "ru"]))
    assert pdf.status_code == 200 and b"Petrov" not in pdf.content


def test_facility_head_cannot_record_anything_on_a_visit(monitor, visit, people, signed_in,
                                                         client):
    complete(monitor, visit)
    signed_in(people["head_a"])
    response = client.post(reverse("visits:visit_detail", args=[visit.pk]),
                           {"action": "interview", "interviewee": "detainee", "notes": "x"})
    assert response.status_code == 403
    assert not Interview.objects.exists()


def test_finding_form_with_photo_and_bad_room(monitor, visit, signed_in, client):
    signed_in(monitor)
    url = reverse("visits:visit_detail", args=[visit.pk])
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(url, {"action": "finding", "category": Category.HEALTH_CARE,
                                 "severity": "high", "room": "R1", "text": "No doctor at night",
                                 "photo": SimpleUploadedFile("a.png", PNG, "image/png")})
    assert response.status_code == 302
    finding = Finding.objects.get()
    assert finding.room.code == "R1" and finding.photos.count() == 1
    photo = finding.photos.get()
    assert client.get(reverse("visits:finding_photo", args=[photo.pk])).status_code == 200

    response = client.post(url, {"action": "finding", "category": Category.HEALTH_CARE,
                                 "severity": "high", "text": "x",
                                 "photo": SimpleUploadedFile("a.gif", b"GIF89a", "image/gif")})
    assert response.status_code == 422
    assert "Photos must be JPEG or PNG images." in response.content.decode()
    assert Finding.objects.count() == 1


def test_photo_of_a_visit_out_of_scope_is_refused(monitor, visit, people, signed_in, client):
    finding = add_finding(monitor, visit, photos=[services.PhotoInput(content=PNG)])
    complete(monitor, visit)
    signed_in(people["head_b"])
    assert client.get(reverse("visits:finding_photo",
                              args=[finding.photos.get().pk])).status_code == 404
    assert AuditEvent.objects.filter(actor=people["head_b"], action=AuditEvent.Action.DENIED,
                                     object_type="visits.findingphoto").exists()


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_visit_report_pdf_in_each_language(monitor, visit, police, signed_in, client, language):
    finding = add_finding(monitor, visit, text="Қамерада желдету жоқ; нет вентиляции.")
    issue(monitor, visit, police, finding=finding)
    signed_in(monitor)
    response = client.get(reverse("visits:visit_report", args=[visit.pk, language]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and b"NotoSans" in response.content
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT,
                                     detail__report=language).exists()


def test_visit_plan_page_creates_a_visit_with_its_team(monitor, facility_a, signed_in, client):
    signed_in(monitor)
    response = client.post(reverse("visits:visit_plan"), {
        "facility": facility_a.code.lower(), "kind": "planned", "starts_on": "2026-04-01",
        "ends_on": "2026-04-02", "monitors": [monitor.pk],
        "others": "Айгүл Сәрсенова; civil_society"})
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert sorted(visit.team.values_list("affiliation", flat=True)) == [
        TeamMember.Affiliation.CIVIL_SOCIETY, TeamMember.Affiliation.NPM]
    response = client.post(reverse("visits:visit_plan"), {
        "facility": "NOPE", "kind": "planned", "starts_on": "2026-04-01",
        "ends_on": "2026-04-02", "others": "x; martian"})
    assert response.status_code == 422
    assert Visit.objects.count() == 1


def test_calendar_and_facility_history_pages(monitor, visit, people, signed_in, client):
    add_finding(monitor, visit)
    signed_in(monitor)
    calendar = client.get(reverse("visits:calendar") + "?month=2026-03").content.decode()
    assert visit.facility.code in calendar
    history = client.get(reverse("visits:facility_history", args=[visit.facility.code]))
    assert history.status_code == 200 and "1 finding" in history.content.decode()
    signed_in(people["head_b"])
    assert client.get(reverse("visits:facility_history",
                              args=[visit.facility.code])).status_code == 404


def test_uuid_of_another_visits_finding_is_refused(monitor, visit, facility_b):
    finding = add_finding(monitor, visit)
    other = plan_visit(monitor, facility_b)
    with pytest.raises(ValidationError) as caught:
        services.findings_sync(acting_user=monitor, origin=SYSTEM_ORIGIN, visit=other, items=[
            services.FindingInput(uuid=finding.uuid, category="conditions", text="x")])
    assert "findings[0].uuid" in caught.value.message_dict
    assert uuid.UUID(str(finding.uuid)) == Finding.objects.get().uuid


def test_visit_page_links_each_report_language_to_its_pdf(monitor, visit, signed_in, client):
    """The page's own `languages` was once overwritten by the language menu's list of dicts."""
    signed_in(monitor)
    page = client.get(reverse("visits:visit_detail", args=[visit.pk])).content.decode()
    assert "{&#x27;" not in page and "{'bidi'" not in page.lower()
    for language in ("kk", "ru", "en"):
        url = reverse("visits:visit_report", args=[visit.pk, language])
        assert f'href="{url}"' in page
        assert client.get(url).status_code == 200


def test_visit_plan_offers_facilities_by_name_and_people_by_name(monitor, facility_a, signed_in,
                                                                  client):
    monitor.first_name, monitor.last_name = "Сергей", "Ким"
    monitor.save()
    signed_in(monitor)
    page = client.get(reverse("visits:visit_plan")).content.decode()
    assert "Сергей Ким" in page
    select = re.search(r'<select name="facility"[^>]*>', page).group(0)
    assert "data-searchable" in select
    assert f'value="{facility_a.code}"' in page
    assert f"{facility_a.name} · {facility_a.code} ({facility_a.region.short_name})" in page
    assert "civil_society" not in page  # help text in words, not enum values
    assert f">{monitor.username}<" not in page.replace("\n", "")


@pytest.mark.parametrize("affiliation", ["Гражданское общество", "civil society",
                                         "civil_society", "Азаматтық қоғам"])
def test_visit_team_affiliation_in_any_language(monitor, facility_a, signed_in, client,
                                                affiliation):
    from custodywatch.visits.forms import _affiliation

    assert _affiliation(affiliation) == TeamMember.Affiliation.CIVIL_SOCIETY
    assert _affiliation("martian") is None
