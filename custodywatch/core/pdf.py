"""PDF documents in Kazakh, Russian and English: one font, one page frame for every report.

fpdf2 writes the PDF in pure Python; the font is Noto Sans (SIL Open Font License, `fonts/
OFL.txt`), which covers the Kazakh letters (ә, ғ, қ, ң, ө, ұ, ү, һ, і) as well as Russian. It
is kept here as two static faces, regular and bold, cut once from the variable font of the
`fontpkg-noto-sans` package to Latin, Cyrillic, general punctuation, the numero and tenge
signs (`fonts/README.md` says how): turning the variable font into a static one took fontTools
tens of seconds at each installation's first PDF.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

FONTS = Path(__file__).resolve().parent / "fonts"
REGULAR_FONT = FONTS / "NotoSans-Regular.ttf"
BOLD_FONT = FONTS / "NotoSans-Bold.ttf"
FAMILY = "NotoSans"


def static_font() -> Path:
    """The regular face (what callers that add their own fonts embed)."""
    return REGULAR_FONT


class Report(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, "", 8)
        self.cell(0, 6, f"{self.footer_text} · {self.page_no()}/{{nb}}", align="C")


def new_pdf() -> Report:
    """A4 portrait, the font in regular and bold, numbered pages."""
    pdf = Report(format="A4")
    pdf.add_font(FAMILY, "", str(REGULAR_FONT))
    pdf.add_font(FAMILY, "B", str(BOLD_FONT))
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.set_margins(18, 16, 18)
    return pdf
