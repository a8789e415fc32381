"""Transfers as hand-overs between facilities (pure)."""

from __future__ import annotations

import datetime as dt

from custodywatch.kernels.handover import HandoverState, Leg, handovers

T = dt.datetime(2026, 3, 10, 8, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)
LIMIT = 24 * H


def test_received_on_time_late_in_transit_and_lost():
    sent = Leg(1, 10, T, T + 5 * H, transferred=True)
    on_time = handovers([sent, Leg(2, 20, T + 8 * H, None, False)], now=T + 9 * H,
                        transit_limit=LIMIT)
    assert [(h.to_record, h.state, h.transit) for h in on_time] == [
        (2, HandoverState.RECEIVED, 3 * H)]
    late = handovers([sent, Leg(2, 20, T + 5 * H + LIMIT + H, None, False)],
                     now=T + 40 * H, transit_limit=LIMIT)
    assert late[0].state == HandoverState.RECEIVED_LATE
    assert handovers([sent], now=T + 5 * H + LIMIT - H, transit_limit=LIMIT)[0].state == (
        HandoverState.IN_TRANSIT)
    assert handovers([sent], now=T + 5 * H + LIMIT, transit_limit=LIMIT)[0].state == (
        HandoverState.LOST)


def test_an_earlier_record_never_receives_a_later_transfer_but_clocks_may_differ():
    earlier = Leg(0, 20, T - 100 * H, T - 90 * H, transferred=False)
    sent = Leg(1, 10, T, T + 5 * H, transferred=True)
    # The receiving facility's clock is 10 minutes behind: still the receipt.
    received = Leg(2, 20, T + 5 * H - dt.timedelta(minutes=10), None, False)
    found = handovers([received, earlier, sent], now=T + 6 * H, transit_limit=LIMIT)
    assert [(h.from_record, h.to_record) for h in found] == [(1, 2)]
    assert handovers([earlier, sent], now=T + 40 * H, transit_limit=LIMIT)[0].state == (
        HandoverState.LOST)
