"""The configured escrow bucket (settings.ESCROW_S3_*), one boto3 client per process."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from custodywatch.escrow import s3


@dataclass(frozen=True)
class Store:
    client: Any
    bucket: str
    endpoint: str
    checker: Any  # no retries: re-reads that check objects report damage at once
    presigner: Any  # signs agents' PUTs for the address facilities reach the store at

    def describe(self) -> str:
        return f"{self.endpoint or 's3'}/{self.bucket}"


@functools.lru_cache(maxsize=4)
def _store(endpoint: str, bucket: str, region: str, access: str, secret: str,
           upload_endpoint: str) -> Store:
    return Store(s3.make_client(endpoint, access, secret, region), bucket, endpoint,
                 s3.make_client(endpoint, access, secret, region, attempts=1),
                 s3.make_client(upload_endpoint or endpoint, access, secret, region))


def configured() -> bool:
    return bool(settings.ESCROW_S3_ENDPOINT and settings.ESCROW_S3_ACCESS_KEY)


def store() -> Store:
    if not configured():
        raise ImproperlyConfigured(
            "Footage escrow needs CUSTODYWATCH_ESCROW_S3_ENDPOINT and its keys "
            "(docs/operations.md).")
    return _store(settings.ESCROW_S3_ENDPOINT, settings.ESCROW_S3_BUCKET,
                  settings.ESCROW_S3_REGION, settings.ESCROW_S3_ACCESS_KEY,
                  settings.ESCROW_S3_SECRET_KEY, settings.ESCROW_S3_UPLOAD_ENDPOINT)
