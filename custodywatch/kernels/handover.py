"""Transfers as hand-overs: one person's custody records across facilities, in time order,
and for each transfer out whether (and when) another facility received the person. Pure.

A record that ended "transferred" is a hand-over. It is received by the first other record of
the same person whose start (arrival, else detention) is no earlier than the departure less
`RECEIPT_TOLERANCE` (clocks of two facilities differ). Until received it is "in transit"; once
`transit_limit` has passed since the departure with nobody receiving it, "lost in transit";
received after the limit, "received late". The time between is transit time.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass

RECEIPT_TOLERANCE = dt.timedelta(minutes=30)


class HandoverState(enum.StrEnum):
    IN_TRANSIT = "in_transit"
    RECEIVED = "received"
    RECEIVED_LATE = "received_late"
    LOST = "lost"


@dataclass(frozen=True)
class Leg:
    """One custody record of the person."""

    record_id: int
    facility_id: int
    started_at: dt.datetime  # arrival at the facility, else the detention
    ended_at: dt.datetime | None
    transferred: bool  # ended by a transfer


@dataclass(frozen=True)
class Handover:
    from_record: int
    to_record: int | None
    left_at: dt.datetime
    received_at: dt.datetime | None
    state: HandoverState

    @property
    def transit(self) -> dt.timedelta | None:
        return self.received_at - self.left_at if self.received_at else None


def handovers(legs: Sequence[Leg], *, now: dt.datetime,
              transit_limit: dt.timedelta) -> list[Handover]:
    ordered = sorted(legs, key=lambda leg: (leg.started_at, leg.record_id))
    found = []
    for leg in ordered:
        if not leg.transferred or leg.ended_at is None:
            continue
        left = leg.ended_at
        receiver = next((other for other in ordered if other.record_id != leg.record_id
                         and other.started_at >= left - RECEIPT_TOLERANCE), None)
        if receiver is not None:
            late = receiver.started_at - left > transit_limit
            found.append(Handover(leg.record_id, receiver.record_id, left, receiver.started_at,
                                  HandoverState.RECEIVED_LATE if late
                                  else HandoverState.RECEIVED))
        else:
            state = (HandoverState.LOST if now - left >= transit_limit
                     else HandoverState.IN_TRANSIT)
            found.append(Handover(leg.record_id, None, left, None, state))
    return found
