"""Follow-up of recommendations: answers, evidence, status history, groups, overdue alerts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import AuditEvent
from custodywatch.visits import alerts, services
from custodywatch.visits.models import (
    Evidence,
    ImplementationStatus,
    OverdueAlert,
    Recommendation,
    Response,
    ResponseLevel,
    Source,
    StatusChange,
)
from tests.visits.conftest import TODAY, add_finding, issue, plan_visit

S = ImplementationStatus


def evidence(user, recommendation, kind=Evidence.Kind.DOCUMENT, visit=None):
    return services.evidence_add(acting_user=user, origin=SYSTEM_ORIGIN,
                                 recommendation=recommendation, kind=kind,
                                 description="Order No. 12 and photos of the new vent.",
                                 visit=visit)


def set_status(user, recommendation, status, proof, note=""):
    services.recommendation_status_set(acting_user=user, origin=SYSTEM_ORIGIN,
                                       recommendation=recommendation, status=status,
                                       evidence=proof, note=note)


def test_recommendation_links_to_its_finding_and_needs_a_cat_reference_from_cat(
        monitor, visit, police):
    finding = add_finding(monitor, visit)
    recommendation = issue(monitor, visit, police, finding=finding)
    assert recommendation.finding == finding and recommendation.facility == visit.facility
    with pytest.raises(ValidationError) as caught:
        services.recommendation_issue(
            acting_user=monitor, origin=SYSTEM_ORIGIN, source=Source.UN_CAT, text="Ensure...",
            category="safeguards", addressee_body=police, responsible_official="Minister",
            issued_on=TODAY, deadline=TODAY)
    assert "cat_reference" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        issue(monitor, visit, police, deadline=TODAY - dt.timedelta(days=1))
    assert "deadline" in caught.value.message_dict
    assert Recommendation.objects.count() == 1


def test_follow_up_states_from_answer_to_verified_implementation(
        monitor, people, recommendation, visit):
    head = people["head_a"]
    services.recommendation_respond(acting_user=head, origin=SYSTEM_ORIGIN,
                                    recommendation=recommendation,
                                    level=ResponseLevel.ACCEPTED, text="We will install it.")
    recommendation.refresh_from_db()
    assert recommendation.response_level == ResponseLevel.ACCEPTED

    said = evidence(head, recommendation, kind=Evidence.Kind.SELF_REPORTED)
    set_status(monitor, recommendation, S.IN_PROGRESS, said)
    with pytest.raises(ValidationError) as caught:
        set_status(monitor, recommendation, S.IMPLEMENTED, said)
    assert "evidence" in caught.value.message_dict

    later = plan_visit(monitor, visit.facility, starts_on=TODAY + dt.timedelta(days=40),
                       ends_on=TODAY + dt.timedelta(days=40))
    item = later.checklist.get(recommendation=recommendation)
    services.checklist_observe(acting_user=monitor, origin=SYSTEM_ORIGIN, item=item,
                               observed_status=S.IMPLEMENTED, note="Vent installed, works.")
    recommendation.refresh_from_db()
    assert recommendation.status == S.IMPLEMENTED and not recommendation.is_open
    history = list(recommendation.status_history.values_list("from_status", "to_status",
                                                             "evidence__kind"))
    assert history == [(S.NOT_STARTED, S.IN_PROGRESS, Evidence.Kind.SELF_REPORTED),
                       (S.IN_PROGRESS, S.IMPLEMENTED, Evidence.Kind.SEEN_AT_VISIT)]


def test_only_monitors_set_the_status_and_only_the_addressee_answers(
        monitor, people, recommendation):
    head, other_head = people["head_a"], people["head_b"]
    proof = evidence(head, recommendation)
    with pytest.raises(PermissionDenied):
        set_status(head, recommendation, S.IMPLEMENTED, proof)
    with pytest.raises(PermissionDenied):
        services.recommendation_respond(acting_user=other_head, origin=SYSTEM_ORIGIN,
                                        recommendation=recommendation, level="accepted",
                                        text="Not mine")
    with pytest.raises(ValidationError) as caught:
        evidence(head, recommendation, kind=Evidence.Kind.SEEN_AT_VISIT)
    assert "kind" in caught.value.message_dict
    assert not StatusChange.objects.exists() and not Response.objects.exists()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DENIED,
                                     actor__in=[head, other_head]).count() == 2


def test_bad_response_level_names_the_field(people, recommendation):
    with pytest.raises(ValidationError) as caught:
        services.recommendation_respond(acting_user=people["head_a"], origin=SYSTEM_ORIGIN,
                                        recommendation=recommendation, level="maybe", text="x")
    assert "level" in caught.value.message_dict
    assert not Response.objects.exists()


def test_grouped_recommendations_share_their_follow_up(monitor, ombudsperson, recommendation,
                                                       police, facility_a):
    from_ombudsperson = services.recommendation_issue(
        acting_user=ombudsperson, origin=SYSTEM_ORIGIN, source=Source.OMBUDSPERSON,
        text="Ventilate the cells of FA-1.", category="conditions", addressee_body=police,
        responsible_official="Head", issued_on=TODAY, deadline=TODAY, facility=facility_a)
    group = services.recommendations_group(acting_user=monitor, origin=SYSTEM_ORIGIN,
                                           recommendations=[recommendation, from_ombudsperson],
                                           title="Ventilation")
    assert set(group.recommendations.all()) == {recommendation, from_ombudsperson}
    proof = evidence(monitor, recommendation)
    set_status(monitor, from_ombudsperson, S.PARTIALLY, proof)
    assert set(Recommendation.objects.values_list("status", flat=True)) == {S.PARTIALLY}
    assert StatusChange.objects.count() == 2


def test_facility_head_sees_and_answers_his_recommendations_on_the_pages(
        monitor, people, recommendation, facility_b, police, signed_in, client):
    elsewhere = issue(monitor, plan_visit(monitor, facility_b), police, text="Other facility")
    signed_in(people["head_a"])
    tracker = client.get(reverse("visits:tracker")).content.decode()
    assert recommendation.text in tracker and elsewhere.text not in tracker
    url = reverse("visits:recommendation_detail", args=[recommendation.pk])
    response = client.post(url, {"action": "respond", "level": "partly_accepted",
                                 "text": "Budget asked for 2027."})
    assert response.status_code == 302
    assert client.get(url).context["recommendation"].response_level == "partly_accepted"
    bad = client.post(url, {"action": "respond", "level": "", "text": ""})
    assert bad.status_code == 422 and Response.objects.count() == 1
    assert client.get(reverse("visits:recommendation_detail",
                              args=[elsewhere.pk])).status_code == 404


def test_tracker_filters_and_status_bars(monitor, recommendation, visit, police, signed_in,
                                         client):
    overdue = issue(monitor, visit, police, text="Overdue one", deadline=TODAY)
    today = timezone.localdate()
    Recommendation.objects.filter(pk=overdue.pk).update(
        issued_on=today - dt.timedelta(days=10), deadline=today - dt.timedelta(days=1))
    Recommendation.objects.filter(pk=recommendation.pk).update(
        issued_on=today, deadline=today + dt.timedelta(days=1))
    signed_in(monitor)
    response = client.get(reverse("visits:tracker"), {"overdue": "on"})
    assert response.context["form"].errors == {}
    rows = list(response.context["page"].object_list)
    assert rows == [overdue]
    bars = response.context["by_region"]
    assert bars[0].total == len(rows) and bars[0].segments[0][0] == S.NOT_STARTED
    response = client.get(reverse("visits:tracker"), {"status": "implemented"},
                          headers={"HX-Request": "true", "HX-Target": "tracker-results"})
    assert "No recommendation matches these filters." in response.content.decode()
    assert "<html" not in response.content.decode()


@pytest.fixture
def overdue(monitor, visit, police, people):
    return issue(monitor, visit, police, deadline=TODAY + dt.timedelta(days=5))


def test_overdue_alerts_go_to_the_addressee_and_his_superior_once(overdue, people, monitor):
    people["head_a"].email = "head@example.kz"
    people["head_a"].save()
    people["prosecutor_a"].email = "prosecutor@example.kz"
    people["prosecutor_a"].save()
    before = dt.datetime(2026, 3, 14, 12, tzinfo=dt.UTC)
    assert alerts.sweep(now=before).raised == 0

    after = dt.datetime(2026, 3, 20, 12, tzinfo=dt.UTC)
    result = alerts.sweep(now=after)
    assert result.raised == 2 and result.mailed == 2
    assert {(a.recipient.username, a.level) for a in OverdueAlert.objects.all()} == {
        ("head_a", OverdueAlert.Level.ADDRESSEE), ("prosecutor_a", OverdueAlert.Level.SUPERIOR)}
    assert sorted(m.to[0] for m in mail.outbox) == ["head@example.kz", "prosecutor@example.kz"]
    assert alerts.sweep(now=after) == alerts.SweepResult(raised=0, mailed=0)

    overdue.deadline = dt.date(2026, 4, 1)
    overdue.save()
    assert alerts.sweep(now=dt.datetime(2026, 4, 2, 12, tzinfo=dt.UTC)).raised == 2


def test_an_overdue_alert_whose_e_mail_fails_is_not_counted_sent_and_is_retried(
        overdue, people, settings, task_queue, mailoutbox):
    """fail_silently once counted a refused e-mail as sent and lost it."""
    people["head_a"].email = "head@example.kz"
    people["head_a"].save()
    settings.EMAIL_BACKEND = "tests.mail_backends.RefusingBackend"
    alerts.sweep(now=dt.datetime(2026, 3, 20, 12, tzinfo=dt.UTC))
    assert task_queue() == 1
    assert mailoutbox == []
    [retry] = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    assert retry.args_kwargs["kwargs"]["to"] == ["head@example.kz"]
    first = DBTaskResult.objects.get(status=TaskResultStatus.SUCCESSFUL)
    assert first.return_value == {"sent": 0, "attempt": 1, "next_attempt": 2}

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    assert task_queue() == 1
    assert [m.to for m in mailoutbox] == [["head@example.kz"]]


def test_no_alert_for_a_closed_recommendation_and_named_officials_win(
        overdue, people, monitor):
    overdue.responsible_user = people["duty_a"]
    overdue.superior_user = people["gpo"]
    overdue.save()
    alerts.sweep(now=dt.datetime(2026, 3, 20, 12, tzinfo=dt.UTC))
    assert {a.recipient.username for a in OverdueAlert.objects.all()} == {"duty_a", "gpo"}
    OverdueAlert.objects.all().delete()
    set_status(monitor, overdue, S.NO_LONGER_RELEVANT, evidence(monitor, overdue))
    assert alerts.sweep(now=dt.datetime(2026, 3, 20, 12, tzinfo=dt.UTC)).raised == 0


def test_sweep_command_prints_its_counts(overdue):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("visits_sweep", stdout=out)
    assert out.getvalue().startswith("raised=")
