"""Damaged or deleted evidence files (issue 18, item 3): one flipped byte was downloaded with
200, put silently into a court package, and re-uploading the genuine file reused the damaged
copy; a deleted file gave 500. Every read is now checked against the recorded SHA-256."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.cases import services as cases
from custodywatch.core.models import StoredFileAlert
from custodywatch.core.stored_files import check_stored_files
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

GENUINE = b"%PDF-1.4\n" + b"statement of the witness " * 40


@pytest.fixture
def item(people, facility_a):
    prosecutor = people["prosecutor_a"]
    people["admin"].email = "admin@example.org"
    people["admin"].save(update_fields=["email"])
    case = cases.case_open(acting_user=prosecutor, origin=SYSTEM_ORIGIN,
                           register_number="261575031000009", title="Beating in FA-1",
                           facility=facility_a, ex_officio=True,
                           registered_at=timezone.now() - dt.timedelta(days=1))
    return register(prosecutor, case, "E1")


def register(prosecutor, case, label):  # type: ignore[no-untyped-def]
    return cases.evidence_register(
        acting_user=prosecutor, origin=SYSTEM_ORIGIN, case=case, label=label, kind="document",
        description="Witness statement", found_at="Office", collected_by="K.",
        collected_at=timezone.now() - dt.timedelta(hours=1), holder="K.", location="Safe",
        upload=SimpleUploadedFile("statement.pdf", GENUINE))


def test_a_damaged_evidence_file_is_refused_alerted_and_repaired_by_the_genuine_one(
        client, people, item, media_root):
    sign_in(client, people["prosecutor_a"])
    url = reverse("cases:evidence_file", args=[item.pk])
    intact = client.get(url)
    assert intact.status_code == 200 and b"".join(intact.streaming_content) == GENUINE
    stored = media_root / item.file.name
    stored.write_bytes(GENUINE[:-1] + b"!")  # one flipped byte on the disk

    damaged = client.get(url)
    assert damaged.status_code == 409
    assert "damaged" in damaged.content.decode() and "SHA-256" in damaged.content.decode()
    assert b"statement of the witness" not in damaged.content
    alert = StoredFileAlert.objects.get()
    assert (alert.object_type, alert.object_id, alert.problem) == (
        "cases.evidenceitem", str(item.pk), "damaged")
    assert len(mail.outbox) == 1 and "damaged" in mail.outbox[0].subject
    page = client.get(reverse("cases:evidence", args=[item.pk]))
    assert 'data-testid="evidence-file-alert"' in page.content.decode()
    package = client.get(reverse("cases:evidence_package", args=[item.case_id]))
    assert package.status_code == 409 and package["Content-Type"].startswith("text/plain")
    client.get(url)
    assert StoredFileAlert.objects.count() == 1 and len(mail.outbox) == 1  # alerted once

    # The genuine file uploaded again (another item of the case) replaces the damaged copy.
    again = register(people["prosecutor_a"], item.case, "E2")
    assert again.file.name == item.file.name
    assert stored.read_bytes() == GENUINE
    assert StoredFileAlert.objects.get().resolved_at is not None
    repaired = client.get(url)
    assert repaired.status_code == 200 and b"".join(repaired.streaming_content) == GENUINE


def test_a_deleted_evidence_file_is_gone_not_a_server_error(client, people, item,
                                                            media_root):
    sign_in(client, people["prosecutor_a"])
    (media_root / item.file.name).unlink()
    missing = client.get(reverse("cases:evidence_file", args=[item.pk]))
    assert missing.status_code == 410 and "missing" in missing.content.decode()
    package = client.get(reverse("cases:evidence_package", args=[item.case_id]))
    assert package.status_code == 410
    assert StoredFileAlert.objects.get().problem == "missing"


def test_the_scheduled_check_finds_damage_and_exits_one(item, media_root, capsys):
    call_command("evidence", "check-files")
    assert "0 missing or damaged" in capsys.readouterr().out
    (media_root / item.file.name).write_bytes(b"overwritten")
    with pytest.raises(CommandError) as failed:
        call_command("evidence", "check-files")
    assert failed.value.returncode == 1
    assert f"DAMAGED cases.evidenceitem {item.pk}" in capsys.readouterr().out
    assert StoredFileAlert.objects.filter(resolved_at__isnull=True).count() == 1
    (media_root / item.file.name).write_bytes(GENUINE)  # restored from a backup
    result = check_stored_files()
    assert result.problems == [] and result.repaired == 1
    assert not StoredFileAlert.objects.filter(resolved_at__isnull=True).exists()
