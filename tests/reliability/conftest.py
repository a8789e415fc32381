"""Reliability fixtures: a private sealing key and media folder per test, bearer tokens."""

from __future__ import annotations

import pytest

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.services import token_create
from custodywatch.core import sealing


@pytest.fixture(autouse=True)
def sealing_key(tmp_path, monkeypatch):
    path = tmp_path / "sealing.key"
    path.write_text(sealing.generate_key_line() + "\n")
    monkeypatch.setenv(sealing.KEY_FILE_ENV, str(path))
    return path


@pytest.fixture(autouse=True)
def media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def bearer(people):
    """`bearer("agent_a")`: an Authorization header for that person's new token."""

    def _bearer(username: str) -> dict[str, str]:
        raw, _token = token_create(acting_user=None, origin=SYSTEM_ORIGIN,
                                   user=people[username])
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    return _bearer
