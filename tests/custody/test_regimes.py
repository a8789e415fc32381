"""Issue 22: regimes of deprivation of liberty and safeguard clocks through the services, the
sweep, the batch API and the pages."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.custody import alerts, law, services
from custodywatch.custody.models import CustodyAlert, CustodyRecord, RightDelay
from custodywatch.registry.models import Facility
from tests.custody.conftest import make_record
from tests.custody.test_api import post, record_item, token_for

pytestmark = pytest.mark.django_db
H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)
# Every safeguard of police custody given on time, so a test sees only what it changes.
GIVEN = ("protocol_drawn_at", "prosecutor_notified_at", "rights_explained_at",
         "lawyer_first_access_at")


def given(detained_at: dt.datetime, **overrides) -> dict:
    values = {name: detained_at + H for name in GIVEN}
    values.update(rights_acknowledgement="signed", detained_at=detained_at, **overrides)
    return values


def colony(facility: Facility) -> Facility:
    facility.kind = Facility.Kind.CORRECTIONAL_COLONY
    facility.save()
    return facility


def test_the_facility_kind_proposes_the_regime_and_the_record_may_state_another(
        people, facility_a):
    assert make_record(facility_a, people["duty_a"]).regime == "criminal_detention"
    colony(facility_a)
    now = timezone.now()
    release = now + 400 * D
    record = make_record(facility_a, people["duty_a"], detained_at=now - 60 * D,
                         arrived_at=now - 60 * D + H, term_ends_at=release)
    assert record.regime == "sentence"
    assert record.detention_due_at == release  # not 48 h after the detention
    stated = make_record(facility_a, people["duty_a"], regime="delivery",
                         detained_at=now - 2 * H)
    assert stated.detention_due_at == stated.detained_at + 3 * H


def test_a_sentence_without_a_release_date_has_no_limit_and_is_flagged(
        signed_in, people, facility_a):
    colony(facility_a)
    now = timezone.now()
    record = make_record(facility_a, people["duty_a"], detained_at=now - 90 * D,
                         arrived_at=now - 90 * D + H)
    assert record.detention_due_at is None
    alerts.custody_sweep(now=now)
    assert not CustodyAlert.objects.filter(clock="detention").exists()
    page = signed_in(people["duty_a"]).get(reverse("custody:record", args=[record.pk]))
    assert 'data-testid="flag-no_release_date"' in page.content.decode()
    desk = signed_in(people["duty_a"]).get(reverse("custody:desk", args=["FA-1"]))
    assert 'data-testid="desk-flag-no_release_date"' in desk.content.decode()


def test_a_minor_in_criminal_detention_gets_24_hours_and_a_delivery_3(people, facility_a):
    now = timezone.now()
    minor = make_record(facility_a, people["duty_a"], date_of_birth=dt.date(2011, 1, 1),
                        detained_at=now - 2 * H)
    assert minor.detention_due_at == minor.detained_at + 24 * H


def test_court_terms_are_checked(people, facility_a):
    now = timezone.now()
    with pytest.raises(ValidationError) as error:
        make_record(facility_a, people["duty_a"], term_ends_at=now + D)
    assert "term_ends_at" in error.value.message_dict  # no court term in criminal detention
    with pytest.raises(ValidationError) as error:
        make_record(facility_a, people["duty_a"], regime="sentence",
                    term_ends_at=now + 40 * 365 * D)
    assert "term_ends_at" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        make_record(facility_a, people["duty_a"], regime="remand",
                    term_ends_at=now - 3 * H)  # before the detention two hours ago
    assert "term_ends_at" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        make_record(facility_a, people["duty_a"], consular_decline_acknowledgement="signed")
    assert "consular_declined_at" in error.value.message_dict
    assert CustodyRecord.objects.count() == 0


def test_late_safeguards_raise_their_alerts(people, facility_a):
    now = timezone.now()
    detained = now - 30 * H
    make_record(facility_a, people["duty_a"], **given(
        detained, citizenship="KG", lawyer_requested_at=detained + H,
        lawyer_first_access_at=None, arrived_at=detained + H,
        protocol_drawn_at=detained + 5 * H, prosecutor_notified_at=None))
    record = CustodyRecord.objects.get()
    assert record.is_foreign
    alerts.custody_sweep(now=now)
    raised = set(CustodyAlert.objects.filter(level="overdue").values_list("clock", flat=True))
    # Consulate never notified (12 h), lawyer requested 29 h ago never came nor a state one
    # offered (24 h), prosecutor never notified (12 h); the protocol was late but is drawn.
    assert {"consular", "lawyer_arrival", "prosecutor"} <= raised
    assert "protocol" not in raised and "rights" not in raised


def test_safeguards_given_on_time_raise_nothing_new(people, facility_a):
    now = timezone.now()
    detained = now - 30 * H
    make_record(facility_a, people["duty_a"], **given(
        detained, citizenship="KG", consular_declined_at=detained + H,
        consular_decline_acknowledgement="refused_to_sign", lawyer_requested_at=detained + H,
        state_lawyer_offered_at=detained + 20 * H, arrived_at=detained + H))
    alerts.custody_sweep(now=now)
    raised = set(CustodyAlert.objects.values_list("clock", flat=True))
    assert not raised & {"consular", "lawyer_arrival", "prosecutor", "protocol", "rights"}


def test_an_authorised_delay_holds_the_relatives_alert_until_it_ends(people, facility_a):
    now = timezone.now()
    detained = now - 14 * H
    record = make_record(facility_a, people["duty_a"], **given(detained))
    services.right_delay_add(acting_user=people["duty_a"], origin=SYSTEM_ORIGIN, record=record,
                             values={"right": "relatives", "authorised_by": "Prosecutor Omarov",
                                     "reason": "Accomplices at large",
                                     "authorised_at": detained + H,
                                     "until": detained + 36 * H})
    alerts.custody_sweep(now=now)
    assert not CustodyAlert.objects.filter(clock="relatives").exists()
    alerts.custody_sweep(now=detained + 36 * H)
    assert CustodyAlert.objects.filter(clock="relatives", level="overdue").exists()


def test_a_delay_must_follow_its_authorisation_and_a_stranger_may_not_add_one(
        people, facility_a):
    record = make_record(facility_a, people["duty_a"])
    values = {"right": "lawyer", "authorised_by": "x", "reason": "y",
              "authorised_at": record.detained_at + H, "until": record.detained_at}
    with pytest.raises(ValidationError) as error:
        services.right_delay_add(acting_user=people["duty_a"], origin=SYSTEM_ORIGIN,
                                 record=record, values=values)
    assert "until" in error.value.message_dict
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.right_delay_add(acting_user=people["head_b"], origin=SYSTEM_ORIGIN,
                                 record=record, values=values | {
                                     "until": record.detained_at + 5 * H})
    assert not RightDelay.objects.exists()


def test_remand_extension_alert(people, facility_a):
    facility_a.kind = Facility.Kind.PRETRIAL_DETENTION
    facility_a.save()
    now = timezone.now()
    record = make_record(facility_a, people["duty_a"], detained_at=now - 55 * D,
                         arrived_at=now - 55 * D + H, court_order_at=now - 54 * D,
                         court_order_ref="2-77/2026", term_ends_at=now + 5 * D)
    assert record.regime == "remand" and record.detention_due_at == record.term_ends_at
    alerts.custody_sweep(now=now)
    assert CustodyAlert.objects.filter(clock="extension", level="overdue").exists()
    assert CustodyAlert.objects.filter(clock="detention", level="due_soon").exists()
    assert not CustodyAlert.objects.filter(clock="detention", level="overdue").exists()


def test_a_law_file_in_settings_replaces_the_packaged_law(people, facility_a, tmp_path):
    data = json.loads(law.DEFAULT_LAW_FILE.read_text(encoding="utf-8"))
    data["editions"].append({"valid_from": "2020-01-01", "hours": {"detention_limit": 36}})
    path = tmp_path / "law.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with override_settings(CUSTODYWATCH_CUSTODY_LAW_FILE=str(path)):
        record = make_record(facility_a, people["duty_a"])
    assert record.detention_due_at == record.detained_at + 36 * H
    packaged = make_record(facility_a, people["duty_a"])
    assert packaged.detention_due_at == packaged.detained_at + 48 * H


# ------------------------------------------------------------------------------- batch API

def test_batch_accepts_regime_terms_safeguards_and_delays(client, people, facility_a):
    headers = token_for(people["duty_a"], facility_a)
    future = (timezone.now() + 300 * D).replace(microsecond=0).isoformat()
    item = record_item("R-1", regime="remand", court_order_ref="2-5/2026",
                       court_order_at="2026-01-06T16:00:00+05:00", term_ends_at=future,
                       protocol_drawn_at="2026-01-05T12:00:00+05:00",
                       prosecutor_notified_at="2026-01-05T14:00:00+05:00",
                       prosecutor_notified_means="electronic", citizenship="UZ",
                       consular_notified_at="2026-01-05T15:00:00+05:00",
                       rights_language="uzbek", interpreter="Каримов А.",
                       rights_acknowledgement="signed",
                       right_delays=[{"right": "relatives", "authorised_by": "Prosecutor X",
                                      "reason": "Secrecy", "until": future,
                                      "authorised_at": "2026-01-05T12:00:00+05:00"}])
    response = post(client, "records/batch", [item], **headers)
    assert response.status_code == 200, response.content
    record = CustodyRecord.objects.get()
    assert (record.regime, record.is_foreign, record.prosecutor_notified_means) == (
        "remand", True, "electronic")
    assert record.detention_due_at == record.term_ends_at
    assert record.delays.get().right == "relatives"
    # Sent again (no idempotency key): the same delay is one delay.
    assert post(client, "records/batch", [item], **headers).status_code == 200
    assert RightDelay.objects.count() == 1
    prosecutor = token_for(people["prosecutor_a"])
    body = client.get(f"/api/custody/records/{record.pk}", **prosecutor).json()
    assert (body["regime"], body["is_foreign"]) == ("remand", True)


def test_an_old_payload_still_works_and_gets_the_facility_kind_regime(client, people,
                                                                       facility_a):
    colony(facility_a)
    headers = token_for(people["duty_a"], facility_a)
    response = post(client, "records/batch", [record_item("OLD-1")], **headers)
    assert response.status_code == 200, response.content
    record = CustodyRecord.objects.get()
    assert record.regime == "sentence" and record.detention_due_at is None


def test_a_bad_delay_is_named_by_item_and_index_and_writes_nothing(client, people, facility_a):
    headers = token_for(people["duty_a"], facility_a)
    item = record_item("D-1", right_delays=[
        {"right": "lawyer", "authorised_by": "X", "reason": "Y",
         "authorised_at": "2026-01-05T12:00:00+05:00", "until": "2026-01-05T11:00:00+05:00"}])
    response = post(client, "records/batch", [record_item("D-0"), item], **headers)
    assert response.status_code in (400, 422)
    assert "items[1].right_delays[0].until" in response.content.decode()
    assert CustodyRecord.objects.count() == 0


# ----------------------------------------------------------------------------------- pages

def test_record_page_shows_regime_flags_and_delays_and_forms_write_them(
        signed_in, people, facility_a):
    now = timezone.now()
    record = make_record(facility_a, people["duty_a"], **given(
        now - 3 * H, language="kk", rights_language="ru", arrived_at=now - 2 * H))
    client = signed_in(people["duty_a"])
    page = client.get(reverse("custody:record", args=[record.pk])).content.decode()
    assert 'data-testid="flag-rights_language"' in page
    assert 'data-testid="clock-protocol"' in page
    local = "%Y-%m-%dT%H:%M"
    response = client.post(reverse("custody:record_regime", args=[record.pk]), {
        "regime-regime": "remand", "regime-court_order_ref": "2-9/2026",
        "regime-court_order_at": timezone.localtime(now - H).strftime(local),
        "regime-term_ends_at": timezone.localtime(now + 60 * D).strftime(local)})
    assert response.status_code == 302, response.content
    record.refresh_from_db()
    assert record.regime == "remand"
    assert record.detention_due_at == record.term_ends_at
    response = client.post(reverse("custody:record_delay", args=[record.pk]), {
        "delay-right": "lawyer", "delay-authorised_by": "Investigator Abenov",
        "delay-reason": "Urgent search", "delay-authorised_at": timezone.localtime(
            now - H).strftime(local),
        "delay-until": timezone.localtime(now + 5 * H).strftime(local)})
    assert response.status_code == 302, response.content
    page = client.get(reverse("custody:record", args=[record.pk])).content.decode()
    assert 'data-testid="delay"' in page and "Urgent search" in page
    # Another facility's head can neither read nor write it.
    other = signed_in(people["head_b"])
    assert other.post(reverse("custody:record_delay", args=[record.pk]), {}).status_code == 404
    assert RightDelay.objects.count() == 1


def test_desk_shows_late_safeguards_and_the_delivery_limit(signed_in, people, facility_a):
    now = timezone.now()
    make_record(facility_a, people["duty_a"], regime="delivery", detained_at=now - 4 * H,
                arrived_at=now - 3 * H)
    page = signed_in(people["duty_a"]).get(reverse("custody:desk", args=["FA-1"]))
    text = page.content.decode()
    assert "Delivery limit" in text
    assert 'data-testid="chip-protocol"' in text


def test_overruns_count_deliveries_and_foreign_nationals(signed_in, people, facility_a):
    now = timezone.now()
    make_record(facility_a, people["duty_a"], regime="delivery", detained_at=now - 4 * H,
                arrived_at=now - 3 * H)
    make_record(facility_a, people["duty_a"], citizenship="KG")
    page = signed_in(people["prosecutor_a"]).get(reverse("custody:overruns"))
    assert page.context["totals"]["deliveries"] == 1
    assert page.context["totals"]["foreign"] == 1
    assert page.context["totals"]["overruns"] == 1  # the delivery is past its 3 h


def test_overruns_count_a_safeguard_late_only_where_the_regime_owes_it(
        signed_in, people, facility_a):
    now = timezone.now()
    make_record(facility_a, people["duty_a"], detained_at=now - 20 * H,
                arrived_at=now - 19 * H)  # police custody: relatives owed within 12 h
    colony(facility_a)
    make_record(facility_a, people["duty_a"], detained_at=now - 20 * H,
                arrived_at=now - 19 * H, term_ends_at=now + 300 * D)
    page = signed_in(people["prosecutor_a"]).get(reverse("custody:overruns"))
    assert page.context["totals"]["detentions"] == 2
    assert page.context["totals"]["late_notifications"] == 1
    assert page.context["totals"]["missing_medical"] == 2  # both owe the intake check
