"""Signed notes against golang.org/x/mod/sumdb/note's published test vectors."""

from __future__ import annotations

import hashlib

import pytest

from custodywatch.kernels.checkpoint import CheckpointError, format_checkpoint, parse_checkpoint
from custodywatch.kernels.signed_note import (
    NoteError,
    Signer,
    Verifier,
    generate_key,
    key_id,
    open_note,
    sign_note,
)

PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = ("If you think cryptography is the answer to your problem,\n"
        "then you don't know what your problem is.\n")
PETER_SIG = ("\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXg"
             "KvqfqdngotpRZb6KE6RyyBwJnAM=\n")
ENOCH_SIG = ("\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01"
             "oOTGwnWLox33WWd1RvMc+QQ=\n")


def test_key_id_is_sha256_of_name_newline_algorithm_and_key() -> None:
    verifier = Verifier.from_text(PETER_VKEY)
    digest = hashlib.sha256(b"PeterNeumann\n\x01" + verifier.public_key).digest()
    assert key_id("PeterNeumann", verifier.public_key) == int.from_bytes(digest[:4], "big")
    assert verifier.key_hash == 0xC74F20A3
    assert verifier.to_text() == PETER_VKEY


def test_signer_parses_and_matches_its_verifier() -> None:
    signer = Signer.from_text(PETER_SKEY)
    assert signer.to_text() == PETER_SKEY
    assert signer.verifier() == Verifier.from_text(PETER_VKEY)


def test_sign_reproduces_the_published_note() -> None:
    # Ed25519 is deterministic, so the golang/mod expected bytes must come out exactly.
    assert sign_note(TEXT, Signer.from_text(PETER_SKEY)) == TEXT + "\n" + PETER_SIG


def test_open_verifies_known_key_and_keeps_unknown_signatures() -> None:
    note = open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, [Verifier.from_text(PETER_VKEY)])
    assert note.text == TEXT
    assert [s.name for s in note.signatures] == ["PeterNeumann"]
    assert [(s.name, s.key_hash) for s in note.unverified] == [("EnochRoot", 0xAF0CFE78)]
    both = open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG,
                     [Verifier.from_text(PETER_VKEY), Verifier.from_text(ENOCH_VKEY)])
    assert len(both.signatures) == 2 and not both.unverified


def test_open_without_a_known_key_fails() -> None:
    with pytest.raises(NoteError, match="no verifiable signatures"):
        open_note(TEXT + "\n" + PETER_SIG, [Verifier.from_text(ENOCH_VKEY)])


def test_open_refuses_a_changed_signature_or_text() -> None:
    peter = [Verifier.from_text(PETER_VKEY)]
    with pytest.raises(NoteError, match="invalid signature for key PeterNeumann\\+c74f20a3"):
        open_note(TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:], peter)
    with pytest.raises(NoteError, match="invalid signature"):
        open_note(TEXT.replace("answer", "answers") + "\n" + PETER_SIG, peter)


@pytest.mark.parametrize("message", [
    TEXT,
    TEXT + "\n",
    TEXT + "\n" + PETER_SIG[:-1],
    "\x01" + TEXT + "\n" + PETER_SIG,
    TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
    TEXT + "\n" + "\u2014 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNX"
    "gKvqfqdngotpRZb6KE6RyyBwJnAM=",
])
def test_open_refuses_malformed_notes(message: str) -> None:
    with pytest.raises(NoteError):
        open_note(message, [Verifier.from_text(PETER_VKEY)])


def test_open_refuses_invalid_utf8() -> None:
    with pytest.raises(NoteError, match="malformed"):
        open_note(b"\xff" + (TEXT + "\n" + PETER_SIG).encode(), [Verifier.from_text(PETER_VKEY)])


def test_mangled_keys_are_refused() -> None:
    for bad in (PETER_VKEY[:-1], PETER_VKEY.replace("c74f20a3", "c74f20a4"),
                "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
                PETER_VKEY[1:]):
        with pytest.raises(NoteError):
            Verifier.from_text(bad)
    with pytest.raises(NoteError):
        Signer.from_text(PETER_SKEY.replace("c74f20a3", "c74f20a2"))


def test_generated_keys_sign_and_verify() -> None:
    signer, verifier = generate_key("custodywatch.kz/ledger")
    note = sign_note("hello\n", signer)
    assert open_note(note, [verifier]).text == "hello\n"
    assert Signer.from_text(signer.to_text()) == signer


def test_checkpoint_round_trip_and_errors() -> None:
    root = hashlib.sha256(b"root").digest()
    text = format_checkpoint("example.com/log", 42, root)
    assert text.splitlines()[:2] == ["example.com/log", "42"]
    parsed = parse_checkpoint(text)
    assert (parsed.origin, parsed.size, parsed.root) == ("example.com/log", 42, root)
    for bad in ("example.com/log\n042\n" + text.split("\n")[2] + "\n", "a\n1\nAAAA\n",
                "example.com/log\n1\n"):
        with pytest.raises(CheckpointError):
            parse_checkpoint(bad)
