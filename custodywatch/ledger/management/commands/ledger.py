"""``custodywatch ledger``: verify, integrate, checkpoint, run, witness, export, keygen, hash.

Exit status: 0 ok; 1 verification failure or witness alarm (with the first bad index); 2 bad
input (CONTRACTS.md).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.kernels.filehash import file_sha256
from custodywatch.kernels.signed_note import NoteError, Signer, Verifier, generate_key
from custodywatch.ledger import cosignature, rows, services, tlog_proof
from custodywatch.ledger.keys import ledger_origin, trusted_verifiers
from custodywatch.ledger.models import Leaf
from custodywatch.ledger.package import PackageError
from custodywatch.ledger.verification import verify_ledger
from custodywatch.ledger.witness import (
    WitnessAlarm,
    WitnessError,
    WitnessStore,
    http_fetcher,
    witness_pull,
)


def _bad_input(message: str) -> CommandError:
    return CommandError(message, returncode=2)


class Command(BaseCommand):
    help = "The evidence ledger: verify it, integrate queued leaves, sign, witness, export."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="re-hash every leaf and check the checkpoint")
        verify.add_argument("--checkpoint", help="a checkpoint file to verify against")
        sweep = sub.add_parser("sweep", help="re-derive the rows of a random sample of leaves "
                               "(a worker's background check); exit 1 on a changed row")
        sweep.add_argument("--sample", type=int, default=1000)
        integrate = sub.add_parser("integrate", help="integrate queued leaves, one batch")
        integrate.add_argument("--limit", type=int, default=services.INTEGRATION_BATCH)
        sub.add_parser("checkpoint", help="integrate all and print the latest signed checkpoint")
        run = sub.add_parser("run", help="integrate and sign on a schedule")
        run.add_argument("--interval", type=float, default=10.0, help="seconds between batches")
        run.add_argument("--iterations", type=int, default=0, help="stop after N (0: never)")
        witness = sub.add_parser("witness", help="pull checkpoints and leaves into a copy")
        witness.add_argument("--url", required=True, help="the server, e.g. https://cw.example")
        witness.add_argument("--dir", required=True, help="the witness's own directory")
        witness.add_argument("--key", action="append", required=True,
                             help="a verifier key of the log (repeat for old keys)")
        witness.add_argument("--origin", help="the log's origin (default: the key's name)")
        witness.add_argument("--token-file", help="file with a bearer token to mirror leaves")
        witness.add_argument("--no-mirror", action="store_true", help="checkpoints only")
        witness.add_argument("--cosign-key", help="the witness's own signing key file: write "
                             "DIR/cosigned.checkpoint with its C2SP cosignature")
        export = sub.add_parser("export", help="an evidence package for a court")
        export.add_argument("--index", type=int, action="append", default=[])
        export.add_argument("--sha256", action="append", default=[],
                            help="include every leaf that commits to this hash")
        export.add_argument("--file", action="append", default=[],
                            help="an evidence file to include (matched by its hash)")
        export.add_argument("--out", required=True)
        keygen = sub.add_parser("keygen", help="a new signing key file; prints its public key")
        keygen.add_argument("--name", default="")
        keygen.add_argument("--out", required=True)
        hash_file = sub.add_parser("hash", help="SHA-256 of files, as sha256sum prints it")
        hash_file.add_argument("files", nargs="+")
        receipt = sub.add_parser("verify-proof",
                                 help="check an entry receipt (.tlog-proof) offline")
        receipt.add_argument("file")
        receipt.add_argument("--key", action="append", default=[],
                             help="a verifier key of the log (default: the configured keys)")
        receipt.add_argument("--leaf", help="the entry's bytes, if not taken from the receipt")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action'].replace('-', '_')}")(options)

    def _verifiers(self) -> list[Verifier]:
        try:
            return trusted_verifiers()
        except (OSError, NoteError) as error:
            raise _bad_input(f"ledger keys: {error}") from None

    def _verify_proof(self, options: dict[str, Any]) -> None:
        try:
            text = Path(options["file"]).read_text("utf-8")
            leaf = Path(options["leaf"]).read_bytes() if options["leaf"] else None
            verifiers = ([Verifier.from_text(k) for k in options["key"]] if options["key"]
                         else trusted_verifiers())
        except (OSError, UnicodeDecodeError, NoteError) as error:
            raise _bad_input(f"verify-proof: {error}") from None
        try:
            index, size = tlog_proof.verify_proof(text, verifiers, leaf=leaf)
        except tlog_proof.ProofFormatError as error:
            raise CommandError(f"receipt verification FAILED: {error}", returncode=1) from None
        self.stdout.write(f"receipt verified: entry {index} is in the signed tree of {size}")

    def _verify(self, options: dict[str, Any]) -> None:
        note = None
        if options["checkpoint"]:
            try:
                note = Path(options["checkpoint"]).read_text("utf-8")
            except (OSError, UnicodeDecodeError) as error:
                raise _bad_input(f"{options['checkpoint']}: {error}") from None
        verdict = verify_ledger(verifiers=self._verifiers(), checkpoint_note=note)
        if not verdict.ok:
            where = ("" if verdict.first_bad_index is None
                     else f"first bad index {verdict.first_bad_index}: ")
            raise CommandError(f"ledger verification FAILED: {where}{verdict.message}",
                               returncode=1)
        self.stdout.write(verdict.message)

    def _sweep(self, options: dict[str, Any]) -> None:
        if options["sample"] < 1:
            raise _bad_input("--sample must be at least 1")
        checked, findings = rows.sweep(sample=options["sample"])
        if findings:
            raise CommandError("ledger sweep FAILED: rows changed after they were logged:\n"
                               + "\n".join(str(finding) for finding in findings[:50]),
                               returncode=1)
        self.stdout.write(f"ledger sweep: {checked} leaves sampled, every row re-derived")

    def _integrate(self, options: dict[str, Any]) -> None:
        if options["limit"] < 1:
            raise _bad_input("--limit must be at least 1")
        checkpoint = services.ledger_integrate(limit=options["limit"])
        if checkpoint is None:
            self.stdout.write("nothing queued")
        else:
            self.stdout.write(f"tree size {checkpoint.size}")

    def _checkpoint(self, options: dict[str, Any]) -> None:
        self.stdout.write(services.checkpoint_issue().note, ending="")

    def _run(self, options: dict[str, Any]) -> None:
        done = 0
        while True:
            for checkpoint in services.ledger_integrate_all():
                self.stdout.write(f"tree size {checkpoint.size}")
            done += 1
            if options["iterations"] and done >= options["iterations"]:
                return
            time.sleep(options["interval"])

    def _witness(self, options: dict[str, Any]) -> None:
        try:
            verifiers = [Verifier.from_text(k) for k in options["key"]]
            token = (Path(options["token_file"]).read_text().strip()
                     if options["token_file"] else "")
        except (OSError, NoteError) as error:
            raise _bad_input(f"witness: {error}") from None
        store = WitnessStore(Path(options["dir"]))
        try:
            report = witness_pull(store=store, fetch=http_fetcher(options["url"], token),
                                  verifiers=verifiers, origin=options["origin"]
                                  or verifiers[0].name, mirror=not options["no_mirror"])
        except WitnessAlarm as alarm:
            self.stderr.write("!" * 72 + f"\nALARM: {alarm}\nSee {options['dir']}/ALARM.txt\n"
                              + "!" * 72)
            raise CommandError(f"witness ALARM: {alarm}", returncode=1) from None
        except WitnessError as error:
            raise _bad_input(str(error)) from None
        finally:
            store.close()
        self.stdout.write(f"consistent: tree size {report.previous_size} -> {report.size}, "
                          f"{report.leaves_mirrored} leaves mirrored")
        if options["cosign_key"]:
            self._cosign(Path(options["dir"]), Path(options["cosign_key"]))

    def _cosign(self, directory: Path, key_file: Path) -> None:
        """Countersign the checkpoint just checked (C2SP tlog-cosignature)."""
        try:
            signer = Signer.from_text(key_file.read_text())
        except (OSError, NoteError) as error:
            raise _bad_input(f"witness --cosign-key: {error}") from None
        store = WitnessStore(directory)
        try:
            latest = store.latest()
        finally:
            store.close()
        if latest is None:
            raise _bad_input("witness: no checkpoint to cosign")
        target = directory / "cosigned.checkpoint"
        target.write_text(cosignature.cosign(latest[2], signer))
        self.stdout.write(f"cosigned tree size {latest[0]} as "
                          f"{cosignature.witness_key_text(signer)}: {target}")

    def _export(self, options: dict[str, Any]) -> None:
        files = {}
        for name in options["file"]:
            try:
                files[file_sha256(name)] = name
            except OSError as error:
                raise _bad_input(f"{name}: {error}") from None
        indexes = list(options["index"])
        for digest in options["sha256"]:
            indexes += list(Leaf.objects.filter(sha256=digest.lower())
                            .values_list("index", flat=True))
        try:
            payload = services.evidence_package_export(
                acting_user=None, origin=SYSTEM_ORIGIN, indexes=indexes, files=files)
        except PackageError as error:
            raise _bad_input(str(error)) from None
        Path(options["out"]).write_bytes(payload)
        self.stdout.write(f"{options['out']}: {len(set(indexes))} entries")

    def _keygen(self, options: dict[str, Any]) -> None:
        out = Path(options["out"])
        if out.exists():
            raise _bad_input(f"{out} exists; a key is never overwritten")
        try:
            signer, verifier = generate_key(options["name"] or ledger_origin())
        except NoteError as error:
            raise _bad_input(str(error)) from None
        out.write_text(signer.to_text() + "\n")
        out.chmod(0o600)
        self.stdout.write(verifier.to_text())

    def _hash(self, options: dict[str, Any]) -> None:
        for name in options["files"]:
            try:
                self.stdout.write(f"{file_sha256(name)}  {name}")
            except OSError as error:
                raise _bad_input(f"{name}: {error}") from None
