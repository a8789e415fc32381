"""The case page's actions through core.actions: the change is audited with the address the
request came from (request.origin, set by the middleware), an unknown action is a 404, the
check refuses a reader who may not write, and a referral the POST names that is not the case's
is a 404 that changes nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from custodywatch.accounts.models import AuditEvent
from custodywatch.cases.models import CaseStep, SupportReferral
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


def _url(case, action: str) -> str:
    return reverse("cases:case_action", args=[case.pk, action])


def test_a_step_is_audited_with_the_requests_address(client, cw):
    sign_in(client, cw.people["prosecutor_a"])
    before = set(CaseStep.objects.values_list("pk", flat=True))
    response = client.post(_url(cw.case_a, "step"), {
        "kind": CaseStep.Kind.INTERVIEW,
        "taken_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")},
        REMOTE_ADDR="198.51.100.23", HTTP_USER_AGENT="case-page-test")
    assert response.status_code == 302 and response["Location"].endswith("#step")
    step = CaseStep.objects.exclude(pk__in=before).get(case=cw.case_a)
    event = AuditEvent.objects.get(object_type="cases.casestep", object_id=str(step.pk))
    assert (event.ip_address, event.user_agent) == ("198.51.100.23", "case-page-test")


def test_an_unknown_action_is_a_404_and_a_reader_who_may_not_write_is_refused(client, cw):
    sign_in(client, cw.people["prosecutor_a"])
    assert client.post(_url(cw.case_a, "nonsense"), {}).status_code == 404
    client.logout()
    sign_in(client, cw.people["analyst"])
    before = CaseStep.objects.count()
    refused = client.post(_url(cw.case_a, "step"), {
        "kind": CaseStep.Kind.INTERVIEW,
        "taken_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")})
    assert refused.status_code in (403, 404)
    assert CaseStep.objects.count() == before


def test_a_referral_of_another_case_is_a_404(client, cw):
    sign_in(client, cw.people["prosecutor_a"])
    response = client.post(_url(cw.case_a, "referral_status"),
                           {"referral": 999_999, "status": SupportReferral.Status.values[-1]})
    assert response.status_code == 404
