"""Salted commitments in ledger leaves: details a leaf's readers may not see, committed by hash.

A leaf is readable by every ledger reader (analysts, NPM monitors, forensic experts, the
system administrator, prosecutors of every region), who may not see the complaint or case it
concerns. So a leaf never holds a complaint's reference, the facility accused, an incident
window, a case number, a file name or who handed evidence to whom: it holds
``details = commitment(salt, {...})`` (kernels/ledger_leaf.py) and the centre keeps what opens
it. The salt is an HMAC of the leaf's subject (``hold:12:placed``, ``case-evidence:7``) under a
key derived from the sealing key file (core.sealing.keyed_digests): stored nowhere in the
database, so a copied database cannot test guesses either, and still found after a key
rotation. The details themselves are re-derived from the business row (what ``ledger verify``
compares, item 6), and shown with the salt only to readers who may see that row.
"""

from __future__ import annotations

from typing import Any

from custodywatch.core.sealing import keyed_digests
from custodywatch.kernels.ledger_leaf import commitment

PURPOSE = "ledger.commitment"


def salts(subject: str) -> list[bytes]:
    """The subject's salt under every key of the key file, current first."""
    return keyed_digests(subject, purpose=PURPOSE)


def commit(subject: str, details: dict[str, Any]) -> str:
    return commitment(keyed_digests(subject, purpose=PURPOSE, current_only=True)[0], details)


def opening(subject: str, details: dict[str, Any], committed: str) -> bytes | None:
    """The salt with which ``details`` open ``committed``; None when they do not."""
    for salt in salts(subject):
        if commitment(salt, details) == committed:
            return salt
    return None
