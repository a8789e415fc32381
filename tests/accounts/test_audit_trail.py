from __future__ import annotations

import pytest
from django.urls import reverse

from custodywatch.accounts.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_overseers_read_the_whole_trail(signed_in, people):
    response = signed_in(people["gpo"]).get(reverse("accounts:audit_trail"))
    labels = {event.actor_label for event in response.context["page"].object_list}
    assert response.status_code == 200
    assert AuditEvent.objects.filter(actor=people["gpo"], action=AuditEvent.Action.LIST).exists()
    assert "" in labels or len(labels) >= 1  # user creation events have no actor


def test_others_read_only_their_own_actions(signed_in, people, client):
    signed_in(people["gpo"]).get(reverse("accounts:audit_trail"))
    client.logout()
    response = signed_in(people["head_a"]).get(reverse("accounts:audit_trail"))
    actors = {event.actor_id for event in response.context["page"].object_list}
    assert actors <= {people["head_a"].pk}
    assert people["gpo"].pk not in actors


def test_htmx_request_gets_only_the_results(signed_in, people):
    response = signed_in(people["gpo"]).get(reverse("accounts:audit_trail"),
                                            HTTP_HX_REQUEST="true")
    assert b'id="audit-results"' in response.content
    assert b"<html" not in response.content


def test_people_and_audited_objects_are_named_in_words(db):
    from custodywatch.accounts.models import AuditEvent, Role
    from tests.conftest import make_user

    named = make_user("kim", Role.NPM_MONITOR)
    named.first_name, named.last_name = "Сергей", "Ким"
    assert str(named) == "Сергей Ким"
    assert str(make_user("nameless", Role.ANALYST)) == "nameless"
    assert str(AuditEvent(object_type="cases.case").object_type_label) == "case"
    assert AuditEvent(object_type="registry.rooms").object_type_label == "registry.rooms"


def test_the_ledger_registers_the_audit_appender_at_ready():
    # accounts sits below the ledger and never imports it: the ledger hands its appender down.
    from custodywatch.accounts import audit
    from custodywatch.ledger.appends import ledger_append_audit_event

    assert audit.audit_appender() is ledger_append_audit_event


def test_without_an_appender_audit_refuses_and_writes_nothing(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from custodywatch.accounts import audit
    from custodywatch.accounts.checks import audit_has_ledger
    from custodywatch.ledger.models import PendingLeaf

    monkeypatch.setattr(audit, "_appender", None)
    events, leaves = AuditEvent.objects.count(), PendingLeaf.objects.count()
    with pytest.raises(ImproperlyConfigured, match="audit appender"):
        audit.audit_record(actor=None, action=AuditEvent.Action.EXPORT,
                           origin=audit.SYSTEM_ORIGIN, object_type="x", object_id="1")
    assert (AuditEvent.objects.count(), PendingLeaf.objects.count()) == (events, leaves)
    assert [m.id for m in audit_has_ledger()] == ["custodywatch.accounts.E001"]


def test_a_second_different_appender_is_refused():
    from django.core.exceptions import ImproperlyConfigured

    from custodywatch.accounts import audit

    with pytest.raises(ImproperlyConfigured):
        audit.register_audit_appender(lambda event: None)
    audit.register_audit_appender(audit.audit_appender())  # the same one again is harmless
