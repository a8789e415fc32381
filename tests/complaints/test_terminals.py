"""Issue 23, items 1 and 3: complaint terminals as devices (enrolment, the device credential,
the kiosk refused to anything else, heartbeats, the silence alert, uptime on the scorecard and
in the planning factors) and the per-terminal burst flag."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from custodywatch.accounts.models import AuditEvent, Role
from custodywatch.complaints import rules, services, terminals
from custodywatch.complaints.models import (
    Anomaly,
    Channel,
    Complaint,
    Terminal,
    TerminalAlert,
    TerminalUptime,
)
from custodywatch.kernels import uptime
from custodywatch.visits.risk_factors import factor_values
from tests.complaints.conftest import (
    PUBLIC,
    TORTURE_TEXT,
    enrol,
    enrolled_terminal,
    enrolment_code,
)
from tests.conftest import make_user, sign_in

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


def _kiosk(client: Client, facility, text: str = TORTURE_TEXT):  # type: ignore[no-untyped-def]
    return client.post(reverse("complaints:kiosk_form", args=[facility.code]),
                       {"text": text, "facility": facility.pk})


# ------------------------------------------------------------------ enrolment and the kiosk


def test_an_enrolled_terminal_files_as_kiosk_and_the_complaint_names_it(client, facility_a):
    terminal = enrol(client, facility_a)
    assert terminal.is_active and terminal.device_key_hash and not terminal.enrolment_key
    cookie = client.cookies[terminals.DEVICE_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    assert str(terminal.pk) in cookie.value  # signed "<id>:<secret>" …
    assert terminal.device_key_hash not in cookie.value  # … of which only a hash is kept
    assert client.get(reverse("complaints:kiosk_form", args=[facility_a.code])).status_code \
        == 200
    assert _kiosk(client, facility_a).status_code == 200
    complaint = Complaint.objects.get()
    assert complaint.channel == Channel.KIOSK and complaint.terminal == terminal
    assert complaint.anomaly == Anomaly.NONE


def test_a_browser_that_is_not_an_enrolled_terminal_is_refused_as_kiosk(facility_a):
    client = Client()
    page = client.get(reverse("complaints:kiosk_form", args=[facility_a.code]))
    assert page.status_code == 403
    assert b"not an enrolled complaint terminal" in page.content
    posted = _kiosk(client, facility_a)
    assert posted.status_code == 403 and b"not an enrolled complaint terminal" in posted.content
    assert not Complaint.objects.exists()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DENIED,
                                     object_label="kiosk").count() == 2
    # The start page says so too, and sends no heartbeat.
    start = client.get(reverse("complaints:kiosk", args=[facility_a.code]))
    assert b'data-testid="not-enrolled"' in start.content
    assert b"data-kiosk-heartbeat" not in start.content


def test_a_forged_or_copied_credential_opens_nothing(client, facility_a):
    terminal = enrol(client, facility_a)
    forged = Client()
    forged.cookies[terminals.DEVICE_COOKIE] = f"{terminal.pk}:guessed"  # unsigned
    assert _kiosk(forged, facility_a).status_code == 403
    # A validly signed cookie with a wrong secret (e.g. the previous device's) is refused too.
    response = Client().get("/")
    response.set_signed_cookie(terminals.DEVICE_COOKIE, f"{terminal.pk}:not-the-secret",
                               salt=terminals.DEVICE_SALT)
    wrong = Client()
    wrong.cookies[terminals.DEVICE_COOKIE] = response.cookies[terminals.DEVICE_COOKIE].value
    assert _kiosk(wrong, facility_a).status_code == 403
    assert not Complaint.objects.exists()


def test_a_terminal_of_another_facility_is_refused(client, facility_a, facility_b):
    enrol(client, facility_b)
    refused = _kiosk(client, facility_a)
    assert refused.status_code == 403 and b"another facility" in refused.content
    assert not Complaint.objects.exists()


def test_a_revoked_terminal_and_a_replaced_credential_file_nothing(client, facility_a, people):
    terminal = enrol(client, facility_a)
    monitor = make_user("monitor", Role.NPM_MONITOR)
    terminals.terminal_reenrol(acting_user=monitor, origin=PUBLIC, terminal=terminal)
    assert _kiosk(client, facility_a).status_code == 403  # the old credential ended
    terminal = enrol(client, facility_a)
    assert _kiosk(client, facility_a).status_code == 200
    terminals.terminal_revoke(acting_user=monitor, origin=PUBLIC, terminal=terminal)
    assert _kiosk(client, facility_a).status_code == 403
    assert Complaint.objects.count() == 1


def test_an_enrolment_code_works_once_and_expires(facility_a):
    _terminal, code = enrolment_code(facility_a)
    first = Client().post(reverse("complaints:terminal_enrol"), {"code": code.lower()})
    assert first.status_code == 302
    again = Client().post(reverse("complaints:terminal_enrol"), {"code": code})
    assert again.status_code == 403 and terminals.DEVICE_COOKIE not in again.cookies
    _terminal, late = enrolment_code(facility_a)
    with pytest.raises(PermissionDenied):
        terminals.terminal_enrol(code=late, origin=PUBLIC,
                                 now=timezone.now() + rules.TERMINAL_ENROLMENT_TERM)


def test_the_service_refuses_a_kiosk_complaint_without_an_enrolled_terminal(facility_a):
    with pytest.raises(PermissionDenied):
        services.complaint_file(acting_user=None, origin=PUBLIC, channel=Channel.KIOSK,
                                text=TORTURE_TEXT, facility=facility_a)
    pending = Terminal.objects.create(facility=facility_a, place="Hall",
                                      created_at=timezone.now())
    with pytest.raises(PermissionDenied):
        services.complaint_file(acting_user=None, origin=PUBLIC, channel=Channel.KIOSK,
                                text=TORTURE_TEXT, facility=facility_a, terminal=pending)
    assert not Complaint.objects.exists()


@pytest.mark.parametrize("who", ["head_a", "duty_a", "analyst"])
def test_the_facility_and_others_do_not_manage_terminals(client, people, facility_a, who):
    with pytest.raises(PermissionDenied):
        terminals.terminal_add(acting_user=people[who], origin=PUBLIC, facility=facility_a,
                               place="Hall")
    sign_in(client, people[who])
    assert client.get(reverse("complaints:terminals")).status_code == 403
    assert not Terminal.objects.exists()


def test_a_regional_prosecutor_adds_terminals_in_his_region_only(client, people, facility_a,
                                                                 facility_b):
    sign_in(client, people["prosecutor_a"])
    page = client.post(reverse("complaints:terminals"),
                       {"facility": facility_a.pk, "place": "Block 2, corridor"})
    assert page.status_code == 200
    code = page.context["enrolment_code"]
    assert code and code.encode() in page.content
    with pytest.raises(PermissionDenied):
        terminals.terminal_add(acting_user=people["prosecutor_a"], origin=PUBLIC,
                               facility=facility_b, place="Hall")
    other, _code = enrolment_code(facility_b)
    assert client.post(reverse("complaints:terminal_action", args=[other.pk, "revoke"])
                       ).status_code == 404
    assert Client().post(reverse("complaints:terminal_enrol"), {"code": code}
                         ).status_code == 302


# ------------------------------------------------------------------ heartbeats and alerts


def test_heartbeats_make_spans_of_uptime(client, facility_a):
    terminal = enrol(client, facility_a)
    assert client.post(reverse("complaints:terminal_heartbeat")).status_code == 204
    assert Client().post(reverse("complaints:terminal_heartbeat")).status_code == 403
    TerminalUptime.objects.all().delete()
    for minutes in (0, 1, 2, 3, 30, 31):
        terminals.heartbeat(terminal=terminal, now=T0 + dt.timedelta(minutes=minutes))
    spans = list(TerminalUptime.objects.values_list("started_at", "ended_at"))
    assert spans == [(T0, T0 + dt.timedelta(minutes=3)),
                     (T0 + dt.timedelta(minutes=30), T0 + dt.timedelta(minutes=31))]


def test_a_silent_terminal_alerts_the_npm_and_the_prosecutor_not_the_facility(
        client, people, facility_a, settings):
    settings.CUSTODYWATCH_TERMINAL_SILENCE_MINUTES = 20
    for name, role, region, facility in (
            ("npm", Role.NPM_MONITOR, None, None), ("pros", Role.REGIONAL_PROSECUTOR,
                                                    facility_a.region, None),
            ("head", Role.FACILITY_HEAD, None, facility_a)):
        user = make_user(f"{name}_mail", role, region=region, facility=facility)
        user.email = f"{name}@example.kz"
        user.save()
    terminal = enrol(client, facility_a)
    heard = timezone.now() - dt.timedelta(minutes=19)
    terminals.heartbeat(terminal=terminal, now=heard)
    assert terminals.silence_sweep() == 0  # 19 minutes: not yet
    assert terminals.silence_sweep(now=heard + dt.timedelta(minutes=21)) == 1
    alert = TerminalAlert.objects.get()
    assert alert.silent_since == heard and alert.mailed_at is not None
    assert len(mail.outbox) == 1
    assert set(mail.outbox[0].to) == {"npm@example.kz", "pros@example.kz"}
    assert terminals.silence_sweep(now=heard + dt.timedelta(minutes=40)) == 0  # one open
    sign_in(client, people["prosecutor_a"])
    page = client.get(reverse("complaints:terminals"))
    assert b"Silent since" in page.content
    terminals.heartbeat(terminal=terminal, now=heard + dt.timedelta(minutes=41))
    alert.refresh_from_db()
    assert alert.cleared_at == heard + dt.timedelta(minutes=41)


def test_a_terminal_that_never_sent_a_heartbeat_alerts_from_its_enrolment(facility_a):
    terminal = enrolled_terminal(facility_a)
    later = terminal.enrolled_at + terminals.silent_after() + dt.timedelta(seconds=1)
    assert terminals.silence_sweep(now=later) == 1
    Terminal.objects.update(revoked_at=later)
    TerminalAlert.objects.update(cleared_at=later)
    assert terminals.silence_sweep(now=later + dt.timedelta(hours=5)) == 0  # revoked


# ------------------------------------------------------------------ uptime


def test_uptime_kernel_counts_from_joining_until_leaving():
    hour = dt.timedelta(hours=1)
    # Joined at T0 + 2 h, heard 1 h, window to T0 + 4 h: off half its time.
    assert uptime.off_share([(T0 + 2 * hour, None, hour)], T0, T0 + 4 * hour) == 0.5
    assert uptime.off_share([(T0 + 5 * hour, None, hour)], T0, T0 + 4 * hour) is None
    # Left at T0 + 3 h after being heard 3 h: never off while it existed.
    assert uptime.off_share([(T0, T0 + 3 * hour, 3 * hour)], T0, T0 + 4 * hour) == 0.0
    # Two devices: one always heard, one never.
    assert uptime.off_share([(T0, None, 4 * hour), (T0, None, dt.timedelta(0))], T0,
                            T0 + 4 * hour) == 0.5


def test_terminal_time_off_is_on_the_scorecard_and_a_planning_factor(client, people,
                                                                     facility_a, facility_b):
    now = timezone.now()
    terminal = enrolled_terminal(facility_a)
    Terminal.objects.filter(pk=terminal.pk).update(enrolled_at=now - dt.timedelta(days=40))
    # Heard 5 of the window's first days (a span clipped at the window's start) and its last
    # 10 days: 15 of 30 days, off half the time.
    TerminalUptime.objects.create(terminal=terminal, started_at=now - dt.timedelta(days=40),
                                  ended_at=now - dt.timedelta(days=25))
    TerminalUptime.objects.create(terminal=terminal, started_at=now - dt.timedelta(days=10),
                                  ended_at=now)
    assert terminals.off_percent([facility_a.pk, facility_b.pk], now - dt.timedelta(days=30),
                                 now) == {facility_a.pk: 50}
    values = factor_values([facility_a.pk, facility_b.pk], now)
    assert values[facility_a.pk]["complaint_terminals_off"] == 50.0
    assert values[facility_b.pk]["complaint_terminals_off"] == 0.0
    sign_in(client, people["gpo"])
    page = client.get(reverse("reports:scorecard"), {"sort": "terminals_off",
                                                     "period": str(now.year)})
    assert page.status_code == 200
    units = page.context["page"].object_list
    figures = {unit.facility.code: unit.figures["terminals_off"] for unit in units}
    assert figures["FB-1"] == 0 and figures["FA-1"] > 0
    assert units[0].facility.code == "FA-1"  # the most time off first


# ------------------------------------------------------------------ the burst flag


def test_a_burst_from_one_terminal_is_filed_and_flagged_never_dropped(client, facility_a):
    enrol(client, facility_a)
    extra = 3
    for n in range(rules.TERMINAL_BURST_LIMIT + extra):
        assert _kiosk(client, facility_a, f"{TORTURE_TEXT} {n}").status_code == 200
    flags = list(Complaint.objects.order_by("id").values_list("anomaly", flat=True))
    assert len(flags) == rules.TERMINAL_BURST_LIMIT + extra  # every one filed
    assert flags == [""] * rules.TERMINAL_BURST_LIMIT + [Anomaly.TERMINAL_BURST] * extra


def test_the_rate_window_starts_again(facility_a):
    terminal = enrolled_terminal(facility_a)
    for n in range(rules.TERMINAL_BURST_LIMIT + 1):
        flag = terminals.note_filing(terminal, T0 + dt.timedelta(seconds=n))
    assert flag == Anomaly.TERMINAL_BURST
    assert terminals.note_filing(terminal, T0 + rules.TERMINAL_BURST_WINDOW) == Anomaly.NONE


def test_the_handler_sees_the_flag(client, people, facility_a):
    enrol(client, facility_a)
    for n in range(rules.TERMINAL_BURST_LIMIT + 1):
        _kiosk(client, facility_a, f"{TORTURE_TEXT} {n}")
    flagged = Complaint.objects.get(anomaly=Anomaly.TERMINAL_BURST)
    handler = Client()
    sign_in(handler, people["prosecutor_a"])
    page = handler.get(reverse("complaints:detail", args=[flagged.pk]))
    assert page.status_code == 200
    assert b'data-testid="anomaly"' in page.content
    inbox = handler.get(reverse("complaints:inbox"))
    assert inbox.content.count(b'data-testid="anomaly"') == 1
