"""The custody record page's coverage (custody/views.py, through custody/hooks.py): how
much of the custody no working camera covered, under which rule, and those pieces on the
timeline. Registered in video/apps.py; custody, below video, does not import it."""

from __future__ import annotations

from collections.abc import Mapping

from custodywatch.custody.hooks import RecordSection
from custodywatch.custody.models import CustodyRecord
from custodywatch.video.coverage import coverage_rule, stay_coverage


def record_coverage_section(record: CustodyRecord, history: Mapping[str, list]
                            ) -> RecordSection:
    """The record was read through the scoped selector: its stays may be checked for
    cameras."""
    coverage = stay_coverage(stays=[(stay.pk, stay.room_id, stay.started_at, stay.ended_at)
                                    for stay in history["stays"]])
    return RecordSection(
        context={"blind_minutes": round(sum(stay.blind_ms for stay in coverage) / 60_000),
                 "blind_stays": sum(1 for stay in coverage if stay.blind_ms),
                 "coverage_rule": coverage_rule().label},
        blind=[piece for stay in coverage for piece in stay.blind])
