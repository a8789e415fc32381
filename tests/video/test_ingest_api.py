"""Batch ingestion through the HTTP API: scope, validation, atomicity, merging, retries."""

from __future__ import annotations

import datetime as dt

import pytest

from custodywatch.accounts.models import AuditEvent
from custodywatch.kernels.ledger_leaf import decode_leaf
from custodywatch.ledger.models import LeafKind, PendingLeaf
from custodywatch.registry.models import Camera
from custodywatch.video.models import (
    CameraHealth,
    CameraStateSpan,
    RecordingRun,
    RecordingSegment,
    SignalStatus,
    SpanSource,
)
from tests.video.conftest import T0, at

pytestmark = pytest.mark.django_db

HASH = "ab" * 32


def spans(facility, code="CAM1"):
    return list(CameraStateSpan.objects.filter(camera__facility=facility, camera__code=code)
                .order_by("started_at").values_list("state", "started_at", "ended_at"))


def minutes(n: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=n)


def test_continuing_spans_extend_one_row(post, token_a, facility_a):
    for n in range(5):  # an agent posting its last minute, five times
        response = post("state-spans", {"items": [
            {"camera": "CAM1", "state": "ok", "start": at(n), "end": at(n + 1)}]}, token_a)
        assert response.status_code == 200, response.content
    assert spans(facility_a) == [("ok", minutes(0), minutes(5))]
    assert response.json() == {"accepted": 1, "created": 0, "updated": 1, "deleted": 0}
    # One audit row per accepted batch, not per span.
    assert AuditEvent.objects.filter(action=AuditEvent.Action.IMPORT,
                                     object_label__startswith="FA-1").count() == 5


def test_overlapping_and_unsorted_same_state_spans_merge(post, token_a, facility_a):
    response = post("state-spans", {"items": [
        {"camera": "CAM1", "state": "black", "start": at(10), "end": at(20)},
        {"camera": "CAM1", "state": "black", "start": at(0), "end": at(5)},
        {"camera": "CAM1", "state": "ok", "start": at(5), "end": at(10)},
        {"camera": "CAM1", "state": "black", "start": at(12), "end": at(25)},
    ]}, token_a)
    assert response.status_code == 200, response.content
    assert spans(facility_a) == [("black", minutes(0), minutes(5)), ("ok", minutes(5), minutes(10)),
                                 ("black", minutes(10), minutes(25))]
    # A later batch bridging two stored black spans with black joins all three.
    post("state-spans", {"items": [{"camera": "CAM1", "state": "black", "start": at(30),
                                    "end": at(40)}]}, token_a)
    post("state-spans", {"items": [{"camera": "CAM1", "state": "black", "start": at(25),
                                    "end": at(30)}]}, token_a)
    assert spans(facility_a)[-1] == ("black", minutes(10), minutes(40))
    assert len(spans(facility_a)) == 3


def test_epoch_seconds_and_offsets_are_the_same_instant(post, token_a, facility_a):
    epoch = T0.timestamp()
    response = post("state-spans", {"items": [
        {"camera": "CAM2", "state": "frozen", "start": epoch,
         "end": "2024-01-05T10:01:00.250+05:00"},
    ]}, token_a)
    assert response.status_code == 200, response.content
    assert spans(facility_a, "CAM2") == [
        ("frozen", T0, T0 + dt.timedelta(minutes=1, milliseconds=250))]


def test_one_bad_item_rejects_the_whole_batch_naming_index_and_field(post, token_a, facility_a):
    response = post("state-spans", {"items": [
        {"camera": "CAM1", "state": "ok", "start": at(0), "end": at(1)},
        {"camera": "CAM2", "state": "ok", "start": at(5), "end": at(5)},
        {"camera": "CAM9", "state": "purple", "start": "yesterday", "end": at(1)},
    ]}, token_a)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "must be after start" in detail["items[1].end"][0].lower()
    assert "CAM9" in detail["items[2].camera"][0]
    assert "purple" in detail["items[2].state"][0]
    assert "invalid timestamp" in detail["items[2].start"][0]
    assert not CameraStateSpan.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.IMPORT).exists()


def test_schema_errors_name_the_item(post, token_a, facility_a):
    response = post("state-spans", {"items": [{"camera": "CAM1", "state": "ok", "start": at(0)}]},
                    token_a)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-2:] == [0, "end"]


def test_naive_and_future_times_are_refused(post, token_a, facility_a):
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat(timespec="seconds")
    response = post("state-spans", {"items": [
        {"camera": "CAM1", "state": "ok", "start": "2024-01-05T10:00:00", "end": at(1)},
        {"camera": "CAM1", "state": "ok", "start": at(1), "end": future},
    ]}, token_a)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "offset" in detail["items[0].start"][0]
    assert "future" in detail["items[1].end"][0]


def test_different_states_may_not_overlap(post, token_a, facility_a):
    response = post("state-spans", {"items": [
        {"camera": "CAM1", "state": "ok", "start": at(0), "end": at(10)},
        {"camera": "CAM1", "state": "black", "start": at(9), "end": at(12)},
    ]}, token_a)
    assert response.status_code == 422
    assert "items[0]" in response.json()["detail"]["items[1].start"][0]
    post("state-spans", {"items": [{"camera": "CAM1", "state": "ok", "start": at(0),
                                    "end": at(10)}]}, token_a)
    again = post("state-spans", {"items": [{"camera": "CAM1", "state": "covered", "start": at(5),
                                            "end": at(6)}]}, token_a)
    assert again.status_code == 422
    assert "stored ok span" in again.json()["detail"]["items[0].start"][0]
    assert spans(facility_a) == [("ok", minutes(0), minutes(10))]


def test_agent_cannot_write_another_facility(post, token_a, facility_a, facility_b, people):
    response = post("state-spans", {"facility": "FB-1", "items": [
        {"camera": "CAM1", "state": "ok", "start": at(0), "end": at(1)}]}, token_a)
    assert response.status_code == 403
    assert not CameraStateSpan.objects.exists()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DENIED, actor=people["agent_a"],
                                     object_label="FB-1").exists()


def test_camera_codes_resolve_within_the_tokens_facility(post, token_a, facility_a, facility_b):
    post("heartbeats", {"items": [{"camera": "CAM1", "at": at(0)}]}, token_a)
    health = CameraHealth.objects.get()
    assert health.camera == Camera.objects.get(facility=facility_a, code="CAM1")


def test_people_do_not_ingest_video_not_even_the_administrator(signed_in, people, facility_a):
    """Video evidence is the edge agent's alone (issue 17, item 4): the system administrator
    naming the facility is refused too, and nothing is stored."""
    client = signed_in(people["head_a"])
    response = client.post("/api/video/heartbeats",
                           data={"items": [{"camera": "CAM1", "at": at(0)}]},
                           content_type="application/json")
    assert response.status_code == 403
    admin = signed_in(people["admin"])
    refused = admin.post("/api/video/heartbeats",
                         data={"facility": "FA-1", "items": [{"camera": "CAM1", "at": at(0)}]},
                         content_type="application/json")
    assert refused.status_code == 403, refused.content
    assert not CameraHealth.objects.exists()


def test_unauthenticated_ingestion_is_refused(post, facility_a):
    response = post("heartbeats", {"items": [{"camera": "CAM1", "at": at(0)}]})
    assert response.status_code == 401


def test_idempotency_key_replays_the_first_answer(post, token_a, facility_a):
    body = {"items": [{"camera": "CAM1", "state": "ok", "start": at(0), "end": at(1)}]}
    first = post("state-spans", body, token_a, HTTP_IDEMPOTENCY_KEY="batch-1")
    second = post("state-spans", body, token_a, HTTP_IDEMPOTENCY_KEY="batch-1")
    assert first.status_code == second.status_code == 200
    assert second["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.IMPORT).count() == 1
    other = post("state-spans", {"items": [{"camera": "CAM1", "state": "ok", "start": at(1),
                                            "end": at(2)}]}, token_a,
                 HTTP_IDEMPOTENCY_KEY="batch-1")
    assert other.status_code == 422


def test_recordings_keep_segment_hashes_and_merge_runs(post, token_a, facility_a):
    items = [{"camera": "CAM1", "start": at(n), "end": at(n + 1), "sha256": f"{n:02x}" * 32}
             for n in range(3)]
    items.append({"camera": "CAM1", "start": at(5), "end": at(6), "sha256": HASH})
    response = post("recordings", {"items": items}, token_a)
    assert response.status_code == 200, response.content
    assert RecordingSegment.objects.count() == 4
    # Each new segment's hash is queued as a ledger leaf with the segment, in one transaction.
    leaves = [decode_leaf(bytes(data))[1] for data in PendingLeaf.objects.filter(
        kind=LeafKind.RECORDING_SEGMENT).order_by("id").values_list("data", flat=True)]
    assert [(leaf["camera"], leaf["sha256"], leaf["facility"]) for leaf in leaves] == [
        ("CAM1", item["sha256"], "FA-1") for item in items]
    assert leaves[0]["start"] == at(0).replace("+00:00", "Z")
    runs = list(RecordingRun.objects.order_by("started_at").values_list("started_at", "ended_at"))
    assert runs == [(minutes(0), minutes(3)), (minutes(5), minutes(6))]
    # A retry without a key is harmless; the same segment with another hash is refused.
    assert post("recordings", {"items": items[:1]}, token_a).status_code == 200
    assert RecordingSegment.objects.count() == 4
    assert PendingLeaf.objects.filter(kind=LeafKind.RECORDING_SEGMENT).count() == 4
    tampered = post("recordings", {"items": [dict(items[0], sha256=HASH)]}, token_a)
    assert tampered.status_code == 422
    assert "another hash" in tampered.json()["detail"]["items[0].sha256"][0]
    bad = post("recordings", {"items": [dict(items[0], sha256="xyz")]}, token_a)
    assert "64 hexadecimal" in bad.json()["detail"]["items[0].sha256"][0]
    assert PendingLeaf.objects.filter(kind=LeafKind.RECORDING_SEGMENT).count() == 4
    # Filling the gap joins the runs.
    post("recordings", {"items": [{"camera": "CAM1", "start": at(3), "end": at(5),
                                   "sha256": "cd" * 32}]}, token_a)
    assert list(RecordingRun.objects.values_list("started_at", "ended_at")) == [
        (minutes(0), minutes(6))]


def test_heartbeats_track_state_and_ignore_replays(post, token_a, facility_a):
    post("heartbeats", {"items": [{"camera": "CAM1", "at": at(0), "state": "ok"},
                                  {"camera": "CAM1", "at": at(1), "state": "ok"}]}, token_a)
    post("heartbeats", {"items": [{"camera": "CAM1", "at": at(2), "state": "covered"}]}, token_a)
    post("heartbeats", {"items": [{"camera": "CAM1", "at": at(1.5), "state": "ok"}]}, token_a)
    health = CameraHealth.objects.get()
    assert (health.reported_state, health.last_heartbeat_at, health.state_since) == (
        "covered", minutes(2), minutes(2))
    assert health.silent_after == minutes(4)
    assert health.status == SignalStatus.LIVE


def test_a_silence_the_sweep_missed_is_recorded_on_return(post, token_a, facility_a):
    post("heartbeats", {"items": [{"camera": "CAM1", "at": at(0)}]}, token_a)
    post("heartbeats", {"items": [{"camera": "CAM1", "at": at(30)}]}, token_a)
    span = CameraStateSpan.objects.get()
    assert (span.state, span.source, span.started_at, span.ended_at) == (
        "no_signal", SpanSource.SWEEP, minutes(0), minutes(30))


def test_every_bad_heartbeat_is_named_by_index_and_field_and_nothing_is_written(
        post, token_a, facility_a):
    # Issue 26 item 5: the one error format (core.rows), every error of the batch at once.
    response = post("heartbeats", {"items": [
        {"camera": "CAM1", "at": at(0)},
        {"camera": "NOPE", "at": at(1)},
        {"camera": "CAM1", "at": at(2), "state": "smeared"}]}, token_a)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert sorted(detail) == ["items[1].camera", "items[2].state"]
    assert "NOPE" in detail["items[1].camera"][0]
    assert not CameraHealth.objects.exists()


def test_a_re_sent_heartbeat_batch_writes_nothing_new(post, token_a, facility_a):
    batch = {"items": [{"camera": "CAM1", "at": at(0)}, {"camera": "CAM1", "at": at(1)}]}
    first = post("heartbeats", batch, token_a).json()
    again = post("heartbeats", batch, token_a).json()
    assert (first["created"], again["created"], again["updated"]) == (1, 0, 0)
    assert CameraHealth.objects.get().last_heartbeat_at == minutes(1)
    assert not CameraStateSpan.objects.exists()
