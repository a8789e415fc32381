"""The UN CAT tables as XLSX (openpyxl) and PDF (fpdf2, Noto Sans as in visits/report.py).

Both carry, beside the figures: each table's definition, when and by whom they were made,
and the latest ledger checkpoint at that moment (tree size, root hash, the signed note), so
the figures can be recounted against the same state of the registers.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
from dataclasses import dataclass

from django.utils import formats
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from custodywatch.core.pdf import FAMILY, static_font
from custodywatch.ledger.models import Checkpoint
from custodywatch.reports.cat import Table


@dataclass(frozen=True)
class Provenance:
    made_at: dt.datetime
    made_by: str
    scope: str
    checkpoint: Checkpoint | None

    def lines(self) -> list[tuple[str, str]]:
        made = formats.date_format(self.made_at, "DATETIME_FORMAT")
        lines = [(_("Made at"), made), (_("Made by"), self.made_by), (_("Scope"), self.scope)]
        if self.checkpoint is None:
            lines.append((_("Ledger checkpoint"), _("none yet: the ledger has no checkpoint")))
        else:
            lines += [
                (_("Ledger tree size"), str(self.checkpoint.size)),
                (_("Ledger root hash (base64)"),
                 base64.b64encode(bytes(self.checkpoint.root)).decode()),
                (_("Ledger checkpoint (signed note)"), self.checkpoint.note),
            ]
        return lines


def cat_xlsx(*, title: str, tables: list[Table], provenance: Provenance) -> bytes:
    book = Workbook()
    about = book.active
    about.title = _("Definitions")[:31]
    about.append([title])
    about["A1"].font = Font(bold=True, size=14)
    for label, value in provenance.lines():
        about.append([label, value])
    about.append([])
    for table in tables:
        about.append([table.title, table.definition])
    about.column_dimensions["A"].width = 45
    about.column_dimensions["B"].width = 120
    for row in about.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for table in tables:
        sheet = book.create_sheet(table.key)
        sheet.append([table.title])
        sheet["A1"].font = Font(bold=True)
        sheet.append([table.definition])
        sheet.append([])
        sheet.append(table.header)
        for cell in sheet[4]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append(row)
        sheet.column_dimensions["A"].width = 40
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def cat_pdf(*, title: str, tables: list[Table], provenance: Provenance) -> bytes:
    pdf = FPDF(format="A4", orientation="landscape")
    font = str(static_font())
    # One weight only (as in visits/report.py): "B" is the same face for table headings.
    pdf.add_font(FAMILY, "", font)
    pdf.add_font(FAMILY, "B", font)
    pdf.set_auto_page_break(auto=True, margin=14)
    pdf.set_margins(14, 14, 14)
    pdf.add_page()
    pdf.set_font(FAMILY, "", 15)
    pdf.multi_cell(0, 8, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "", 9)
    for label, value in provenance.lines():
        pdf.multi_cell(0, 5, f"{label}: {value}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for table in tables:
        pdf.ln(4)
        pdf.set_font(FAMILY, "", 12)
        pdf.multi_cell(0, 7, table.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FAMILY, "", 8)
        pdf.multi_cell(0, 4.5, table.definition, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)
        with pdf.table(text_align="RIGHT", first_row_as_headings=True,
                       line_height=5) as grid:
            for values in [table.header, *table.rows]:
                row = grid.row()
                for value in values:
                    row.cell(_text(value))
    return bytes(pdf.output())


def _text(value: object) -> str:
    if isinstance(value, float):
        return formats.number_format(value, 2, use_l10n=True, force_grouping=True)
    return str(value)
