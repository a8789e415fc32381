"""Escrow's periodic job: extend every escrowed object's lock to its retention target."""

from __future__ import annotations

import datetime as dt

from custodywatch.core.periodic import periodic
from custodywatch.escrow import services, store


@periodic(every=dt.timedelta(days=1))
def escrow_retention() -> str:
    if not store.configured():
        return "no escrow store configured"
    return f"locks extended: {services.apply_holds()}"


@periodic(every=dt.timedelta(hours=1))
def body_camera_gaps() -> str:
    return f"body-worn camera gaps raised: {services.body_camera_gaps()}"
