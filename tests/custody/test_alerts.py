"""The custody sweep: raise once, e-mail once, acknowledge by name, escalate the rest."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.core import mail
from custodywatch.custody import alerts
from custodywatch.custody.models import CustodyAlert
from tests.conftest import make_user
from tests.custody.conftest import make_record

pytestmark = pytest.mark.django_db
H = dt.timedelta(hours=1)


@pytest.fixture
def mailboxes(people):
    for name in ("head_a", "prosecutor_a", "gpo", "head_b"):
        people[name].email = f"{name}@example.kz"
        people[name].save()
    return people


def test_sweep_raises_due_soon_and_overdue_once(mailboxes, facility_a, mailoutbox):
    now = timezone.now()
    record = make_record(facility_a, mailboxes["duty_a"], detained_at=now - 43 * H,
                         arrived_at=now - 42 * H)
    result = alerts.custody_sweep(now=now)
    raised = set(CustodyAlert.objects.values_list("clock", "level", "warning_seconds"))
    # Issue 22: no protocol, no rights explained and no prosecutor notified are late too.
    assert raised == {("detention", "due_soon", 6 * 3600), ("relatives", "overdue", 0),
                      ("lawyer", "overdue", 0), ("medical", "overdue", 0),
                      ("protocol", "overdue", 0), ("rights", "overdue", 0),
                      ("prosecutor", "overdue", 0),
                      # Issue 22, item 4: no review of continued detention within 6 h.
                      ("review", "missed", 0)}
    assert (result.raised, result.mailed, result.escalated) == (8, 8, 0)
    assert {tuple(message.to) for message in mailoutbox} == {
        ("head_a@example.kz", "prosecutor_a@example.kz")}
    again = alerts.custody_sweep(now=now + dt.timedelta(minutes=1))
    assert (again.raised, again.mailed) == (0, 0)
    # Four hours later the 1-hour warning is a new alert.
    later = alerts.custody_sweep(now=now + 4 * H + dt.timedelta(minutes=1))
    assert later.raised == 1
    assert CustodyAlert.objects.filter(custody_record=record, warning_seconds=3600).exists()


def test_head_of_another_facility_gets_nothing(mailboxes, facility_a, mailoutbox):
    make_record(facility_a, mailboxes["duty_a"], detained_at=timezone.now() - 49 * H,
                arrived_at=None)
    alerts.custody_sweep()
    assert all("head_b@example.kz" not in message.to for message in mailoutbox)


def test_unacknowledged_alerts_escalate_to_the_general_prosecutor(mailboxes, facility_a,
                                                                  mailoutbox):
    now = timezone.now()
    make_record(facility_a, mailboxes["duty_a"], detained_at=now - 49 * H, arrived_at=None)
    alerts.custody_sweep(now=now)
    acknowledged = CustodyAlert.objects.get(clock="detention")
    alerts.alert_acknowledge(acting_user=mailboxes["head_a"], origin=SYSTEM_ORIGIN,
                             alert=acknowledged)
    mailoutbox.clear()
    result = alerts.custody_sweep(now=now + 31 * dt.timedelta(minutes=1))
    # Relatives, lawyer, protocol, rights, prosecutor and the missed review, not the
    # acknowledged one.
    assert result.escalated == 6
    assert all("gpo@example.kz" in message.to for message in mailoutbox)
    assert all("ESCALATED" in message.subject for message in mailoutbox)
    acknowledged.refresh_from_db()
    assert acknowledged.escalated_at is None
    assert acknowledged.acknowledged_by_name == "head_a"
    assert alerts.custody_sweep(now=now + H).escalated == 0


def test_acknowledgement_is_by_someone_responsible(mailboxes, facility_a):
    make_record(facility_a, mailboxes["duty_a"], detained_at=timezone.now() - 49 * H,
                arrived_at=None)
    alerts.custody_sweep()
    alert = CustodyAlert.objects.get(clock="detention")
    analyst = make_user("analyst2", "analyst")
    for person in (mailboxes["head_b"], analyst):
        with pytest.raises(PermissionDenied):
            alerts.alert_acknowledge(acting_user=person, origin=SYSTEM_ORIGIN, alert=alert)
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_alert_page_and_acknowledge_button(signed_in, mailboxes, facility_a):
    make_record(facility_a, mailboxes["duty_a"], detained_at=timezone.now() - 49 * H,
                arrived_at=None)
    alerts.custody_sweep()
    client = signed_in(mailboxes["prosecutor_a"])
    page = client.get(reverse("custody:alerts"))
    assert len(page.context["alerts"]) == 7  # six clocks and the missed review
    alert = CustodyAlert.objects.get(clock="detention")
    client.post(reverse("custody:alert_acknowledge", args=[alert.pk]))
    alert.refresh_from_db()
    assert alert.acknowledged_by == mailboxes["prosecutor_a"]
    assert len(client.get(reverse("custody:alerts")).context["alerts"]) == 6
    other = signed_in(mailboxes["head_b"])
    assert len(other.get(reverse("custody:alerts")).context["alerts"]) == 0


def test_claim_is_a_conditional_update(mailboxes, facility_a, mailoutbox):
    """A second sweeper that read the same pending rows sends nothing twice."""
    make_record(facility_a, mailboxes["duty_a"], detained_at=timezone.now() - 49 * H,
                arrived_at=None)
    alerts.alerts_raise(now=timezone.now())
    stale_view = list(CustodyAlert.objects.filter(mailed_at__isnull=True))
    assert alerts.alerts_mail(now=timezone.now()) == 6
    for alert in stale_view:
        claimed = CustodyAlert.objects.filter(pk=alert.pk, mailed_at__isnull=True).update(
            mailed_at=timezone.now())
        assert claimed == 0
    assert len(mailoutbox) == 6


def test_sweep_command(mailboxes, facility_a, capsys):
    make_record(facility_a, mailboxes["duty_a"], detained_at=timezone.now() - 49 * H,
                arrived_at=None)
    call_command("custody_sweep")
    assert "raised=7 mailed=7 escalated=0" in capsys.readouterr().out


def test_a_mail_server_outage_delays_the_escalation_and_loses_nothing(
        mailboxes, facility_a, mailoutbox, monkeypatch, task_queue):
    """The alerts are e-mailed and escalated as tasks queued with the claim: with the mail
    server down the sweeps go on, every escalation is recorded with its e-mail queued, and
    the e-mails go out by retries once the server is back."""
    now = timezone.now()
    make_record(facility_a, mailboxes["duty_a"], detained_at=now - 49 * H, arrived_at=None)

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("no mail server")

    monkeypatch.setattr(mail, "send_mail", refuse)
    assert alerts.custody_sweep(now=now).mailed == 7
    later = alerts.custody_sweep(now=now + dt.timedelta(minutes=31))
    assert later.escalated == 7
    assert task_queue() == 14  # each try fails and queues the next one
    assert mailoutbox == []
    assert CustodyAlert.objects.filter(escalated_at__isnull=False).count() == 7
    retries = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    assert retries.count() == 14
    assert all(row.args_kwargs["kwargs"]["attempt"] == 2 for row in retries)
    assert task_queue() == 0  # the next tries wait (retry_delay)

    monkeypatch.undo()
    retries.update(run_after=timezone.now())  # their time has come
    assert task_queue() == 14
    escalations = [m for m in mailoutbox if m.subject.startswith("[CustodyWatch] ESCALATED")]
    assert len(mailoutbox) == 14 and len(escalations) == 7
    assert all("gpo@example.kz" in m.to for m in escalations)
    assert task_queue() == 0
