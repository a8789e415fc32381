"""End to end against the real centre (live_server) and the real store (SeaweedFS): the
facility's agent escrows every segment of its interrogation room; the agent machine is then
destroyed (its whole state folder and the recorder's files deleted) and nothing of the
interrogation is lost: the prosecutor retrieves each segment, it decrypts, and it matches the
ledger's hashes. ``escrow verify`` finds an object altered behind the store's back."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import urllib.request
from io import StringIO
from pathlib import Path

import cv2
import numpy as np
import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import AuditEvent, Role
from custodywatch.accounts.services import token_create
from custodywatch.agent import segments
from custodywatch.agent.config import EscrowConfig
from custodywatch.agent.escrow_upload import CentreClient, EscrowQueue, Uploader
from custodywatch.agent.outbox import Outbox
from custodywatch.agent.sender import DeliveryError, Sender
from custodywatch.escrow import s3, services
from custodywatch.escrow.models import EscrowObject, EscrowState, HoldReason
from custodywatch.escrow.store import store
from custodywatch.ledger import db_guards
from custodywatch.ledger.models import LeafKind
from custodywatch.ledger.services import ledger_integrate
from custodywatch.registry.models import Camera, Room
from custodywatch.video.models import RecordingSegment
from tests.conftest import ensure_reference_data, make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def empty_ledger_after():
    """The log tables refuse DELETE: empty them the sanctioned way before the flush."""
    yield
    db_guards.reset_ledger_tables(connection)


def _write_video(path: Path, seed: int) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 5, (160, 120))
    rng = np.random.default_rng(seed)
    for _ in range(25):
        writer.write(rng.integers(0, 255, (120, 160, 3), dtype=np.uint8))
    writer.release()


@pytest.fixture
def facility_world(escrow, live_server, people, facility_a, tmp_path):
    ensure_reference_data()
    room = Room.objects.create(facility=facility_a, code="I1", name="Interrogation 1",
                               kind=Room.Kind.INTERROGATION, custody_use=True)
    camera = Camera.objects.create(facility=facility_a, recorder=facility_a.recorders.first(),
                                   code="CAMI")
    camera.rooms.add(room)
    raw, _token = token_create(acting_user=None, origin=SYSTEM_ORIGIN, user=people["agent_a"])
    recorder = tmp_path / "recorder" / "CAMI"
    recorder.mkdir(parents=True)
    corridor = tmp_path / "recorder" / "CORR"
    corridor.mkdir(parents=True)
    start = dt.datetime(2026, 12, 6, 10, 0, tzinfo=dt.UTC)
    # Footage of its own for each test: the store lives for the whole session.
    seed = int.from_bytes(os.urandom(4), "big")
    for number in range(4):
        at = start + dt.timedelta(minutes=number)
        _write_video(recorder / f"CAMI_{at:%Y%m%dT%H%M%S}.mp4", seed + number)
    _write_video(corridor / f"CORR_{start:%Y%m%dT%H%M%S}.mp4", seed + 99)
    return {"url": live_server.url, "token": raw, "recorder": recorder, "corridor": corridor,
            "state": tmp_path / "state", "camera": camera}


def _run_agent(world) -> tuple[Uploader, dict[str, int]]:
    """What the agent's threads do: hash finished segments, send their hashes, escrow them."""
    state = world["state"]
    outbox = Outbox(state / "outbox.sqlite3")
    for code, folder in (("CAMI", world["recorder"]), ("CAM1", world["corridor"])):
        segments.scan(segments.SegmentWatch(code, folder, "*.mp4", "UTC", settle_seconds=0),
                      outbox, now=9e9)
    Sender(outbox, world["url"], world["token"]).drain()
    uploader = Uploader(outbox, EscrowQueue(state / "escrow.sqlite3"),
                        CentreClient(world["url"], world["token"]), EscrowConfig(),
                        {world["recorder"]: "CAMI", world["corridor"]: "CAM1"})
    return uploader, uploader.drain()


def test_destroying_the_agent_after_an_interrogation_loses_none_of_its_footage(
        facility_world, people):
    originals = {hashlib.sha256(path.read_bytes()).hexdigest(): path.read_bytes()
                 for path in facility_world["recorder"].glob("*.mp4")}
    uploader, counts = _run_agent(facility_world)
    # CAMI (interrogation room) and CAM1 (a cell): both custody areas, all five escrowed.
    assert counts["escrowed"] == 5
    assert set(uploader.queue.counts()) == {"done"}
    # The facility's machine is destroyed: state folder, queue, recorder files, all gone.
    uploader.queue.close()
    shutil.rmtree(facility_world["state"])
    shutil.rmtree(facility_world["recorder"])

    ledger_integrate()
    prosecutor = people["prosecutor_a"]
    for sha256, plaintext in originals.items():
        segment = RecordingSegment.objects.get(camera__code="CAMI", sha256=sha256)
        obj = EscrowObject.objects.get(sha256=sha256, state=EscrowState.STORED)
        assert obj.segment == segment
        opened = services.open_object(acting_user=prosecutor, origin=SYSTEM_ORIGIN, obj=obj,
                                      purpose="complaint check")
        assert opened == plaintext
        # The ledger holds both hashes: the plaintext (segment) and the stored bytes.
        bucket = store()
        stored_sha, _size, _ = s3.read_sha256(bucket.client, bucket.bucket,
                                              services.object_key(sha256), obj.version_id)
        leaf = json.loads(_escrow_leaf(sha256).split(b"\n", 2)[2])
        assert (leaf["sha256"], leaf["stored_sha256"]) == (sha256, stored_sha)
        # The bytes stored are not the footage: the store alone reveals nothing.
        assert plaintext[:4096] not in s3.read_sha256(
            bucket.client, bucket.bucket, services.object_key(sha256), obj.version_id,
            keep=True)[2]
    assert AuditEvent.objects.filter(actor=prosecutor, action=AuditEvent.Action.READ,
                                     object_type="escrow.escrowobject").count() == 4


def _escrow_leaf(sha256: str) -> bytes:
    from custodywatch.ledger.models import Leaf

    return bytes(Leaf.objects.get(kind=LeafKind.ESCROW_OBJECT, sha256=sha256).data)


def test_only_a_prosecutor_in_scope_opens_and_refusals_are_audited(facility_world, people):
    _run_agent(facility_world)
    obj = EscrowObject.objects.filter(state=EscrowState.STORED).first()
    for name in ("head_a", "duty_a", "analyst", "agent_a"):
        with pytest.raises(PermissionDenied):
            services.open_object(acting_user=people[name], origin=SYSTEM_ORIGIN, obj=obj,
                                 purpose="look")
        assert AuditEvent.objects.filter(actor=people[name], action=AuditEvent.Action.DENIED,
                                         object_id=str(obj.pk)).exists()


def test_grants_only_to_the_facilitys_own_edge_agent(facility_world, people, facility_b):
    uploader, _counts = _run_agent(facility_world)
    for user, facility in ((people["head_a"], None), (people["duty_a"], None),
                           (people["admin"], facility_world["camera"].facility)):
        raw, _token = token_create(acting_user=None, origin=SYSTEM_ORIGIN, user=user,
                                   facility=facility)
        with pytest.raises(DeliveryError, match="HTTP 403"):
            CentreClient(facility_world["url"], raw).call("/api/escrow/plan")
    # Another facility's agent gets nothing for facility A's cameras.
    agent_b = make_user("agent_b", Role.EDGE_AGENT, facility=facility_b)
    raw_b, _token = token_create(acting_user=None, origin=SYSTEM_ORIGIN, user=agent_b)
    sha = EscrowObject.objects.first().sha256
    answer = CentreClient(facility_world["url"], raw_b).call("/api/escrow/grants", {"items": [
        {"camera": "CAMI", "sha256": sha, "stored_sha256": "0" * 64, "size": 10}]})
    assert answer["items"][0]["status"] == "refused" and not answer["items"][0]["url"]


def test_escrow_status_and_verify_find_an_object_altered_behind_the_stores_back(
        facility_world, escrow):
    _run_agent(facility_world)
    ledger_integrate()
    out = StringIO()
    call_command("escrow", "status", stdout=out)
    status = json.loads(out.getvalue())
    assert set(status) == {"objects", "bytes", "locked", "verified_at", "store"}
    assert status["objects"] == 5 and status["locked"] == 5 and status["bytes"] > 0
    out = StringIO()
    call_command("escrow", "verify", stdout=out, stderr=StringIO())
    assert out.getvalue() == ""
    # Someone with the store's machine (its filer, behind the S3 API and its lock) rewrites
    # one locked object with one byte changed.
    obj = EscrowObject.objects.filter(camera__code="CAMI").first()
    bucket = store()
    body = bytearray(s3.read_sha256(bucket.client, bucket.bucket,
                                    services.object_key(obj.sha256), obj.version_id,
                                    keep=True)[2])
    body[200] ^= 0xFF
    path = (f"{escrow.filer}/buckets/{escrow.bucket}/{services.object_key(obj.sha256)}"
            f".versions/v_{obj.version_id}")
    request = urllib.request.Request(path, data=bytes(body), method="PUT")  # noqa: S310
    with urllib.request.urlopen(request) as answer:  # noqa: S310 - the test's own store
        assert answer.status in (200, 201)
    out = StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("escrow", "verify", stdout=out, stderr=StringIO())
    assert failure.value.returncode == 1
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and obj.sha256 in lines[0]
    assert lines[0].split()[0] in ("MISMATCH", "MISSING")
    # And a row changed in the database (its stored hash) disagrees with the ledger.
    other = EscrowObject.objects.exclude(pk=obj.pk).first()
    EscrowObject.objects.filter(pk=other.pk).update(stored_sha256="a" * 64)
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("escrow", "verify", stdout=out, stderr=StringIO())
    assert any(other.sha256 in line and "ledger" in line for line in out.getvalue().splitlines())


def test_a_hold_extends_the_lock_on_the_store_and_grants_stay_uniform(facility_world, people):
    _run_agent(facility_world)
    obj = EscrowObject.objects.filter(camera__code="CAMI").first()
    bucket = store()
    before = s3.retention(bucket.client, bucket.bucket, services.object_key(obj.sha256),
                          obj.version_id)[1]
    services.place_hold(acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN,
                        facility=obj.facility, started_at=obj.started_at,
                        ended_at=obj.ended_at, reason=HoldReason.COMPLAINT, reference="C-1")
    mode, after = s3.retention(bucket.client, bucket.bucket, services.object_key(obj.sha256),
                               obj.version_id)
    assert mode == "COMPLIANCE" and after > before + dt.timedelta(days=365)
    assert EscrowObject.objects.get(pk=obj.pk).retain_until >= after
    # What the facility reads is the same after the hold as before it: the plan, and the lock
    # a new grant carries (upload time plus the uniform period, for every facility).
    agent = CentreClient(facility_world["url"], facility_world["token"])
    plan = agent.call("/api/escrow/plan")
    assert plan["cameras"][0] == {"camera": "CAMI", "priority": 0}
    fresh = RecordingSegment.objects.create(
        camera=obj.camera, started_at=obj.started_at - dt.timedelta(hours=1),
        ended_at=obj.started_at - dt.timedelta(minutes=59), sha256=os.urandom(32).hex())
    asked = dt.datetime.now(dt.UTC)
    grant = agent.call("/api/escrow/grants", {"items": [
        {"camera": "CAMI", "sha256": fresh.sha256, "stored_sha256": "0" * 64, "size": 1}]})
    headers = grant["items"][0]["headers"]
    assert headers["x-amz-object-lock-mode"] == "COMPLIANCE"
    lock = dt.datetime.strptime(headers["x-amz-object-lock-retain-until-date"],
                                "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    assert abs(lock - (asked + dt.timedelta(days=365))) < dt.timedelta(minutes=2)


def test_footage_is_kept_a_year_after_the_release_of_everyone_held_then(facility_world, people):
    from custodywatch.custody.models import CustodyRecord, EndReason, Injury, MedicalCheck
    from tests.custody.conftest import make_record

    _run_agent(facility_world)
    obj = EscrowObject.objects.filter(camera__code="CAMI").first()
    facility = obj.facility
    record = make_record(facility, people["duty_a"],
                         detained_at=obj.started_at - dt.timedelta(hours=1),
                         arrived_at=obj.started_at - dt.timedelta(minutes=30))
    bucket = store()

    def lock() -> dt.datetime:
        return s3.retention(bucket.client, bucket.bucket, services.object_key(obj.sha256),
                            obj.version_id)[1]

    uploaded = lock()
    # Still in custody a month later: kept a year from then.
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
    assert services.apply_holds(facility=facility, now=later) >= 1
    assert lock() >= later + dt.timedelta(days=365) > uploaded
    # Released 40 days on: a year from the release.
    released = later + dt.timedelta(days=10)
    CustodyRecord.objects.filter(pk=record.pk).update(ended_at=released,
                                                      end_reason=EndReason.RELEASED)
    services.apply_holds(facility=facility, now=released + dt.timedelta(days=5))
    assert lock() >= released + dt.timedelta(days=365)
    # Everyone held during the segment counts (CAM1's segment overlaps this custody too).
    other = EscrowObject.objects.get(camera__code="CAM1")
    assert services.retention_target(other, later) == released + dt.timedelta(days=365)
    # An injury recorded during the custody: kept as long as a hold.
    check = MedicalCheck.objects.create(
        custody_record=record, occasion=MedicalCheck.Occasion.INTAKE,
        examined_at=obj.started_at, examiner="Dr. Seitkali", no_injuries=False,
        declared_ill_treatment=True)
    Injury.objects.create(medical_check=check, body_location="left arm",
                          kind=Injury.Kind.BRUISE)
    assert services.retention_target(obj, later) == released + dt.timedelta(days=5 * 365)


def test_the_evidence_package_carries_the_escrowed_footage_and_verifies_alone(
        facility_world, people, settings, tmp_path):
    import io
    import subprocess
    import sys
    import zipfile

    from custodywatch.kernels.signed_note import generate_key

    key, _verifier = generate_key("custodywatch.test/ledger")
    (tmp_path / "signing.key").write_text(key.to_text() + "\n")
    settings.LEDGER_SIGNING_KEY_FILE = str(tmp_path / "signing.key")
    settings.LEDGER_ORIGIN = "custodywatch.test/ledger"
    settings.LEDGER_VERIFIER_KEYS_FILE = ""
    originals = {hashlib.sha256(path.read_bytes()).hexdigest()
                 for path in facility_world["recorder"].glob("*.mp4")}
    _run_agent(facility_world)
    shutil.rmtree(facility_world["recorder"])  # the facility's copies are gone
    from custodywatch.ledger.services import ledger_integrate_all

    ledger_integrate_all()
    objects = list(EscrowObject.objects.filter(camera__code="CAMI"))
    with pytest.raises(PermissionDenied):
        services.evidence_package_with_footage(acting_user=people["head_a"],
                                               origin=SYSTEM_ORIGIN, objects=objects,
                                               purpose="court")
    payload = services.evidence_package_with_footage(
        acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN, objects=objects,
        purpose="court")
    target = tmp_path / "package"
    zipfile.ZipFile(io.BytesIO(payload)).extractall(target)
    files = list((target / "files").iterdir())
    assert {hashlib.sha256(f.read_bytes()).hexdigest() for f in files} == originals
    command = [sys.executable, "-I", str(target / "verify.py"), str(target), "--key",
               key.verifier().to_text()]
    ok = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.count("hash matches") == 4
    files[0].write_bytes(files[0].read_bytes() + b"!")
    bad = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    assert bad.returncode == 1 and "HASH DIFFERS" in bad.stdout


def test_an_upload_interrupted_before_its_acknowledgement_resumes_and_counts_once(
        facility_world, monkeypatch):
    state = facility_world["state"]
    outbox = Outbox(state / "outbox.sqlite3")
    segments.scan(segments.SegmentWatch("CAMI", facility_world["recorder"], "*.mp4", "UTC",
                                        settle_seconds=0), outbox, now=9e9)
    Sender(outbox, facility_world["url"], facility_world["token"]).drain()
    client = CentreClient(facility_world["url"], facility_world["token"])
    real_call = client.call

    def cut_before_ack(path, body=None):  # the link (or the agent) dies after the PUTs
        if path.endswith("/acks"):
            raise DeliveryError("connection reset")
        return real_call(path, body)

    monkeypatch.setattr(client, "call", cut_before_ack)
    uploader = Uploader(outbox, EscrowQueue(state / "escrow.sqlite3"), client, EscrowConfig(),
                        {facility_world["recorder"]: "CAMI"})
    with pytest.raises(DeliveryError):
        uploader.round()
    assert uploader.queue.counts() == {"pending": 4}
    assert not EscrowObject.objects.filter(state=EscrowState.STORED).exists()
    uploader.queue.close()
    # The agent restarts (a new queue object on the same state folder) and resumes.
    monkeypatch.setattr(client, "call", real_call)
    again = Uploader(outbox, EscrowQueue(state / "escrow.sqlite3"), client, EscrowConfig(),
                     {facility_world["recorder"]: "CAMI"})
    assert again.drain()["escrowed"] == 4
    assert EscrowObject.objects.filter(state=EscrowState.STORED).count() == 4
    # Each key holds two versions (the interrupted PUT's and the verified one), both locked;
    # the centre's row names the one it verified.
    bucket = store()
    obj = EscrowObject.objects.first()
    versions = bucket.client.list_object_versions(
        Bucket=bucket.bucket, Prefix=services.object_key(obj.sha256))["Versions"]
    assert len(versions) == 2 and obj.version_id in {v["VersionId"] for v in versions}
    _checked, problems = services.verify_objects()
    assert problems == []


def test_blackout_locks_the_site_at_once_and_lists_what_may_be_lost(facility_world):
    _run_agent(facility_world)
    camera = facility_world["camera"]
    start = dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC)
    hashed_only = RecordingSegment.objects.create(
        camera=camera, started_at=start + dt.timedelta(hours=2),
        ended_at=start + dt.timedelta(hours=2, minutes=1), sha256="e" * 64)
    listed = services.escrow_lock_site(camera.facility, (start, start + dt.timedelta(hours=4)))
    assert len(listed["escrowed"]) == 5 and listed["local_only"] == [hashed_only.sha256]
    bucket = store()
    for obj in EscrowObject.objects.filter(state=EscrowState.STORED):
        until = s3.retention(bucket.client, bucket.bucket, services.object_key(obj.sha256),
                             obj.version_id)[1]
        assert until >= dt.datetime.now(dt.UTC) + dt.timedelta(days=5 * 365 - 1)


def test_only_a_prosecutor_in_scope_releases_a_hold_with_a_written_decision(
        facility_world, people):
    facility = facility_world["camera"].facility
    start = dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC)
    hold = services.place_hold(acting_user=None, origin=SYSTEM_ORIGIN, facility=facility,
                               started_at=start, ended_at=start + dt.timedelta(hours=1),
                               reason=HoldReason.INJURY)
    for name in ("head_a", "analyst", "admin"):
        with pytest.raises(PermissionDenied):
            services.release_hold(acting_user=people[name], origin=SYSTEM_ORIGIN, hold=hold,
                                  decision="no longer needed")
    with pytest.raises(ValueError, match="decision"):
        services.release_hold(acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN,
                              hold=hold, decision="  ")
    services.release_hold(acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN, hold=hold,
                          decision="Case 123 closed by decision of 1 Dec 2027")
    hold.refresh_from_db()
    assert hold.released_by == people["prosecutor_a"] and hold.released_at is not None
