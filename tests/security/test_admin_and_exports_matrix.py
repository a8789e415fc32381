"""The authorization matrix, continued: the admin site and the exports (downloads).

tests/test_authorization_matrix.py covers every named page and API operation, except the
admin site, whose URLs come from the models registered with it. Here:
- ADMIN: every registered model's changelist and an object's change page, for every role:
  only the system administrator gets in; everybody else is sent to the admin sign-in or
  refused. A model registered with the admin site is covered automatically.
- EXPORTS: each download, for every role, with objects inside and outside the scope: who
  may download, what type it is, and that rows outside the person's scope are absent. A
  route that answers with a file and has no entry here fails test_every_download_is_listed.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.contrib import admin
from django.urls import reverse

from custodywatch.accounts.capabilities import Capability
from custodywatch.ledger import tlog_proof
from custodywatch.ledger.services import ledger_integrate_all
from tests.conftest import sign_in
from tests.test_authorization_matrix import (
    CASE_CONTENT_READERS,
    CASE_PROSECUTORS,
    COMPLAINT_HANDLERS,
    LEDGER_READERS,
    REPORT_READERS,
    ROUTES,
    STAFF,
    World,
    _sees,
    holders,
)

pytestmark = pytest.mark.django_db

EVERYONE = (*STAFF, "agent_a")
ADMIN_ALLOWED = holders(Capability.USE_ADMIN_SITE)
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


def test_admin_site_only_for_system_administrators(client, staff, worlds):
    urls = _admin_urls()
    # Every registered model is visited, and most have an object to open.
    assert sum(label.endswith(" list") for label, _url in urls) == len(admin.site._registry)
    assert sum(label.endswith(" change") for label, _url in urls) >= 10
    failures = []
    for username in EVERYONE:
        client.logout()
        sign_in(client, staff[username])
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
    # As Route.assigned: allowed on world a only (the examiner of case a's examination).
    assigned: frozenset[str] = field(default_factory=frozenset)


def _csv_codes(body: bytes) -> set[str]:
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"))))
    header = rows[0]
    column = header.index("facility") if "facility" in header else 4
    return {row[column] for row in rows[1:]}


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

EXPORTS: dict[str, Export] = {
    "complaints:export": Export(
        url=lambda w: reverse("complaints:export"), roles=COMPLAINT_HANDLERS, scoped=False,
        content_type="text/csv",
        leaks=lambda body, outsider: outsider.facility.code in _csv_codes(body)),
    # A facility's room markers to print: anyone who may see the facility, no one else.
    "registry:marker_sheet": Export(
        url=lambda w: reverse("registry:marker_sheet", kwargs={"code": w.facility.code}),
        roles=frozenset(EVERYONE) - {"agent_a"}, scoped=True, content_type="application/pdf"),
    "visits:visit_report": Export(
        url=lambda w: reverse("visits:visit_report", kwargs={"pk": w.visit.pk,
                                                             "language": "en"}),
        roles=frozenset(EVERYONE) - {"agent_a"}, scoped=True, content_type="application/pdf"),
    # UN CAT statistics: report readers only, counted within their scope (no unit is named,
    # so there is no row to look for; the type and the refusals are checked).
    "reports:cat_export xlsx": Export(
        url=lambda w: reverse("reports:cat_export", kwargs={"fmt": "xlsx"}),
        roles=REPORT_READERS, scoped=False, content_type=XLSX),
    "reports:cat_export pdf": Export(
        url=lambda w: reverse("reports:cat_export", kwargs={"fmt": "pdf"}),
        roles=REPORT_READERS, scoped=False, content_type="application/pdf"),
    # The evidence package of a case: who reads its evidence items; never another case's file.
    "cases:evidence_package": Export(
        url=lambda w: reverse("cases:evidence_package", kwargs={"pk": w.case.pk}),
        roles=CASE_CONTENT_READERS, scoped=True, content_type="application/zip",
        leaks=lambda body, outsider: _in_zip(body, outsider.evidence.sha256)),
    "cases:evidence_file": Export(
        url=lambda w: reverse("cases:evidence_file", kwargs={"pk": w.evidence.pk}),
        roles=CASE_CONTENT_READERS, scoped=True, content_type="application/octet-stream",
        leaks=lambda body, outsider: body == outsider.evidence.file.open("rb").read()),
    # The forensic report: the case's prosecutors, the GPO and the examiner alone.
    "cases:examination_pdf": Export(
        url=lambda w: reverse("cases:examination_pdf", kwargs={"pk": w.examination.pk}),
        roles=CASE_PROSECUTORS, scoped=True, content_type="application/pdf",
        assigned=holders(Capability.EXAMINE_FOR_CASES),
        leaks=lambda body, outsider: outsider.case.register_number.encode() in body),
    # A ledger entry's offline receipt (C2SP tlog-proof): the ledger's readers, country-wide.
    "ledger:leaf_proof": Export(
        url=lambda w: reverse("ledger:leaf_proof", kwargs={"index": 0}),
        roles=LEDGER_READERS, scoped=False, content_type=tlog_proof.MEDIA_TYPE),
    # Open data: public, small cells suppressed (tests/reports check the suppression).
    "reports:open_data_download": Export(
        url=lambda w: reverse("reports:open_data_download", kwargs={"table": "complaints",
                                                                    "fmt": "csv"}),
        roles=frozenset(EVERYONE), scoped=False, content_type="text/csv"),
}
# Routes that answer with a file but are checked elsewhere, each with the test that does.
DOWNLOADS_CHECKED_ELSEWHERE = {
    # Issue 22: need a mass detention, a review or an identity check; their tests post and
    # read them for every role.
    "custody:mass_detail": "tests/custody/test_mass.py",
    "custody:mass_end": "tests/custody/test_mass.py",
    "custody:mass_place_new": "tests/custody/test_mass.py",
    "custody:review_decide": "tests/custody/test_mass.py",
    "custody:whereabouts_relative": "tests/custody/test_whereabouts.py",
    # Needs an attachment sent by a complainant: tests/complaints/test_attachment_download.py.
    "complaints:attachment": "tests/complaints/test_attachment_download.py",
    # Needs a finding photo / an examination photo / a reference image.
    "visits:finding_photo": "tests/visits",
    "cases:photo": "tests/cases",
    "medical:photo": "tests/medical/test_pages.py",
    # The person's copy of an examination (PDF): tests/medical/test_pages.py reads it.
    "medical:examination_pdf": "tests/medical/test_pages.py",
    # Not a download: a death's page needs a death in custody (tests/medical/test_deaths.py).
    "medical:death": "tests/medical/test_deaths.py",
    # Not downloads: a request to watch, and its check / decision / offer, need a request and
    # a custody record found for it (tests/liveview/test_watch_requests.py).
    "liveview:watch_request": "tests/liveview/test_watch_requests.py",
    "liveview:watch_request_action": "tests/liveview/test_watch_requests.py",
    "video:camera_view_image": "tests/agent/test_reference_sync.py",
    # Issue 24: need a head linked to an officer, a proceeding, a claim, a register or a
    # recourse claim; tests/accountability/ reads and posts each inside and outside scope.
    "accountability:head_person": "tests/accountability/test_heads.py",
    "accountability:head_figure": "tests/accountability/test_heads.py",
    "accountability:proceeding": "tests/accountability/test_proceedings.py",
    "accountability:fund_claim": "tests/accountability/test_fund.py",
    "accountability:register_create": "tests/accountability/test_fund.py",
    "accountability:register_paid": "tests/accountability/test_fund.py",
    "accountability:register_download": "tests/accountability/test_fund.py",
    "accountability:recourse": "tests/accountability/test_fund.py",
    # Needs the concluding observations chosen (?o=): tests/accountability/test_cat_complete.py.
    "reports:cat_follow_up_export": "tests/accountability/test_cat_complete.py",
}


def _in_zip(body: bytes, needle: str) -> bool:
    with zipfile.ZipFile(io.BytesIO(body)) as package:
        return any(needle in name or needle.encode() in package.read(name)
                   for name in package.namelist())


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_exports_inside_and_outside_the_scope(client, staff, worlds, name):
    export = EXPORTS[name]
    ledger_integrate_all()  # the evidence is in a signed checkpoint: the package is made
    failures = []
    for username in EVERYONE:
        if username == "agent_a":
            continue  # machine accounts have no web session (tests/accounts)
        user = staff[username]
        client.logout()
        sign_in(client, user)
        for label, world in worlds.items():
            in_scope = not export.scoped or _sees(user, world.facility)
            allowed = username in export.roles and in_scope
            if username in export.assigned:
                allowed = label == "a"
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


def test_the_package_leak_check_sees_another_case_when_it_is_there(client, staff, worlds):
    """The oracle for the package's leak check: case a's package holds case a's file."""
    ledger_integrate_all()
    sign_in(client, staff["gpo"])
    body = b"".join(client.get(EXPORTS["cases:evidence_package"].url(worlds["a"])))
    assert _in_zip(body, worlds["a"].evidence.sha256)
    assert not _in_zip(body, worlds["b"].evidence.sha256)


def _is_download(response) -> bool:
    content_type = response.get("Content-Type", "")
    return response.status_code == 200 and (
        "attachment" in response.get("Content-Disposition", "")
        or not content_type.startswith(("text/html", "application/json", "text/javascript")))


def test_every_download_is_listed(client, staff, worlds):
    """A route that answers with a file, for a person who may read everything of its kind,
    has an entry in EXPORTS (or says which test checks it); a new export fails here."""
    ledger_integrate_all()
    listed = {name.split(" ")[0] for name in EXPORTS} | set(DOWNLOADS_CHECKED_ELSEWHERE)
    assert listed <= set(ROUTES), sorted(listed - set(ROUTES))
    unlisted = set()
    for username in ("admin", "gpo", "forensic"):
        for name, route in ROUTES.items():
            if name in listed:
                continue
            sign_in(client, staff[username])  # again: the kiosk and sign-out end a session
            url = reverse(name, kwargs=route.kwargs(worlds["a"]) if route.kwargs else None)
            if _is_download(client.get(url)):
                unlisted.add(name)
    assert unlisted == set(), f"add these downloads to EXPORTS: {sorted(unlisted)}"
