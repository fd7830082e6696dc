"""The PDF session report (reportlab), and the one-page REMS monitoring form.

Contents: clinic, patient, treatment, dose, lot and staff; the REMS monitoring-form fields; a
trend chart of HR, SpO2 and BP with the dose and event markers; the BP table; checklist scores
with times; the alarm log; annotations; sign-off and the audit hash. Simulated sessions carry a
"SIMULATION - NOT A PATIENT" watermark on every page; every page is numbered "Page i of n".
Times are shown in ``tz`` (the computer's zone unless given) with minutes since the first dose.
"""

from __future__ import annotations

import math
import os
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as pdfcanvas
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from sessionmon.export.limits import limit_changes, limits_rows
from sessionmon.export.record import Progress, SessionRecord, report, scale_label
from sessionmon.export.rems import RemsSummary, rems_summary
from sessionmon.export.rems_rows import rems_rows
from sessionmon.lifecycle import describe_ending, ending_of
from sessionmon.model import EventKind, Kind, SessionEnding
from sessionmon.protocol.safety import item_label

WATERMARK = "SIMULATION - NOT A PATIENT"
FONT, FONT_BOLD = "SessionSans", "SessionSans-Bold"
#: Characters the bundled font lacks, and what to print instead.
_REPLACE = str.maketrans({"≥": ">=", "≤": "<=", "→": "->", "−": "-", "’": "'"})

HR_COLOUR = colors.HexColor("#2e7d32")
SPO2_COLOUR = colors.HexColor("#1565c0")
BP_COLOUR = colors.HexColor("#c62828")
ALARM_FILL = colors.Color(1, 0.6, 0.2, alpha=0.22)
GRID = colors.HexColor("#d0d0d0")


def _register_fonts() -> None:
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    import reportlab

    folder = Path(reportlab.__file__).parent / "fonts"
    pdfmetrics.registerFont(TTFont(FONT, str(folder / "Vera.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(folder / "VeraBd.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD)


def _clean(text: object) -> str:
    """Text for a Paragraph: unsupported characters replaced, markup escaped."""
    return xml_escape(str(text).translate(_REPLACE))


class _Styles:
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


class _Clock:
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


def _numbered_canvas(simulated: bool, footer: str, made_at: datetime):
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


def _table(rows: list[list], widths: list[float], header: bool = True) -> Table:
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


def _pairs(pairs: list[tuple[str, str]], st: _Styles, width: float) -> Table:
    rows = [[Paragraph(_clean(k), st.cell_bold), Paragraph(_clean(v), st.cell)] for k, v in pairs]
    return _table(rows, [0.34 * width, 0.66 * width], header=False)


def _clinic_text(rems: RemsSummary) -> str:
    setting = rems.setting
    parts = [setting["name"], setting["address"], f"{setting['city']} {setting['state']}".strip()]
    parts.append(setting["zip"])
    text = ", ".join(p for p in parts if p)
    return text or "not set: enter it in File > Clinic settings"


def _provider_text(record: SessionRecord, rems: RemsSummary) -> str:
    provider = rems.provider
    name = f"{provider['first_name']} {provider['last_name']}".strip()
    contact = ", ".join(p for p in (provider["phone"], provider["email"]) if p)
    if name:
        return f"{name} ({contact})" if contact else name
    return record.session.monitoring_provider or "not recorded"


def _staff_text(record: SessionRecord) -> str:
    s = record.session
    names = list(dict.fromkeys([*s.staff, *(e.by for e in record.events if e.by)]))
    names = [n for n in names if n not in ("scenario",)]
    return ", ".join(names) or "not recorded"


def _identity(
    record: SessionRecord, rems: RemsSummary, clock: _Clock, st: _Styles, width: float
) -> Table:
    s = record.session
    p = s.patient
    t = s.treatment
    lot = rems.lot_number or "not recorded"
    devices = f" ({t.devices_count} x 28 mg device)" if t.devices_count else ""
    pairs = [
        ("Patient", p.name or "(name not given)"),
        ("Pseudonym", p.pseudonym),
        ("Date of birth", p.date_of_birth.isoformat() if p.date_of_birth else "not given"),
        ("Sex", p.sex or "not given"),
        ("Clinic", _clinic_text(rems)),
        ("Monitoring provider", _provider_text(record, rems)),
        ("Staff", _staff_text(record)),
        ("Treatment", f"{t.drug.value}, {t.route.value} ({t.protocol.value})"),
        ("Dose", f"{t.dose_mg:g} mg{devices}; {_given(record)}"),
        ("Lot number", lot),
        ("Concomitant medicines", ", ".join(s.concomitant_medicines) or "none recorded"),
        ("Session", f"{s.id}  (phase: {s.phase.value})"),
        (
            "Started / first dose / ended",
            " / ".join(clock.stamp(x) for x in (s.created_at, record.dose_at, s.ended_at)),
        ),
        ("How the session ended", _ending_text(s, clock)),
    ]
    if s.simulated:
        pairs.append(("Simulation", f"scenario: {s.scenario or '-'} (not a patient)"))
    return _pairs(pairs, st, width)


def _ending_text(session, clock: _Clock) -> str:
    """``Transferred to emergency care (to ED): chest pain - RN A, 2026-01-05 10:40``."""
    text = describe_ending(session)
    if text is None:
        return "still open (not ended)" if session.phase.value != "interrupted" else "interrupted"
    who = session.ending.by if session.ending else session.signed_by
    when = session.ending.at if session.ending else session.ended_at
    if who or when:
        text += " - " + ", ".join(x for x in (who, clock.stamp(when) if when else None) if x)
    return text


_MARK_FILL = {"open": colors.HexColor("#fff3c4"), "clinician": colors.HexColor("#e3f0ff")}


def _rems_ending(record: SessionRecord, clock: _Clock) -> list[tuple[str, str]]:
    """The end of monitoring, on the form when it was not a discharge."""
    found = ending_of(record.session)
    if found is None or found[0] is SessionEnding.DISCHARGED:
        return []
    return [("Monitoring ended", _ending_text(record.session, clock))]


def _rems(
    record: SessionRecord, rems: RemsSummary, clock: _Clock, st: _Styles, width: float
) -> list:
    """Every field of the Patient Monitoring Form; open questions shaded yellow, the
    clinician's answers blue."""
    flow: list = []
    ending = _rems_ending(record, clock)
    if ending:
        flow += [_pairs(ending, st, width), Spacer(1, 3)]
    for title, rows in rems_rows(rems, record.dose_at, lambda t: clock.local(t, "%Y-%m-%d")):
        flow.append(Paragraph(f"<b>{_clean(title)}</b>", st.small))
        table = _pairs([(label, value) for label, value, _ in rows], st, width)
        marks = [
            ("BACKGROUND", (0, i), (-1, i), _MARK_FILL[mark])
            for i, (_, _, mark) in enumerate(rows)
            if mark in _MARK_FILL
        ]
        if marks:
            table.setStyle(TableStyle(marks))
        flow += [table, Spacer(1, 3)]
    flow.append(
        Paragraph(
            "Yellow: not supported by the record, for the clinician to answer at sign-off. "
            "Blue: answered by the clinician at sign-off.",
            st.small,
        )
    )
    if rems.missing:
        flow.append(Spacer(1, 2))
        flow.append(
            Paragraph(
                "<b>Still empty (to complete before the form is sent):</b> "
                + _clean(", ".join(rems.missing)),
                st.small,
            )
        )
    return flow


# --------------------------------------------------------------------------- trend chart


def _bins(record: SessionRecord, kind: Kind, dose: datetime, width_s: float) -> list[tuple]:
    """(minutes since dose, mean value) per bin of ``width_s`` seconds."""
    sums: dict[int, list[float]] = {}
    for m in record.series(kind):
        if "searching" in m.flags:
            continue
        index = int((m.received_at - dose).total_seconds() // width_s)
        entry = sums.setdefault(index, [0.0, 0])
        entry[0] += m.value
        entry[1] += 1
    return [((i + 0.5) * width_s / 60.0, s / n) for i, (s, n) in sorted(sums.items())]


def trend_chart(record: SessionRecord, width: float, height: float = 250) -> Drawing:
    """HR, SpO2 and BP strips against minutes since the dose, with dose and event markers."""
    drawing = Drawing(width, height)
    dose = record.dose_at or record.session.created_at
    end = record.end_of_monitoring
    times = [m.received_at for m in record.measurements]
    times += [e.at for e in record.events if end is None or e.at <= end]
    if not times:
        drawing.add(
            String(
                width / 2,
                height / 2,
                "no measurements recorded",
                fontName=FONT,
                fontSize=9,
                textAnchor="middle",
            )
        )
        return drawing
    t0 = min(0.0, (min(times) - dose).total_seconds() / 60)
    t1 = max(t0 + 10, (max(times) - dose).total_seconds() / 60)
    left, right, bottom, top = 34.0, width - 8.0, 26.0, height - 24.0
    gap = 8.0
    strip_h = (top - bottom - 2 * gap) / 3

    def x(minutes: float) -> float:
        return left + (minutes - t0) / (t1 - t0) * (right - left)

    span_s = (t1 - t0) * 60
    bin_s = max(10.0, span_s / 400)
    hr = _bins(record, Kind.HR, dose, bin_s)
    spo2 = _bins(record, Kind.SPO2, dose, bin_s)
    bps = record.bp_readings
    hr_vals = [v for _, v in hr]
    strips = [
        (
            "HR /min",
            HR_COLOUR,
            hr,
            (min([40.0, *hr_vals]) // 10 * 10, max([130.0, *hr_vals]) // 10 * 10 + 10),
        ),
        ("SpO2 %", SPO2_COLOUR, spo2, (min([85.0, *[v for _, v in spo2]]) // 5 * 5, 100.0)),
        (
            "BP mmHg",
            BP_COLOUR,
            None,
            (
                min([40.0, *[b.dia for b in bps]]) // 20 * 20,
                max([180.0, *[b.sys for b in bps]]) // 20 * 20 + 20,
            ),
        ),
    ]
    # physiological alarm periods shaded across the strips (technical ones are listed below
    # the chart: an alarm sound that cannot play all session is no patient event)
    for alarm in record.alarms:
        if alarm.category.value != "physiological":
            continue
        a0 = (alarm.start - dose).total_seconds() / 60
        a1 = ((alarm.end or alarm.start) - dose).total_seconds() / 60
        a1 = max(a1, a0 + (t1 - t0) / 300)
        drawing.add(
            Rect(
                x(max(a0, t0)),
                bottom,
                max(1.0, x(min(a1, t1)) - x(max(a0, t0))),
                top - bottom,
                fillColor=ALARM_FILL,
                strokeColor=None,
            )
        )
    for index, (label, colour, series, (lo, hi)) in enumerate(strips):
        y0 = top - (index + 1) * strip_h - index * gap
        y1 = y0 + strip_h

        def y(value: float, y0=y0, lo=lo, hi=hi) -> float:
            return y0 + (min(max(value, lo), hi) - lo) / (hi - lo) * strip_h

        drawing.add(
            Rect(left, y0, right - left, strip_h, fillColor=None, strokeColor=GRID, strokeWidth=0.5)
        )
        for tick in (lo, (lo + hi) / 2, hi):
            drawing.add(Line(left, y(tick), right, y(tick), strokeColor=GRID, strokeWidth=0.3))
            drawing.add(
                String(
                    left - 3,
                    y(tick) - 2.5,
                    f"{tick:g}",
                    fontName=FONT,
                    fontSize=6,
                    textAnchor="end",
                )
            )
        drawing.add(
            String(left + 3, y1 - 8, label, fontName=FONT_BOLD, fontSize=6.5, fillColor=colour)
        )
        if series is not None:
            segment: list[float] = []
            last_t = None
            for t, v in series:
                if last_t is not None and t - last_t > 2.5 * bin_s / 60:
                    if len(segment) >= 4:
                        drawing.add(PolyLine(segment, strokeColor=colour, strokeWidth=0.9))
                    segment = []
                segment += [x(t), y(v)]
                last_t = t
            if len(segment) >= 4:
                drawing.add(PolyLine(segment, strokeColor=colour, strokeWidth=0.9))
        else:
            for b in bps:
                bx = x((b.at - dose).total_seconds() / 60)
                drawing.add(Line(bx, y(b.dia), bx, y(b.sys), strokeColor=colour, strokeWidth=1))
                for v in (b.sys, b.dia):
                    drawing.add(
                        Line(bx - 2.5, y(v), bx + 2.5, y(v), strokeColor=colour, strokeWidth=1)
                    )
                if b.map is not None:
                    drawing.add(Circle(bx, y(b.map), 1.3, fillColor=colour, strokeColor=None))
    # time axis
    step = next((s for s in (5, 10, 15, 30, 60, 120) if (t1 - t0) / s <= 12), 0)
    step = step or math.ceil((t1 - t0) / 12 / 60) * 60
    tick = int(t0 // step) * step
    while tick <= t1:
        if tick >= t0:
            drawing.add(
                Line(
                    x(tick), bottom, x(tick), bottom - 3, strokeColor=colors.black, strokeWidth=0.5
                )
            )
            drawing.add(
                String(
                    x(tick),
                    bottom - 10,
                    f"{tick:g}",
                    fontName=FONT,
                    fontSize=6,
                    textAnchor="middle",
                )
            )
        tick += step
    drawing.add(
        String(
            (left + right) / 2,
            2,
            "minutes since the first dose",
            fontName=FONT,
            fontSize=6.5,
            textAnchor="middle",
        )
    )
    # dose and event markers
    if record.dose_at is not None:
        for event in record.events_of(EventKind.DOSE_GIVEN):
            dx = x((event.at - dose).total_seconds() / 60)
            drawing.add(
                Line(
                    dx,
                    bottom,
                    dx,
                    top,
                    strokeColor=colors.black,
                    strokeWidth=0.8,
                    strokeDashArray=[3, 2],
                )
            )
    markers = {
        EventKind.CHECKLIST: "C",
        EventKind.ANNOTATION: "N",
        EventKind.DISCHARGE_ATTEMPT: "D",
        EventKind.SIGN_OFF: "S",
    }
    placed = _marker_rows(
        [
            (x((event.at - dose).total_seconds() / 60), markers[event.kind])
            for event in record.active_events
            if event.kind in markers and t0 <= (event.at - dose).total_seconds() / 60 <= t1
        ]
        + ([(x(0), "Dose")] if record.dose_at is not None else [])
    )
    for ex, letter, row in placed:
        if letter == "Dose":
            drawing.add(
                String(
                    ex,
                    top + 4 + 6.5 * row,
                    "Dose",
                    fontName=FONT_BOLD,
                    fontSize=6.5,
                    textAnchor="middle",
                )
            )
            continue
        drawing.add(
            Polygon(
                [ex - 2.5, top + 1, ex + 2.5, top + 1, ex, top - 3],
                fillColor=colors.HexColor("#555555"),
                strokeColor=None,
            )
        )
        drawing.add(
            String(
                ex, top + 4 + 6.5 * row, letter, fontName=FONT, fontSize=5.5, textAnchor="middle"
            )
        )
    return drawing


#: Space kept between two labels on one row above the chart (points).
MARKER_GAP = 1.5


def _label_width(letter: str) -> float:
    _register_fonts()
    bold = letter == "Dose"
    return pdfmetrics.stringWidth(letter, FONT_BOLD if bold else FONT, 6.5 if bold else 5.5)


def _marker_rows(markers: list[tuple[float, str]]) -> list[tuple[float, str, int]]:
    """Give each label a row above the chart so that no two labels overlap.

    A letter that would touch the same letter is drawn once (``C`` for three checklists in a
    minute); different labels that would overlap go one row up (at most three rows, then the
    letter is left out: its triangle still marks the moment).
    """
    placed: list[tuple[float, str, int]] = []
    right_edge: list[float | None] = [None, None, None]
    for ex, letter in sorted(markers):
        half = _label_width(letter) / 2
        if any(pl == letter and abs(px - ex) < 2 * half + MARKER_GAP for px, pl, _ in placed[-3:]):
            continue
        for row, edge in enumerate(right_edge):
            if edge is None or ex - half >= edge + MARKER_GAP:
                placed.append((ex, letter, row))
                right_edge[row] = ex + half
                break
    return placed


def _legend(record: SessionRecord, clock: _Clock, st: _Styles) -> Paragraph:
    technical = [a for a in record.alarms if a.category.value == "technical"]
    listing = "; ".join(
        f"{a.message or a.condition} {clock.local(a.start, '%H:%M')}"
        f"-{clock.local(a.end, '%H:%M') if a.end else 'end'}"
        for a in technical
    )
    text = (
        "HR and SpO2: mean per interval. BP: bar from diastolic to systolic, dot at the mean. "
        "Dashed line: dose. Shaded: physiological alarm active. "
        "Markers: C checklist, N note, D discharge attempt, S sign-off. "
        + (f"Technical alarms (not shaded): {listing}." if technical else "No technical alarm.")
    )
    return Paragraph(_clean(text), st.small)


# --------------------------------------------------------------------------- sections


def _bp_table(record: SessionRecord, clock: _Clock, st: _Styles, width: float) -> Table | None:
    if not record.bp_readings:
        return None
    rows = [["Time", "Min", "Systolic/diastolic", "Mean", "Pulse", "Device"]]
    for b in record.bp_readings:
        rows.append(
            [
                clock.local(b.at),
                clock.since(b.at),
                f"{b.sys:g}/{b.dia:g} mmHg",
                "-" if b.map is None else f"{b.map:g}",
                "-" if b.pulse is None else f"{b.pulse:g}",
                b.source,
            ]
        )
    return _table(rows, [w * width for w in (0.13, 0.08, 0.22, 0.1, 0.1, 0.37)])


def _checklist_table(record: SessionRecord, clock: _Clock, st: _Styles, width: float):
    events = [e for e in record.events if e.kind is EventKind.CHECKLIST]
    if not events:
        return None
    rows = [["Time", "Min", "Scale", "Score", "Interpretation", "By"]]
    for e in events:
        note = e.payload.get("interpretation") or ""
        if e.payload.get("scale") == "phq9" and "9" in (e.payload.get("answers") or {}):
            note = f"{note}; item 9 (self-harm): {e.payload['answers']['9']}"
        for alert in e.payload.get("alerts") or ():
            note = f"{note}. ALERT: {alert}"
        if record.is_superseded(e):
            note = f"(corrected later) {note}"
        rows.append(
            [
                clock.local(e.at),
                clock.since(e.at),
                scale_label(str(e.payload.get("scale", "?"))),
                str(e.payload.get("total", "-")),
                Paragraph(_clean(note), st.cell),
                e.by or "-",
            ]
        )
    return _table(rows, [w * width for w in (0.12, 0.07, 0.1, 0.08, 0.45, 0.18)])


def _given(record: SessionRecord) -> str:
    given = record.administrations
    if not given:
        return "none given"
    total = sum(a.dose_mg for a in given)
    what = f"{len(given)} device(s)" if given[0].device is not None else "infusion"
    return f"given {total:g} mg ({what})"


def _drug_log_table(record: SessionRecord, clock: _Clock, st: _Styles, width: float):
    """The controlled-substance log: each amount given and wasted, lot, who and witness."""
    log = record.drug_log
    if not log:
        return None
    rows = [["Time", "Min", "Action", "Amount", "Lot", "Detail", "By", "Witness"]]
    for r in log:
        detail = r.detail
        warning = next(
            (a.warning for a in record.administrations if a.at == r.at and a.warning), None
        )
        if warning and r.action == "given":
            detail = f"{detail}; WARNING {warning}"
        rows.append(
            [
                clock.local(r.at),
                clock.since(r.at),
                r.action,
                f"{r.amount_mg:g} mg",
                r.lot_number or "not recorded",
                Paragraph(_clean(detail), st.cell),
                Paragraph(_clean(r.by or "-"), st.cell),
                Paragraph(_clean(r.witness or "-"), st.cell),
            ]
        )
    given = sum(r.amount_mg for r in log if r.action == "given")
    wasted = sum(r.amount_mg for r in log if r.action == "wasted")
    rows.append(["", "", "Total", f"{given:g} mg", "", f"given; {wasted:g} mg wasted", "", ""])
    widths = (0.1, 0.06, 0.08, 0.09, 0.12, 0.3, 0.12, 0.13)
    return _table(rows, [w * width for w in widths])


def _safety_table(record: SessionRecord, clock: _Clock, st: _Styles, width: float):
    """The pre-session safety checklist (answers that matter) and any prescriber override."""
    rows = [["Time", "Min", "What", "Detail", "By"]]
    for e in record.active_events:
        p = e.payload
        if e.kind is EventKind.CHECKLIST and p.get("scale") == "safety":
            answers = p.get("answers") or {}
            parts = [f"yes: {item_label(k)}" for k in p.get("contraindications") or []]
            parts += [f"caution: {item_label(k)}" for k in p.get("cautions") or []]
            parts += [f"not answered: {item_label(k)}" for k in p.get("unanswered") or []]
            if answers.get("first_treatment"):
                parts.append(f"first treatment: {answers['first_treatment']}")
            what, detail = "safety checklist", "; ".join(parts) or "all clear"
        elif e.kind is EventKind.NURSE_ACTION and p.get("action") == "contraindication_override":
            what, detail = "prescriber override", f"{p.get('prescriber')}: {p.get('reason')}"
        elif e.kind is EventKind.DOSE_GIVEN and p.get("safety_unanswered_confirmed"):
            count = len(p["safety_unanswered_confirmed"])
            what, detail = "dose confirmed", f"given with {count} checklist item(s) unanswered"
        else:
            continue
        rows.append(
            [
                clock.local(e.at),
                clock.since(e.at),
                what,
                Paragraph(_clean(detail), st.cell),
                Paragraph(_clean(e.by or "-"), st.cell),
            ]
        )
    if len(rows) == 1:
        return None
    return _table(rows, [w * width for w in (0.11, 0.06, 0.17, 0.5, 0.16)])


def _limits_text(limits: dict) -> str:
    parts = []
    for key in ("medium", "high"):
        stage = limits.get(key)
        if isinstance(stage, dict) and "threshold" in stage:
            parts.append(f"{key} {stage.get('op', '')} {stage['threshold']:g}")
    return ", ".join(parts)


def _limits_table(record: SessionRecord, st: _Styles, width: float):
    """The alarm limits at the start of the session (from its ``alarm_limits`` event)."""
    rows = limits_rows(record)
    if not rows:
        return None
    changes = limit_changes(record)
    cells = [[Paragraph(_clean(c), st.cell) for c in row] for row in rows]
    table = _table(cells, [w * width for w in (0.3, 0.25, 0.3, 0.15)])
    if not changes:
        return table
    note = f"Changed {changes} time(s) during the session: see the alarm log and the events."
    return KeepTogether([table, Paragraph(_clean(note), st.body)])


def _alarm_table(record: SessionRecord, clock: _Clock, st: _Styles, width: float):
    if not record.alarm_log:
        return None
    rows = [["Time", "Min", "Condition", "Action", "Priority", "Value", "Limits / detail"]]
    for e in record.alarm_log:
        detail = " ".join(
            x for x in (_limits_text(e.limits), e.detail or "", f"by {e.by}" if e.by else "") if x
        )
        rows.append(
            [
                clock.local(e.at),
                clock.since(e.at),
                e.condition or "-",
                e.action.value.replace("_", " "),
                e.priority.value if e.priority else "-",
                "" if e.value is None else f"{e.value:g}",
                Paragraph(_clean(detail), st.cell),
            ]
        )
    return _table(rows, [w * width for w in (0.11, 0.06, 0.18, 0.15, 0.09, 0.07, 0.34)])


def _notes_table(record: SessionRecord, clock: _Clock, st: _Styles, width: float):
    kinds = (
        EventKind.ANNOTATION,
        EventKind.DOSE_GIVEN,
        EventKind.DISCHARGE_ATTEMPT,
        EventKind.SIGN_OFF,
        EventKind.EXPORT,
    )
    events = [
        e for e in record.events if e.kind in kinds or e.payload.get("action") == "end_session"
    ]
    if not events:
        return None
    rows = [["Time", "Min", "What", "Text", "By"]]
    for e in events:
        text = e.text or ""
        if record.is_superseded(e):
            text = f"(corrected later) {text}"
        rows.append(
            [
                clock.local(e.at),
                clock.since(e.at),
                "session ended"
                if e.payload.get("action") == "end_session"
                else e.kind.value.replace("_", " "),
                Paragraph(_clean(text), st.cell),
                e.by or "-",
            ]
        )
    return _table(rows, [w * width for w in (0.11, 0.06, 0.14, 0.53, 0.16)])


def _signoff(record: SessionRecord, clock: _Clock, st: _Styles, width: float, exported: str):
    s = record.session
    signed = f"{s.signed_by} at {clock.stamp(s.signed_at)}" if s.signed_by else "NOT SIGNED"
    pairs = [("Signed off by", signed)]
    for event in record.events_of(EventKind.SIGN_OFF)[-1:]:
        if event.payload.get("signature"):
            from sessionmon.accounts.signature import lines

            pairs += [
                (f"Electronic signature: {k.lower()}", v)
                for k, v in lines(event.payload["signature"])
            ]
    pairs += [
        ("Audit trail", f"{len(record.audit)} entries cover this session"),
        ("Last audit entry SHA-256", record.last_audit_hash or "-"),
        ("Report generated", exported),
    ]
    return _pairs(pairs, st, width)


def _section(title: str, st: _Styles, body) -> list:
    if body is None:
        return [Paragraph(_clean(title), st.h2), Paragraph("None recorded.", st.body)]
    return [Paragraph(_clean(title), st.h2), body]


def export_pdf(
    record: SessionRecord,
    path: Path,
    *,
    exported_at: datetime,
    tz: tzinfo | None = None,
    rems_only: bool = False,
    progress: Progress | None = None,
) -> Path:
    """Write the session report (or only the REMS form page with ``rems_only``) to ``path``.

    Parameters
    ----------
    record : SessionRecord
        The session.
    path : Path
        The PDF to write.
    exported_at : datetime
        When the report is made (printed in the footer).
    tz : tzinfo, optional
        Zone to show times in; the computer's zone when omitted.
    rems_only : bool
        Only the identity and REMS monitoring-form fields, with the sign-off.
    progress : callable, optional
        Called with the fraction done.
    """
    _register_fonts()
    st = _Styles()
    clock = _Clock(record, tz)
    s = record.session
    width = A4[0] - 30 * mm
    rems = rems_summary(record)
    report(progress, 0.1)
    exported = clock.stamp(exported_at)
    kind = "REMS patient monitoring form" if rems_only else "Session report"
    title = f"{kind}: {s.patient.pseudonym}, {clock.stamp(record.dose_at or s.created_at)}"
    story: list = [Paragraph(_clean(title), st.title)]
    if s.clinic:
        story.append(Paragraph(_clean(s.clinic), st.body))
    if rems_only:
        story.append(
            Paragraph(
                _clean(
                    f"Session {s.patient.pseudonym} ({str(s.id)[:8]}), {s.treatment.protocol.value}"
                    f", phase {s.phase.value}"
                ),
                st.small,
            )
        )
    else:
        story += _section("Patient and treatment", st, _identity(record, rems, clock, st, width))
    heading = (
        "REMS patient monitoring form"
        if rems.applies
        else "Monitoring summary (the esketamine REMS form does not apply)"
    )
    if rems.applies and record.dose_at is None and ending_of(s) is not None:
        heading = "Monitoring summary (no dose was given: the REMS form does not apply)"
    story += [Paragraph(_clean(heading), st.h2), *_rems(record, rems, clock, st, width)]
    if not rems_only:
        report(progress, 0.2)
        story += [
            Paragraph("Trend", st.h2),
            KeepTogether([trend_chart(record, width), Spacer(1, 2), _legend(record, clock, st)]),
        ]
        report(progress, 0.5)
        story += _section("Blood pressure", st, _bp_table(record, clock, st, width))
        story += _section("Checklists", st, _checklist_table(record, clock, st, width))
        safety = _safety_table(record, clock, st, width)
        story += _section("Pre-session safety checklist", st, safety)
        log = _drug_log_table(record, clock, st, width)
        story += _section("Controlled-substance log", st, log)
        story += _section("Alarm limits in force", st, _limits_table(record, st, width))
        story += _section("Alarm log", st, _alarm_table(record, clock, st, width))
        story += _section("Doses, notes and discharge", st, _notes_table(record, clock, st, width))
    story += _section("Sign-off", st, _signoff(record, clock, st, width, exported))
    footer = (
        f"sessionmon {kind.lower()} - session {str(s.id)[:8]} - generated {exported} - "
        "not a certified medical device"
    )
    doc = SimpleDocTemplate(
        os.fspath(path),
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=14 * mm,
        bottomMargin=16 * mm,
        title=title,
        author="sessionmon",
        subject="Supervised dosing session record",
    )
    doc.build(story, canvasmaker=_numbered_canvas(s.simulated, footer, exported_at))
    report(progress, 1.0)
    return Path(path)
