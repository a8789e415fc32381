"""`custodywatch evidence check-files`: re-hash every stored evidence file, once.

Every file kept as received (case evidence, complaint attachments, examination and visit
photos) is read and hashed against the SHA-256 recorded when it arrived; each missing or
damaged one raises an alert (core/stored_files.py). `custodywatch worker` runs it daily
(the periodic job `evidence_check_files`). Exit status: 0 all intact; 1 a file is missing
or damaged (CONTRACTS.md style).

`custodywatch evidence match FILE [--camera CODE] [--json] [--from T] [--until T]`: which
recorded segments a restored, partial or re-encoded file matches (CONTRACTS.md, "Other
commands"; `--from`/`--until`, optional, limit the recorded footage searched).

`match` fingerprints the file's key frames where they are at most 2.5 s apart (a recorder's
GOP; a longer GOP is decoded whole and hashed every 0.25 s: agent/fingerprints.py,
``clip_fingerprints``) and aligns them with the fingerprints the agents recorded for every
segment (one a second, kernels/fingerprint.py). With
`--json`, one object per line: a line per matched segment
`{"camera", "segment", "clip_start", "clip_end", "recorded_start", "recorded_end",
"similarity", "samples"}` (clip times in seconds from the file's first frame, recorded times
ISO 8601), a line per cut `{"cut": true, "camera", "clip_at", "missing_start", "missing_end",
"missing_seconds"}`, a line per stretch of the file that matches nothing
`{"unmatched": true, "clip_start", "clip_end"}`, and a last summary line
`{"summary": true, "file", "sha256", "seconds", "samples", "matched_samples", "segments",
"references", "seconds_taken"}`. Exit 0 when at least one segment matches, 1 when none does,
2 on bad input. Read by an operator of the centre, on its own database; the run is audited.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from custodywatch.core.stored_files import check_stored_files


class Command(BaseCommand):
    help = "Stored evidence files: re-hash them against their recorded SHA-256."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("check-files", help="re-hash every stored file; exit 1 on a missing or "
                       "damaged one")

        match = sub.add_parser("match", help="which recorded segments a restored, partial or "
                               "re-encoded video file matches")
        match.add_argument("file", help="the video file")
        match.add_argument("--camera", default="", help="only this camera's footage (code)")
        match.add_argument("--json", action="store_true", help="one JSON object per line")
        match.add_argument("--from", dest="since", default="",
                           help="only footage recorded from this time (CONTRACTS.md Times)")
        match.add_argument("--until", default="",
                           help="only footage recorded before this time")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "match":
            self._match(Path(options["file"]), options["camera"], options["json"],
                        options["since"], options["until"])
            return
        result = check_stored_files()
        for object_type, object_id, name, problem in result.problems:
            self.stdout.write(f"{problem.upper()} {object_type} {object_id} {name}")
        self.stdout.write(f"checked {result.checked} stored files: "
                          f"{len(result.problems)} missing or damaged, "
                          f"{result.repaired} repaired since the last check")
        if result.problems:
            raise CommandError(f"{len(result.problems)} stored file(s) missing or damaged",
                               returncode=1)

    def _match(self, path: Path, camera: str, as_json: bool, since: str = "",
               until: str = "") -> None:
        import hashlib

        from custodywatch.accounts.audit import SYSTEM_ORIGIN, audit_record
        from custodywatch.accounts.models import AuditEvent
        from custodywatch.agent.fingerprints import FingerprintError, clip_fingerprints
        from custodywatch.escrow.services import fingerprint_references
        from custodywatch.kernels.fingerprint import CLIP_STEP, match_clip
        from custodywatch.kernels.ledger_leaf import iso_time
        from custodywatch.kernels.timeparse import parse_timestamp_ms
        from custodywatch.registry.models import Camera

        def when(epoch: float) -> str:
            return iso_time(dt.datetime.fromtimestamp(epoch, tz=dt.UTC))

        if not path.is_file():
            raise CommandError(f"{path}: no such file", returncode=2)
        if camera and not Camera.objects.filter(code=camera).exists():
            raise CommandError(f"--camera: no camera with code {camera!r}", returncode=2)
        period = []
        for option, text in (("--from", since), ("--until", until)):
            try:
                period.append(dt.datetime.fromtimestamp(parse_timestamp_ms(text) / 1000,
                                                         tz=dt.UTC) if text else None)
            except ValueError as error:
                raise CommandError(f"{option}: {error}", returncode=2) from error
        if period[0] and period[1] and period[1] <= period[0]:
            raise CommandError("--until: must be after --from", returncode=2)
        started = time.perf_counter()
        try:
            times, hashes, duration, spacing = clip_fingerprints(path, CLIP_STEP)
        except FingerprintError as error:
            raise CommandError(str(error), returncode=2) from error
        references = fingerprint_references(camera=camera, started_at=period[0],
                                            ended_at=period[1])
        result = match_clip(times, hashes, references, clip_step=spacing)
        taken = time.perf_counter() - started
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        audit_record(actor=None, action=AuditEvent.Action.READ, origin=SYSTEM_ORIGIN,
                     object_type="evidence.match", object_label=path.name[:100],
                     detail={"sha256": digest.hexdigest(), "camera": camera,
                             "segments": len(result.matches)})
        lines: list[dict[str, Any]] = []
        for found in result.matches:
            lines.append({"camera": found.camera, "segment": found.segment,
                          "clip_start": round(found.clip_start, 3),
                          "clip_end": round(found.clip_end, 3),
                          "recorded_start": when(found.recorded_start),
                          "recorded_end": when(found.recorded_end),
                          "similarity": found.similarity, "samples": found.samples})
        for cut in result.cuts:
            lines.append({"cut": True, "camera": cut.camera, "clip_at": round(cut.clip_at, 3),
                          "missing_start": when(cut.missing_start),
                          "missing_end": when(cut.missing_end),
                          "missing_seconds": round(cut.missing_end - cut.missing_start, 3)})
        for start, end in result.unmatched:
            lines.append({"unmatched": True, "clip_start": round(start, 3),
                          "clip_end": round(end, 3)})
        summary = {"summary": True, "file": str(path), "sha256": digest.hexdigest(),
                   "seconds": round(duration, 3), "samples": result.samples,
                   "matched_samples": result.matched_samples,
                   "segments": len(result.matches), "references": len(references),
                   "seconds_taken": round(taken, 3)}
        if as_json:
            for line in [*lines, summary]:
                self.stdout.write(json.dumps(line, sort_keys=True))
        else:
            for line in lines:
                if line.get("cut"):
                    self.stdout.write(
                        f"CUT      {line['camera']} at {line['clip_at']:.1f}s of the file: "
                        f"{line['missing_start']} .. {line['missing_end']} missing "
                        f"({line['missing_seconds']:.0f}s)")
                elif line.get("unmatched"):
                    self.stdout.write(f"NO MATCH {line['clip_start']:.1f}s .. "
                                      f"{line['clip_end']:.1f}s of the file")
                else:
                    self.stdout.write(
                        f"MATCH    {line['camera']} {line['recorded_start']} .. "
                        f"{line['recorded_end']} = {line['clip_start']:.1f}s .. "
                        f"{line['clip_end']:.1f}s of the file, similarity "
                        f"{line['similarity']:.2f}, segment {line['segment']}")
            self.stdout.write(f"{len(result.matches)} segment(s) matched, "
                              f"{result.matched_samples} of {result.samples} samples, "
                              f"{len(references)} recorded segments searched")
        if not result.matches:
            raise CommandError("no recorded segment matches this file", returncode=1)
