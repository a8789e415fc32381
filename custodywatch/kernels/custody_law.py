"""The law of custody as data: date-effective editions of the terms, read from a table.

Pure (no Django). A table is a mapping, normally read from JSON (custody/law/custody_law.json):

    {"editions": [{"valid_from": "2015-01-01", "source": "...",
                   "hours": {"detention_limit": 48, ...}, "warning_hours": [6, 1],
                   "term_warning_hours": [168, 24], "age_of_majority": 18,
                   "local_zone": "Asia/Almaty", "regime_clocks": {"remand": [...], ...}},
                  {"valid_from": "2027-01-01", "source": "...", "hours": {...}}],
     "facility_regimes": {"police_station": "criminal_detention", ...}}

The first edition states every term it changes from the kernel's defaults; each later edition
states only what changed and inherits the rest. The law of the date of the events applies: a
detention is counted by the edition in force on the local calendar day it began. Events before
the first edition are counted by the first (the oldest law the table knows).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from custodywatch.kernels.deadlines import CUSTODY_TERMS, ClockKind, CustodyTerms, Regime

HOUR = dt.timedelta(hours=1)
# The terms a table may set in hours: every timedelta of CustodyTerms.
HOUR_TERMS = frozenset(f.name for f in dataclasses.fields(CustodyTerms)
                       if f.type in ("dt.timedelta", dt.timedelta))
EDITION_KEYS = frozenset({"valid_from", "source", "hours", "warning_hours",
                          "term_warning_hours", "age_of_majority", "local_zone",
                          "regime_clocks", "observation_minutes", "night_hours"})


@dataclasses.dataclass(frozen=True)
class LawEdition:
    valid_from: dt.date
    source: str
    terms: CustodyTerms


@dataclasses.dataclass(frozen=True)
class LawTable:
    editions: tuple[LawEdition, ...]
    facility_regimes: Mapping[str, Regime]

    def edition_on(self, moment: dt.datetime) -> LawEdition:
        if moment.utcoffset() is None:
            raise ValueError("naive datetime: the law applies to aware moments")
        first = self.editions[0]
        day = moment.astimezone(ZoneInfo(first.terms.local_zone)).date()
        current = first
        for edition in self.editions:
            if edition.valid_from <= day:
                current = edition
        return current

    def terms_on(self, moment: dt.datetime) -> CustodyTerms:
        """The terms in force on the local day of `moment` (the start of the detention)."""
        return self.edition_on(moment).terms

    def proposed_regime(self, facility_kind: str) -> Regime:
        """What the kind of place proposes; the record states the regime that applies."""
        return self.facility_regimes.get(facility_kind, Regime.CRIMINAL_DETENTION)


def _hours(value: Any, where: str) -> dt.timedelta:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"{where}: a number of hours, zero or more, is expected")
    return dt.timedelta(hours=value)


def _edition(data: Mapping[str, Any], base: CustodyTerms, where: str) -> LawEdition:
    unknown = sorted(set(data) - EDITION_KEYS)
    if unknown:
        raise ValueError(f"{where}: unknown key {unknown[0]!r}")
    try:
        valid_from = dt.date.fromisoformat(str(data["valid_from"]))
    except (KeyError, ValueError):
        raise ValueError(f"{where}.valid_from: a date YYYY-MM-DD is expected") from None
    changes: dict[str, Any] = {}
    for name, value in dict(data.get("hours", {})).items():
        if name not in HOUR_TERMS:
            raise ValueError(f"{where}.hours: unknown term {name!r}")
        changes[name] = _hours(value, f"{where}.hours.{name}")
    for key, attribute in (("warning_hours", "warnings"), ("term_warning_hours",
                                                           "term_warnings")):
        if key in data:
            changes[attribute] = tuple(_hours(value, f"{where}.{key}[{index}]")
                                       for index, value in enumerate(data[key]))
    if "age_of_majority" in data:
        changes["age_of_majority"] = int(data["age_of_majority"])
    if "local_zone" in data:
        ZoneInfo(str(data["local_zone"]))  # an unknown zone fails here, not at a detention
        changes["local_zone"] = str(data["local_zone"])
    if "observation_minutes" in data:
        levels = dict(base.observation_intervals)
        for level, minutes in dict(data["observation_minutes"]).items():
            if isinstance(minutes, bool) or not isinstance(minutes, int | float) or minutes <= 0:
                raise ValueError(f"{where}.observation_minutes.{level}: a number of minutes, "
                                 "more than zero, is expected")
            levels[str(level)] = dt.timedelta(minutes=minutes)
        changes["observation_intervals"] = tuple(levels.items())
    if "night_hours" in data:
        night = list(data["night_hours"])
        if len(night) != 2 or not all(isinstance(h, int) and not isinstance(h, bool)
                                      and 0 <= h <= 23 for h in night):
            raise ValueError(f"{where}.night_hours: [start hour, end hour] (0-23) is expected")
        changes["night_start"], changes["night_end"] = night
    if "regime_clocks" in data:
        clocks = dict(base.clocks)
        for regime, kinds in dict(data["regime_clocks"]).items():
            try:
                clocks[Regime(regime)] = frozenset(ClockKind(kind) for kind in kinds)
            except ValueError as error:
                raise ValueError(f"{where}.regime_clocks.{regime}: {error}") from None
        changes["clocks"] = tuple(clocks.items())
    return LawEdition(valid_from, str(data.get("source", "")),
                      dataclasses.replace(base, **changes))


def parse_law(data: Mapping[str, Any]) -> LawTable:
    """A table from its mapping; a ValueError names the place of anything wrong."""
    raw = list(data.get("editions", []))
    if not raw:
        raise ValueError("editions: at least one edition is expected")
    editions: list[LawEdition] = []
    base = CUSTODY_TERMS
    for index, item in enumerate(raw):
        edition = _edition(item, base, f"editions[{index}]")
        if editions and edition.valid_from <= editions[-1].valid_from:
            raise ValueError(f"editions[{index}].valid_from: editions must be in date order")
        editions.append(edition)
        base = edition.terms
    regimes: dict[str, Regime] = {}
    for kind, regime in dict(data.get("facility_regimes", {})).items():
        try:
            regimes[str(kind)] = Regime(regime)
        except ValueError:
            raise ValueError(f"facility_regimes.{kind}: unknown regime {regime!r}") from None
    return LawTable(tuple(editions), regimes)


def load_law(path: str | Path) -> LawTable:
    with open(path, encoding="utf-8") as handle:
        return parse_law(json.load(handle))
