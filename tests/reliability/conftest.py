"""Reliability fixtures: a private sealing key and media folder per test, bearer tokens."""

from __future__ import annotations

import pytest

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.services import token_create


@pytest.fixture(autouse=True)
def _private_keys_and_media(sealing_key, media_root):
    """Every test here seals with its own key and stores files in its own folder."""


@pytest.fixture
def bearer(people):
    """`bearer("agent_a")`: an Authorization header for that person's new token."""

    def _bearer(username: str) -> dict[str, str]:
        raw, _token = token_create(acting_user=None, origin=SYSTEM_ORIGIN,
                                   user=people[username])
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    return _bearer
