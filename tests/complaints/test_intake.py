"""Intake channels: web form, kiosk, operator, API; bad input changes nothing."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from custodywatch.accounts.models import AuditEvent
from custodywatch.complaints import rules
from custodywatch.complaints.attachments import open_verified
from custodywatch.complaints.models import (
    Attachment,
    Category,
    Channel,
    Complaint,
    HandlingBody,
    LegalHold,
    Status,
)
from custodywatch.ledger.models import LeafKind, PendingLeaf
from tests.complaints.conftest import CONDITIONS_TEXT, TORTURE_TEXT, enrol

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _upload(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="image/png")


def test_web_form_files_triages_routes_and_holds(client, facility_a):
    response = client.post(reverse("complaints:intake"), {
        "text": TORTURE_TEXT, "facility": facility_a.pk, "full_name": "Ерлан",
        "contact": "+7 701 000 0000", "attachments": [_upload("photo.png", PNG)]})
    assert response.status_code == 200
    complaint = Complaint.objects.get()
    code = response.context["receipt_code"]
    assert code in response.content.decode()
    assert complaint.channel == Channel.WEB
    assert complaint.language == "ru"
    assert complaint.suggested_category == complaint.category == Category.TORTURE
    assert "избили" in complaint.triggering_words
    assert complaint.handling_body == HandlingBody.PROSECUTOR
    assert complaint.region == facility_a.region
    assert complaint.status == Status.RECEIVED
    assert (complaint.registration_due_at - complaint.received_at) == rules.HOUR * 24
    # The code is kept only as an Argon2id hash.
    assert code.replace("-", "")[8:] not in complaint.receipt_hash
    assert complaint.receipt_hash.startswith("$argon2id$")
    attachment = Attachment.objects.get()
    assert attachment.media_type == "image/png" and attachment.size == len(PNG)
    assert open_verified(attachment).read() == PNG  # stored sealed (test_sealed_at_rest.py)
    hold = LegalHold.objects.get(complaint=complaint)
    assert hold.facility == facility_a and hold.rooms.count() == 0  # the whole facility
    kinds = set(PendingLeaf.objects.values_list("kind", flat=True))
    assert {LeafKind.COMPLAINT_RECEIPT, LeafKind.LEGAL_HOLD} <= kinds
    receipt_leaf = PendingLeaf.objects.get(kind=LeafKind.COMPLAINT_RECEIPT)
    assert receipt_leaf.sha256 == complaint.receipt_sha256
    assert "Ерлан".encode() not in bytes(receipt_leaf.data)


def test_conditions_go_to_the_ombudsperson(file_complaint, facility_b):
    complaint = file_complaint(facility=facility_b, text=CONDITIONS_TEXT).complaint
    assert complaint.category == Category.CONDITIONS
    assert complaint.handling_body == HandlingBody.OMBUDSPERSON


@pytest.mark.parametrize(("post", "field"), [
    ({"text": "", "region": "KZ-75"}, "text"),
    ({"text": TORTURE_TEXT}, "facility"),
    ({"text": TORTURE_TEXT, "region": "", "anonymous": "on", "full_name": "X"}, "anonymous"),
])
def test_bad_input_names_the_field_and_saves_nothing(client, facility_a, post, field):
    from custodywatch.registry.models import Region

    if post.get("region"):
        post = post | {"region": Region.objects.get(code=post["region"]).pk}
    if field == "anonymous":
        post = post | {"facility": facility_a.pk}
    response = client.post(reverse("complaints:intake"), post)
    assert response.status_code == 422
    assert field in response.context["form"].errors
    assert Complaint.objects.count() == 0


def test_oversized_attachment_is_refused_and_nothing_is_half_saved(
        client, facility_a, monkeypatch, media_root):
    monkeypatch.setattr("custodywatch.complaints.attachments.MAX_ATTACHMENT_BYTES", 100)
    response = client.post(reverse("complaints:intake"), {
        "text": TORTURE_TEXT, "facility": facility_a.pk,
        "attachments": [_upload("ok.png", PNG), _upload("big.png", PNG + b"\x00" * 200)]})
    assert response.status_code == 422
    errors = response.context["form"].errors["attachments"]
    assert any("big.png" in error and "limit" in error for error in errors)
    assert Complaint.objects.count() == 0
    assert Attachment.objects.count() == 0
    assert LegalHold.objects.count() == 0
    assert not PendingLeaf.objects.filter(kind=LeafKind.COMPLAINT_RECEIPT).exists()
    assert not any(p.is_file() for p in media_root.rglob("*")) if media_root.exists() else True


def test_wrong_type_attachment_is_refused(client, facility_a):
    response = client.post(reverse("complaints:intake"), {
        "text": TORTURE_TEXT, "facility": facility_a.pk,
        # A program renamed to .png: the first bytes decide, not the name.
        "attachments": [_upload("photo.png", b"MZ\x90\x00" + b"\x00" * 60)]})
    assert response.status_code == 422
    [error] = response.context["form"].errors["attachments"]
    assert "photo.png is not an accepted type" in error
    assert Complaint.objects.count() == 0


def test_a_failure_after_files_are_written_removes_them(file_complaint, facility_a, monkeypatch,
                                                        media_root):
    def broken(**kwargs):
        raise RuntimeError("ledger down")

    monkeypatch.setattr("custodywatch.complaints.services.filing.legal_hold_place", broken)
    with pytest.raises(RuntimeError):
        file_complaint(facility=facility_a, attachments=[_upload("a.png", PNG)])
    assert Complaint.objects.count() == 0
    assert not [p for p in media_root.rglob("*") if p.is_file()]


def test_kiosk_files_wipes_the_session_and_leaves_no_trace_of_the_terminal(client, facility_a):
    enrol(client, facility_a)
    start = client.get(reverse("complaints:kiosk", args=[facility_a.code]))
    assert start.status_code == 200
    assert "no-cache" in start["Cache-Control"] or "no-store" in start["Cache-Control"]
    client.post(reverse("set_language"), {"language": "kk",
                                          "next": reverse("complaints:kiosk_form",
                                                          args=[facility_a.code])})
    form = client.get(reverse("complaints:kiosk_form", args=[facility_a.code]))
    assert 'lang="kk"' in form.content.decode()
    assert 'autocomplete="off"' in form.content.decode()
    response = client.post(reverse("complaints:kiosk_form", args=[facility_a.code]), {
        "text": "Тергеуші мені ұрып, азаптады", "facility": facility_a.pk,
        "still_in_custody": "on"}, REMOTE_ADDR="10.1.2.3", HTTP_USER_AGENT="KioskBrowser")
    assert response.status_code == 200
    complaint = Complaint.objects.get()
    assert complaint.channel == Channel.KIOSK
    assert complaint.language == "kk"
    assert complaint.urgency == "high"
    # Received time kept to the batch window only, and the receipt says it as a window
    # (not an exact time that is not the moment the person filed).
    assert complaint.received_at.minute == 0 and complaint.received_at.second == 0
    start = timezone.localtime(complaint.received_at)
    assert f"{start:%H}:00 мен {(start + dt.timedelta(hours=1)):%H}:00 аралығында" in \
        response.content.decode()
    event = AuditEvent.objects.get(action=AuditEvent.Action.CREATE,
                                   object_type="complaints.complaint")
    assert event.ip_address is None and event.user_agent == "kiosk"
    assert not client.session.items()  # wiped
    back = client.get(reverse("complaints:kiosk", args=[facility_a.code]))
    assert back.cookies["django_language"].value == ""  # the language choice is forgotten


def test_a_kiosk_complaint_about_its_own_facility_is_urgent_without_the_checkbox(
        client, facility_a, facility_b):
    """At the terminal of the facility he complains about, the person is in its custody."""
    enrol(client, facility_a)
    for about in (facility_a, facility_b):
        response = client.post(reverse("complaints:kiosk_form", args=[facility_a.code]), {
            "text": f"Меня избили в изоляторе {about.code}", "facility": about.pk})
        assert response.status_code == 200, response.content[:300]
    urgency = dict(Complaint.objects.values_list("facility__code", "urgency"))
    assert urgency == {"FA-1": "high", "FB-1": "normal"}


def test_operator_channel_needs_an_official(file_complaint, facility_a, people, signed_in):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        file_complaint(facility=facility_a, channel=Channel.HOTLINE, acting_user=people["head_a"])
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DENIED).exists()
    client = signed_in(people["prosecutor_a"])
    response = client.post(reverse("complaints:operator"), {
        "channel": Channel.LAWYER, "text": TORTURE_TEXT, "facility": facility_a.pk,
        "full_name": "Адвокат Ким", "relation": "lawyer"})
    assert response.status_code == 200
    assert Complaint.objects.get().channel == Channel.LAWYER


def test_npm_monitor_files_a_complaint_taken_on_a_visit_but_reads_no_inbox(
        facility_a, signed_in):
    from custodywatch.accounts.models import Role
    from tests.conftest import make_user

    monitor = signed_in(make_user("monitor", Role.NPM_MONITOR))
    assert monitor.get(reverse("complaints:operator")).status_code == 200
    response = monitor.post(reverse("complaints:operator"), {
        "channel": Channel.NPM_VISIT, "text": TORTURE_TEXT, "facility": facility_a.pk,
        "full_name": "Сериков Данияр", "relation": "self"})
    assert response.status_code == 200, response.content[:500]
    complaint = Complaint.objects.get()
    assert complaint.channel == Channel.NPM_VISIT
    assert complaint.reference in response.content.decode()  # the receipt to hand over
    # Taking a complaint down is not handling it: the inbox and the complaint stay closed.
    assert monitor.get(reverse("complaints:inbox")).status_code == 403


def test_operator_form_is_refused_to_facility_staff(people, signed_in):
    assert signed_in(people["head_a"]).get(reverse("complaints:operator")).status_code == 403


def test_api_intake_for_state_systems(client, people, facility_a):
    from custodywatch.accounts.audit import SYSTEM_ORIGIN
    from custodywatch.accounts.models import Role
    from custodywatch.accounts.services import token_create
    from tests.conftest import make_user

    system = make_user("e_appeals", Role.STATE_SYSTEM)  # the only account that files by API
    token, _row = token_create(acting_user=None, origin=SYSTEM_ORIGIN, user=system)
    body = {"text": TORTURE_TEXT, "facility": facility_a.code, "full_name": "Ерлан"}
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_IDEMPOTENCY_KEY": "k1"}
    first = client.post("/api/complaints/intake", json.dumps(body),
                        content_type="application/json", **headers)
    assert first.status_code == 201, first.content
    assert first.json()["handling_body"] == "prosecutor"
    again = client.post("/api/complaints/intake", json.dumps(body),
                        content_type="application/json", **headers)
    assert again.json() == first.json()
    # The replayed answer carries the receipt code, but the stored answer is sealed: the
    # database alone never holds the code in the clear (only its slow hash).
    from custodywatch.core.models import IdempotencyRecord
    stored = bytes(IdempotencyRecord.objects.get(key="k1").content)
    assert first.json()["receipt_code"].encode() not in stored
    assert first.json()["reference"].encode() not in stored
    assert Complaint.objects.get().channel == Channel.E_APPEALS
    bad = client.post("/api/complaints/intake", json.dumps({"text": "x", "facility": "NOPE"}),
                      content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert bad.status_code == 422 and "facility" in bad.json()["detail"]
    assert Complaint.objects.count() == 1


def test_api_intake_refuses_facility_tokens(client, people, facility_a):
    from custodywatch.accounts.audit import SYSTEM_ORIGIN
    from custodywatch.accounts.services import token_create

    token, _row = token_create(acting_user=None, origin=SYSTEM_ORIGIN, user=people["agent_a"])
    response = client.post("/api/complaints/intake",
                           json.dumps({"text": TORTURE_TEXT, "facility": facility_a.code}),
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 403
    assert Complaint.objects.count() == 0
