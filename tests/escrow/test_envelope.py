"""The agent's envelope: only the centre's private key opens it, only for its own segment."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from custodywatch.kernels.escrow_envelope import (
    EnvelopeError,
    open_envelope,
    public_bytes,
    rewrap,
    seal_for,
)

PLAIN = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 64
SHA = hashlib.sha256(PLAIN).hexdigest()


def test_round_trip_and_every_layer_is_fresh():
    centre = X25519PrivateKey.generate()
    first = seal_for(public_bytes(centre.public_key()), PLAIN, SHA)
    second = seal_for(public_bytes(centre.public_key()), PLAIN, SHA)
    assert first != second and PLAIN not in first
    assert open_envelope(centre, first, SHA) == PLAIN == open_envelope(centre, second, SHA)


def test_another_key_another_segment_or_one_changed_byte_fail():
    centre, other = X25519PrivateKey.generate(), X25519PrivateKey.generate()
    envelope = seal_for(public_bytes(centre.public_key()), PLAIN, SHA)
    with pytest.raises(EnvelopeError, match="another key"):
        open_envelope(other, envelope, SHA)
    with pytest.raises(EnvelopeError):
        open_envelope(centre, envelope, "0" * 64)
    for position in (50, len(envelope) // 2, len(envelope) - 1):
        damaged = bytearray(envelope)
        damaged[position] ^= 1
        with pytest.raises(EnvelopeError):
            open_envelope(centre, bytes(damaged), SHA)


def test_a_true_envelope_of_other_bytes_under_this_hash_is_refused():
    centre = X25519PrivateKey.generate()
    forged = seal_for(public_bytes(centre.public_key()), b"other footage", SHA)
    with pytest.raises(EnvelopeError, match="does not hash"):
        open_envelope(centre, forged, SHA)


def test_rewrap_moves_to_a_new_key_keeping_the_ciphertext():
    old, new = X25519PrivateKey.generate(), X25519PrivateKey.generate()
    envelope = seal_for(public_bytes(old.public_key()), PLAIN, SHA)
    moved = rewrap(old, envelope, SHA, public_bytes(new.public_key()))
    assert moved[-len(PLAIN):] == envelope[-len(PLAIN):]
    assert open_envelope(new, moved, SHA) == PLAIN
    with pytest.raises(EnvelopeError):
        open_envelope(old, moved, SHA)
