"""The person's copy of an independent medical examination (PDF), for them and their lawyer.

Drawn with the forensic report's machinery (cases/report.py): the same fonts, the same body
diagram with numbered marks, the photographs scaled and captioned with their SHA-256.
"""

from __future__ import annotations

import io

from django.utils.translation import gettext as _

from custodywatch.cases import body
from custodywatch.cases.report import (
    PHOTO_BOX,
    PHOTO_GAP,
    _diagram,
    _heading,
    _moment,
    _pair,
    _text,
    scaled_jpeg,
)
from custodywatch.core.pdf import FAMILY, new_pdf
from custodywatch.medical.models import Examination


def examination_copy_pdf(*, examination: Examination) -> bytes:
    record = examination.custody_record
    injuries = list(examination.injuries.all())
    pdf = new_pdf()
    pdf.footer_text = _("Independent medical examination %(number)s") % {
        "number": examination.pk}
    pdf.add_page()
    pdf.set_font(FAMILY, "B", 16)
    pdf.multi_cell(0, 8, _("Independent medical examination: copy for the person examined"),
                   new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 10)
    pdf.ln(2)
    _pair(pdf, _("Person examined"), record.full_name)
    _pair(pdf, _("Facility"), f"{record.facility.code} · {record.facility.local_name}")
    _pair(pdf, _("Occasion"), str(examination.get_occasion_display()))
    _pair(pdf, _("Examined"), _moment(examination.examined_at))
    _pair(pdf, _("Examiner"), examination.examiner_name)
    _pair(pdf, _("Examined in private"), _("Yes") if examination.in_private else _("No"))
    _pair(pdf, _("Consent"), str(examination.get_consent_display()))
    _heading(pdf, _("The person's own account"))
    _text(pdf, examination.person_account)
    if examination.declared_ill_treatment:
        _text(pdf, _("The person declares ill-treatment."))
    _heading(pdf, _("Injuries"))
    if injuries:
        _diagram(pdf, injuries)
    else:
        _text(pdf, _("No injuries found.") if examination.no_injuries
              else _("No injuries were recorded."))
    labels = {region.code: str(region.label) for region in body.REGIONS}
    for number, injury in enumerate(injuries, start=1):
        pdf.set_font(FAMILY, "B", 10)
        pdf.multi_cell(0, 6, f"{number}. {labels.get(injury.body_region, injury.body_region)}"
                             f" ({injury.get_view_display()}) · {injury.get_kind_display()}",
                       new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FAMILY, "", 10)
        _text(pdf, injury.description)
    _heading(pdf, _("The doctor's opinion"))
    if examination.consistency:
        _pair(pdf, _("Consistency with the account"), str(examination.get_consistency_display()))
    if examination.doctor_allegation:
        _text(pdf, _("The doctor records an allegation of ill-treatment."))
    _text(pdf, examination.opinion)
    photos = list(examination.photos.all())
    if photos:
        _heading(pdf, _("Photographs"))
        numbers = {injury.pk: n for n, injury in enumerate(injuries, start=1)}
        width, height = PHOTO_BOX
        for first in range(0, len(photos), 2):
            if pdf.get_y() + height + 16 > pdf.h - 16:
                pdf.add_page()
            top = pdf.get_y() + 1
            for column, photo in enumerate(photos[first:first + 2]):
                left = pdf.l_margin + column * (width + PHOTO_GAP)
                data = scaled_jpeg(photo)  # type: ignore[arg-type]  # duck-typed: a stored photo
                if data is not None:
                    pdf.image(io.BytesIO(data), x=left, y=top, w=width, h=height,
                              keep_aspect_ratio=True)
                else:
                    pdf.rect(left, top, width, height)
                caption = str(first + column + 1)
                if photo.injury_id in numbers:
                    caption += " · " + _("injury %(number)s") % {
                        "number": numbers[photo.injury_id]}
                pdf.set_xy(left, top + height + 1)
                pdf.set_font(FAMILY, "", 8)
                pdf.multi_cell(width, 4, f"{caption}\nSHA-256 {photo.sha256}", new_x="LEFT",
                               new_y="NEXT")
            pdf.set_font(FAMILY, "", 10)
            pdf.set_xy(pdf.l_margin, top + height + 12)
    return bytes(pdf.output())
