"""Heads' personal accountability and the Victim Compensation Fund. Pure, no Django.

- :func:`tenure_counts` and :func:`rates_per_100`: a head answers for the events of his unit
  on the days he headed it, from the day of appointment up to, not including, the day he
  left (that day is his successor's first). A rate is per 100 detentions in the same days;
  with no detention there is no rate (``None``), never a division by zero nor a zero that
  would flatter the head.
- :func:`proposals`: a conviction, a substantiated complaint or a risk-moment pattern (at
  least ``RISK_PATTERN_MIN`` risk moments in one calendar month) that falls in a head's
  tenure proposes a disciplinary proceeding against him, once per head and ground.
- :func:`eligibility`: whether a victim may claim from the Fund and in which category, from
  the charges that name him (Criminal Code art. 146; part 3: torture that caused death or
  grave harm); :func:`amount`: units of the monthly calculation index (MCI) x the MCI of the
  year, in tenge.
- :func:`days_to_payment`: median and count of days from application to payment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from statistics import median
from typing import TypeVar

RATE_FIGURES = ("unjustified", "safeguards_late", "intake_injuries", "blind_minutes",
                "substantiated", "convictions")
RISK_PATTERN_MIN = 3


@dataclass(frozen=True)
class Tenure:
    """A head's appointment: ``start`` included, ``end`` excluded (None: in office)."""

    key: int
    unit: int
    start: dt.date
    end: dt.date | None

    def covers(self, unit: int, day: dt.date) -> bool:
        return unit == self.unit and self.start <= day and (self.end is None or day < self.end)


def clip(tenure: Tenure, start: dt.date, end: dt.date) -> tuple[dt.date, dt.date] | None:
    """The days of ``tenure`` within [start, end), or None if they do not meet."""
    first = max(tenure.start, start)
    last = min(tenure.end or end, end)
    return (first, last) if first < last else None


def tenure_counts(tenure: Tenure, events: Iterable[tuple[str, int, dt.date, int]],
                  start: dt.date, end: dt.date) -> dict[str, int]:
    """Sum the events ``(figure, unit, day, weight)`` that fall in the tenure within
    [start, end). Figures include ``detentions``."""
    counts = dict.fromkeys(("detentions", *RATE_FIGURES), 0)
    days = clip(tenure, start, end)
    if days is None:
        return counts
    first, last = days
    for figure, unit, day, weight in events:
        if unit == tenure.unit and first <= day < last:
            counts[figure] = counts.get(figure, 0) + weight
    return counts


def rate(count: int, detentions: int) -> float | None:
    """Per 100 detentions, rounded to one decimal; None without detentions."""
    if detentions <= 0:
        return None
    return round(100.0 * count / detentions, 1)


def rates_per_100(counts: Mapping[str, int]) -> dict[str, float | None]:
    detentions = counts.get("detentions", 0)
    return {name: rate(counts.get(name, 0), detentions) for name in RATE_FIGURES}


def combine(counts: Iterable[Mapping[str, int]]) -> dict[str, int]:
    """A person's counts over all his tenures (across units)."""
    total = dict.fromkeys(("detentions", *RATE_FIGURES), 0)
    for one in counts:
        for name, value in one.items():
            total[name] = total.get(name, 0) + value
    return total


Row = TypeVar("Row")


def rank(rows: Sequence[tuple[Row, Mapping[str, float | None]]], figure: str
         ) -> list[tuple[Row, Mapping[str, float | None]]]:
    """Highest rate first; heads without a rate (no detentions) last, in their order."""
    rated = [row for row in rows if row[1].get(figure) is not None]
    unrated = [row for row in rows if row[1].get(figure) is None]
    return sorted(rated, key=lambda row: -float(row[1][figure] or 0)) + unrated


# -------------------------------------------------------------------------- proposals

class Ground:
    CONVICTION = "conviction"
    SUBSTANTIATED = "substantiated_complaint"
    RISK_PATTERN = "risk_pattern"


@dataclass(frozen=True)
class Proposal:
    tenure: int
    ground: str
    source: str  # what it rests on: "charge:12", "complaint:7", "risk:<unit>:<YYYY-MM>"
    day: dt.date


def proposals(tenures: Iterable[Tenure], convictions: Iterable[tuple[str, int, dt.date]],
              substantiated: Iterable[tuple[str, int, dt.date]],
              risk_moments: Iterable[tuple[int, dt.date]],
              pattern_min: int = RISK_PATTERN_MIN) -> list[Proposal]:
    """Proposed proceedings. ``convictions`` and ``substantiated``: (source key, unit, day
    of the events); ``risk_moments``: (unit, day). Deterministic order."""
    tenures = list(tenures)
    found: dict[tuple[int, str], Proposal] = {}

    def place(ground: str, source: str, unit: int, day: dt.date) -> None:
        for tenure in tenures:
            if tenure.covers(unit, day):
                found.setdefault((tenure.key, source), Proposal(tenure.key, ground, source, day))

    for source, unit, day in convictions:
        place(Ground.CONVICTION, source, unit, day)
    for source, unit, day in substantiated:
        place(Ground.SUBSTANTIATED, source, unit, day)
    months: dict[tuple[int, int, int], list[dt.date]] = {}
    for unit, day in risk_moments:
        months.setdefault((unit, day.year, day.month), []).append(day)
    for (unit, year, month), days in sorted(months.items()):
        for tenure in tenures:
            mine = sorted(day for day in days if tenure.covers(unit, day))
            if len(mine) >= pattern_min:
                source = f"risk:{unit}:{year:04d}-{month:02d}"
                found.setdefault((tenure.key, source),
                                 Proposal(tenure.key, Ground.RISK_PATTERN, source,
                                          mine[pattern_min - 1]))
    return sorted(found.values(), key=lambda p: (p.day, p.tenure, p.source))


# ------------------------------------------------------------------------ the Fund

class Category:
    TORTURE = "torture"
    TORTURE_GRAVE = "torture_grave"


@dataclass(frozen=True)
class ChargeFact:
    article: str
    part: str
    verdict: str  # pending, convicted, acquitted, dismissed


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    category: str
    reasons: tuple[str, ...]


def _part(text: str) -> int:
    digits = "".join(ch for ch in text if ch.isdigit())
    return int(digits) if digits else 1


def eligibility(charges: Iterable[ChargeFact]) -> Eligibility:
    """A victim named in an art. 146 charge that is not acquitted or dropped may claim (the
    Fund pays on the charge, before the verdict); part 3 (death or grave harm) is its own
    category. Reasons name each charge considered, for the record of the review."""
    reasons = []
    best = ""
    for charge in charges:
        if charge.article != "146":
            reasons.append(f"art. {charge.article}: not art. 146")
            continue
        if charge.verdict in ("acquitted", "dismissed"):
            reasons.append(f"art. 146 part {_part(charge.part)}: {charge.verdict}")
            continue
        category = Category.TORTURE_GRAVE if _part(charge.part) >= 3 else Category.TORTURE
        reasons.append(f"art. 146 part {_part(charge.part)}: {category}")
        if best != Category.TORTURE_GRAVE:
            best = category
    if not reasons:
        reasons.append("no charge names the victim")
    return Eligibility(bool(best), best, tuple(reasons))


def amount(units: Decimal | int, mci: Decimal | int) -> Decimal:
    """Units of the MCI times the MCI of the year, in tenge to the tiyn."""
    return (Decimal(units) * Decimal(mci)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def mci_for(table: Mapping[int, Decimal | int], day: dt.date) -> tuple[int, Decimal]:
    """The MCI in force on ``day`` (the year's); KeyError naming the year if not set."""
    if day.year not in table:
        raise KeyError(day.year)
    return day.year, Decimal(table[day.year])


def days_to_payment(pairs: Iterable[tuple[dt.date, dt.date | None]]
                    ) -> tuple[int, float | None]:
    """(paid claims, median days from application to payment); unpaid ones are left out."""
    days = [(paid - applied).days for applied, paid in pairs if paid is not None]
    return len(days), (float(median(days)) if days else None)
