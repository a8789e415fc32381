"""The S3 calls of the escrow store, through boto3 (no hand-written signing); no Django import.

Object Lock in COMPLIANCE mode: nobody, the store's own administrator included, can delete a
locked version or shorten its retention; retention can only be extended. The bucket has
Object Lock enabled at creation, which also turns versioning on: a second PUT to a key makes a
new version and never replaces the one the centre verified (read by its version id).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

__all__ = ["BotoCoreError", "ClientError", "ensure_bucket", "extend_retention", "make_client",
           "presign_put", "read_sha256"]

COMPLIANCE = "COMPLIANCE"
READ_CHUNK = 1 << 20


def make_client(endpoint: str, access_key: str, secret_key: str, region: str = "us-east-1",
                attempts: int = 5) -> Any:
    """``attempts=1`` for checks: a damaged object must be reported, not retried for minutes."""
    return boto3.client(
        "s3", endpoint_url=endpoint or None, aws_access_key_id=access_key,
        aws_secret_access_key=secret_key, region_name=region,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                      retries={"max_attempts": attempts, "mode": "standard"},
                      connect_timeout=10, read_timeout=60,
                      request_checksum_calculation="when_required",
                      response_checksum_validation="when_required"))


def ensure_bucket(client: Any, bucket: str) -> None:
    """Create the bucket with Object Lock, or check that an existing one has it."""
    try:
        client.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in (
                "BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise
    lock = client.get_object_lock_configuration(Bucket=bucket)
    if lock.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") != "Enabled":
        raise RuntimeError(f"bucket {bucket} has no Object Lock: escrow refuses to use it")


def lock_headers(retain_until: dt.datetime) -> dict[str, str]:
    return {"x-amz-object-lock-mode": COMPLIANCE,
            "x-amz-object-lock-retain-until-date": retain_until.astimezone(dt.UTC).strftime(
                "%Y-%m-%dT%H:%M:%SZ")}


def presign_put(client: Any, bucket: str, key: str, retain_until: dt.datetime,
                expires_in: int = 900) -> tuple[str, dict[str, str]]:
    """A URL that lets its holder PUT one object at ``key``, locked in COMPLIANCE mode until
    ``retain_until``: the lock headers are signed, so the uploader cannot drop or change them.
    Returns the URL and the headers the PUT must send."""
    url = client.generate_presigned_url(
        "put_object", ExpiresIn=expires_in, HttpMethod="PUT",
        Params={"Bucket": bucket, "Key": key, "ObjectLockMode": COMPLIANCE,
                "ObjectLockRetainUntilDate": retain_until})
    return url, lock_headers(retain_until)


def read_sha256(client: Any, bucket: str, key: str, version_id: str = "",
                keep: bool = False) -> tuple[str, int, bytes | None]:
    """Re-read an object (a given version): its SHA-256, size and, with ``keep``, its bytes."""
    params = {"Bucket": bucket, "Key": key} | ({"VersionId": version_id} if version_id else {})
    body = client.get_object(**params)["Body"]
    digest, size, parts = hashlib.sha256(), 0, []
    for chunk in body.iter_chunks(READ_CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if keep:
            parts.append(chunk)
    return digest.hexdigest(), size, (b"".join(parts) if keep else None)


def retention(client: Any, bucket: str, key: str, version_id: str = "",
              ) -> tuple[str, dt.datetime | None]:
    params = {"Bucket": bucket, "Key": key} | ({"VersionId": version_id} if version_id else {})
    try:
        answer = client.get_object_retention(**params).get("Retention", {})
    except ClientError:
        return "", None
    until = answer.get("RetainUntilDate")
    return answer.get("Mode", ""), until.astimezone(dt.UTC) if until else None


def extend_retention(client: Any, bucket: str, key: str, version_id: str,
                     retain_until: dt.datetime) -> None:
    """Set a later retain-until date (COMPLIANCE: the store refuses an earlier one)."""
    params = {"Bucket": bucket, "Key": key} | ({"VersionId": version_id} if version_id else {})
    client.put_object_retention(**params, Retention={"Mode": COMPLIANCE,
                                                     "RetainUntilDate": retain_until})
