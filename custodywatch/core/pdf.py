"""PDF documents in Kazakh, Russian and English: one font, one page frame for every report.

fpdf2 writes the PDF in pure Python; the font is Noto Sans from the `fontpkg-noto-sans`
package (SIL Open Font License), which covers the Kazakh letters (ә, ғ, қ, ң, ө, ұ, ү, һ, і)
as well as Russian. The package ships Noto Sans as a variable font, and turning a variable
font into the static one a PDF embeds takes fontTools tens of seconds. So it is done once: the
Latin and Cyrillic glyphs are cut out, pinned at the regular weight, and the result is kept
under VAR_DIR (written to a temporary name, then renamed, so two processes never see half a
file).
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

import fontpkg_noto_sans
from django.conf import settings
from fontTools import subset
from fontTools.ttLib import TTFont
from fontTools.varLib import instancer
from fpdf import FPDF

VARIABLE_FONT = Path(fontpkg_noto_sans.ROOT) / "files" / "NotoSans[wdth,wght].ttf"
FAMILY = "NotoSans"
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


class Report(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, "", 8)
        self.cell(0, 6, f"{self.footer_text} · {self.page_no()}/{{nb}}", align="C")


def new_pdf() -> Report:
    """A4 portrait, the font in regular and "bold" (the same face), numbered pages."""
    pdf = Report(format="A4")
    font = str(static_font())
    # One weight only (see above): "B" is the same face, headings stand out by size.
    pdf.add_font(FAMILY, "", font)
    pdf.add_font(FAMILY, "B", font)
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.set_margins(18, 16, 18)
    return pdf
