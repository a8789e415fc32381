from __future__ import annotations

import datetime as dt
import json

import pytest

from custodywatch.accounts import services as account_services
from custodywatch.accounts.audit import SYSTEM_ORIGIN

T0 = dt.datetime(2024, 1, 5, 5, 0, tzinfo=dt.UTC)  # 10:00 in Almaty


def iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def at(minutes: float) -> str:
    return iso(T0 + dt.timedelta(minutes=minutes))


@pytest.fixture
def token_a(people) -> str:
    raw, _token = account_services.token_create(acting_user=None, origin=SYSTEM_ORIGIN,
                                                user=people["agent_a"])
    return raw


@pytest.fixture
def post(client):
    def _post(path: str, body: dict, token: str | None = None, **headers):
        if token:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        return client.post(f"/api/video/{path}", data=json.dumps(body),
                           content_type="application/json", **headers)

    return _post
