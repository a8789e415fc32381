"""What a client gets when the server fails: a database that is down or restarting is a 503
with Retry-After that says nothing was saved (clients resend with the same Idempotency-Key);
anything else is a plain 500. bench/faults.py restarts a real PostgreSQL under load."""

from __future__ import annotations

import pytest
from django.db import OperationalError

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.services import token_create
from custodywatch.registry import selectors

pytestmark = pytest.mark.django_db


def _fails_with(error: Exception):  # type: ignore[no-untyped-def]
    def failing(**_kwargs):  # type: ignore[no-untyped-def]
        raise error
    return failing


@pytest.fixture
def unsafe_client(client, settings):
    settings.DEBUG = False
    client.raise_request_exception = False
    return client


def test_database_unavailable_is_503_for_the_api(unsafe_client, people, monkeypatch):
    raw, _token = token_create(acting_user=None, origin=SYSTEM_ORIGIN, user=people["gpo"])
    monkeypatch.setattr(selectors, "regions_visible",
                        _fails_with(OperationalError("server closed the connection")))
    response = unsafe_client.get("/api/registry/regions", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "nothing was saved" in response.json()["detail"]
    assert "server closed" not in response.json()["detail"]  # no internals to the client


def test_database_unavailable_is_503_for_a_page(unsafe_client, people, signed_in, monkeypatch):
    client = signed_in(people["gpo"])
    client.raise_request_exception = False
    monkeypatch.setattr(selectors, "regions_visible",
                        _fails_with(OperationalError("the database system is starting up")))
    response = client.get("/registry/facilities/")
    assert response.status_code == 503
    assert "nothing was saved" in response.content.decode()


def test_any_other_failure_is_a_plain_500(unsafe_client, people, monkeypatch):
    raw, _token = token_create(acting_user=None, origin=SYSTEM_ORIGIN, user=people["gpo"])
    monkeypatch.setattr(selectors, "regions_visible", _fails_with(RuntimeError("a bug")))
    response = unsafe_client.get("/api/registry/regions", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 500
    assert "Retry-After" not in response
    assert "a bug" not in response.json()["detail"]


def test_health_says_when_the_database_is_unreachable(unsafe_client, monkeypatch):
    assert unsafe_client.get("/health/").json() == {"status": "ok"}

    class Unreachable:
        def cursor(self):  # type: ignore[no-untyped-def]
            raise OperationalError("connection refused")

    monkeypatch.setattr("custodywatch.views.connection", Unreachable())
    response = unsafe_client.get("/health/")
    assert response.status_code == 503 and response["Retry-After"] == "5"
