"""Where the planning score's inputs come from: a registry of factor providers.

A provider is a function `(facility_ids, now) -> {facility_id: value}` that reads the
platform's own data; a facility missing from its answer has the value 0. A factor with no
provider is "not available yet" on the page and adds nothing to any score: data are never
invented.

Plugging in a factor (the place for the complaints, custody and video apps): write the
provider next to your own selectors and register it once, from your AppConfig.ready():

    from custodywatch.visits.risk_factors import register_provider

    def complaints_last_year(facility_ids, now):
        since = now - dt.timedelta(days=365)
        return dict(Complaint.objects.filter(facility_id__in=facility_ids, filed_at__gte=since)
                    .values_list("facility_id").annotate(n=Count("pk")).order_by())

    register_provider("complaints", complaints_last_year)

The keys, default weights and saturation points are in custodywatch/kernels/risk.py
(FACTORS); the labels below.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, F, Max, Q
from django.utils.translation import gettext_lazy as _

from custodywatch.complaints.models import Complaint
from custodywatch.complaints.terminals import off_percent
from custodywatch.custody.models import CustodyRecord, EndReason, RoomStay
from custodywatch.kernels import risk
from custodywatch.registry.models import Camera
from custodywatch.registry.selectors import custody_rooms_without_camera
from custodywatch.video.coverage import stay_coverage
from custodywatch.video.models import CameraState
from custodywatch.video.timing import silence_after
from custodywatch.visits.models import CLOSED_STATUSES, Recommendation, Visit

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise  # a label: str or lazy text

Provider = Callable[[Sequence[int], dt.datetime], dict[int, float]]
YEAR = dt.timedelta(days=365)
BLIND_WINDOW = dt.timedelta(days=30)


@dataclass(frozen=True)
class FactorLabel:
    label: StrOrPromise
    unit: StrOrPromise
    comes_from: StrOrPromise


LABELS: dict[str, FactorLabel] = {
    "days_since_last_visit": FactorLabel(
        _("Time since the last visit"), _("days"), _("NPM visits")),
    "overdue_recommendations": FactorLabel(
        _("Overdue recommendations"), _("recommendations"), _("recommendation tracker")),
    "open_recommendations": FactorLabel(
        _("Open recommendations"), _("recommendations"), _("recommendation tracker")),
    "custody_rooms_without_camera": FactorLabel(
        _("Custody rooms no camera covers"), _("rooms"), _("registry")),
    "complaints": FactorLabel(
        _("Complaints in the last 12 months"), _("complaints"), _("complaints")),
    "custody_overruns": FactorLabel(
        _("Custody time-limit overruns (12 months)"), _("overruns"), _("custody register")),
    "deaths_in_custody": FactorLabel(
        _("Deaths in custody (12 months)"), _("deaths"), _("custody register")),
    "blind_custody_minutes": FactorLabel(
        _("Blind custody minutes (30 days)"), _("minutes"), _("coverage engine")),
    "cameras_out_of_order": FactorLabel(
        _("Cameras out of order"), _("cameras"), _("video oversight")),
    "complaint_terminals_off": FactorLabel(
        _("Complaint terminals off (30 days)"), _("per cent"), _("complaint terminals")),
}

_PROVIDERS: dict[str, Provider] = {}


def register_provider(key: str, provider: Provider) -> None:
    if key not in risk.FACTOR_KEYS:
        raise KeyError(f"{key!r} is not a planning factor; add it to kernels.risk.FACTORS")
    _PROVIDERS[key] = provider


def registered_provider(key: str) -> Provider | None:
    return _PROVIDERS.get(key)


def unregister_provider(key: str) -> None:
    _PROVIDERS.pop(key, None)


def available_factors() -> list[str]:
    return [key for key in risk.FACTOR_KEYS if key in _PROVIDERS]


def factor_values(
    facility_ids: Sequence[int], now: dt.datetime
) -> dict[int, dict[str, float | None]]:
    """Every facility's raw values; an unavailable factor is None for all of them."""
    values: dict[int, dict[str, float | None]] = {
        facility_id: dict.fromkeys(risk.FACTOR_KEYS) for facility_id in facility_ids
    }
    for key in risk.FACTOR_KEYS:
        provider = _PROVIDERS.get(key)
        if provider is None:
            continue
        answered = provider(facility_ids, now)
        for facility_id in facility_ids:
            values[facility_id][key] = float(answered.get(facility_id, 0))
    return values


def _open_recommendations(facility_ids: Sequence[int], now: dt.datetime) -> dict[int, float]:
    return dict(
        Recommendation.objects.filter(facility_id__in=facility_ids)
        .exclude(status__in=CLOSED_STATUSES)
        .values_list("facility_id").annotate(n=Count("pk")).order_by()
    )


def _overdue_recommendations(facility_ids: Sequence[int], now: dt.datetime) -> dict[int, float]:
    return dict(
        Recommendation.objects.filter(facility_id__in=facility_ids, deadline__lt=now.date())
        .exclude(status__in=CLOSED_STATUSES)
        .values_list("facility_id").annotate(n=Count("pk")).order_by()
    )


def _days_since_last_visit(facility_ids: Sequence[int], now: dt.datetime) -> dict[int, float]:
    """Days since the last visit that took place; never visited counts in full (infinity)."""
    last = dict(
        Visit.objects.filter(facility_id__in=facility_ids, status=Visit.Status.COMPLETED,
                             starts_on__lte=now.date())
        .values_list("facility_id").annotate(last=Max("ends_on")).order_by()
    )
    today = now.date()
    return {facility_id: float((today - last[facility_id]).days) if facility_id in last
            else math.inf for facility_id in facility_ids}


def _rooms_without_camera(facility_ids: Sequence[int], now: dt.datetime) -> dict[int, float]:
    return dict(
        custody_rooms_without_camera().filter(facility_id__in=facility_ids)
        .values_list("facility_id").annotate(n=Count("pk")).order_by()
    )


def _complaints(facility_ids: Sequence[int], now: dt.datetime) -> dict[int, float]:
    return dict(
        Complaint.objects.filter(facility_id__in=facility_ids, received_at__gte=now - YEAR,
                                 received_at__lte=now)
        .values_list("facility_id").annotate(n=Count("pk")).order_by()
    )


def _custody_overruns(facility_ids: Sequence[int], now: dt.datetime) -> dict[int, float]:
    """Detentions of the last 12 months that ended after the limit, or are past it now."""
    overran = Q(ended_at__gt=F("detention_due_at")) | Q(ended_at__isnull=True,
                                                        detention_due_at__lt=now)
    return dict(
        CustodyRecord.objects.filter(overran, facility_id__in=facility_ids,
                                     detained_at__gte=now - YEAR)
        .values_list("facility_id").annotate(n=Count("pk")).order_by()
    )


def _deaths_in_custody(facility_ids: Sequence[int], now: dt.datetime) -> dict[int, float]:
    return dict(
        CustodyRecord.objects.filter(facility_id__in=facility_ids, end_reason=EndReason.DIED,
                                     ended_at__gte=now - YEAR)
        .values_list("facility_id").annotate(n=Count("pk")).order_by()
    )


def _blind_custody_minutes(facility_ids: Sequence[int], now: dt.datetime) -> dict[int, float]:
    """Minutes of the last 30 days' room stays no working camera recorded (coverage engine)."""
    since = now - BLIND_WINDOW
    stays = (RoomStay.objects.filter(custody_record__facility_id__in=facility_ids,
                                     started_at__lt=now)
             .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=since))
             .values_list("pk", "room_id", "room__facility_id", "started_at", "ended_at"))
    facility_of: dict[int, int] = {}
    windows = []
    for pk, room_id, facility_id, started_at, ended_at in stays:
        facility_of[pk] = facility_id
        windows.append((pk, room_id, max(started_at, since), min(ended_at or now, now)))
    minutes: dict[int, float] = {}
    for stay in stay_coverage(stays=[w for w in windows if w[3] > w[2]]):
        facility_id = facility_of[stay.stay_id]
        minutes[facility_id] = minutes.get(facility_id, 0.0) + stay.blind_ms / 60_000
    return minutes


def _cameras_out_of_order(facility_ids: Sequence[int], now: dt.datetime) -> dict[int, float]:
    """Cameras in service not working now; a camera that never reported is not working."""
    working = Q(health__reported_state=CameraState.OK,
                health__last_heartbeat_at__gte=now - silence_after())
    return dict(
        Camera.objects.filter(facility_id__in=facility_ids, is_active=True).exclude(working)
        .values_list("facility_id").annotate(n=Count("pk")).order_by()
    )


register_provider("days_since_last_visit", _days_since_last_visit)
register_provider("overdue_recommendations", _overdue_recommendations)
register_provider("open_recommendations", _open_recommendations)
register_provider("custody_rooms_without_camera", _rooms_without_camera)
register_provider("complaints", _complaints)
register_provider("custody_overruns", _custody_overruns)
register_provider("deaths_in_custody", _deaths_in_custody)
register_provider("blind_custody_minutes", _blind_custody_minutes)
register_provider("cameras_out_of_order", _cameras_out_of_order)


def _complaint_terminals_off(facility_ids: Sequence[int], now: dt.datetime) -> dict[int, float]:
    """Per cent of the last 30 days the facility's enrolled complaint terminals were silent."""
    return {facility_id: float(share) for facility_id, share in
            off_percent(facility_ids, now - BLIND_WINDOW, now).items()}


register_provider("complaint_terminals_off", _complaint_terminals_off)
