"""'Where is he held?' (issue 22, item 8): the Convention on Enforced Disappearance, art. 18.

Who may ask (docs/security.md, "Where is he held?"):
- a lawyer, whose account has a licence in force (LawyerLicence), for a person named by IIN
  and full name, both matching a custody record exactly, with a reason recorded (the
  warrant, who asked him); no mandate recorded in the system is needed, since a family hires
  a lawyer precisely to find the person, and a mandate the lawyer typed himself would prove
  nothing more than the reason does;
- a hotline operator, for a relative whose identity the operator checked and recorded first
  (IdentityCheck, naming the person sought): the answer is about that person only, and the
  check serves for a limited time.
Nobody else: facility staff, prosecutors and monitors read the register in their scope, and
this lookup is not a way around it (their roles do not hold the capability).

The answer: the facility (its name and region, not the room) and since when the person is
held there; "in transit" while the person is in a vehicle; the end of the last custody if
none is open (released, transferred, died: art. 18 (e), (g)). A person held incommunicado
under a court order recorded by a prosecutor (IncommunicadoOrder): only that the person is
held, by whose order, and when the restriction ends; not where.

Every question is stored (WhereaboutsQuery) and audited, so each is a ledger leaf; a refused
one is audited too. Each asker has a limit of questions an hour (settings).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NoReturn

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.capabilities import Capability, has_capability
from custodywatch.accounts.models import AuditEvent, User
from custodywatch.accounts.policies import FACILITY_POLICY
from custodywatch.custody.models import CustodyRecord, iin_is_valid
from custodywatch.custody.models_mass import (
    IdentityCheck,
    IncommunicadoOrder,
    LawyerLicence,
    WhereaboutsQuery,
)
from custodywatch.registry.models import Facility, Room

RATE_WINDOW = dt.timedelta(hours=1)
DEFAULT_RATE = 20
# An identity check serves the relative's questions for a day.
CHECK_VALID_FOR = dt.timedelta(hours=24)
LONGEST_ORDER = dt.timedelta(days=365)


class RateLimited(PermissionDenied):
    """Too many questions in the last hour."""


def normalized_name(name: str) -> str:
    return " ".join(name.split()).casefold()


def rate_limit() -> int:
    return int(getattr(settings, "CUSTODYWATCH_WHEREABOUTS_PER_HOUR", DEFAULT_RATE))


@dataclass(frozen=True)
class Answer:
    kind: str  # WhereaboutsQuery.Answer
    facility: Facility | None = None
    since: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    end_reason: str = ""
    authority: str = ""
    order_ref: str = ""
    restriction_ends_at: dt.datetime | None = None
    query: WhereaboutsQuery | None = None

    @property
    def kind_label(self) -> str:
        return str(WhereaboutsQuery.Answer(self.kind).label)


def _deny(user: User, origin: Origin, why: str, exc: type[PermissionDenied] = PermissionDenied,
          message: str = "") -> NoReturn:
    audit_record(actor=user, action=AuditEvent.Action.DENIED, origin=origin,
                 object_type="custody.whereaboutsquery", detail={"whereabouts": why})
    raise exc(message or _("You may not ask where a person is held."))


def licence_in_force(user: User, now: dt.datetime) -> LawyerLicence | None:
    licence = LawyerLicence.objects.filter(user=user, revoked_at__isnull=True).first()
    if licence is None or (licence.valid_until is not None
                           and licence.valid_until < timezone.localdate(now)):
        return None
    return licence


def _check_rate(user: User, origin: Origin, now: dt.datetime) -> None:
    asked = WhereaboutsQuery.objects.filter(asked_by=user,
                                            asked_at__gt=now - RATE_WINDOW).count()
    if asked >= rate_limit():
        _deny(user, origin, "rate limit", RateLimited, _(
            "At most %(n)s questions an hour: try again later.") % {"n": rate_limit()})


def _validate_person(iin: str, full_name: str, reason: str | None) -> None:
    errors: dict[str, list[str]] = {}
    if not iin_is_valid(iin.strip()):
        errors["iin"] = [_("Not a valid IIN: 12 digits with a correct check digit.")]
    if not normalized_name(full_name):
        errors["full_name"] = [_("This field is required.")]
    if reason is not None and len(reason.strip()) < 10:
        errors["reason"] = [_("Give the reason: the warrant and who asked you (at least "
                              "10 characters).")]
    if errors:
        raise ValidationError(errors)


def _find(iin: str, full_name: str, now: dt.datetime) -> tuple[str, CustodyRecord | None,
                                                             dict]:
    """The person's custody now (exact IIN and name), or the last one that ended."""
    wanted = normalized_name(full_name)
    records = [record for record in CustodyRecord.objects.filter(
        iin=iin.strip(), detained_at__lte=now).select_related("facility__region").order_by(
        "-detained_at", "-pk") if normalized_name(record.full_name) == wanted]
    if not records:
        return WhereaboutsQuery.Answer.NOT_FOUND, None, {}
    open_records = [record for record in records if record.ended_at is None]
    if not open_records:
        last = max(records, key=lambda record: (record.ended_at, record.pk))
        return WhereaboutsQuery.Answer.ENDED, last, {
            "ended_at": last.ended_at, "end_reason": last.get_end_reason_display(),
            "facility": last.facility}
    record = open_records[0]
    order = IncommunicadoOrder.objects.filter(
        custody_record__in=open_records, ordered_at__lte=now, ends_at__gt=now).order_by(
        "-ends_at").first()
    if order is not None:
        return WhereaboutsQuery.Answer.INCOMMUNICADO, order.custody_record, {
            "authority": order.authority, "order_ref": order.order_ref,
            "restriction_ends_at": order.ends_at}
    stay = record.stays.filter(ended_at__isnull=True).select_related("room").first()
    if stay is not None and stay.room.kind == Room.Kind.VEHICLE:
        return WhereaboutsQuery.Answer.IN_TRANSIT, record, {"since": stay.started_at,
                                                            "facility": record.facility}
    return WhereaboutsQuery.Answer.HELD, record, {
        "facility": record.facility, "since": record.arrived_at or record.detained_at}


def _ask(*, user: User, origin: Origin, channel: str, iin: str, full_name: str, reason: str,
         check: IdentityCheck | None, now: dt.datetime) -> Answer:
    with transaction.atomic():
        kind, record, facts = _find(iin, full_name, now)
        query = WhereaboutsQuery.objects.create(
            asked_by=user, asked_at=now, channel=channel, iin=iin.strip(),
            full_name=full_name.strip()[:200], reason=reason.strip(), identity_check=check,
            answer=kind, custody_record=record)
        # The answer's kind and the record are committed in the audit leaf, not the person.
        audit_record(actor=user, action=AuditEvent.Action.READ, origin=origin, obj=query,
                     object_label=f"whereabouts {query.pk}",
                     detail={"channel": channel, "answer": kind,
                             "record": record.pk if record else None,
                             "identity_check": check.pk if check else None})
    return Answer(kind=kind, query=query, **facts)


def lawyer_lookup(*, acting_user: User, origin: Origin, iin: str, full_name: str,
                  reason: str, now: dt.datetime | None = None) -> Answer:
    now = now or timezone.now()
    if not has_capability(acting_user, Capability.LOOKUP_WHEREABOUTS_AS_LAWYER):
        _deny(acting_user, origin, "lawyer lookup without the right")
    if licence_in_force(acting_user, now) is None:
        _deny(acting_user, origin, "no licence in force", message=_(
            "Your account has no lawyer's licence in force."))
    _check_rate(acting_user, origin, now)
    _validate_person(iin, full_name, reason)
    return _ask(user=acting_user, origin=origin, channel=WhereaboutsQuery.Channel.LAWYER,
                iin=iin, full_name=full_name, reason=reason, check=None, now=now)


def identity_check_record(*, acting_user: User, origin: Origin, asker_name: str,
                          asker_document: str, relationship: str, method: str,
                          sought_iin: str, sought_name: str) -> IdentityCheck:
    if not has_capability(acting_user, Capability.CHECK_RELATIVE_IDENTITY):
        _deny(acting_user, origin, "identity check without the right")
    errors: dict[str, list[str]] = {}
    for name, value in (("asker_name", asker_name), ("asker_document", asker_document),
                        ("relationship", relationship)):
        if not value.strip():
            errors[name] = [_("This field is required.")]
    if method not in IdentityCheck.Method.values:
        errors["method"] = [_("Choose how the identity was checked.")]
    try:
        _validate_person(sought_iin, sought_name, None)
    except ValidationError as error:
        names = {"iin": "sought_iin", "full_name": "sought_name"}
        errors.update({names[name]: texts for name, texts in error.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        check = IdentityCheck.objects.create(
            asker_name=asker_name.strip()[:200], asker_document=asker_document.strip()[:120],
            relationship=relationship.strip()[:80], method=method,
            sought_iin=sought_iin.strip(), sought_name=sought_name.strip()[:200],
            checked_by=acting_user, checked_at=timezone.now())
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=check, object_label=f"identity check {check.pk}",
                     detail={"method": method})
    return check


def relative_lookup(*, acting_user: User, origin: Origin, check: IdentityCheck | None,
                    now: dt.datetime | None = None) -> Answer:
    """The operator asks for the relative of ``check``: that person only, within a day of the
    check, and only the operator who checked."""
    now = now or timezone.now()
    if not has_capability(acting_user, Capability.LOOKUP_WHEREABOUTS_FOR_RELATIVE):
        _deny(acting_user, origin, "relative lookup without the right")
    if check is None or check.checked_by_id != acting_user.pk:
        _deny(acting_user, origin, "no identity check", message=_(
            "Record the relative's identity check first."))
    if check.checked_at < now - CHECK_VALID_FOR:
        _deny(acting_user, origin, f"identity check {check.pk} expired", message=_(
            "The identity check is more than a day old: check the relative again."))
    _check_rate(acting_user, origin, now)
    reason = _("Relative %(name)s (%(relationship)s), identity check %(pk)s") % {
        "name": check.asker_name, "relationship": check.relationship, "pk": check.pk}
    return _ask(user=acting_user, origin=origin, channel=WhereaboutsQuery.Channel.RELATIVE,
                iin=check.sought_iin, full_name=check.sought_name, reason=reason,
                check=check, now=now)


def checks_of(*, user: User) -> list[IdentityCheck]:
    """The operator's own recent checks."""
    if not has_capability(user, Capability.CHECK_RELATIVE_IDENTITY):
        return []
    return list(IdentityCheck.objects.filter(checked_by=user)[:20])


def check_of(*, user: User, pk: int) -> IdentityCheck | None:
    return IdentityCheck.objects.filter(checked_by=user, pk=pk).first()


def incommunicado_order_record(*, acting_user: User, origin: Origin, record: CustodyRecord,
                               authority: str, order_ref: str, ordered_at: dt.datetime | None,
                               ends_at: dt.datetime | None) -> IncommunicadoOrder:
    """A court's order, recorded by a prosecutor in scope: the facility is a party and may
    not hide a person by its own word."""
    if not FACILITY_POLICY.can(acting_user, "record_incommunicado_order", record.facility_id):
        audit_record(actor=acting_user, action=AuditEvent.Action.DENIED, origin=origin,
                     obj=record, detail={"incommunicado": "record"})
        raise PermissionDenied(_("You may not record an incommunicado order."))
    errors: dict[str, list[str]] = {}
    now = timezone.now()
    if not authority.strip():
        errors["authority"] = [_("Name the court that ordered it.")]
    if not order_ref.strip():
        errors["order_ref"] = [_("Give the order's number.")]
    if ordered_at is None:
        errors["ordered_at"] = [_("Give the order's date.")]
    elif ordered_at > now:
        errors["ordered_at"] = [_("Cannot be in the future.")]
    elif ordered_at < record.detained_at - dt.timedelta(days=1):
        errors["ordered_at"] = [_("Cannot be long before the detention.")]
    if ends_at is None:
        errors["ends_at"] = [_("Give the end of the restriction: it cannot be open-ended.")]
    elif ordered_at is not None and ends_at <= ordered_at:
        errors["ends_at"] = [_("Must be after the order's date.")]
    elif ordered_at is not None and ends_at - ordered_at > LONGEST_ORDER:
        errors["ends_at"] = [_("At most %(days)s days.") % {"days": LONGEST_ORDER.days}]
    if record.ended_at is not None:
        errors["custody_record"] = [_("Custody has already ended.")]
    if errors or ordered_at is None or ends_at is None:  # None: named in errors
        raise ValidationError(errors)
    with transaction.atomic():
        order = IncommunicadoOrder.objects.create(
            custody_record=record, authority=authority.strip()[:200],
            order_ref=order_ref.strip()[:120], ordered_at=ordered_at, ends_at=ends_at,
            recorded_by=acting_user, recorded_at=now)
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=order, detail={"record": record.pk, "ends_at": ends_at.isoformat()})
    return order
