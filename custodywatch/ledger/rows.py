"""Every business row that has a ledger leaf, re-derived and compared with its leaf.

A leaf proves what was logged; the row is what pages, exports and evidence packages read. An
edit made behind the application's back (SQL on the database, a restored backup) changes the
row and leaves the leaf intact, so the leaf alone would go on "verifying". Here each kind of
leaf finds its row and recomputes what the leaf says from it:

- ``evidence_registered``: the evidence item's hash and size, and the committed case, file name
  and registrar (commitments.py);
- ``custody_transfer``: the transfer's item hash, time, and the committed holders, reason, case;
- ``recording_segment``: the segment of that camera at that start: its end and hash;
- ``complaint_receipt``: the complaint whose proof of filing hashes to the leaf's, recomputed
  from its reference, time, (sealed) text and the hashes of the files sent with it;
- ``legal_hold``: the hold's committed complaint, facility, rooms and period (or release);
- ``audit_event``: checked by verification.py's own pass.

A row that is gone is a finding, except recording segments, which retention may delete (a
changed one is a finding). ``check_leaves`` takes ``(index, kind, fields)`` and returns
findings; ``ledger verify`` runs it over every leaf, ``ledger sweep`` over a random sample,
and pages run it for the row they show (``row_findings``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from custodywatch.ledger.commitments import opening
from custodywatch.ledger.models import LeafKind


@dataclass(frozen=True)
class Finding:
    index: int
    kind: str
    row: str  # "evidence item 7", "complaint C-2026-000001"
    message: str

    def __str__(self) -> str:
        return f"leaf {self.index} ({self.kind}): {self.row}: {self.message}"


Entry = tuple[int, str, dict[str, Any]]


def pk_of(value: object, prefix: str) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.startswith(prefix) and value[len(prefix):].isdigit():
        return int(value[len(prefix):])
    return None


def username_of(user: Any) -> str:
    return user.get_username() if user is not None else ""


# Each app registers the checks of its leaf kinds (its AppConfig.ready: cases, complaints,
# video): the ledger, below them, never imports them.
RowCheck = Callable[[list["Entry"]], Iterable["Finding"]]
Opener = Callable[[Any, dict[str, Any]], "tuple[str, dict[str, Any], Any] | None"]
_CHECKS: dict[str, RowCheck] = {}
_OPENERS: dict[str, Opener] = {}


def register_row_check(kind: str, check: RowCheck) -> None:
    """``check(entries)`` yields a Finding for each leaf of ``kind`` whose row disagrees."""
    _CHECKS[kind] = check


def register_opener(kind: str, opener: Opener) -> None:
    """``opener(user, fields)`` gives (subject, details, row) of a leaf of ``kind`` for a
    reader allowed to see its row, else None."""
    _OPENERS[kind] = opener


def checked_kinds() -> frozenset[str]:
    return frozenset(_CHECKS)


def check_leaves(entries: Iterable[Entry]) -> list[Finding]:
    """Findings for these leaves, in index order (a chunk at a time is the caller's job)."""
    by_kind: dict[str, list[Entry]] = {}
    for entry in entries:
        if entry[1] in _CHECKS:
            by_kind.setdefault(entry[1], []).append(entry)
    findings = [finding for kind, group in by_kind.items() for finding in _CHECKS[kind](group)]
    return sorted(findings, key=lambda finding: finding.index)


def sweep(*, sample: int) -> tuple[int, list[Finding]]:
    """A background spot check: ``sample`` leaves drawn at random from the signed tree, their
    rows re-derived (audit leaves too). Returns (leaves checked, findings); a worker calls it
    on a schedule (``custodywatch ledger sweep``) so an edit is found without a full verify."""
    import logging
    import secrets

    from custodywatch.accounts.models import AuditEvent
    from custodywatch.kernels.ledger_leaf import LeafError, decode_leaf
    from custodywatch.ledger.models import Leaf
    from custodywatch.ledger.selectors import tree_size
    from custodywatch.ledger.verification import _audit_matches

    size = tree_size()
    if size == 0 or sample < 1:
        return 0, []
    chosen: set[int] = set()
    while len(chosen) < min(sample, size):
        chosen.add(secrets.randbelow(size))
    entries: list[Entry] = []
    audits: list[tuple[int, dict[str, Any]]] = []
    findings: list[Finding] = []
    for index, data in Leaf.objects.filter(index__in=chosen).values_list("index", "data"):
        try:
            kind, fields = decode_leaf(bytes(data))
        except LeafError as error:
            findings.append(Finding(index, "?", "leaf", str(error)))
            continue
        if kind == LeafKind.AUDIT_EVENT:
            audits.append((index, fields))
        else:
            entries.append((index, kind, fields))
    findings.extend(check_leaves(entries))
    events = AuditEvent.objects.in_bulk([f.get("event") for _i, f in audits
                                         if isinstance(f.get("event"), int)])
    for index, fields in audits:
        event = events.get(fields.get("event"))
        if event is None or not _audit_matches(event, fields):
            findings.append(Finding(index, LeafKind.AUDIT_EVENT,
                                    f"audit event {fields.get('event')}",
                                    "gone or changed after it was logged"))
    for finding in findings:
        logging.getLogger("custodywatch.ledger").error("ledger sweep: %s", finding)
    return len(chosen), sorted(findings, key=lambda finding: finding.index)


# ------------------------------------------------------------------ the row a page shows


def _leaf_entries(leaves: Iterable[Any]) -> list[Entry]:
    from custodywatch.kernels.ledger_leaf import LeafError, decode_leaf

    entries = []
    for leaf in leaves:
        try:
            kind, fields = decode_leaf(bytes(leaf.data))
        except LeafError:
            continue
        entries.append((leaf.index, kind, fields))
    return entries


def evidence_row_findings(item: Any) -> list[str]:
    """What is wrong between an evidence item's row and its ledger leaves (empty: nothing).

    Its leaves are found by the item's hash; an item whose registration was integrated
    (its queued leaf is gone) but whose hash no leaf carries was changed after it was logged.
    """
    from custodywatch.ledger.models import Leaf, PendingLeaf

    if item.ledger_pending_id is None:
        return []
    marker = f'"evidence":"case-evidence:{item.pk}"'.encode()
    leaves = [leaf for leaf in Leaf.objects.filter(
        sha256=item.sha256, kind__in=[LeafKind.EVIDENCE_REGISTERED, LeafKind.CUSTODY_TRANSFER])
        if marker in bytes(leaf.data)]
    if not leaves:
        if PendingLeaf.objects.filter(pk=item.ledger_pending_id).exists():
            return []  # queued, not yet in the log
        return [f"sha256 {item.sha256} is in no ledger entry of this item: the row was "
                "changed after it was logged"]
    return [finding.message for finding in check_leaves(_leaf_entries(leaves))]


# ------------------------------------------------------------------ opening a leaf for a reader


@dataclass(frozen=True)
class Opening:
    """A leaf's committed details, for a reader who may see the row they come from."""

    details: dict[str, Any]
    salt: str  # hex; with the details it recomputes the leaf's commitment
    opens: bool  # False: the row no longer gives the committed details (changed)


def open_leaf(*, user: Any, kind: str, fields: dict[str, Any]) -> Opening | None:
    """The clear details behind a leaf's ``details`` commitment, only for a reader allowed to
    see the complaint or case they belong to (None otherwise, and for other leaves). Each
    opening is audited as a read of that row."""
    from custodywatch.accounts.audit import SYSTEM_ORIGIN, audit_record
    from custodywatch.accounts.models import AuditEvent
    from custodywatch.ledger.commitments import salts

    if not isinstance(fields.get("details"), str):
        return None
    subject, details, row = _subject(user, kind, fields)
    if row is None:
        return None
    salt = opening(subject, details, fields["details"])
    audit_record(actor=user, action=AuditEvent.Action.READ, origin=SYSTEM_ORIGIN, obj=row,
                 detail={"ledger_details": fields["details"][:16]})
    return Opening(details, (salt or salts(subject)[0]).hex(), salt is not None)


def _subject(user: Any, kind: str, fields: dict[str, Any]) -> tuple[str, dict[str, Any], Any]:
    opener = _OPENERS.get(kind)
    found = opener(user, fields) if opener is not None else None
    return found if found is not None else ("", {}, None)
