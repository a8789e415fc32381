"""The same suite runs on SQLite and on PostgreSQL; CI runs it on both."""

from __future__ import annotations

import os

import psycopg
import pytest
from django.db import connection


@pytest.mark.django_db
def test_the_configured_database_is_the_one_in_use():
    url = os.environ.get("DATABASE_URL", "")
    expected = "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"
    assert connection.vendor == expected


@pytest.mark.postgres
def test_postgresql_server_is_recent_enough(postgres_url):
    with psycopg.connect(postgres_url) as conn:
        assert conn.info.server_version >= 150000
        # Multiranges (PostgreSQL 14+) are the oracle for the coverage engine.
        value = conn.execute(
            "SELECT upper(tstzmultirange(tstzrange('2024-01-01', '2024-01-02')))"
        ).fetchone()[0]
        assert value.year == 2024
