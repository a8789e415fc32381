"""Every read of the live view that staff see: scoped through the facility rule, audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.capabilities import Capability, has_capability
from custodywatch.accounts.models import AuditEvent, User
from custodywatch.accounts.scoping import facility_q
from custodywatch.custody.hooks import RecordSection
from custodywatch.custody.models import CustodyRecord, Interrogation
from custodywatch.liveview import frames
from custodywatch.liveview.models import (
    FeedGap,
    Viewer,
    Watching,
    WatchLinkMissing,
    WatchRequest,
)
from custodywatch.liveview.services import (
    gap_seconds,
    live_interrogations,
    ongoing_q,
    window_refusal,
)


@dataclass(frozen=True)
class LivePanel:
    """One interrogation in a transparent room, as its custody record's page shows it."""

    interrogation: Interrogation
    viewers: list[Viewer]
    gaps: list[FeedGap]
    ongoing: bool
    last_frame_at: dt.datetime | None
    # Going on, and no frame for longer than a gap (or none at all since it began), while the
    # sweep has not yet stored the gap: shown as a gap now, never as "no gap".
    picture_lost_since: dt.datetime | None = None


def interrogations_visible(*, user: User) -> QuerySet[Interrogation]:
    """The one scoped query of this app: live interrogations in the reader's facilities."""
    return live_interrogations().filter(facility_q(user, "custody_record__facility"))


def visible_viewers(user: User) -> QuerySet[Viewer]:
    """The viewers a reader sees: the links the prosecutor's office offered for a request to
    watch only to the people who check and decide such requests, never to the facility (a
    party: what it reads does not change because a relative asked the prosecutor)."""
    if (has_capability(user, Capability.REVIEW_WATCH_REQUESTS)
            or has_capability(user, Capability.DECIDE_WATCH_REQUESTS)):
        return Viewer.objects.all()
    return Viewer.objects.filter(watch_request__isnull=True)


def _with_details(queryset: QuerySet[Interrogation], user: User) -> QuerySet[Interrogation]:
    viewers = visible_viewers(user).prefetch_related(
        Prefetch("watchings", queryset=Watching.objects.order_by("started_at")))
    return queryset.select_related("room", "custody_record__facility").prefetch_related(
        "room__cameras", Prefetch("viewing_session__viewers", queryset=viewers),
        Prefetch("feed_gaps", queryset=FeedGap.objects.order_by("started_at")))


def _panel(interrogation: Interrogation, now: dt.datetime) -> LivePanel:
    session = getattr(interrogation, "viewing_session", None)
    camera_ids = [camera.pk for camera in interrogation.room.cameras.all()]
    latest = [at for at in map(frames.frame_received_at, camera_ids) if at is not None]
    last_frame_at = max(latest, default=None)
    gaps = list(interrogation.feed_gaps.all())
    ongoing = window_refusal(interrogation, now) is None
    seen_since = max(last_frame_at or interrogation.started_at, interrogation.started_at)
    lost = (ongoing and not any(gap.ended_at is None for gap in gaps)
            and (now - seen_since).total_seconds() > gap_seconds())
    return LivePanel(
        interrogation=interrogation,
        viewers=list(session.viewers.all()) if session is not None else [],
        gaps=gaps, ongoing=ongoing, last_frame_at=last_frame_at,
        picture_lost_since=seen_since if lost else None)


def record_live_panels(*, user: User, record: CustodyRecord, origin: Origin,
                       now: dt.datetime) -> list[LivePanel]:
    """The live-view panels of a record the caller already read through its scoped
    selector; the viewers' names are a read of their own, audited."""
    interrogations = list(_with_details(interrogations_visible(user=user).filter(
        custody_record=record), user).order_by("started_at"))
    if interrogations:
        audit_record(actor=user, action=AuditEvent.Action.READ, origin=origin,
                     object_type="liveview.viewingsession", object_label=f"record {record.pk}",
                     detail={"interrogations": [item.pk for item in interrogations]})
    return [_panel(item, now) for item in interrogations]


def live_now(*, user: User, origin: Origin, now: dt.datetime) -> list[LivePanel]:
    """Interrogations in transparent rooms going on now in the reader's scope."""
    interrogations = list(_with_details(interrogations_visible(user=user).filter(
        ongoing_q(now)), user).order_by("started_at")[:200])
    audit_record(actor=user, action=AuditEvent.Action.LIST, origin=origin,
                 object_type="liveview.viewingsession", object_label="live now",
                 detail={"interrogations": [item.pk for item in interrogations]})
    return [_panel(item, now) for item in interrogations]


def viewer_in_record(*, user: User, record: CustodyRecord, viewer_pk: int) -> Viewer:
    """A viewer of one of the record's interrogations, within the reader's scope."""
    return visible_viewers(user).select_related(
        "session__interrogation__room", "session__interrogation__custody_record__facility"
    ).get(pk=viewer_pk, session__interrogation__in=interrogations_visible(user=user).filter(
        custody_record=record))


def interrogation_in_record(*, user: User, record: CustodyRecord, pk: int) -> Interrogation:
    return interrogations_visible(user=user).select_related(
        "room", "custody_record__facility").get(pk=pk, custody_record=record)


def feed_gaps_for_timeline(*, record: CustodyRecord
                           ) -> list[tuple[dt.datetime, dt.datetime | None]]:
    """The record (already read through the custody selector) as gaps for its timeline."""
    return [(gap.started_at, gap.ended_at) for gap in FeedGap.objects.filter(
        interrogation__custody_record=record).order_by("started_at")]


def feed_gaps_section(record: CustodyRecord, history: Mapping[str, list]) -> RecordSection:
    """The custody record page's section (custody/hooks.py): the feed gaps on its timeline."""
    return RecordSection(feed_gaps=feed_gaps_for_timeline(record=record))


# ---------------------------------------------------------------- requests to watch


def watch_requests_visible(*, user: User) -> QuerySet[WatchRequest]:
    """The requests to watch of the reader's scope, for those who check or decide them: by the
    person's custody record once found, else by the facility named (or none named)."""
    if not (has_capability(user, Capability.REVIEW_WATCH_REQUESTS)
            or has_capability(user, Capability.DECIDE_WATCH_REQUESTS)):
        return WatchRequest.objects.none()
    found = Q(custody_record__isnull=False) & facility_q(user, "custody_record__facility")
    # (An empty Q, country scope, would vanish from an OR: it means every facility.)
    in_scope = facility_q(user, "facility") or Q(pk__isnull=False)
    named = Q(custody_record__isnull=True) & (Q(facility__isnull=True) | in_scope)
    return WatchRequest.objects.filter(found | named).select_related(
        "facility", "custody_record__facility")


def watch_request_list(*, user: User, origin: Origin) -> list[WatchRequest]:
    requests = list(watch_requests_visible(user=user)[:200])
    audit_record(actor=user, action=AuditEvent.Action.LIST, origin=origin,
                 object_type="liveview.watchrequest", object_label="requests to watch",
                 detail={"requests": [item.pk for item in requests]})
    return requests


def watch_request_detail(*, user: User, origin: Origin, pk: int) -> WatchRequest:
    request = watch_requests_visible(user=user).get(pk=pk)
    audit_record(actor=user, action=AuditEvent.Action.READ, origin=origin, obj=request)
    return request


def watch_links_missing(*, request: WatchRequest) -> list[WatchLinkMissing]:
    """The flags of a request already read through watch_request_detail."""
    return list(request.missing_links.select_related("interrogation__room"))
