"""C2SP ``tlog-proof`` receipts (``.tlog-proof`` files): one entry's offline proof.

Format (c2sp.org/tlog-proof)::

    c2sp.org/tlog-proof@v1
    extra <base64 of the leaf's exact bytes>
    index <N>
    <base64 hash>            (the inclusion proof, from the leaf up, one per line)
    ...
    <blank line>
    <the signed checkpoint note, verbatim>

``extra`` is optional in the format and unauthenticated by it; we put the leaf's bytes there
so a holder can re-hash them (RFC 6962 leaf hash) and check the path up to the signed root.
Pure standard library plus the kernels; no Django import.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from custodywatch.kernels import merkle
from custodywatch.kernels.checkpoint import CheckpointError, parse_checkpoint
from custodywatch.kernels.signed_note import NoteError, Verifier, open_note

HEADER = "c2sp.org/tlog-proof@v1"
MEDIA_TYPE = "text/plain; charset=utf-8"


class ProofFormatError(ValueError):
    pass


@dataclass(frozen=True)
class TlogProof:
    index: int
    hashes: list[bytes]
    checkpoint: str  # the signed note, verbatim
    extra: bytes | None = None


def format_proof(proof: TlogProof) -> str:
    lines = [HEADER]
    if proof.extra is not None:
        lines.append("extra " + base64.b64encode(proof.extra).decode())
    lines.append(f"index {proof.index}")
    lines += [base64.b64encode(h).decode() for h in proof.hashes]
    return "\n".join(lines) + "\n\n" + proof.checkpoint


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ProofFormatError(f"{what} is not standard base64") from None


def parse_proof(text: str) -> TlogProof:
    head, sep, checkpoint = text.partition("\n\n")
    if not sep or not checkpoint:
        raise ProofFormatError("no blank line before the checkpoint")
    lines = head.split("\n")
    if lines[0] != HEADER:
        raise ProofFormatError(f"first line must be {HEADER}")
    rest = lines[1:]
    extra = None
    if rest and rest[0].startswith("extra "):
        extra = _b64(rest.pop(0)[len("extra "):], "extra")
    if not rest or not rest[0].startswith("index "):
        raise ProofFormatError("missing the index line")
    number = rest.pop(0)[len("index "):]
    if not number.isascii() or not number.isdigit() or (len(number) > 1 and number[0] == "0"):
        raise ProofFormatError("index must be a decimal number")
    hashes = [_b64(line, f"hash {i + 1}") for i, line in enumerate(rest)]
    if any(len(h) != merkle.HASH_SIZE for h in hashes):
        raise ProofFormatError("every proof hash is 32 bytes")
    return TlogProof(int(number), hashes, checkpoint, extra)


def verify_proof(text: str, verifiers: list[Verifier], *, origin: str | None = None,
                 leaf: bytes | None = None) -> tuple[int, int]:
    """Check a receipt: checkpoint signature, origin, then the path from the leaf to the root.

    ``leaf``: the entry's bytes if the holder has them; otherwise the receipt's ``extra``.
    Returns (index, tree size); raises ProofFormatError for anything that does not check out.
    """
    proof = parse_proof(text)
    data = leaf if leaf is not None else proof.extra
    if data is None:
        raise ProofFormatError("no leaf bytes: the receipt has no extra line and none given")
    try:
        note = open_note(proof.checkpoint, verifiers)
        checkpoint = parse_checkpoint(note.text)
    except (NoteError, CheckpointError) as error:
        raise ProofFormatError(f"checkpoint: {error}") from None
    if origin is not None and checkpoint.origin != origin:
        raise ProofFormatError(f"checkpoint of {checkpoint.origin!r}, not {origin!r}")
    if not merkle.verify_inclusion(proof.index, checkpoint.size, merkle.leaf_hash(data),
                                   proof.hashes, checkpoint.root):
        raise ProofFormatError(f"entry {proof.index} does not lead to the signed root of "
                               f"tree size {checkpoint.size}")
    return proof.index, checkpoint.size
