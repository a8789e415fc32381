"""Issue 17 item 10: complaint text, accused officers and attachments are sealed at rest.

A copied database (every column of every complaint row, read with plain SQL) or a copied
media folder shows none of them; the handler's page, the download, the inbox search and the
export keep working; existing rows and files are sealed by the data migration.
"""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from custodywatch.complaints.attachments import open_verified
from custodywatch.complaints.models import Attachment, Complaint, search_tokens
from custodywatch.core.sealing import MAGIC, SealingError, generate_key_line

TEXT = "Следователь Жумабеков бил меня по почкам бутылкой с водой"
OFFICERS = "капитан Жумабеков Асан, лейтенант Серикбаев"
PNG = b"\x89PNG\r\n\x1a\n" + b"injury-photo-of-the-left-side" * 40


def _row_bytes(complaint: Complaint) -> bytes:
    """Every column of the row as the database holds it, joined."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM complaints_complaint WHERE id = %s", [complaint.pk])
        row = cursor.fetchone()
    return b"|".join(bytes(value) if isinstance(value, bytes | memoryview)
                     else str(value).encode() for value in row)


@pytest.fixture
def filed(file_complaint, facility_a):
    return file_complaint(facility=facility_a, text=TEXT, accused_officers=OFFICERS,
                          attachments=[SimpleUploadedFile("photo.png", PNG)]).complaint


def test_the_database_and_media_folder_hold_no_clear_text(filed, media_root):
    raw = _row_bytes(filed)
    for secret in ("Жумабеков", "почкам", "Серикбаев"):
        assert secret.encode() not in raw
    stored = [path.read_bytes() for path in media_root.rglob("*") if path.is_file()]
    assert len(stored) == 1 and stored[0].startswith(MAGIC)
    assert b"injury-photo" not in stored[0] and b"PNG" not in stored[0]
    # The model opens them for the code that may read them.
    again = Complaint.objects.get(pk=filed.pk)
    assert again.text == TEXT and again.accused_officers == OFFICERS


def test_a_sealed_text_does_not_open_in_another_row_or_with_another_key(
        filed, file_complaint, facility_a, sealing_key):
    other = file_complaint(facility=facility_a).complaint
    Complaint.objects.filter(pk=other.pk).update(text_sealed=filed.text_sealed)
    with pytest.raises(SealingError):
        Complaint.objects.get(pk=other.pk).text  # noqa: B018 - the read is the test
    sealing_key.write_text(generate_key_line() + "\n")  # the key file of another install
    with pytest.raises(SealingError):
        Complaint.objects.get(pk=filed.pk).text  # noqa: B018


def test_pages_download_search_and_export_work_for_the_handler(filed, people, signed_in):
    client = signed_in(people["prosecutor_a"])
    page = client.get(reverse("complaints:detail", args=[filed.pk])).content.decode()
    assert TEXT in page and OFFICERS in page
    attachment = Attachment.objects.get(complaint=filed)
    download = client.get(reverse("complaints:attachment", args=[filed.pk, attachment.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PNG
    # Search by a word of the text or of the accused, any case; a word not in it finds none.
    for query, found in (("почкам", True), ("ЖУМАБЕКОВ", True), ("серикбаев", True),
                         ("Серик", False), ("ребро", False), (filed.reference[-4:], True)):
        inbox = client.get(reverse("complaints:inbox"), {"q": query}).content.decode()
        assert (filed.reference in inbox) is found, query
    export = client.get(reverse("complaints:export"))
    assert export.status_code == 200 and filed.reference in export.content.decode()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_data_migration_seals_existing_rows_and_files(facility_a, media_root, sealing_key):
    executor = MigrationExecutor(connection)
    before = [("complaints", "0008_receipt_attempt_terminal_and_code")]
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        OldComplaint = old.get_model("complaints", "Complaint")
        OldAttachment = old.get_model("complaints", "Attachment")
        now = "2026-03-01T10:00:00+00:00"
        complaint = OldComplaint.objects.create(
            reference="C-2026-000001", channel="web", received_at=now, text=TEXT,
            accused_officers=OFFICERS, facility_id=facility_a.pk,
            region_id=facility_a.region_id, suggested_category="torture", category="torture",
            handling_body="prosecutor", registration_due_at=now, answer_due_at=now,
            receipt_locator="ABCDEFGH", receipt_hash="x", receipt_sha256="")
        sha256 = hashlib.sha256(PNG).hexdigest()
        name = f"complaints/{sha256[:2]}/{sha256}"
        (media_root / name).parent.mkdir(parents=True, exist_ok=True)
        (media_root / name).write_bytes(PNG)
        OldAttachment.objects.create(complaint_id=complaint.pk, file=name,
                                     original_name="photo.png", media_type="image/png",
                                     size=len(PNG), sha256=sha256)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    sealed = Complaint.objects.get(reference="C-2026-000001")
    assert "Жумабеков".encode() not in _row_bytes(sealed)
    assert sealed.text == TEXT and sealed.accused_officers == OFFICERS
    assert (media_root / name).read_bytes().startswith(MAGIC)
    assert open_verified(Attachment.objects.get()).read() == PNG
    # Searchable after the migration too.
    [tokens] = search_tokens("почкам")
    assert any(f" {token} " in sealed.search_index for token in tokens)
