#!/usr/bin/env python3
"""Standalone verifier of a CustodyWatch evidence package. Python 3.8+, standard library only.

Usage:  python3 verify.py [PACKAGE_DIR] [--key VERIFIER_KEY]

It checks, without any network or CustodyWatch software:
1. the checkpoint's Ed25519 signature (C2SP signed note), with the key given by --key (obtain it
   independently, e.g. from the published list of the log's keys) or else the keys the package
   lists;
2. for every entry: the leaf bytes hash into the signed tree by the inclusion proof
   (RFC 9162 / RFC 6962, SHA-256);
3. for every file in the package: its SHA-256 equals the hash its leaf commits to.
Exit status 0 when everything holds, 1 when anything fails, 2 for an unreadable package.
"""

import base64
import hashlib
import json
import sys
from pathlib import Path

# --- Ed25519 verification (RFC 8032 section 5.1.7), slow but short and dependency-free ---
P = 2**255 - 19
Q = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _add(a, b):
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    aa, bb = (y1 - x1) * (y2 - x2) % P, (y1 + x1) * (y2 + x2) % P
    cc, dd = 2 * t1 * t2 * D % P, 2 * z1 * z2 % P
    e, f, g, h = bb - aa, dd - cc, dd + cc, bb + aa
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _mul(s, point):
    result = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            result = _add(result, point)
        point = _add(point, point)
        s >>= 1
    return result


def _equal(a, b):
    return (a[0] * b[2] - b[0] * a[2]) % P == 0 and (a[1] * b[2] - b[1] * a[2]) % P == 0


def _recover_x(y, sign):
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P)
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if (x & 1) != sign:
        x = P - x
    return x


def _decompress(raw):
    if len(raw) != 32:
        return None
    y = int.from_bytes(raw, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    x = _recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % P)


_GY = 4 * pow(5, P - 2, P) % P
_G = (_recover_x(_GY, 0), _GY, 1, _recover_x(_GY, 0) * _GY % P)


def ed25519_verify(public, message, signature):
    if len(public) != 32 or len(signature) != 64:
        return False
    a, r = _decompress(public), _decompress(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= Q:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public + message).digest(), "little") % Q
    return _equal(_mul(s, _G), _add(r, _mul(h, a)))


# --- signed notes and checkpoints (C2SP signed-note, tlog-checkpoint) ---
def parse_key(text):
    name, key_hash, encoded = text.strip().split("+", 2)  # base64 may hold "+"
    raw = base64.b64decode(encoded)
    if len(raw) != 33 or raw[0] != 1:
        raise ValueError("not an Ed25519 verifier key")
    expected = hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4]
    if expected.hex() != key_hash:
        raise ValueError("verifier key id does not match its key")
    return name, expected, raw[1:]


def open_checkpoint(note, keys):
    split = note.rfind("\n\n")
    text, lines = note[: split + 1], note[split + 2:].split("\n")[:-1]
    for line in lines:
        if not line.startswith("\u2014 "):
            raise ValueError("malformed signature line")
        name, _, encoded = line[2:].partition(" ")
        raw = base64.b64decode(encoded)
        for key_name, key_id, public in keys:
            if name == key_name and raw[:4] == key_id:
                if not ed25519_verify(public, text.encode(), raw[4:]):
                    raise ValueError("checkpoint signature is INVALID for key " + name)
                origin, size, root = text.split("\n")[:3]
                return origin, int(size), base64.b64decode(root), name
    raise ValueError("checkpoint carries no signature by a trusted key")


# --- RFC 9162 section 2.1.3.2 ---
def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_inclusion(index, size, leaf, proof, root):
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    keys_given = [argv[i + 1] for i, a in enumerate(argv) if a == "--key" and i + 1 < len(argv)]
    args = [a for a in args if a not in keys_given]
    base = Path(args[0]) if args else Path(__file__).resolve().parent
    try:
        manifest = json.loads((base / "manifest.json").read_text("utf-8"))
        note = (base / manifest["checkpoint"]).read_text("utf-8")
        keys = [parse_key(k) for k in (keys_given or manifest["verifier_keys"])]
    except (OSError, ValueError, KeyError) as error:
        print("cannot read the package:", error, file=sys.stderr)
        return 2
    if not keys_given:
        print("NOTE: using the keys listed in the package; pass --key to use one you trust.")
    try:
        origin, size, root, signer = open_checkpoint(note, keys)
    except ValueError as error:
        print("FAIL checkpoint:", error)
        return 1
    print(f"checkpoint: log {origin}, tree size {size}, signed by {signer}: signature OK")
    failures = 0
    for entry in manifest["entries"]:
        index = entry["index"]
        data = (base / entry["leaf"]).read_bytes()
        leaf = hashlib.sha256(b"\x00" + data).digest()
        proof = [base64.b64decode(h) for h in entry["proof"]]
        ok = verify_inclusion(index, size, leaf, proof, root)
        fields = json.loads(data.split(b"\n", 2)[2]) if data.startswith(b"CWL1\n") else {}
        message = f"entry {index} ({entry['kind']}): " + ("in the log" if ok else "NOT PROVEN")
        if ok and entry.get("file"):
            actual = file_sha256(base / entry["file"])
            same = actual == fields.get("sha256") == entry.get("sha256")
            ok = same
            message += f"; file {entry['file']}: " + ("hash matches" if same else
                                                      f"HASH DIFFERS ({actual})")
        print(("OK   " if ok else "FAIL ") + message)
        failures += not ok
    print("RESULT:", "all entries verified" if not failures else f"{failures} entries FAILED")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
