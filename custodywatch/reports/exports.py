"""The UN CAT tables as XLSX (openpyxl) and PDF (fpdf2, Noto Sans as in visits/report.py).

Both carry, beside the figures: each table's definition, when and by whom they were made,
and the latest ledger checkpoint at that moment (tree size, root hash, the signed note), so
the figures can be recounted against the same state of the registers.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import formats
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from custodywatch.core.pdf import BOLD_FONT, FAMILY, REGULAR_FONT
from custodywatch.ledger.models import Checkpoint
from custodywatch.reports.cat import Table


@dataclass(frozen=True)
class Provenance:
    made_at: dt.datetime
    made_by: str
    scope: str
    checkpoint: Checkpoint | None

    def lines(self, *, signed_note: bool = True) -> list[tuple[str, str]]:
        """What the export was computed from. A printed page gives a short fingerprint a
        person can read out and compare, and leaves the signed note to an appendix."""
        made = formats.date_format(self.made_at, "DATETIME_FORMAT")
        lines = [(_("Made at"), made), (_("Made by"), self.made_by), (_("Scope"), self.scope)]
        if self.checkpoint is None:
            lines.append((_("Ledger checkpoint"), _("none yet: the ledger has no checkpoint")))
            return lines
        lines += [(_("Ledger tree size"), str(self.checkpoint.size)),
                  (_("Ledger fingerprint"), self.fingerprint)]
        if signed_note:
            lines += [(_("Ledger root hash (base64)"),
                       base64.b64encode(bytes(self.checkpoint.root)).decode()),
                      (_("Ledger checkpoint (signed note)"), self.checkpoint.note)]
        return lines

    @property
    def fingerprint(self) -> str:
        """The first 64 bits of the root hash, in groups of four hex digits."""
        if self.checkpoint is None:
            return ""
        digits = bytes(self.checkpoint.root)[:8].hex()
        return " ".join(digits[i:i + 4] for i in range(0, len(digits), 4))


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
    names: set[str] = set()
    for table in tables:
        sheet = book.create_sheet(_sheet_name(table.title, names))
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
    pdf.add_font(FAMILY, "", str(REGULAR_FONT))
    pdf.add_font(FAMILY, "B", str(BOLD_FONT))
    pdf.set_auto_page_break(auto=True, margin=14)
    pdf.set_margins(14, 14, 14)
    pdf.add_page()
    pdf.set_font(FAMILY, "", 15)
    pdf.multi_cell(0, 8, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "", 9)
    for label, value in provenance.lines(signed_note=False):
        pdf.multi_cell(0, 5, f"{label}: {value}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for table in tables:
        pdf.ln(4)
        # A heading never ends a page: it starts the next one with its table.
        if pdf.get_y() + HEADING_WITH_ROWS_MM > pdf.page_break_trigger:
            pdf.add_page()
        pdf.set_font(FAMILY, "", 12)
        pdf.multi_cell(0, 7, table.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FAMILY, "", 8)
        pdf.multi_cell(0, 4.5, table.definition, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)
        with pdf.table(text_align="RIGHT", first_row_as_headings=True,
                       line_height=5) as grid:
            lines: list[Sequence[object]] = [table.header, *table.rows]
            for values in lines:
                row = grid.row()
                for cell in values:
                    row.cell(_text(cell))
    if provenance.checkpoint is not None:
        pdf.add_page()
        pdf.set_font(FAMILY, "", 12)
        pdf.multi_cell(0, 7, str(_("Appendix: the signed ledger checkpoint")),
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FAMILY, "", 8)
        for label, value in provenance.lines()[3:]:
            pdf.multi_cell(0, 4.5, f"{label}: {value}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


# Room for a table's heading, its definition and its first rows (mm).
HEADING_WITH_ROWS_MM = 40
SHEET_NAME_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


def _sheet_name(title: str, taken: set[str]) -> str:
    """A worksheet named by the table's title in the reader's language (Excel: at most 31
    characters, none of []:*?/\\, unique in the book)."""
    base = str(title).translate(SHEET_NAME_FORBIDDEN).strip()[:31] or "table"
    name, number = base, 2
    while name.casefold() in taken:
        suffix = f" {number}"
        name, number = base[:31 - len(suffix)] + suffix, number + 1
    taken.add(name.casefold())
    return name


def _text(value: object) -> str:
    if isinstance(value, float):
        return formats.number_format(value, 2, use_l10n=True, force_grouping=True)
    return str(value)
