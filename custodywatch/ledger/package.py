"""Evidence package: a zip a court or a defence lawyer verifies with Python alone.

Built for a list of leaf indexes (and, optionally, the files whose hashes they commit to). The
cases app (issue 7) will call :func:`custodywatch.ledger.services.evidence_package_export` with a
case's evidence leaves; until then the ``ledger export`` command does.
"""

from __future__ import annotations

import base64
import io
import json
import zipfile
from pathlib import Path

from custodywatch.kernels import merkle
from custodywatch.kernels.ledger_leaf import LeafError, decode_leaf
from custodywatch.kernels.signed_note import Verifier
from custodywatch.ledger import store
from custodywatch.ledger.keys import ledger_origin, trusted_verifiers
from custodywatch.ledger.models import Checkpoint, Leaf

PACKAGE_FORMAT = "custodywatch-evidence-package/1"
VERIFIER_SOURCE = Path(__file__).with_name("package_verifier.py")

README = """CustodyWatch evidence package
=============================

What is here
- checkpoint.txt  the log's signed tree head (C2SP tlog-checkpoint, Ed25519 signed note)
- leaves/         the exact bytes of each logged entry (what was hashed into the log)
- files/          the evidence files, where included; their SHA-256 is in the entry
- manifest.json   entries, their indexes, inclusion proofs, and the log's public keys
- verify.py       a verifier that needs only Python 3 (no network, no other software)

How to verify
    python3 verify.py . --key "<the log's public key, obtained independently>"

It checks the signature on the checkpoint, proves every entry is in the signed tree (RFC 9162
inclusion proofs), and re-hashes every included file against the hash its entry commits to.
Compare the checkpoint with one an independent witness (the Ombudsperson, a court) holds: the same
tree size must have the same root.
"""


class PackageError(ValueError):
    pass


def build_package(*, indexes: list[int], files: dict[str, str]) -> bytes:
    """``files`` maps a SHA-256 (hex) to the path of the file with that content."""
    checkpoint = Checkpoint.objects.order_by("-id").first()
    if checkpoint is None:
        raise PackageError("no checkpoint yet: integrate the ledger first")
    size = checkpoint.size
    wanted = sorted(set(indexes))
    if not wanted or wanted[0] < 0 or wanted[-1] >= size:
        raise PackageError(f"indexes must lie in the signed tree [0, {size})")
    leaves = {leaf.index: leaf for leaf in Leaf.objects.filter(index__in=wanted)}
    tree = store.tree(size)
    verifiers: list[Verifier] = trusted_verifiers()
    buffer = io.BytesIO()
    entries = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for index in wanted:
            leaf = leaves.get(index)
            if leaf is None:
                raise PackageError(f"leaf {index} is missing from the store")
            data = bytes(leaf.data)
            try:
                kind, fields = decode_leaf(data)
            except LeafError as error:
                raise PackageError(f"leaf {index}: {error}") from None
            leaf_name = f"leaves/{index:012d}.bin"
            archive.writestr(leaf_name, data)
            entry = {
                "index": index,
                "kind": kind,
                "leaf": leaf_name,
                "leaf_hash": base64.b64encode(merkle.leaf_hash(data)).decode(),
                "proof": [base64.b64encode(h).decode()
                          for h in merkle.inclusion_proof(index, size, tree)],
                "sha256": fields.get("sha256", ""),
                "file": None,
            }
            path = files.get(entry["sha256"]) if entry["sha256"] else None
            if path:
                name = f"files/{entry['sha256'][:16]}-{Path(path).name}"
                archive.write(path, name)
                entry["file"] = name
            entries.append(entry)
        archive.writestr("checkpoint.txt", checkpoint.note)
        archive.writestr("manifest.json", json.dumps({
            "format": PACKAGE_FORMAT,
            "origin": ledger_origin(),
            "tree_size": size,
            "checkpoint": "checkpoint.txt",
            "verifier_keys": [v.to_text() for v in verifiers],
            "entries": entries,
        }, indent=2, ensure_ascii=False))
        archive.writestr("verify.py", VERIFIER_SOURCE.read_text())
        archive.writestr("README.txt", README)
    return buffer.getvalue()
