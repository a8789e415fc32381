"""Every write about people, tokens and sign-in: one function per use case, atomic, audited."""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.capabilities import (
    Capability,
    bound_scope,
    capabilities_of,
    has_capability,
    speaks_for_an_organisation,
)
from custodywatch.accounts.models import AuditEvent, MachineToken, Role, Scope, User
from custodywatch.accounts.scoping import facility_q

if TYPE_CHECKING:  # the registry sits above accounts: its models reach here through the FKs
    from custodywatch.registry.models import Facility, Region

TOKEN_PREFIX = "cw_"  # noqa: S105  (a visible prefix, not a secret)



def scope_for(
    *, role: Role, region: Region | None, facility: Facility | None
) -> tuple[Scope, Region | None, Facility | None]:
    """The scope a role implies (accounts.capabilities.ROLE_BOUND_SCOPE), or a ValidationError
    naming the missing field."""
    if bound_scope(role) == Scope.FACILITY:
        if facility is None:
            raise ValidationError({"facility": _("This role needs a facility.")})
        return Scope.FACILITY, None, facility
    if bound_scope(role) == Scope.REGION:
        if region is None:
            raise ValidationError({"region": _("This role needs a region.")})
        return Scope.REGION, region, None
    if region is not None:
        return Scope.REGION, region, None
    return Scope.COUNTRY, None, None


@transaction.atomic
def user_create(
    *,
    acting_user: User | None,
    origin: Origin,
    username: str,
    password: str | None,
    role: Role,
    full_name: str = "",
    email: str = "",
    region: Region | None = None,
    facility: Facility | None = None,
    organisation: str = "",
) -> User:
    """Create an account (an administrator, or the system). A registered NGO is registered
    with its organisation's name, which its comments carry on the public pages."""
    if acting_user is not None and not has_capability(acting_user, Capability.USE_ADMIN_SITE):
        raise PermissionDenied
    if speaks_for_an_organisation(role) and not organisation.strip():
        raise ValidationError({"organisation": _("Name the organisation.")})
    scope, region, facility = scope_for(role=role, region=region, facility=facility)
    first_name, _sep, last_name = full_name.partition(" ")
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=role,
        scope=scope,
        region=region,
        facility=facility,
        organisation=organisation.strip(),
        is_staff=Capability.USE_ADMIN_SITE in capabilities_of(role),
        is_superuser=Capability.USE_ADMIN_SITE in capabilities_of(role),
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    audit_record(
        actor=acting_user,
        action=AuditEvent.Action.CREATE,
        origin=origin,
        obj=user,
        detail={"role": role, "scope": scope,
                **({"organisation": user.organisation} if user.organisation else {})},
    )
    return user


def _token_hash(raw_token: str) -> str:
    # Tokens carry 256 bits of randomness, so a fast hash is safe and lets us look them up.
    return hashlib.sha256(raw_token.encode()).hexdigest()


@transaction.atomic
def token_create(
    *,
    acting_user: User | None,
    origin: Origin,
    user: User,
    facility: Facility | None = None,
    name: str = "",
) -> tuple[str, MachineToken]:
    """A new bearer token; the plain text is returned once and never stored.

    A binding only narrows its account (issue 17, item 4): a facility account's token is bound
    to its own facility; an account without one may narrow a token to a facility of its own
    scope (a country-wide administrator's token for one facility's register), never beyond.
    Whatever the binding, the account's role decides what the token may do
    (scoping.video_writer_facility_id, custody.services.can_write_custody)."""
    if facility is not None and user.facility_id is not None and facility.pk != user.facility_id:
        raise ValidationError({"facility": _(
            "%(user)s belongs to %(own)s: a token may be bound to that facility only."
        ) % {"user": user.get_username(),
             "own": user.facility.code if user.facility is not None else user.facility_id}})
    facilities = apps.get_model("registry", "Facility")._default_manager  # the layer above
    if facility is not None and not facilities.filter(facility_q(user), pk=facility.pk).exists():
        raise ValidationError({"facility": _(
            "%(facility)s is outside the scope of %(user)s: a token may only narrow its account."
        ) % {"user": user.get_username(), "facility": facility.code}})
    if facility is None and user.scope == Scope.FACILITY:
        facility = user.facility
    raw_token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = MachineToken.objects.create(
        user=user,
        facility=facility,
        name=name,
        prefix=raw_token[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + 8],
        token_hash=_token_hash(raw_token),
    )
    audit_record(
        actor=acting_user,
        action=AuditEvent.Action.CREATE,
        origin=origin,
        obj=token,
        detail={"user": user.username, "facility": facility.code if facility else None},
    )
    return raw_token, token


def token_authenticate(raw_token: str) -> MachineToken | None:
    token = (
        MachineToken.objects.select_related("user", "facility")
        .filter(token_hash=_token_hash(raw_token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    # One write a minute at most: token use is frequent, the timestamp only informative.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        MachineToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


@transaction.atomic
def token_revoke(*, acting_user: User, origin: Origin, token: MachineToken) -> None:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin, obj=token,
                 detail={"revoked": True})


def sign_in_record(*, user: User, origin: Origin, second_factor: bool) -> None:
    audit_record(actor=user, action=AuditEvent.Action.LOGIN, origin=origin, obj=user,
                 detail={"second_factor": second_factor})


def sign_in_failed_record(*, username: str, origin: Origin) -> None:
    audit_record(actor=None, action=AuditEvent.Action.LOGIN_FAILED, origin=origin,
                 object_type="accounts.user", object_label=username[:150])


def sign_out_record(*, user: User, origin: Origin) -> None:
    audit_record(actor=user, action=AuditEvent.Action.LOGOUT, origin=origin, obj=user)


@transaction.atomic
def totp_device_start(*, user: User, origin: Origin) -> TOTPDevice:
    """A new, unconfirmed TOTP device (its key shown once on the enrolment page); it counts as
    a second factor only once ``totp_device_confirm`` accepts a code from it. Audited: a new
    secret for a person's sign-in, even before it is confirmed."""
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    audit_record(actor=user, action=AuditEvent.Action.CREATE, origin=origin, obj=user,
                 detail={"two_factor": "totp enrolment started", "device": device.pk})
    return device


def totp_device_confirm(
    *, user: User, origin: Origin, device: TOTPDevice, session_verified: bool
) -> None:
    """Make a freshly verified TOTP device the user's one confirmed second factor.

    It replaces a confirmed device only for a session that passed the second factor with it:
    the password alone never takes over a second factor (issue 17, item 1)."""
    if not session_verified and TOTPDevice.objects.filter(user=user, confirmed=True).exclude(
            pk=device.pk).exists():
        # Recorded outside the write's transaction, which the refusal would roll back.
        audit_record(actor=user, action=AuditEvent.Action.DENIED, origin=origin, obj=user,
                     detail={"two_factor": "enrolment without the second factor"})
        raise PermissionDenied(_("Confirm it is you with your current device first."))
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save()
        audit_record(actor=user, action=AuditEvent.Action.UPDATE, origin=origin, obj=user,
                     detail={"two_factor": "totp enrolled"})


@transaction.atomic
def totp_reset(*, acting_user: User, origin: Origin, user: User) -> int:
    """An administrator's reset of a person's second factor (a lost phone): every device goes,
    and the next sign-in enrols a new one. Audited; the only way besides the owner's own
    second factor to replace a confirmed device."""
    if not acting_user.is_superuser:
        raise PermissionDenied(_("Only a system administrator resets a second factor."))
    deleted, _detail = TOTPDevice.objects.filter(user=user).delete()
    audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin, obj=user,
                 detail={"two_factor": "reset by administrator", "devices": deleted})
    return int(deleted)


@transaction.atomic
def user_preferences_update(
    *, user: User, origin: Origin, time_zone: str, language: str
) -> None:
    user.time_zone = time_zone
    user.language = language
    user.full_clean(exclude=["password"])
    user.save(update_fields=["time_zone", "language"])
    audit_record(actor=user, action=AuditEvent.Action.UPDATE, origin=origin, obj=user,
                 detail={"time_zone": time_zone, "language": language})


def admin_action_record(
    *, user: User, origin: Origin, action: AuditEvent.Action, obj: object, message: str = ""
) -> None:
    """The admin's own log is kept too; this puts admin work into the one audit trail."""
    audit_record(actor=user, action=action, origin=origin, obj=obj,  # type: ignore[arg-type]  # admin objects are models
                 detail={"via": "admin", "message": str(message)[:500]})


def admin_list_record(*, user: User, origin: Origin, model: type, query: str = "") -> None:
    """A list page of the admin site: which table, with which filters and search."""
    audit_record(actor=user, action=AuditEvent.Action.LIST, origin=origin,
                 object_type=model._meta.label_lower,  # type: ignore[attr-defined]  # admin models
                 detail={"via": "admin", "query": query[:500]})
