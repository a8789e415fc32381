"""The visit report as a PDF, in Kazakh, Russian or English (font and page frame:
core/pdf.py). The report never carries interview notes: only how many people were
interviewed in private.
"""

from __future__ import annotations

from django.utils import formats, translation
from django.utils.translation import gettext as _
from fpdf import FPDF

from custodywatch.core.pdf import FAMILY, new_pdf
from custodywatch.visits.models import Finding, Recommendation, Visit

LANGUAGES = ("kk", "ru", "en")


def _heading(pdf: FPDF, text: str, size: int = 13) -> None:
    pdf.ln(3)
    pdf.set_font(FAMILY, "B", size)
    pdf.multi_cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 10)


def _pair(pdf: FPDF, label: str, value: str) -> None:
    pdf.set_font(FAMILY, "B", 10)
    pdf.cell(55, 6, label)
    pdf.set_font(FAMILY, "", 10)
    pdf.multi_cell(0, 6, value or "—", new_x="LMARGIN", new_y="NEXT")


def visit_report_pdf(*, visit: Visit, findings: list[Finding],
                     recommendations: list[Recommendation], interviews_in_private: int,
                     language: str) -> bytes:
    if language not in LANGUAGES:
        raise ValueError(language)
    with translation.override(language):
        pdf = new_pdf()
        pdf.footer_text = _("Visit report %(facility)s, %(date)s") % {
            "facility": visit.facility.code, "date": formats.date_format(visit.starts_on)}
        pdf.add_page()
        pdf.set_font(FAMILY, "B", 16)
        pdf.multi_cell(0, 8, _("Report of a monitoring visit"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FAMILY, "", 12)
        pdf.multi_cell(0, 7, visit.facility.local_name, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        _pair(pdf, _("Facility code"), visit.facility.code)
        _pair(pdf, _("Region"), visit.facility.region.name)
        _pair(pdf, _("Kind of visit"), str(visit.get_kind_display()))
        _pair(pdf, _("Dates"), f"{formats.date_format(visit.starts_on)} – "
                               f"{formats.date_format(visit.ends_on)}")
        _pair(pdf, _("Team"), "; ".join(
            f"{m.full_name} ({m.get_affiliation_display()})" for m in visit.team.all()))
        _pair(pdf, _("Places inspected"), ", ".join(
            f"{r.code} {r.name}" for r in visit.rooms_inspected.all()))
        _pair(pdf, _("Private interviews"), str(interviews_in_private))
        if visit.summary:
            _heading(pdf, _("Summary"))
            pdf.multi_cell(0, 5.5, visit.summary, new_x="LMARGIN", new_y="NEXT")
        _heading(pdf, _("Findings"))
        if not findings:
            pdf.multi_cell(0, 6, _("No findings were recorded."), new_x="LMARGIN", new_y="NEXT")
        for number, finding in enumerate(findings, start=1):
            pdf.set_font(FAMILY, "B", 10)
            where = f" · {finding.room.code}" if finding.room else ""
            pdf.multi_cell(0, 6, f"{number}. {finding.get_category_display()} · "
                                 f"{finding.get_severity_display()}{where}",
                           new_x="LMARGIN", new_y="NEXT")
            pdf.set_font(FAMILY, "", 10)
            pdf.multi_cell(0, 5.5, finding.text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        _heading(pdf, _("Recommendations"))
        if not recommendations:
            pdf.multi_cell(0, 6, _("No recommendations were issued."),
                           new_x="LMARGIN", new_y="NEXT")
        for recommendation in recommendations:
            pdf.set_font(FAMILY, "B", 10)
            pdf.multi_cell(0, 6, _("#%(id)s to %(body)s, %(official)s; deadline %(deadline)s")
                           % {"id": recommendation.pk, "body": recommendation.addressee_body.name,
                              "official": recommendation.responsible_official,
                              "deadline": formats.date_format(recommendation.deadline)},
                           new_x="LMARGIN", new_y="NEXT")
            pdf.set_font(FAMILY, "", 10)
            pdf.multi_cell(0, 5.5, recommendation.text, new_x="LMARGIN", new_y="NEXT")
            if recommendation.cat_reference:
                pdf.multi_cell(0, 5.5, _("UN CAT: %(ref)s") % {"ref": recommendation.cat_reference},
                               new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        return bytes(pdf.output())
