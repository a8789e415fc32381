"""Envelope encryption: round trip, context binding, tampering, rotation, the key file."""

from __future__ import annotations

import os

import pytest

from custodywatch.core import sealing
from custodywatch.core.sealing import SealingError, generate_key_line, rewrap, seal, unseal


@pytest.fixture
def key_file(tmp_path, monkeypatch):
    path = tmp_path / "sealing.key"
    path.write_text(generate_key_line() + "\n")
    monkeypatch.setenv(sealing.KEY_FILE_ENV, str(path))
    return path


def test_round_trip_and_no_plaintext_in_the_sealed_bytes(key_file):
    secret = "Нурланов Ерлан, +7 701 000 00 00".encode()
    sealed = seal(secret, context="complaints.identity:1")
    assert secret not in sealed
    assert unseal(sealed, context="complaints.identity:1") == secret


def test_each_seal_uses_a_fresh_data_key_and_nonce(key_file):
    assert seal(b"x", context="c") != seal(b"x", context="c")


def test_wrong_context_fails(key_file):
    sealed = seal(b"identity", context="complaints.identity:1")
    with pytest.raises(SealingError):
        unseal(sealed, context="complaints.identity:2")


@pytest.mark.parametrize("position", [0, 5, 20, 70, -1])
def test_any_changed_byte_fails(key_file, position):
    sealed = bytearray(seal(b"identity", context="c"))
    sealed[position] ^= 0x01
    with pytest.raises(SealingError):
        unseal(bytes(sealed), context="c")


def test_truncated_and_foreign_values_fail(key_file):
    with pytest.raises(SealingError):
        unseal(seal(b"abc", context="c")[:40], context="c")
    with pytest.raises(SealingError):
        unseal(b"not sealed at all, just some bytes of the right length" * 2, context="c")


def test_empty_context_is_refused(key_file):
    with pytest.raises(SealingError):
        seal(b"x", context="")


def test_rotation_old_values_open_and_rewrap_moves_them_to_the_new_key(key_file):
    old_line = key_file.read_text().strip()
    sealed = seal(b"before rotation", context="c")
    new_line = generate_key_line()
    key_file.write_text(f"{new_line}\n# previous key, kept until rewrap is done\n{old_line}\n")
    assert unseal(sealed, context="c") == b"before rotation"
    rewrapped = rewrap(sealed, context="c")
    key_file.write_text(new_line + "\n")  # the old key is gone
    assert unseal(rewrapped, context="c") == b"before rotation"
    with pytest.raises(SealingError, match="not in the key file"):
        unseal(sealed, context="c")


def test_bad_key_file_is_a_clear_error(tmp_path, monkeypatch):
    path = tmp_path / "bad.key"
    path.write_text("not base64!\n")
    monkeypatch.setenv(sealing.KEY_FILE_ENV, str(path))
    with pytest.raises(SealingError, match="bad.key:1"):
        seal(b"x", context="c")
    monkeypatch.setenv(sealing.KEY_FILE_ENV, str(tmp_path / "missing.key"))
    with pytest.raises(SealingError, match="cannot read"):
        seal(b"x", context="c")


def test_default_key_file_is_created_under_var_dir_private(tmp_path, monkeypatch, settings):
    monkeypatch.delenv(sealing.KEY_FILE_ENV, raising=False)
    settings.VAR_DIR = tmp_path
    sealed = seal(b"x", context="c")
    path = tmp_path / "sealing.key"
    assert path.exists()
    assert os.stat(path).st_mode & 0o077 == 0
    assert unseal(sealed, context="c") == b"x"
