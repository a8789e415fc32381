"""What the apps above custody tell it through functions they register at start-up (custody
imports none of them: the layers forbid it).

- accused officers (cases): of some officers' ids, those with an open complaint accusing
  them or an open case where they are a suspect or accused. Custody shows the flag on an
  interrogation to readers of proceedings only; a facility never sees it.
- record page sections (video, liveview): what an app adds to the custody record page
  (custody/views.py), given the record already read through the scoped selector and its
  history (selectors.record_history): variables of the page's template, and pieces of time
  drawn on its timeline (blind time, live-feed gaps). Registered by name in the app's
  AppConfig.ready with ``register_record_section``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from custodywatch.custody.models import CustodyRecord

AccusedOfficers = Callable[[Collection[int]], set[int]]
_accused: list[AccusedOfficers] = []


def register_accused_officers(provider: AccusedOfficers) -> None:
    if provider not in _accused:
        _accused.append(provider)


def accused_officers(officer_ids: Collection[int]) -> set[int]:
    ids = {pk for pk in officer_ids if pk is not None}
    found: set[int] = set()
    if ids:
        for provider in _accused:
            found |= provider(ids)
    return found


@dataclass(frozen=True)
class RecordSection:
    """What one app adds to the custody record page: ``context`` (variables of
    custody/record.html), ``blind`` (periods no working camera covered, drawn on the
    timeline) and ``feed_gaps`` (periods a live feed was lost; an open one ends None)."""

    context: Mapping[str, Any] = field(default_factory=dict)
    blind: Sequence[tuple[dt.datetime, dt.datetime]] = ()
    feed_gaps: Sequence[tuple[dt.datetime, dt.datetime | None]] = ()


RecordSectionProvider = Callable[["CustodyRecord", Mapping[str, list]], RecordSection]
_sections: dict[str, RecordSectionProvider] = {}


def register_record_section(name: str, provider: RecordSectionProvider) -> None:
    """Once per name (an app's ready may run again: the last provider stays)."""
    _sections[name] = provider


def record_sections(record: CustodyRecord, history: Mapping[str, list]) -> RecordSection:
    """Every registered section of the record's page, merged (in the order registered)."""
    context: dict[str, Any] = {}
    blind: list[tuple[dt.datetime, dt.datetime]] = []
    gaps: list[tuple[dt.datetime, dt.datetime | None]] = []
    for provider in _sections.values():
        section = provider(record, history)
        context.update(section.context)
        blind.extend(section.blind)
        gaps.extend(section.feed_gaps)
    return RecordSection(context=context, blind=blind, feed_gaps=gaps)
