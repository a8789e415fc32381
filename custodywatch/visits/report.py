"""The visit report as a PDF, in Kazakh, Russian or English.

fpdf2 writes the PDF in pure Python; the font is Noto Sans from the `fontpkg-noto-sans`
package (SIL Open Font License), which covers the Kazakh letters (ә, ғ, қ, ң, ө, ұ, ү, һ, і)
as well as Russian. The report never carries interview notes: only how many people were
interviewed in private.

The package ships Noto Sans as a variable font, and turning a variable font into the static
one a PDF embeds takes fontTools tens of seconds. So it is done once: the Latin and Cyrillic
glyphs are cut out, pinned at the regular weight, and the result is kept under VAR_DIR
(written to a temporary name, then renamed, so two processes never see half a file).
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

import fontpkg_noto_sans
from django.conf import settings
from django.utils import formats, translation
from django.utils.translation import gettext as _
from fontTools import subset
from fontTools.ttLib import TTFont
from fontTools.varLib import instancer
from fpdf import FPDF

from custodywatch.visits.models import Finding, Recommendation, Visit

VARIABLE_FONT = Path(fontpkg_noto_sans.ROOT) / "files" / "NotoSans[wdth,wght].ttf"
FAMILY = "NotoSans"
LANGUAGES = ("kk", "ru", "en")
# Basic Latin to Latin Extended-B, Cyrillic with its supplement (all Kazakh letters),
# general punctuation, the numero sign and the tenge sign.
CHARACTERS = [*range(0x20, 0x250), *range(0x400, 0x530), *range(0x2000, 0x2070), 0x2116, 0x20B8]
_font_lock = threading.Lock()


def static_font() -> Path:
    """The regular-weight static font, made from the variable one on first use."""
    stamp = os.stat(VARIABLE_FONT).st_size
    path = Path(settings.VAR_DIR) / "fonts" / f"NotoSans-Regular-{stamp}.ttf"
    with _font_lock:
        if path.exists():
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
        font = TTFont(VARIABLE_FONT)
        options = subset.Options()
        options.layout_features = ["*"]
        options.name_IDs = ["*"]
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=CHARACTERS)
        subsetter.subset(font)
        static = instancer.instantiateVariableFont(font, {"wght": 400, "wdth": 100},
                                                   optimize=False)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as out:
            static.save(out)
        os.replace(out.name, path)
    return path


class _Report(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, "", 8)
        self.cell(0, 6, f"{self.footer_text} · {self.page_no()}/{{nb}}", align="C")


def _pdf() -> _Report:
    pdf = _Report(format="A4")
    font = str(static_font())
    # One weight only (see above): "B" is the same face, headings stand out by size.
    pdf.add_font(FAMILY, "", font)
    pdf.add_font(FAMILY, "B", font)
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.set_margins(18, 16, 18)
    return pdf


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
        pdf = _pdf()
        pdf.footer_text = _("Visit report %(facility)s, %(date)s") % {
            "facility": visit.facility.code, "date": formats.date_format(visit.starts_on)}
        pdf.add_page()
        pdf.set_font(FAMILY, "B", 16)
        pdf.multi_cell(0, 8, _("Report of a monitoring visit"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FAMILY, "", 12)
        pdf.multi_cell(0, 7, visit.facility.name, new_x="LMARGIN", new_y="NEXT")
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
