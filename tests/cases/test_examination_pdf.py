"""The forensic report's PDF embeds the photographs themselves, scaled, and still reads as
text (pdftotext finds the findings and captions)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from custodywatch.cases import report, services
from tests.cases.conftest import ORIGIN
from tests.conftest import require_or_skip, sign_in

pytestmark = pytest.mark.django_db


def _picture(size: tuple[int, int], fmt: str, mode: str = "RGB") -> SimpleUploadedFile:
    colour = (180, 40, 40, 128) if mode == "RGBA" else (180, 40, 40)
    image = Image.new(mode, size, colour)
    image.paste((20, 20, 160) if mode == "RGB" else (20, 20, 160, 255),
                (0, 0, size[0] // 2, size[1] // 3))
    out = io.BytesIO()
    image.save(out, fmt)
    return SimpleUploadedFile(f"photo.{fmt.lower()}", out.getvalue())


def _image_sizes(pdf: bytes) -> list[tuple[int, int]]:
    """(width, height) of each image XObject, read from its dictionary."""
    sizes = []
    for match in re.finditer(rb"/Subtype /Image", pdf):
        start = pdf.rfind(b"obj", 0, match.start())
        end = pdf.find(b"stream", match.end())
        entry = pdf[start:end]
        width = re.search(rb"/Width (\d+)", entry)
        height = re.search(rb"/Height (\d+)", entry)
        assert width and height
        sizes.append((int(width.group(1)), int(height.group(1))))
    return sizes


def test_pdf_embeds_scaled_photographs(client, cw):
    forensic = cw.people["forensic"]
    finding = services.finding_add(acting_user=forensic, origin=ORIGIN,
                                   examination=cw.examination, view="front", body_region="chest",
                                   x=0.45, y=0.3, description="Кровоподтёк грудной клетки 3×4 см",
                                   consistency="highly_consistent")
    services.photo_add(acting_user=forensic, origin=ORIGIN, examination=cw.examination,
                       upload=_picture((3000, 2000), "PNG", "RGBA"), finding=finding,
                       caption="Грудь, фронтально")
    services.photo_add(acting_user=forensic, origin=ORIGIN, examination=cw.examination,
                       upload=_picture((600, 900), "JPEG"), caption="Запястье")
    sign_in(client, forensic)
    response = client.get(reverse("cases:examination_pdf", args=[cw.examination.pk]))
    assert response.status_code == 200
    pdf = response.content
    # Two image XObjects, the large one scaled to 1200 px on its long side, the small kept.
    assert pdf.count(b"/Subtype /Image") == 2
    sizes = sorted(_image_sizes(pdf))
    assert sizes == [(600, 900), (1200, 800)], sizes
    assert len(pdf) < 1_500_000
    pdftotext = shutil.which("pdftotext")
    require_or_skip(pdftotext is not None, "pdftotext is missing")
    text = subprocess.run([pdftotext, "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()
    assert "Кровоподтёк грудной клетки 3×4 см" in text
    assert "Грудь, фронтально (finding 1)" in text and "Запястье" in text


def test_an_undecodable_photograph_is_listed_not_drawn(cw, media_root):
    photo = services.photo_add(acting_user=cw.people["forensic"], origin=ORIGIN,
                               examination=cw.examination,
                               upload=SimpleUploadedFile("x.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64))
    assert report.scaled_jpeg(photo) is None
    pdf = report.examination_pdf(examination=cw.examination, findings=[])
    assert pdf.count(b"/Subtype /Image") == 0 and pdf.startswith(b"%PDF")
