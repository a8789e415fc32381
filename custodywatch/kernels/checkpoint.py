"""C2SP ``tlog-checkpoint`` bodies: origin, tree size and root hash; no Django import.

The body is the text of a signed note (:mod:`custodywatch.kernels.signed_note`)::

    custodywatch.kz/ledger
    15368405
    mPqZ...base64 root...=
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

__all__ = ["Checkpoint", "CheckpointError", "format_checkpoint", "parse_checkpoint"]

_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")  # decimal, no leading zeros, fits in 64 bits


class CheckpointError(ValueError):
    pass


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        return format_checkpoint(self.origin, self.size, self.root, self.extensions)


def format_checkpoint(
    origin: str, size: int, root: bytes, extensions: tuple[str, ...] = ()
) -> str:
    if not origin or any(c.isspace() and c != " " for c in origin) or size < 0:
        raise CheckpointError("bad origin or size")
    if len(root) != 32:
        raise CheckpointError("root hash must be 32 bytes")
    lines = [origin, str(size), base64.b64encode(root).decode(), *extensions]
    return "".join(line + "\n" for line in lines)


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse the body (the signed text, without signatures)."""
    if not text.endswith("\n"):
        raise CheckpointError("a checkpoint ends with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3 or not lines[0] or any(not line for line in lines):
        raise CheckpointError("a checkpoint has an origin, a size and a root hash")
    origin, size, root = lines[:3]
    if not _SIZE.fullmatch(size) or int(size) >= 2**64:
        raise CheckpointError(f"bad tree size {size!r}")
    try:
        root_hash = base64.b64decode(root.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise CheckpointError("root hash is not base64") from None
    if len(root_hash) != 32:
        raise CheckpointError("root hash must be 32 bytes")
    return Checkpoint(origin, int(size), root_hash, tuple(lines[3:]))
