"""What every sessionmon PDF is made of: fonts, colours, styles, times, page furniture, tables.

Shared by the session report (:mod:`sessionmon.export.pdf`) and the course report: the bundled
font and its character replacements, paragraph styles, times in one zone with minutes since the
dose, the numbered canvas (watermark, "Page i of n", footer) and the table helpers.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as pdfcanvas
from reportlab.platypus import (
    Paragraph,
    Table,
    TableStyle,
)

from sessionmon.export.record import SessionRecord

WATERMARK = "SIMULATION - NOT A PATIENT"
FONT, FONT_BOLD = "SessionSans", "SessionSans-Bold"
#: Characters the bundled font lacks, and what to print instead.
_REPLACE = str.maketrans({"≥": ">=", "≤": "<=", "→": "->", "−": "-", "’": "'"})

HR_COLOUR = colors.HexColor("#2e7d32")
SPO2_COLOUR = colors.HexColor("#1565c0")
BP_COLOUR = colors.HexColor("#c62828")
ALARM_FILL = colors.Color(1, 0.6, 0.2, alpha=0.22)
GRID = colors.HexColor("#d0d0d0")


def register_fonts() -> None:
    """Register the bundled Vera fonts with reportlab once."""
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    import reportlab

    folder = Path(reportlab.__file__).parent / "fonts"
    pdfmetrics.registerFont(TTFont(FONT, str(folder / "Vera.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(folder / "VeraBd.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD)


def clean(text: object) -> str:
    """Text for a Paragraph: unsupported characters replaced, markup escaped."""
    return xml_escape(str(text).translate(_REPLACE))


class Styles:
    """The paragraph styles of a report, in the bundled font."""

    def __init__(self) -> None:
        base = getSampleStyleSheet()
        self.body = ParagraphStyle(
            "body", parent=base["BodyText"], fontName=FONT, fontSize=8.5, leading=10.5
        )
        self.small = ParagraphStyle("small", parent=self.body, fontSize=7.5, leading=9)
        self.cell = ParagraphStyle(
            "cell", parent=self.body, fontSize=7.5, leading=9, spaceBefore=0, spaceAfter=0
        )
        self.cell_bold = ParagraphStyle("cellb", parent=self.cell, fontName=FONT_BOLD)
        self.title = ParagraphStyle(
            "title",
            parent=base["Title"],
            fontName=FONT_BOLD,
            fontSize=15,
            leading=18,
            alignment=0,
            spaceAfter=2,
        )
        self.h2 = ParagraphStyle(
            "h2",
            parent=base["Heading2"],
            fontName=FONT_BOLD,
            fontSize=10.5,
            leading=13,
            spaceBefore=8,
            spaceAfter=3,
            textColor=colors.HexColor("#222222"),
        )


class ReportClock:
    """Formats times in one zone, with minutes since the dose."""

    def __init__(self, record: SessionRecord, tz: tzinfo | None) -> None:
        self.record = record
        self.tz = tz

    def local(self, moment: datetime | None, fmt: str = "%H:%M:%S") -> str:
        if moment is None:
            return "-"
        shown = moment.astimezone(self.tz)
        return shown.strftime(fmt)

    def stamp(self, moment: datetime | None) -> str:
        if moment is None:
            return "-"
        shown = moment.astimezone(self.tz)
        return shown.strftime("%Y-%m-%d %H:%M ") + (shown.tzname() or "")

    def since(self, moment: datetime) -> str:
        seconds = self.record.seconds_since_dose(moment)
        return "" if seconds is None else f"{round(seconds / 60):+d}"


# --------------------------------------------------------------------------- page furniture


def _pdf_date(moment: datetime) -> str:
    """``D:YYYYMMDDHHmmSS+00'00'``: a PDF date (UTC) for ``/CreationDate`` and ``/ModDate``."""
    return moment.astimezone(UTC).strftime("D:%Y%m%d%H%M%S+00'00'")


def numbered_canvas(simulated: bool, footer: str, made_at: datetime):
    """A canvas class that writes 'Page i of n' (and the watermark) once all pages are known.

    The document dates are ``made_at`` (the export time: shifted in a de-identified export),
    never the computer's clock, and the file id is derived from the content only.
    """

    class NumberedCanvas(pdfcanvas.Canvas):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **{**kwargs, "invariant": 1})
            stamp = _pdf_date(made_at)
            self.setDateFormatter(lambda *_: stamp)
            self._pages: list[dict] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self._furniture(number, total)
                super().showPage()
            super().save()

        def _furniture(self, number: int, total: int) -> None:
            width, height = self._pagesize
            self.saveState()
            self.setFont(FONT, 7)
            self.setFillColor(colors.HexColor("#555555"))
            self.drawString(15 * mm, 9 * mm, footer.translate(_REPLACE))
            self.drawRightString(width - 15 * mm, 9 * mm, f"Page {number} of {total}")
            if simulated:
                self.setFont(FONT_BOLD, 34)
                self.setFillColor(colors.Color(0.85, 0.1, 0.1, alpha=0.16))
                self.translate(width / 2, height / 2)
                self.rotate(52)
                self.drawCentredString(0, 0, WATERMARK)
                self.rotate(-52)
                self.translate(-width / 2, -height / 2)
                self.setFont(FONT_BOLD, 8)
                self.setFillColor(colors.HexColor("#c62828"))
                self.drawCentredString(width / 2, height - 9 * mm, WATERMARK)
            self.restoreState()

    return NumberedCanvas


# --------------------------------------------------------------------------- tables


def make_table(rows: list[list], widths: list[float], header: bool = True) -> Table:
    """A grid table of ``rows`` with column ``widths``; the first row a header."""
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0, hAlign="LEFT")
    style = [
        ("FONT", (0, 0), (-1, -1), FONT, 7.5),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, GRID),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        style += [
            ("FONT", (0, 0), (-1, 0), FONT_BOLD, 7.5),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ]
    table.setStyle(TableStyle(style))
    return table


def pairs_table(pairs: list[tuple[str, str]], st: Styles, width: float) -> Table:
    """A two-column table of label / value pairs."""
    rows = [[Paragraph(clean(k), st.cell_bold), Paragraph(clean(v), st.cell)] for k, v in pairs]
    return make_table(rows, [0.34 * width, 0.66 * width], header=False)


def section(title: str, st: Styles, body) -> list:
    """A section heading and its body (``None recorded.`` when there is none)."""
    if body is None:
        return [Paragraph(clean(title), st.h2), Paragraph("None recorded.", st.body)]
    return [Paragraph(clean(title), st.h2), body]
