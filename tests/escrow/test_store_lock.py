"""The real store (SeaweedFS): a locked object survives every deletion and overwrite the S3
API offers, its administrator's credentials included, until its retention ends."""

from __future__ import annotations

import datetime as dt
import hashlib
import time

import pytest

from custodywatch.escrow import s3


@pytest.fixture
def client(seaweed):
    return s3.make_client(seaweed.endpoint, seaweed.access_key, seaweed.secret_key)


def test_a_locked_object_cannot_be_deleted_shortened_or_replaced(seaweed, client):
    bucket, key = seaweed.bucket, f"segments/lock-test-{time.time_ns()}"
    until = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=1)
    body = b"original footage" * 1000
    version = client.put_object(Bucket=bucket, Key=key, Body=body, ObjectLockMode="COMPLIANCE",
                                ObjectLockRetainUntilDate=until)["VersionId"]
    refused = [
        lambda: client.delete_object(Bucket=bucket, Key=key, VersionId=version),
        lambda: client.delete_object(Bucket=bucket, Key=key, VersionId=version,
                                     BypassGovernanceRetention=True),
        lambda: client.put_object_retention(
            Bucket=bucket, Key=key, VersionId=version,
            Retention={"Mode": "COMPLIANCE", "RetainUntilDate": until - dt.timedelta(hours=1)}),
        lambda: client.put_object_retention(
            Bucket=bucket, Key=key, VersionId=version, BypassGovernanceRetention=True,
            Retention={"Mode": "GOVERNANCE", "RetainUntilDate": until}),
    ]
    for attempt in refused:
        with pytest.raises(s3.ClientError):
            attempt()
    answer = client.delete_objects(Bucket=bucket, Delete={
        "Objects": [{"Key": key, "VersionId": version}]})
    assert answer.get("Errors") and not answer.get("Deleted")
    # An "overwrite" and a plain delete only stack a new version / a delete marker on top.
    client.put_object(Bucket=bucket, Key=key, Body=b"forged")
    client.delete_object(Bucket=bucket, Key=key)
    found, size, _ = s3.read_sha256(client, bucket, key, version)
    assert (found, size) == (hashlib.sha256(body).hexdigest(), len(body))
    assert s3.retention(client, bucket, key, version) == ("COMPLIANCE", until)
    # Extending is allowed (a hold), and sticks.
    s3.extend_retention(client, bucket, key, version, until + dt.timedelta(days=30))
    assert s3.retention(client, bucket, key, version)[1] == until + dt.timedelta(days=30)


def test_the_bucket_refuses_to_be_used_without_object_lock(seaweed, client):
    plain = f"nolock-{time.time_ns()}"
    client.create_bucket(Bucket=plain)
    with pytest.raises((RuntimeError, s3.ClientError)):
        s3.ensure_bucket(client, plain)
