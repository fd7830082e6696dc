"""The session report's trend chart: HR, SpO2 and BP with the dose, event and alarm markers."""

from __future__ import annotations

import math
from datetime import datetime

from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import (
    Paragraph,
)

from sessionmon.export.pdf_layout import (
    ALARM_FILL,
    BP_COLOUR,
    FONT,
    FONT_BOLD,
    GRID,
    HR_COLOUR,
    SPO2_COLOUR,
    ReportClock,
    Styles,
    clean,
    register_fonts,
)
from sessionmon.export.record import SessionRecord
from sessionmon.model import EventKind, Kind

# --------------------------------------------------------------------------- trend chart


def _bins(record: SessionRecord, kind: Kind, dose: datetime, width_s: float) -> list[tuple]:
    """(minutes since dose, mean value) per bin of ``width_s`` seconds."""
    sums: dict[int, list[float]] = {}
    for at, value, flags in record.readings(kind):  # read once, not kept
        if "searching" in flags:
            continue
        index = int((at - dose).total_seconds() // width_s)
        entry = sums.setdefault(index, [0.0, 0])
        entry[0] += value
        entry[1] += 1
    return [((i + 0.5) * width_s / 60.0, s / n) for i, (s, n) in sorted(sums.items())]


def trend_chart(record: SessionRecord, width: float, height: float = 250) -> Drawing:
    """HR, SpO2 and BP strips against minutes since the dose, with dose and event markers."""
    drawing = Drawing(width, height)
    dose = record.dose_at or record.session.created_at
    end = record.end_of_monitoring
    received = record.received_range()  # the measurements are in time order
    times = [] if received is None else list(received)
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
    register_fonts()
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


def chart_legend(record: SessionRecord, clock: ReportClock, st: Styles) -> Paragraph:
    """The line under the trend chart that explains its colours and markers."""
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
    return Paragraph(clean(text), st.small)
