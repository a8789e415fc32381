"""The follow-up report to the UN Committee against Torture (issue 24 item 5).

After its concluding observations the Committee asks the State to report, within a year, on a
few of them chosen for follow-up. A concluding observation is the paragraph a UN CAT
recommendation cites (``Recommendation.cat_reference``, e.g. "CAT/C/KAZ/CO/4, para. 12"); the
builder lets a reader choose paragraphs, and the report shows each with its recommendations
(the UN CAT's own and those of other mechanisms grouped with them, which share their
follow-up), each with its status, the history of that status and the evidence it rests on,
and the addressee's answers. As PDF (fpdf2), CSV and JSON, with the ledger checkpoint.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

from django.db.models import Q
from django.utils import formats
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from custodywatch.core.pdf import BOLD_FONT, FAMILY, REGULAR_FONT
from custodywatch.reports.exports import Provenance
from custodywatch.visits.models import (
    ImplementationStatus,
    Recommendation,
    Source,
    StatusChange,
)


@dataclass(frozen=True)
class Observation:
    reference: str
    recommendations: list[Recommendation]


def observations() -> list[tuple[str, int]]:
    """The concluding observations one may choose: each paragraph of the UN CAT cited by a
    recommendation, with how many recommendations cite it."""
    counts: dict[str, int] = {}
    for reference in Recommendation.objects.filter(source=Source.UN_CAT).exclude(
            cat_reference="").values_list("cat_reference", flat=True):
        counts[reference] = counts.get(reference, 0) + 1
    return sorted(counts.items())


def chosen(references: list[str]) -> list[Observation]:
    """The chosen observations, in the order given, unknown ones left out."""
    out = []
    for reference in dict.fromkeys(references):
        own = Recommendation.objects.filter(source=Source.UN_CAT, cat_reference=reference)
        groups = own.exclude(group__isnull=True).values("group_id")
        found = list(Recommendation.objects.filter(Q(pk__in=own.values("pk")) | Q(
            group_id__in=groups)).select_related("addressee_body", "group").prefetch_related(
            "evidence", "status_history", "responses").order_by("source", "issued_on", "id"))
        if found:
            out.append(Observation(reference, found))
    return out


def _status_line(change: StatusChange) -> str:
    labels = dict(ImplementationStatus.choices)  # the choices of Recommendation.status
    return "{day}: {before} → {after}{note}".format(
        day=formats.date_format(change.changed_at, "SHORT_DATE_FORMAT"),
        before=labels.get(change.from_status, change.from_status),
        after=labels.get(change.to_status, change.to_status),
        note=f" ({change.note})" if change.note else "")


def rows(items: list[Observation]) -> list[dict[str, object]]:
    """One row per recommendation, for CSV and JSON."""
    out: list[dict[str, object]] = []
    for observation in items:
        for r in observation.recommendations:
            out.append({
                "observation": observation.reference,
                "recommendation_id": r.pk,
                "source": str(r.get_source_display()),
                "official_reference": r.cat_reference,
                "text": r.text,
                "addressed_to": r.addressee_body.name,
                "issued_on": r.issued_on.isoformat(),
                "deadline": r.deadline.isoformat(),
                "response": str(r.get_response_level_display()) if r.response_level else "",
                "status": r.status,
                "status_label": str(r.get_status_display()),
                "status_history": [_status_line(c) for c in r.status_history.all()],
                "evidence": [{"kind": str(e.get_kind_display()), "description": e.description,
                              "submitted_on": e.submitted_at.date().isoformat()}
                             for e in r.evidence.all()],
                "answers": [{"level": str(a.get_level_display()), "text": a.text,
                             "answered_on": a.answered_at.date().isoformat()}
                            for a in r.responses.all()],
            })
    return out


def as_json(items: list[Observation], provenance: Provenance, title: str) -> bytes:
    document = {"title": title, "provenance": dict(provenance.lines()),
                "recommendations": rows(items)}
    return json.dumps(document, ensure_ascii=False, indent=2).encode()


CSV_FIELDS = ["observation", "recommendation_id", "source", "official_reference", "text",
              "addressed_to", "issued_on", "deadline", "response", "status", "status_label",
              "status_history", "evidence", "answers"]


def as_csv(items: list[Observation], provenance: Provenance) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for label, value in provenance.lines():
        writer.writerow([f"# {label}", value])
    writer.writerow(CSV_FIELDS)
    for row in rows(items):
        row["status_history"] = " | ".join(row["status_history"])  # type: ignore[arg-type]  # rows of mixed JSON
        row["evidence"] = " | ".join(f"{e['kind']}: {e['description']}"
                                     for e in row["evidence"])  # type: ignore[attr-defined]  # rows of mixed JSON
        row["answers"] = " | ".join(f"{a['level']}: {a['text']}"
                                    for a in row["answers"])  # type: ignore[attr-defined]  # rows of mixed JSON
        writer.writerow([row[field] for field in CSV_FIELDS])
    return out.getvalue().encode("utf-8-sig")


def as_pdf(items: list[Observation], provenance: Provenance, title: str) -> bytes:
    pdf = FPDF(format="A4")
    pdf.add_font(FAMILY, "", str(REGULAR_FONT))
    pdf.add_font(FAMILY, "B", str(BOLD_FONT))
    pdf.set_auto_page_break(auto=True, margin=14)
    pdf.set_margins(16, 14, 16)
    pdf.add_page()

    def line(text: str, size: float = 9, height: float = 5, bold: bool = False) -> None:
        pdf.set_font(FAMILY, "B" if bold else "", size)
        pdf.multi_cell(0, height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    line(title, 15, 8, bold=True)
    for label, value in provenance.lines(signed_note=False):
        line(f"{label}: {value}", 8, 4.5)
    for observation in items:
        pdf.ln(4)
        line(observation.reference, 12, 7, bold=True)
        for r in observation.recommendations:
            pdf.ln(1)
            line(f"{r.get_source_display()} · {r.cat_reference or '#' + str(r.pk)} · "
                 f"{r.addressee_body.name}", 9, 5, bold=True)
            line(r.text)
            line(_("Status: %(status)s (due %(deadline)s)") % {
                "status": r.get_status_display(),
                "deadline": formats.date_format(r.deadline, "SHORT_DATE_FORMAT")}, 9, 5,
                bold=True)
            for change in r.status_history.all():
                line("  " + _status_line(change), 8, 4.5)
            evidence = list(r.evidence.all())
            line(_("Evidence") + (":" if evidence else ": " + _("none")), 8, 4.5, bold=True)
            for e in evidence:
                line(f"  {e.get_kind_display()} "
                     f"({formats.date_format(e.submitted_at, 'SHORT_DATE_FORMAT')}): "
                     f"{e.description}", 8, 4.5)
            for a in r.responses.all():
                line(f"  {_('Answer')}: {a.get_level_display()}: {a.text}", 8, 4.5)
    if provenance.checkpoint is not None:
        pdf.add_page()
        line(str(_("Appendix: the signed ledger checkpoint")), 12, 7, bold=True)
        for label, value in provenance.lines()[3:]:
            line(f"{label}: {value}", 8, 4.5)
    return bytes(pdf.output())
