"""Issue 24 item 4: crisis centres, referrals with the person's consent, the response clock,
services given and outcome; who may read them (facility staff never)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from custodywatch.accounts.models import AuditEvent
from custodywatch.cases import referral_clock, services
from custodywatch.cases.models import CrisisCentre, ReferralService, SupportReferral
from custodywatch.cases.tasks import referrals_sweep
from custodywatch.core.periodic import autodiscover
from tests.cases.conftest import ORIGIN

pytestmark = pytest.mark.django_db


@pytest.fixture
def centre(cw) -> CrisisCentre:
    return CrisisCentre.objects.create(
        name="Жан", region=cw.case_a.region, services=["psychological", "legal"],
        phone="+7 727 555 0101", email="jan@example.kz", response_days=3)


def refer(cw, centre, **overrides) -> SupportReferral:
    arguments = {"acting_user": cw.people["prosecutor_a"], "origin": ORIGIN, "case": cw.case_a,
                 "victim": cw.victim, "kind": "psychological", "crisis_centre": centre,
                 "consent": "written"}
    arguments.update(overrides)
    return services.referral_add(**arguments)


def test_no_referral_without_consent_nor_to_a_centre_without_the_service(cw, centre):
    with pytest.raises(ValidationError) as error:
        refer(cw, centre, consent="")
    assert "consent" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        refer(cw, centre, kind="medical")
    assert "crisis_centre" in error.value.message_dict
    centre.is_active = False
    centre.save()
    with pytest.raises(ValidationError) as error:
        refer(cw, centre)
    assert "crisis_centre" in error.value.message_dict
    assert not SupportReferral.objects.exists()


def test_referral_records_consent_and_its_due_answer(cw, centre):
    referral = refer(cw, centre)
    assert referral.consent == "written"
    assert referral.consent_recorded_by == cw.people["prosecutor_a"]
    assert referral.response_due_at == referral.referred_at + dt.timedelta(days=3)
    assert referral.centre == "Жан"
    assert AuditEvent.objects.filter(object_type="cases.supportreferral",
                                     action=AuditEvent.Action.CREATE,
                                     detail__consent="written").exists()


def test_response_clock_alerts_once_and_an_answer_stops_it(cw, centre):
    referral = refer(cw, centre)
    answered = refer(cw, centre, kind="legal")
    services.referral_status_set(acting_user=cw.people["prosecutor_a"], origin=ORIGIN,
                                 referral=answered, status="accepted")
    # Before the due moment: nothing.
    assert referral_clock.sweep(now=timezone.now() + dt.timedelta(days=2)).overdue == 0
    mail.outbox.clear()
    later = timezone.now() + dt.timedelta(days=4)
    result = referral_clock.sweep(now=later)
    assert result.overdue == 1
    referral.refresh_from_db()
    assert referral.answer_overdue and referral.response_overdue_at == later
    assert AuditEvent.objects.filter(object_type="cases.supportreferral",
                                     object_id=str(referral.pk),
                                     detail__answer_overdue=True).count() == 1
    # Once only.
    assert referral_clock.sweep(now=later + dt.timedelta(days=1)).overdue == 0
    answered.refresh_from_db()
    assert answered.responded_at is not None and answered.response_overdue_at is None
    assert "referrals_sweep" in autodiscover()
    assert referrals_sweep().overdue == 0


def test_the_e_mail_goes_to_the_case_prosecutor(cw, centre):
    prosecutor = cw.people["prosecutor_a"]
    prosecutor.email = "pa@example.kz"
    prosecutor.save()
    case = cw.case_a
    case.supervising_prosecutor = prosecutor
    case.save()
    refer(cw, centre)
    mail.outbox.clear()
    referral_clock.sweep(now=timezone.now() + dt.timedelta(days=4))
    assert [m.to for m in mail.outbox] == [["pa@example.kz"]]
    assert cw.case_a.register_number in mail.outbox[0].subject
    assert "Сейтқали" not in mail.outbox[0].body


def test_services_given_and_outcome(cw, centre):
    prosecutor = cw.people["prosecutor_a"]
    referral = refer(cw, centre)
    with pytest.raises(ValidationError) as error:
        services.referral_service_add(acting_user=prosecutor, origin=ORIGIN, referral=referral,
                                      kind="psychological",
                                      given_on=timezone.localdate() + dt.timedelta(days=1))
    assert "given_on" in error.value.message_dict
    services.referral_service_add(acting_user=prosecutor, origin=ORIGIN, referral=referral,
                                  kind="psychological", given_on=timezone.localdate(),
                                  sessions=4)
    referral.refresh_from_db()
    # A service given is an answer: the clock stops.
    assert referral.responded_at is not None
    with pytest.raises(ValidationError) as error:
        services.referral_status_set(acting_user=prosecutor, origin=ORIGIN, referral=referral,
                                     status="completed")
    assert "outcome" in error.value.message_dict
    services.referral_status_set(acting_user=prosecutor, origin=ORIGIN, referral=referral,
                                 status="completed", outcome="goals_met")
    referral.refresh_from_db()
    assert referral.outcome == "goals_met" and referral.status == "completed"
    # Another region's prosecutor runs nothing here.
    with pytest.raises(PermissionDenied):
        services.referral_service_add(acting_user=cw.people["prosecutor_b"], origin=ORIGIN,
                                      referral=referral, kind="legal",
                                      given_on=timezone.localdate())
    assert ReferralService.objects.count() == 1


def test_case_page_refers_and_records_a_service(cw, centre, signed_in):
    client = signed_in(cw.people["prosecutor_a"])
    url = reverse("cases:case_action", args=[cw.case_a.pk, "referral"])
    refused = client.post(url, {"victim": cw.victim.pk, "kind": "psychological",
                                "crisis_centre": centre.pk, "consent": ""})
    assert refused.status_code == 422 and not SupportReferral.objects.exists()
    response = client.post(url, {"victim": cw.victim.pk, "kind": "psychological",
                                 "crisis_centre": centre.pk, "consent": "oral"})
    assert response.status_code == 302
    referral = SupportReferral.objects.get()
    response = client.post(reverse("cases:case_action", args=[cw.case_a.pk, "referral_service"]),
                           {"referral": referral.pk, "kind": "legal",
                            "given_on": timezone.localdate().isoformat(), "sessions": 2})
    assert response.status_code == 302
    page = client.get(reverse("cases:case_detail", args=[cw.case_a.pk]))
    assert "Oral, recorded before a witness" in page.content.decode()
    assert "Legal aid" in page.content.decode()


def test_facility_staff_never_see_referrals(cw, centre, people, signed_in):
    referral = refer(cw, centre)
    for who in ("head_a", "duty_a"):
        client = signed_in(people[who])
        assert client.get(reverse("cases:case_detail", args=[cw.case_a.pk])).status_code in (
            403, 404)
        assert client.get(reverse("cases:crisis_centres")).status_code == 403
        assert client.post(reverse("cases:case_action", args=[cw.case_a.pk, "referral_status"]),
                           {"referral": referral.pk, "status": "declined",
                            "outcome": "not_provided"}).status_code in (403, 404)
        client.logout()
    referral.refresh_from_db()
    assert referral.status == "referred"


def test_registry_page_counts_the_readers_scope(cw, centre, signed_in):
    refer(cw, centre)
    page = signed_in(cw.people["prosecutor_a"]).get(reverse("cases:crisis_centres"))
    assert page.status_code == 200
    row = page.context["centres"].get(pk=centre.pk)
    assert (row.n_referrals, row.n_answered, row.n_overdue) == (1, 0, 0)
    # Karaganda's prosecutor sees the centre, not Almaty's referrals.
    theirs = signed_in(cw.people["prosecutor_b"]).get(reverse("cases:crisis_centres"))
    assert theirs.context["centres"].get(pk=centre.pk).n_referrals == 0
    assert signed_in(cw.people["analyst"]).get(reverse("cases:crisis_centres")).status_code == 403
