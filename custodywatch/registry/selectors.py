"""Every read of the registry that a person sees, already scoped to that person."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.models import AuditEvent, User
from custodywatch.accounts.scoping import facility_q, region_q
from custodywatch.registry.models import Agency, Camera, Facility, HeadAppointment, Region, Room

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class CameraCount(TypedDict):
    camera_count: int  # the room's cameras in service


def _count_subquery(queryset: QuerySet, field: str = "facility") -> Coalesce:
    """A correlated COUNT(*): joins of two to-many relations would multiply each other."""
    counted = (
        queryset.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def custody_rooms_without_camera() -> QuerySet[Room]:
    """Custody rooms that no camera in service covers: the registry's blind zones."""
    covered = Camera.objects.filter(rooms=OuterRef("pk"), is_active=True)
    return Room.objects.filter(custody_use=True).filter(~Exists(covered))


def facilities_visible(*, user: User) -> QuerySet[Facility]:
    return Facility.objects.filter(facility_q(user))


def regions_visible(*, user: User) -> QuerySet[Region]:
    return Region.objects.filter(region_q(user)).distinct()


def agencies_all() -> QuerySet[Agency]:
    return Agency.objects.all()


def facility_search(
    *,
    user: User,
    text: str = "",
    region_code: str = "",
    agency_code: str = "",
    kind: str = "",
) -> QuerySet[Facility]:
    facilities = facilities_visible(user=user).select_related("region", "agency")
    if text:
        facilities = facilities.filter(
            Q(name__icontains=text) | Q(code__icontains=text) | Q(address__icontains=text)
        )
    if region_code:
        facilities = facilities.filter(region__code=region_code)
    if agency_code:
        facilities = facilities.filter(agency__code=agency_code)
    if kind:
        facilities = facilities.filter(kind=kind)
    return facilities.annotate(
        custody_room_count=_count_subquery(Room.objects.filter(custody_use=True)),
        camera_count=_count_subquery(Camera.objects.filter(is_active=True)),
        blind_room_count=_count_subquery(custody_rooms_without_camera()),
    ).order_by("region__code", "code")


def facility_detail(*, user: User, code: str, origin: Origin) -> Facility:
    """One facility for its page; raises Facility.DoesNotExist outside the reader's scope.

    The read is audited; so is a refused read of a facility that exists.
    """
    facility = (
        facilities_visible(user=user).select_related("region", "agency").filter(code=code).first()
    )
    if facility is None:
        if Facility.objects.filter(code=code).exists():
            audit_record(
                actor=user,
                action=AuditEvent.Action.DENIED,
                origin=origin,
                object_type="registry.facility",
                object_label=code,
            )
        raise Facility.DoesNotExist(code)
    audit_record(actor=user, action=AuditEvent.Action.READ, origin=origin, obj=facility)
    return facility


def facility_rooms(*, facility: Facility) -> QuerySet[WithAnnotations[Room, CameraCount]]:
    """Rooms of a facility the caller already holds through facility_detail."""
    active_cameras = Camera.objects.filter(rooms=OuterRef("pk"), is_active=True)
    return (
        facility.rooms.annotate(
            camera_count=Coalesce(
                Subquery(
                    active_cameras.order_by().values("rooms").annotate(n=Count("pk")).values("n"),
                    output_field=IntegerField(),
                ),
                0,
            )
        )
        .order_by("-custody_use", "code")
    )


def facility_cameras(*, facility: Facility) -> QuerySet[Camera]:
    return facility.cameras.select_related("recorder").prefetch_related("rooms").order_by("code")


def facility_heads(*, facility: Facility) -> QuerySet[HeadAppointment]:
    return facility.head_appointments.order_by("-started_on")


def registry_totals(*, user: User) -> dict[str, int]:
    """Counts for the dashboard, within the reader's scope."""
    facilities = facilities_visible(user=user)
    rooms = Room.objects.filter(facility__in=facilities, custody_use=True)
    return {
        "facilities": facilities.count(),
        "custody_rooms": rooms.count(),
        "cameras": Camera.objects.filter(facility__in=facilities, is_active=True).count(),
        "blind_rooms": custody_rooms_without_camera().filter(facility__in=facilities).count(),
    }


def blind_rooms_by_region(*, user: User) -> list[tuple[Region, int, int]]:
    """Per region in scope: custody rooms, and those no camera in service covers."""
    facilities = facilities_visible(user=user)
    rooms = Room.objects.filter(custody_use=True, facility__in=facilities)
    totals = dict(rooms.values_list("facility__region").annotate(n=Count("pk")).order_by())
    blind = dict(
        custody_rooms_without_camera().filter(facility__in=facilities)
        .values_list("facility__region").annotate(n=Count("pk")).order_by()
    )
    return [(region, totals.get(region.pk, 0), blind.get(region.pk, 0))
            for region in Region.objects.order_by("code")]
