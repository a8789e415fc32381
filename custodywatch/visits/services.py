"""Every write about visits and recommendations: one function per use case, atomic, audited.

Permission is checked before the transaction opens, so a refusal is audited as DENIED and
stays in the trail even though nothing else is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid as uuid_module
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.models import AuditEvent, User
from custodywatch.core import images, sealing
from custodywatch.custody.models import CustodyRecord
from custodywatch.kernels import personal_data, risk
from custodywatch.registry.models import Agency, Facility, Room
from custodywatch.visits.models import (
    CLOSED_STATUSES,
    INTERNATIONAL_SOURCES,
    PUBLIC_SOURCES,
    SDG_TARGET,
    AffectedGroup,
    Category,
    ChecklistItem,
    CommentStatus,
    Evidence,
    Finding,
    FindingPhoto,
    ImplementationStatus,
    Interview,
    PlanningWeight,
    Recommendation,
    RecommendationComment,
    RecommendationGroup,
    Response,
    ResponseLevel,
    Source,
    StatusChange,
    TeamMember,
    Visit,
    sdg_sort_key,
)
from custodywatch.visits.permissions import (
    is_addressee,
    is_monitor,
    may_comment,
    may_moderate,
    may_set_weights,
)

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_TEXT = 20_000
# Magic numbers of the photo formats a tablet produces; anything else is refused.
PHOTO_SIGNATURES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}


def _deny(*, user: User, origin: Origin, obj: models.Model | None, reason: str,
          object_type: str = "") -> PermissionDenied:
    audit_record(actor=user, action=AuditEvent.Action.DENIED, origin=origin, obj=obj,
                 object_type=object_type, detail={"reason": reason})
    return PermissionDenied(reason)


def require_monitor(user: User, origin: Origin, obj: models.Model | None,
                     object_type: str = "visits.visit") -> None:
    if not is_monitor(user):
        raise _deny(user=user, origin=origin, obj=obj, object_type=object_type,
                    reason=_("Only NPM monitors and the Ombudsperson's staff do this."))


def _require_text(value: str, field_name: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field_name: _("This field is required.")})
    if len(value) > MAX_TEXT:
        raise ValidationError({field_name: _("At most %(n)s characters.") % {"n": MAX_TEXT}})
    return value


def _require_choice(value: str, choices: type[models.TextChoices], field_name: str) -> str:
    if value not in choices.values:
        raise ValidationError({field_name: _("“%(value)s” is not a valid choice.")
                               % {"value": value}})
    return value


# ---------------------------------------------------------------------------------- visits

@dataclass(frozen=True)
class TeamMemberInput:
    full_name: str
    affiliation: str
    user: User | None = None
    is_leader: bool = False


def visit_plan(
    *,
    acting_user: User,
    origin: Origin,
    facility: Facility,
    kind: str,
    starts_on: dt.date,
    ends_on: dt.date,
    team: list[TeamMemberInput],
    summary: str = "",
) -> Visit:
    require_monitor(acting_user, origin, facility, "registry.facility")
    _require_choice(kind, Visit.Kind, "kind")
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("The last day cannot be before the first day.")})
    if not team:
        raise ValidationError({"team": _("A visit needs at least one team member.")})
    for member in team:
        _require_text(member.full_name, "team")
        _require_choice(member.affiliation, TeamMember.Affiliation, "team")
    with transaction.atomic():
        visit = Visit.objects.create(facility=facility, kind=kind, starts_on=starts_on,
                                     ends_on=ends_on, summary=summary.strip(),
                                     created_by=acting_user)
        TeamMember.objects.bulk_create([
            TeamMember(visit=visit, user=m.user, full_name=m.full_name.strip(),
                       affiliation=m.affiliation, is_leader=m.is_leader) for m in team
        ])
        added = checklist_build(visit=visit)
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=visit, detail={"kind": kind, "team": len(team), "checklist": added})
    return visit


def checklist_build(*, visit: Visit) -> int:
    """The facility's open recommendations become the visit's checklist (no duplicates).

    Called inside the caller's transaction and audit (planning or starting a visit)."""
    open_recommendations = Recommendation.objects.filter(facility=visit.facility).exclude(
        status__in=CLOSED_STATUSES).exclude(visit=visit)
    existing = set(visit.checklist.values_list("recommendation_id", flat=True))
    items = [ChecklistItem(visit=visit, recommendation=r) for r in open_recommendations
             if r.pk not in existing]
    ChecklistItem.objects.bulk_create(items)
    return len(items)


# Which status moves a visit may make: a cancelled or completed visit stays so.
VISIT_TRANSITIONS = {
    Visit.Status.PLANNED: {Visit.Status.IN_PROGRESS, Visit.Status.CANCELLED},
    Visit.Status.IN_PROGRESS: {Visit.Status.COMPLETED, Visit.Status.CANCELLED},
    Visit.Status.COMPLETED: set(),
    Visit.Status.CANCELLED: set(),
}


def visit_status_set(*, acting_user: User, origin: Origin, visit: Visit, status: str) -> Visit:
    require_monitor(acting_user, origin, visit)
    _require_choice(status, Visit.Status, "status")
    if status not in VISIT_TRANSITIONS[Visit.Status(visit.status)]:
        raise ValidationError({"status": _("A visit that is %(from)s cannot become %(to)s.") % {
            "from": visit.get_status_display(), "to": Visit.Status(status).label}})
    with transaction.atomic():
        previous = visit.status
        visit.status = status
        if status == Visit.Status.COMPLETED:
            visit.completed_at = timezone.now()
        visit.save(update_fields=["status", "completed_at"])
        added = checklist_build(visit=visit) if status == Visit.Status.IN_PROGRESS else 0
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                     obj=visit, detail={"status": [previous, status], "checklist": added})
    return visit


def visit_rooms_set(*, acting_user: User, origin: Origin, visit: Visit,
                    rooms: Iterable[Room]) -> None:
    require_monitor(acting_user, origin, visit)
    rooms = list(rooms)
    if any(room.facility_id != visit.facility_id for room in rooms):
        raise ValidationError({"rooms": _("Only rooms of the visited facility.")})
    with transaction.atomic():
        visit.rooms_inspected.set(rooms)
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                     obj=visit, detail={"rooms_inspected": sorted(r.code for r in rooms)})


# -------------------------------------------------------------------------------- findings

@dataclass(frozen=True)
class PhotoInput:
    content: bytes
    caption: str = ""


@dataclass(frozen=True)
class FindingInput:
    """A finding as the tablet holds it. `base_revision` is the server revision the tablet's
    copy was made from (0 for a finding the server has never seen)."""

    uuid: uuid_module.UUID
    category: str
    text: str
    severity: str = Finding.Severity.MEDIUM
    room_code: str = ""
    base_revision: int = 0
    recorded_at: dt.datetime | None = None
    photos: list[PhotoInput] = field(default_factory=list)


@dataclass(frozen=True)
class SyncOutcome:
    uuid: str
    outcome: str  # created | updated | unchanged | conflict
    revision: int
    conflict_uuid: str = ""  # where the tablet's version was kept beside the other one


def _photo_type(content: bytes, field_name: str) -> str:
    if len(content) > MAX_PHOTO_BYTES:
        raise ValidationError({field_name: _("A photo may be at most 5 MB.")})
    for signature, content_type in PHOTO_SIGNATURES.items():
        if content.startswith(signature):
            if problem := images.size_problem(content):  # 100000 x 100000 claimed: refused
                raise ValidationError({field_name: problem})
            return content_type
    raise ValidationError({field_name: _("Photos must be JPEG or PNG images.")})


def _clean_finding(visit: Visit, item: FindingInput, prefix: str
                   ) -> tuple[Room | None, list[tuple[PhotoInput, str]]]:
    _require_choice(item.category, Category, f"{prefix}category")
    _require_choice(item.severity, Finding.Severity, f"{prefix}severity")
    _require_text(item.text, f"{prefix}text")
    room = None
    if item.room_code:
        room = Room.objects.filter(facility_id=visit.facility_id, code=item.room_code).first()
        if room is None:
            raise ValidationError({f"{prefix}room": _("No room %(code)s in this facility.")
                                   % {"code": item.room_code}})
    photos = [(p, _photo_type(p.content, f"{prefix}photos")) for p in item.photos]
    return room, photos


def _attach_photos(finding: Finding, photos: list[tuple[PhotoInput, str]], user: User) -> int:
    added = 0
    for photo, content_type in photos:
        digest = hashlib.sha256(photo.content).hexdigest()
        if finding.photos.filter(sha256=digest).exists():
            continue  # a retried sync sends the same photo again
        extension = ".png" if content_type == "image/png" else ".jpg"
        record = FindingPhoto(finding=finding, content_type=content_type, sha256=digest,
                              caption=photo.caption[:200], uploaded_by=user)
        record.image.save(f"{digest}{extension}", ContentFile(photo.content), save=False)
        record.save()
        added += 1
    return added


def finding_record(*, acting_user: User, origin: Origin, visit: Visit,
                   item: FindingInput) -> Finding:
    """One finding entered online; the same path as a sync of one new finding."""
    outcome = findings_sync(acting_user=acting_user, origin=origin, visit=visit, items=[item])[0]
    return Finding.objects.get(uuid=outcome.uuid)


def findings_sync(*, acting_user: User, origin: Origin, visit: Visit,
                  items: list[FindingInput]) -> list[SyncOutcome]:
    """Bring a tablet's findings in, losing nothing.

    New on the server: created. Same content again (a retried sync): unchanged. Edited
    from the current revision: updated. Edited from an older revision while someone else
    changed it meanwhile: the server's version stays and the tablet's is kept beside it as a
    conflicting version for the monitors to reconcile. Any invalid item refuses the whole
    batch, naming the item and the field, so the tablet keeps everything and nothing is
    half-saved.
    """
    require_monitor(acting_user, origin, visit)
    if visit.status == Visit.Status.CANCELLED:
        raise ValidationError({"visit": _("This visit was cancelled.")})
    cleaned = [_clean_finding(visit, item, f"findings[{index}].")
               for index, item in enumerate(items)]
    outcomes = []
    now = timezone.now()
    with transaction.atomic():
        for index, (item, (room, photos)) in enumerate(zip(items, cleaned, strict=True)):
            existing = Finding.objects.select_for_update().filter(uuid=item.uuid).first()
            if existing is not None and existing.visit_id != visit.pk:
                raise ValidationError({f"findings[{index}].uuid": _(
                    "This finding belongs to another visit.")})
            content = {"category": item.category, "severity": item.severity,
                       "text": item.text.strip(), "room": room}
            outcome = _sync_one(visit, item, existing, content, acting_user, now)
            target = Finding.objects.get(uuid=outcome.conflict_uuid or outcome.uuid)
            _attach_photos(target, photos, acting_user)
            outcomes.append(outcome)
        audit_record(actor=acting_user, action=AuditEvent.Action.IMPORT, origin=origin,
                     obj=visit, detail={"findings": [[o.uuid, o.outcome] for o in outcomes]})
    return outcomes


def _same(finding: Finding, content: dict[str, Any]) -> bool:
    return (finding.category == content["category"] and finding.severity == content["severity"]
            and finding.text == content["text"] and finding.room_id == (
                content["room"].pk if content["room"] else None))


def _sync_one(visit: Visit, item: FindingInput, existing: Finding | None, content: dict[str, Any],
              user: User, now: dt.datetime) -> SyncOutcome:
    if existing is None:
        finding = Finding.objects.create(uuid=item.uuid, visit=visit, recorded_by=user,
                                         recorded_at=item.recorded_at or now, **content)
        return SyncOutcome(str(finding.uuid), "created", finding.revision)
    if _same(existing, content):
        return SyncOutcome(str(existing.uuid), "unchanged", existing.revision)
    if item.base_revision == existing.revision:
        for name, value in content.items():
            setattr(existing, name, value)
        existing.revision += 1
        existing.save()
        return SyncOutcome(str(existing.uuid), "updated", existing.revision)
    kept = next((f for f in existing.conflicting_versions.all() if _same(f, content)), None)
    if kept is None:
        kept = Finding.objects.create(visit=visit, conflict_of=existing, recorded_by=user,
                                      recorded_at=item.recorded_at or now, **content)
    return SyncOutcome(str(existing.uuid), "conflict", existing.revision, str(kept.uuid))


def finding_conflict_resolve(*, acting_user: User, origin: Origin, finding: Finding,
                             keep_text: str) -> Finding:
    """Reconcile a finding with its conflicting versions: one text stays, the copies go."""
    require_monitor(acting_user, origin, finding, "visits.finding")
    keep_text = _require_text(keep_text, "text")
    with transaction.atomic():
        removed = [str(f.uuid) for f in finding.conflicting_versions.all()]
        FindingPhoto.objects.filter(finding__conflict_of=finding).update(finding=finding)
        finding.conflicting_versions.all().delete()
        finding.text = keep_text
        finding.revision += 1
        finding.save()
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                     obj=finding, detail={"resolved_conflicts": removed})
    return finding


# ------------------------------------------------------------------------------ interviews

def interview_record(*, acting_user: User, origin: Origin, visit: Visit, interviewee: str,
                     notes: str, in_private: bool = True, room: Room | None = None) -> Interview:
    require_monitor(acting_user, origin, visit)
    _require_choice(interviewee, Interview.Interviewee, "interviewee")
    notes = _require_text(notes, "notes")
    if room is not None and room.facility_id != visit.facility_id:
        raise ValidationError({"room": _("Only rooms of the visited facility.")})
    with transaction.atomic():
        interview = Interview(visit=visit, interviewee=interviewee, in_private=in_private,
                              room=room, recorded_by=acting_user)
        interview.sealed_notes = sealing.seal(notes.encode(), context=interview.seal_context())
        interview.save()
        # The trail says that an interview was recorded, never what was said.
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=interview, detail={"visit": visit.pk, "in_private": in_private})
    return interview


# ------------------------------------------------------------------------- recommendations

def recommendation_issue(
    *,
    acting_user: User,
    origin: Origin,
    source: str,
    text: str,
    category: str,
    addressee_body: Agency,
    responsible_official: str,
    issued_on: dt.date,
    deadline: dt.date,
    facility: Facility | None = None,
    visit: Visit | None = None,
    finding: Finding | None = None,
    cat_reference: str = "",
    responsible_user: User | None = None,
    superior_user: User | None = None,
    affected_groups: list[str] | None = None,
    sdg_targets: list[str] | None = None,
) -> Recommendation:
    require_monitor(acting_user, origin, visit, "visits.recommendation")
    _require_choice(source, Source, "source")
    _require_choice(category, Category, "category")
    text = _require_text(text, "text")
    responsible_official = _require_text(responsible_official, "responsible_official")
    if deadline < issued_on:
        raise ValidationError({"deadline": _("The deadline cannot be before the issue date.")})
    if source == Source.VISIT and visit is None:
        raise ValidationError({"visit": _("A recommendation from a visit names the visit.")})
    if finding is not None and (visit is None or finding.visit_id != visit.pk):
        raise ValidationError({"finding": _("The finding must be one of this visit's.")})
    if visit is not None:
        facility = facility or visit.facility
        if facility.pk != visit.facility_id:
            raise ValidationError({"facility": _("The visit was to another facility.")})
    if source in INTERNATIONAL_SOURCES and not cat_reference.strip():
        raise ValidationError({"cat_reference": _(
            "Name the document and paragraph (or the article of the Convention) of an "
            "international mechanism's recommendation.")})
    groups = sorted(set(affected_groups or []))
    for group in groups:
        _require_choice(group, AffectedGroup, "affected_groups")
    targets = sorted({target.strip().lower() for target in sdg_targets or [] if target.strip()},
                     key=sdg_sort_key)
    for target in targets:
        if not SDG_TARGET.fullmatch(target):
            raise ValidationError({"sdg_targets": _(
                "%(target)s is not a Sustainable Development Goal target (e.g. 16.3 or 16.a).")
                % {"target": target}})
    with transaction.atomic():
        recommendation = Recommendation.objects.create(
            source=source, text=text, category=category, addressee_body=addressee_body,
            responsible_official=responsible_official, issued_on=issued_on, deadline=deadline,
            facility=facility, visit=visit, finding=finding,
            cat_reference=cat_reference.strip()[:200], affected_groups=groups,
            sdg_targets=targets, responsible_user=responsible_user,
            superior_user=superior_user, created_by=acting_user)
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=recommendation, detail={"source": source, "deadline": str(deadline)})
    return recommendation


def recommendation_respond(*, acting_user: User, origin: Origin, recommendation: Recommendation,
                           level: str, text: str) -> Response:
    """The addressee answers and declares how far the recommendation is accepted."""
    if not is_addressee(acting_user, recommendation):
        raise _deny(user=acting_user, origin=origin, obj=recommendation,
                    reason=_("Only the addressee answers a recommendation."))
    _require_choice(level, ResponseLevel, "level")
    text = _require_text(text, "text")
    with transaction.atomic():
        response = Response.objects.create(recommendation=recommendation, level=level, text=text,
                                           author=acting_user)
        recommendation.response_level = level
        recommendation.save(update_fields=["response_level"])
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=response, object_label=str(recommendation), detail={"level": level})
    return response


def evidence_add(*, acting_user: User, origin: Origin, recommendation: Recommendation,
                 kind: str, description: str, visit: Visit | None = None) -> Evidence:
    """Monitors add any evidence; the addressee adds documents and reports of his own."""
    monitor = is_monitor(acting_user)
    if not monitor and not is_addressee(acting_user, recommendation):
        raise _deny(user=acting_user, origin=origin, obj=recommendation,
                    reason=_("Only monitors and the addressee add evidence."))
    _require_choice(kind, Evidence.Kind, "kind")
    if not monitor and kind == Evidence.Kind.SEEN_AT_VISIT:
        raise ValidationError({"kind": _("Only monitors record what they saw at a visit.")})
    if kind == Evidence.Kind.SEEN_AT_VISIT and visit is None:
        raise ValidationError({"visit": _("Name the visit at which it was seen.")})
    description = _require_text(description, "description")
    with transaction.atomic():
        evidence = Evidence.objects.create(recommendation=recommendation, kind=kind,
                                           description=description, visit=visit,
                                           submitted_by=acting_user)
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=evidence, detail={"recommendation": recommendation.pk, "kind": kind})
    return evidence


def _group_members(recommendation: Recommendation) -> list[Recommendation]:
    if recommendation.group_id is None:
        return [recommendation]
    return list(Recommendation.objects.select_for_update().filter(
        group_id=recommendation.group_id).order_by("pk"))


def recommendation_status_set(*, acting_user: User, origin: Origin,
                              recommendation: Recommendation, status: str, evidence: Evidence,
                              note: str = "", now: dt.datetime | None = None) -> None:
    """The monitor sets the implementation status from evidence; a group moves together.

    Self-reported evidence alone never makes a recommendation implemented: that needs what
    monitors saw at a visit or a document."""
    require_monitor(acting_user, origin, recommendation, "visits.recommendation")
    _require_choice(status, ImplementationStatus, "status")
    same_follow_up = evidence.recommendation_id == recommendation.pk or (
        recommendation.group_id is not None
        and evidence.recommendation.group_id == recommendation.group_id)
    if not same_follow_up:
        raise ValidationError({"evidence": _("The evidence must be of this recommendation.")})
    if status == ImplementationStatus.IMPLEMENTED and evidence.kind == Evidence.Kind.SELF_REPORTED:
        raise ValidationError({"evidence": _(
            "Implementation must be verified: seen at a visit or shown by a document.")})
    now = now or timezone.now()
    with transaction.atomic():
        changed = []
        for member in _group_members(recommendation):
            if member.status == status:
                continue
            StatusChange.objects.create(recommendation=member, from_status=member.status,
                                        to_status=status, evidence=evidence, note=note.strip(),
                                        changed_by=acting_user, changed_at=now)
            member.status = status
            member.save(update_fields=["status"])
            changed.append(member.pk)
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                     obj=recommendation, detail={"status": status, "evidence": evidence.pk,
                                                 "recommendations": changed})


def checklist_observe(*, acting_user: User, origin: Origin, item: ChecklistItem,
                      observed_status: str, note: str) -> None:
    """What monitors saw of an open recommendation at the next visit: evidence and status."""
    require_monitor(acting_user, origin, item.visit)
    _require_choice(observed_status, ImplementationStatus, "observed_status")
    note = _require_text(note, "note")
    with transaction.atomic():
        item.observed_status = observed_status
        item.note = note
        item.save(update_fields=["observed_status", "note"])
        evidence = Evidence.objects.create(
            recommendation=item.recommendation, kind=Evidence.Kind.SEEN_AT_VISIT,
            visit=item.visit, description=note, submitted_by=acting_user)
        recommendation_status_set(acting_user=acting_user, origin=origin,
                                  recommendation=item.recommendation, status=observed_status,
                                  evidence=evidence, note=note)


def recommendations_group(*, acting_user: User, origin: Origin,
                          recommendations: list[Recommendation], title: str
                          ) -> RecommendationGroup:
    """Recommendations asking the same thing share one follow-up from now on.

    Members of existing groups come along; the group's status becomes that of the least
    advanced member so nothing is declared done that one body still waits for."""
    require_monitor(acting_user, origin, None, "visits.recommendationgroup")
    title = _require_text(title, "title")
    if len({r.pk for r in recommendations}) < 2:
        raise ValidationError({"recommendations": _("Choose at least two recommendations.")})
    with transaction.atomic():
        group_ids = {r.group_id for r in recommendations if r.group_id}
        members = {r.pk: r for r in recommendations}
        for other in Recommendation.objects.filter(group_id__in=group_ids):
            members.setdefault(other.pk, other)
        group = RecommendationGroup.objects.create(title=title[:300], created_by=acting_user)
        Recommendation.objects.filter(pk__in=members).update(group=group)
        for recommendation in recommendations:
            recommendation.group = group  # the caller's objects match the rows
        RecommendationGroup.objects.filter(pk__in=group_ids).delete()
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=group, detail={"recommendations": sorted(members)})
    return group


# -------------------------------------------------------------------------------- planning

def planning_weights_set(*, acting_user: User, origin: Origin,
                         weights: dict[str, float]) -> None:
    if not may_set_weights(acting_user):
        raise _deny(user=acting_user, origin=origin, obj=None,
                    object_type="visits.planningweight",
                    reason=_("Only monitors and administrators change the planning weights."))
    for key, weight in weights.items():
        if key not in risk.FACTOR_KEYS:
            raise ValidationError({key: _("Unknown factor.")})
        if not 0 <= weight <= 100:
            raise ValidationError({key: _("A weight is between 0 and 100.")})
    with transaction.atomic():
        for key, weight in weights.items():
            PlanningWeight.objects.update_or_create(
                factor=key, defaults={"weight": weight, "updated_by": acting_user})
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                     object_type="visits.planningweight", object_label="planning weights",
                     detail={"weights": weights})


# ------------------------------------------------------------------ NGOs' comments

MAX_COMMENT = 4000


def comment_add(*, acting_user: User, origin: Origin, recommendation: Recommendation,
                text: str) -> RecommendationComment:
    """A registered NGO comments on a public recommendation: published at once, or held for
    moderation when it may identify a person (kernels/personal_data.py; the names it looks
    up are the detainees' of the custody register)."""
    if not may_comment(acting_user) or not acting_user.organisation:
        raise _deny(user=acting_user, origin=origin, obj=recommendation,
                    reason="not a registered NGO")
    if recommendation.source not in PUBLIC_SOURCES:
        raise _deny(user=acting_user, origin=origin, obj=recommendation,
                    reason="not a public recommendation")
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write the comment.")})
    if len(text) > MAX_COMMENT:
        raise ValidationError({"text": _("At most %(n)d characters.") % {"n": MAX_COMMENT}})
    held_for = personal_data.findings(text, known=_detainee_names(text))
    with transaction.atomic():
        comment = RecommendationComment.objects.create(
            recommendation=recommendation, author=acting_user,
            organisation=acting_user.organisation, text=text,
            status=CommentStatus.HELD if held_for else CommentStatus.PUBLISHED,
            held_for=held_for, created_at=timezone.now())
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=comment, detail={"recommendation": recommendation.pk,
                                          "status": comment.status, "held_for": held_for})
    return comment


def _detainee_names(text: str) -> list[str]:
    """The candidate names of ``text`` that are names of people in the custody register."""
    candidates = personal_data.name_candidates(text)
    if not candidates:
        return []
    spelled = {c.casefold() for c in candidates} | {
        " ".join(reversed(c.split())).casefold() for c in candidates}
    query = models.Q()
    for name in spelled:
        query |= models.Q(full_name__iexact=name)
    return list(CustodyRecord.objects.filter(query).values_list("full_name", flat=True)[:5])


def comment_moderate(*, acting_user: User, origin: Origin, comment: RecommendationComment,
                     publish: bool, note: str = "") -> RecommendationComment:
    """A moderator publishes or rejects a held comment (or withdraws a published one)."""
    if not may_moderate(acting_user):
        raise _deny(user=acting_user, origin=origin, obj=comment, reason="not a moderator")
    if not publish and not note.strip():
        raise ValidationError({"note": _("Say why the comment is not published.")})
    with transaction.atomic():
        comment = RecommendationComment.objects.select_for_update().get(pk=comment.pk)
        previous = comment.status
        comment.status = CommentStatus.PUBLISHED if publish else CommentStatus.REJECTED
        comment.moderated_by = acting_user
        comment.moderated_at = timezone.now()
        comment.moderation_note = note.strip()[:500]
        comment.save()
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                     obj=comment, detail={"from": previous, "to": comment.status})
    return comment
