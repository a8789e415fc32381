"""The authorization matrix, continued: the admin site and the exports (downloads).

tests/test_authorization_matrix.py covers every named page and API operation, except the
admin site, whose URLs come from the models registered with it. Here:
- ADMIN: every registered model's changelist and an object's change page, for every role:
  only the system administrator gets in; everybody else is sent to the admin sign-in or
  refused. A model registered with the admin site is covered automatically.
- EXPORTS: each download, for every role, with objects inside and outside the scope: who
  may download, what type it is, and that rows outside the person's scope are absent.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.conftest import sign_in
from tests.test_authorization_matrix import COMPLAINT_HANDLERS, World, _sees

pytestmark = pytest.mark.django_db

EVERYONE = ("admin", "gpo", "prosecutor_a", "head_a", "head_b", "duty_a", "analyst", "agent_a")
ADMIN_ALLOWED = frozenset({"admin"})
# Complaints stay with their handlers: in the admin site a system administrator sees only
# the complaints (and their legal holds) of complaints_q, which for him is none; opening one
# answers as for an object that does not exist (a redirect to the admin index).
HIDDEN_FROM_ADMIN = frozenset({"complaints.Complaint change", "complaints.LegalHold change"})


def _admin_urls() -> list[tuple[str, str]]:
    """(label, url) of every registered model's changelist and of one object's change page."""
    urls = [("index", reverse("admin:index"))]
    for model in sorted(admin.site._registry, key=lambda m: m._meta.label):
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls.append((f"{model._meta.label} list", reverse(f"{prefix}_changelist")))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            urls.append((f"{model._meta.label} change",
                         reverse(f"{prefix}_change", args=[first.pk])))
    return urls


def _admin_outcome(response) -> str:
    if response.status_code == 200:
        return "allow"
    if response.status_code == 302 and "/admin/login/" in response["Location"]:
        return "deny"
    if response.status_code == 302 and response["Location"] == reverse("admin:index"):
        return "hidden"
    if response.status_code in (403, 404):
        return "deny"
    return f"status {response.status_code}"


def test_admin_site_only_for_system_administrators(client, people, worlds):
    urls = _admin_urls()
    # Every registered model is visited, and most have an object to open.
    assert sum(label.endswith(" list") for label, _url in urls) == len(admin.site._registry)
    assert sum(label.endswith(" change") for label, _url in urls) >= 10
    failures = []
    for username in EVERYONE:
        client.logout()
        sign_in(client, people[username])
        for label, url in urls:
            expected = "allow" if username in ADMIN_ALLOWED else "deny"
            if expected == "allow" and label in HIDDEN_FROM_ADMIN:
                expected = "hidden"
            outcome = _admin_outcome(client.get(url))
            if outcome != expected:
                failures.append(f"{username} on {label}: expected {expected}, got {outcome}")
    client.logout()
    for label, url in urls:
        if _admin_outcome(client.get(url)) != "deny":
            failures.append(f"anonymous on {label}")
    assert failures == []


@dataclass(frozen=True)
class Export:
    url: Callable[[World], str]
    roles: frozenset[str]
    scoped: bool
    content_type: str
    # Rows of another scope must be absent: a function of the body and the outsider world.
    leaks: Callable[[bytes, World], bool] | None = None


def _csv_codes(body: bytes) -> set[str]:
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"))))
    header = rows[0]
    column = header.index("facility") if "facility" in header else 4
    return {row[column] for row in rows[1:]}


EXPORTS: dict[str, Export] = {
    "complaints:export": Export(
        url=lambda w: reverse("complaints:export"), roles=COMPLAINT_HANDLERS, scoped=False,
        content_type="text/csv",
        leaks=lambda body, outsider: outsider.facility.code in _csv_codes(body)),
    "visits:visit_report": Export(
        url=lambda w: reverse("visits:visit_report", kwargs={"pk": w.visit.pk,
                                                             "language": "en"}),
        roles=frozenset(EVERYONE) - {"agent_a"}, scoped=True, content_type="application/pdf"),
}


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_exports_inside_and_outside_the_scope(client, people, worlds, name):
    export = EXPORTS[name]
    failures = []
    for username in EVERYONE:
        if username == "agent_a":
            continue  # machine accounts have no web session (tests/accounts)
        user = people[username]
        client.logout()
        sign_in(client, user)
        for label, world in worlds.items():
            in_scope = not export.scoped or _sees(user, world.facility)
            allowed = username in export.roles and in_scope
            response = client.get(export.url(world))
            got = response.status_code
            if allowed and got != 200:
                failures.append(f"{username} on {label}: expected a download, got {got}")
                continue
            if not allowed:
                if got not in (403, 404):
                    failures.append(f"{username} on {label}: expected a refusal, got {got}")
                continue
            if not response["Content-Type"].startswith(export.content_type):
                failures.append(f"{username} on {label}: {response['Content-Type']}")
            body = b"".join(response) if response.streaming else response.content
            for other_label, other in worlds.items():
                if export.leaks and not _sees(user, other.facility) and export.leaks(body, other):
                    failures.append(f"{username} on {label}: rows of {other_label} leak")
    assert failures == []


def test_the_export_leak_check_sees_rows_when_they_are_there(client, people, worlds):
    """The oracle for the leak check: a country-wide handler's export holds both facilities."""
    sign_in(client, people["gpo"])
    body = client.get(reverse("complaints:export")).content
    assert {"FA-1", "FB-1"} <= _csv_codes(body)
