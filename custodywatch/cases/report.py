"""The forensic examination report (Istanbul Protocol form) as a printable PDF.

Same font machinery as the visit report (visits/report.py: Noto Sans, Latin and Cyrillic with
every Kazakh letter). The body diagram is drawn with the same region table as the page
(cases/body.py), with each finding's numbered mark where it was placed.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from fpdf import FPDF
from PIL import Image, ImageOps

from custodywatch.cases import body
from custodywatch.cases.models import Examination, ExaminationPhoto, Finding
from custodywatch.core import stored_files
from custodywatch.core.pdf import FAMILY, new_pdf

SCALE = 0.45  # mm per diagram unit: a 100 x 220 view is 45 x 99 mm
# Photographs: two a row, each in an 84 x 68 mm box; scaled to 1200 px on the long side
# (about 360 dpi in the box) and re-encoded as JPEG, so a report of 25 MB originals stays
# small. The originals and their SHA-256 stay on the report's page in the application.
PHOTO_BOX = (84.0, 68.0)
PHOTO_GAP = 6.0
PHOTO_MAX_PX = 1200
PHOTO_QUALITY = 82


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(3)
    pdf.set_font(FAMILY, "B", 13)
    pdf.multi_cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 10)


def _pair(pdf: FPDF, label: str, value: str) -> None:
    pdf.set_font(FAMILY, "B", 10)
    pdf.cell(60, 6, label)
    pdf.set_font(FAMILY, "", 10)
    pdf.multi_cell(0, 6, value or "—", new_x="LMARGIN", new_y="NEXT")


def _text(pdf: FPDF, text: str) -> None:
    pdf.multi_cell(0, 5.5, text or "—", new_x="LMARGIN", new_y="NEXT")


def _moment(value) -> str:
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT") if value else "—"


def _diagram(pdf: FPDF, findings: Sequence[body.Marked]) -> None:
    if pdf.get_y() + body.HEIGHT * SCALE + 12 > pdf.h - 16:
        pdf.add_page()
    top = pdf.get_y() + 6
    for n, view in enumerate(("front", "back")):
        left = pdf.l_margin + n * (body.WIDTH * SCALE + 20)
        pdf.set_font(FAMILY, "", 9)
        pdf.text(left, top - 1.5, _("Front") if view == "front" else _("Back"))
        pdf.set_draw_color(120, 120, 120)
        pdf.set_fill_color(238, 238, 238)
        for shape in body.shapes(view):
            pdf.rect(left + shape["x"] * SCALE, top + shape["y"] * SCALE, shape["w"] * SCALE,
                     shape["h"] * SCALE, style="DF", round_corners=True,
                     corner_radius=min(shape["r"], shape["w"] / 2, shape["h"] / 2) * SCALE)
        pdf.set_fill_color(200, 30, 30)
        pdf.set_draw_color(200, 30, 30)
        for number, finding in enumerate(findings, start=1):
            if finding.view != view:
                continue
            cx = left + finding.x * body.WIDTH * SCALE
            cy = top + finding.y * body.HEIGHT * SCALE
            pdf.ellipse(cx - 2, cy - 2, 4, 4, style="F")
            pdf.set_font(FAMILY, "B", 8)
            pdf.text(cx + 2.5, cy + 1, str(number))
    pdf.set_draw_color(0, 0, 0)
    pdf.set_y(top + body.HEIGHT * SCALE + 4)


def scaled_jpeg(photo: ExaminationPhoto) -> bytes | None:
    """The photograph turned upright (EXIF), scaled to PHOTO_MAX_PX and JPEG-encoded; None
    when the stored file cannot be decoded, or is missing or damaged (alerted: it is then
    listed by its hash only, never drawn as if it were the photograph taken)."""
    try:
        with stored_files.open_verified(photo, photo.file, photo.sha256) as stored, \
                Image.open(stored) as original:
            original.draft("RGB", (PHOTO_MAX_PX, PHOTO_MAX_PX))  # JPEG: decode at a lower size
            picture = ImageOps.exif_transpose(original)
            picture.thumbnail((PHOTO_MAX_PX, PHOTO_MAX_PX))
            if picture.mode != "RGB":
                picture = picture.convert("RGBA" if "A" in picture.getbands() else "RGB")
                if picture.mode == "RGBA":  # transparency onto white paper
                    flat = Image.new("RGB", picture.size, "white")
                    flat.paste(picture, mask=picture.getchannel("A"))
                    picture = flat
            out = io.BytesIO()
            picture.save(out, "JPEG", quality=PHOTO_QUALITY)
            return out.getvalue()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError,
            stored_files.StoredFileDamaged):
        return None


def _photographs(pdf: FPDF, photos: list[ExaminationPhoto], numbers: dict[int, int]) -> None:
    """The photographs themselves, two a row, each captioned (finding number, hash)."""
    width, height = PHOTO_BOX
    for start in range(0, len(photos), 2):
        if pdf.get_y() + height + 16 > pdf.h - 16:
            pdf.add_page()
        top = pdf.get_y() + 1
        bottom = top + height
        for column, photo in enumerate(photos[start:start + 2]):
            left = pdf.l_margin + column * (width + PHOTO_GAP)
            data = scaled_jpeg(photo)
            if data is not None:
                pdf.image(io.BytesIO(data), x=left, y=top, w=width, h=height,
                          keep_aspect_ratio=True)
            else:
                pdf.rect(left, top, width, height)
                pdf.set_xy(left + 2, top + height / 2 - 3)
                pdf.set_font(FAMILY, "", 9)
                pdf.multi_cell(width - 4, 5, _("This file could not be drawn."), align="C")
            caption = photo.caption or _("Photograph")
            number = numbers.get(photo.finding_id) if photo.finding_id else None
            if number is not None:
                caption = _("%(caption)s (finding %(number)s)") % {"caption": caption,
                                                                   "number": number}
            pdf.set_xy(left, top + height + 1)
            pdf.set_font(FAMILY, "", 8)
            pdf.multi_cell(width, 4, f"{start + column + 1}. {caption}\nSHA-256 {photo.sha256}",
                           new_x="LEFT", new_y="NEXT")
            bottom = max(bottom, pdf.get_y())
        pdf.set_font(FAMILY, "", 10)
        pdf.set_xy(pdf.l_margin, bottom + 3)


def examination_pdf(*, examination: Examination, findings: list[Finding]) -> bytes:
    case = examination.case
    subject = examination.subject.person
    pdf = new_pdf()
    pdf.footer_text = _("Forensic report %(number)s, case %(case)s") % {
        "number": examination.pk, "case": case.register_number}
    pdf.add_page()
    pdf.set_font(FAMILY, "B", 16)
    pdf.multi_cell(0, 8, _("Forensic medical examination (Istanbul Protocol)"),
                   new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 10)
    pdf.ln(2)
    _pair(pdf, _("Case (ERDR number)"), case.register_number)
    _pair(pdf, _("Facility concerned"), f"{case.facility.code} · {case.facility.local_name}")
    _pair(pdf, _("Person examined"), subject.full_name if subject else "—")
    _pair(pdf, _("Examiner"), (examination.examiner.get_full_name()
                               or examination.examiner.username) if examination.examiner else "—")
    _pair(pdf, _("Requested"), _moment(examination.requested_at))
    _pair(pdf, _("Examined"), _moment(examination.examined_at))
    _pair(pdf, _("Place of examination"), examination.place)
    _pair(pdf, _("Status"), str(examination.get_status_display()))
    _heading(pdf, _("History given by the person"))
    _text(pdf, examination.history)
    _heading(pdf, _("Physical findings"))
    if findings:
        _diagram(pdf, findings)
    else:
        _text(pdf, _("No physical findings were recorded."))
    labels = {region.code: str(region.label) for region in body.REGIONS}
    for number, finding in enumerate(findings, start=1):
        pdf.set_font(FAMILY, "B", 10)
        pdf.multi_cell(0, 6, f"{number}. {labels.get(finding.body_region, finding.body_region)}"
                             f" ({finding.get_view_display()}) · "
                             f"{finding.get_consistency_display()}",
                       new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FAMILY, "", 10)
        _text(pdf, finding.description)
    _heading(pdf, _("Psychological findings"))
    _text(pdf, examination.psychological_findings)
    if examination.psychological_consistency:
        _pair(pdf, _("Degree of consistency"),
              str(examination.get_psychological_consistency_display()))
    photos = list(examination.photos.all())
    if photos and pdf.get_y() + PHOTO_BOX[1] + 30 > pdf.h - 16:
        pdf.add_page()  # the heading stays with its first row of pictures
    _heading(pdf, _("Photographs"))
    if photos:
        _photographs(pdf, photos, {f.pk: n for n, f in enumerate(findings, start=1)})
    else:
        _text(pdf, _("None."))
    _heading(pdf, _("Conclusion"))
    _text(pdf, examination.conclusion)
    return bytes(pdf.output())
