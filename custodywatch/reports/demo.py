"""The demo's precomputed figures: a year back, rebuilt once the registers are loaded."""

from __future__ import annotations

import datetime as dt

from custodywatch.reports.services import figures_refresh

DEMO_MONTHS = 13  # the dashboard's twelve months and the month before


def build_reports(*, now: dt.datetime) -> None:
    figures_refresh(since=(now - dt.timedelta(days=31 * DEMO_MONTHS)).date(), now=now)
