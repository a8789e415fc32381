from __future__ import annotations

import hashlib

import pytest
from django.core.exceptions import ValidationError

from custodywatch.accounts import services
from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import AuditEvent, MachineToken, Role, Scope
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_facility_roles_need_a_facility(facility_a):
    with pytest.raises(ValidationError) as error:
        make_user("nobody", Role.DUTY_OFFICER)
    assert "facility" in error.value.message_dict
    user = make_user("duty", Role.DUTY_OFFICER, facility=facility_a)
    assert (user.scope, user.facility, user.region) == (Scope.FACILITY, facility_a, None)


def test_regional_prosecutor_needs_a_region(facility_a):
    with pytest.raises(ValidationError) as error:
        make_user("p", Role.REGIONAL_PROSECUTOR)
    assert "region" in error.value.message_dict
    user = make_user("p", Role.REGIONAL_PROSECUTOR, region=facility_a.region)
    assert user.scope == Scope.REGION


def test_country_roles_and_audit_of_creation(db):
    user = make_user("gpo", Role.GENERAL_PROSECUTOR)
    assert user.scope == Scope.COUNTRY
    assert not user.is_staff
    event = AuditEvent.objects.get(object_type="accounts.user", object_id=str(user.pk))
    assert event.action == AuditEvent.Action.CREATE
    assert event.detail == {"role": "general_prosecutor", "scope": "country"}


def test_passwords_are_hashed_with_argon2_by_default(settings, db):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = make_user("a", Role.ANALYST)
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password("correct horse battery")


def test_token_is_stored_only_as_its_hash(people, facility_a):
    raw, token = services.token_create(acting_user=None, origin=SYSTEM_ORIGIN,
                                       user=people["agent_a"])
    assert raw.startswith("cw_") and len(raw) > 40
    assert token.facility == facility_a  # an agent's token inherits its facility
    stored = MachineToken.objects.get(pk=token.pk)
    assert stored.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in str(stored.__dict__)
    assert services.token_authenticate(raw) == token
    assert services.token_authenticate(raw + "x") is None


def test_revoked_token_no_longer_authenticates(people):
    raw, token = services.token_create(acting_user=None, origin=SYSTEM_ORIGIN,
                                       user=people["agent_a"])
    services.token_revoke(acting_user=people["admin"], origin=SYSTEM_ORIGIN, token=token)
    assert services.token_authenticate(raw) is None


def test_token_of_inactive_user_is_refused(people):
    raw, _token = services.token_create(acting_user=None, origin=SYSTEM_ORIGIN,
                                        user=people["agent_a"])
    people["agent_a"].is_active = False
    people["agent_a"].save()
    assert services.token_authenticate(raw) is None
