"""The course summary PDF: outcome totals against session dates with severity bands, response
and remission, each session's figures, and the trend across the course."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from sessionmon.course.measures import get_measure
from sessionmon.course.model import Course
from sessionmon.course.plan import format_schedule, indication_text
from sessionmon.course.summary import CourseSummary, MeasureOutcome
from sessionmon.export.pdf import (
    FONT,
    FONT_BOLD,
    _clean,
    _numbered_canvas,
    _register_fonts,
    _Styles,
    _table,
)

#: Severity band fills, mildest first (green to red).
BAND_FILLS = ("#e8f5e9", "#f1f8e9", "#fff8e1", "#fff3e0", "#ffebee")
LINE_COLOURS = ("#1565c0", "#6a1b9a", "#2e7d32", "#ef6c00")


def outcome_chart(
    summary: CourseSummary, measure: MeasureOutcome, width: float, height: float = 150
) -> Drawing:
    """One measure's totals against the date, over its severity bands, with the
    response line (50 % of baseline) and the remission cut-off."""
    scale = get_measure(measure.scale).scale
    low, high = scale.total_range
    drawing = Drawing(width, height)
    left, bottom, right, top = 34, 22, width - 8, height - 16
    start = summary.course.started_on
    days = [(at.date() - start).days for at, _ in measure.points] or [0]
    span = max(7, max(days) + 2)

    def x(day: float) -> float:
        return left + (right - left) * day / span

    def y(total: float) -> float:
        return bottom + (top - bottom) * (total - low) / max(1, high - low)

    for index, band in enumerate(scale.bands):
        fill = colors.HexColor(BAND_FILLS[min(index, len(BAND_FILLS) - 1)])
        y0, y1 = y(band.min - 0.5 if band.min > low else low), y(min(high, band.max + 0.5))
        drawing.add(Rect(left, y0, right - left, y1 - y0, fillColor=fill, strokeColor=None))
        drawing.add(
            String(
                right - 2,
                y0 + 2,
                band.label,
                fontName=FONT,
                fontSize=6,
                textAnchor="end",
                fillColor=colors.HexColor("#777777"),
            )
        )
    drawing.add(Line(left, bottom, right, bottom, strokeColor=colors.black, strokeWidth=0.5))
    drawing.add(Line(left, bottom, left, top, strokeColor=colors.black, strokeWidth=0.5))
    step = 5 if high <= 30 else 10
    for value in range(low, high + 1, step):
        drawing.add(
            String(left - 3, y(value) - 2, str(value), fontName=FONT, fontSize=6, textAnchor="end")
        )
    for week in range(0, span + 1, 7):
        drawing.add(
            String(
                x(week),
                bottom - 9,
                f"wk {week // 7}",
                fontName=FONT,
                fontSize=6,
                textAnchor="middle",
            )
        )
    if measure.baseline:
        half = measure.baseline * 0.5
        drawing.add(
            Line(
                left,
                y(half),
                right,
                y(half),
                strokeColor=colors.HexColor("#1565c0"),
                strokeDashArray=[3, 2],
                strokeWidth=0.6,
            )
        )
        drawing.add(
            String(
                left + 3,
                y(half) + 2,
                "response (50 % of baseline)",
                fontName=FONT,
                fontSize=6,
                fillColor=colors.HexColor("#1565c0"),
            )
        )
    if measure.remission_below is not None:
        cut = measure.remission_below - 0.5
        drawing.add(
            Line(
                left,
                y(cut),
                right,
                y(cut),
                strokeColor=colors.HexColor("#2e7d32"),
                strokeDashArray=[1, 2],
                strokeWidth=0.8,
            )
        )
        drawing.add(
            String(
                left + 3,
                y(cut) - 7,
                f"remission (< {measure.remission_below})",
                fontName=FONT,
                fontSize=6,
                fillColor=colors.HexColor("#2e7d32"),
            )
        )
    points = [(x(d), y(t)) for d, (_, t) in zip(days, measure.points, strict=False)]
    colour = colors.HexColor(LINE_COLOURS[0])
    if len(points) > 1:
        drawing.add(PolyLine([c for p in points for c in p], strokeColor=colour, strokeWidth=1.4))
    for (px, py), (_, total) in zip(points, measure.points, strict=False):
        drawing.add(Circle(px, py, 2.2, fillColor=colour, strokeColor=colors.white))
        drawing.add(String(px, py + 4, str(total), fontName=FONT, fontSize=6, textAnchor="middle"))
    marks = [
        w for w, on in (("RESPONSE", measure.response), ("REMISSION", measure.remission)) if on
    ]
    title = f"{measure.short}: baseline {measure.baseline}, latest {measure.latest}"
    if marks:
        title += "  -  " + ", ".join(marks)
    drawing.add(String(left, height - 9, title, fontName=FONT_BOLD, fontSize=8))
    return drawing


def session_chart(summary: CourseSummary, width: float, height: float = 110) -> Drawing:
    """Peak BP rise (mmHg) and highest CADSS per session, session by session."""
    drawing = Drawing(width, height)
    left, bottom, right, top = 34, 18, width - 34, height - 16
    figures = summary.sessions
    n = max(1, len(figures))

    def x(i: int) -> float:
        return left + (right - left) * (i + 0.5) / n

    rises = [f.peak_bp_rise for f in figures]
    cadss = [f.highest_cadss for f in figures]
    top_rise = max([r for r in rises if r is not None] + [40.0])
    top_cadss = max([c for c in cadss if c is not None] + [10])
    drawing.add(Line(left, bottom, right, bottom, strokeColor=colors.black, strokeWidth=0.5))
    bar = (right - left) / n * 0.35
    red, purple = colors.HexColor("#c62828"), colors.HexColor("#6a1b9a")
    for i, f in enumerate(figures):
        drawing.add(
            String(x(i), bottom - 9, str(i + 1), fontName=FONT, fontSize=6, textAnchor="middle")
        )
        if f.peak_bp_rise is not None:
            h = (top - bottom) * max(0.0, f.peak_bp_rise) / top_rise
            drawing.add(Rect(x(i) - bar, bottom, bar, h, fillColor=red, strokeColor=None))
            drawing.add(
                String(
                    x(i) - bar / 2,
                    bottom + h + 2,
                    f"{f.peak_bp_rise:+.0f}",
                    fontName=FONT,
                    fontSize=5.5,
                    textAnchor="middle",
                )
            )
        if f.highest_cadss is not None:
            h = (top - bottom) * f.highest_cadss / top_cadss
            drawing.add(Rect(x(i), bottom, bar, h, fillColor=purple, strokeColor=None))
            drawing.add(
                String(
                    x(i) + bar / 2,
                    bottom + h + 2,
                    str(f.highest_cadss),
                    fontName=FONT,
                    fontSize=5.5,
                    textAnchor="middle",
                )
            )
    drawing.add(
        String(
            left,
            height - 9,
            "Per session: peak systolic rise over pre-dose (red, mmHg) and highest CADSS (purple)",
            fontName=FONT_BOLD,
            fontSize=8,
        )
    )
    return drawing


def _trend_text(value: float | None, unit: str) -> str:
    if value is None:
        return "not enough sessions"
    word = "growing" if value > 0.5 else "fading" if value < -0.5 else "steady"
    return f"{word} ({value:+.1f} {unit} per session)"


def _closed(course: Course) -> str:
    if course.closed_reason is None:
        return ""
    return f" ({course.closed_reason.value.replace('_', ' ')})"


def export_course_pdf(summary: CourseSummary, path: Path, generated: datetime) -> Path:
    """Write the course summary PDF to ``path`` (pseudonym only; no name, DOB or MRN)."""
    _register_fonts()
    st = _Styles()
    width = A4[0] - 30 * mm
    course = summary.course
    simulated = bool(summary.sessions) and all(s.simulated for s in summary.sessions)
    story: list = [
        Paragraph(_clean(f"Treatment course - {course.pseudonym}"), st.title),
        Paragraph(
            _clean(
                f"Indication {indication_text(course)}; {course.treatment.value};"
                f" started {course.started_on.isoformat()}; {course.status.value}"
                f"{_closed(course)}; {len(summary.sessions)} session(s); planned "
                f"{summary.schedule.planned} ({format_schedule(course.schedule)}), due now "
                f"{', '.join(d.isoformat() for d in summary.schedule.due) or 'none'}, next due "
                f"{summary.schedule.next_due or '-'}, missed "
                f"{', '.join(d.isoformat() for d in summary.schedule.missed) or 'none'}."
                + (
                    " De-identified: no name, date of birth or MRN; dates shifted."
                    if summary.deidentified
                    else ""
                )
            ),
            st.body,
        ),
        Paragraph("Outcome measures", st.h2),
    ]
    rows = [["Measure", "Baseline", "Latest", "Change", "Band", "Response", "Remission"]]
    for m in summary.measures:
        rows.append(
            [
                m.short,
                str(m.baseline),
                str(m.latest),
                "-" if m.change_pct is None else f"{m.change_pct:+.0f} %",
                m.band or "-",
                "yes" if m.response else "no",
                "yes" if m.remission else "no",
            ]
        )
    story.append(_table(rows, [w * width for w in (0.12, 0.1, 0.1, 0.1, 0.3, 0.14, 0.14)]))
    for m in summary.measures:
        story += [Spacer(1, 4), outcome_chart(summary, m, width)]
    story += [Paragraph("Sessions", st.h2), session_chart(summary, width)]
    rows = [
        [
            "#",
            "Date",
            "Treatment",
            "Outcomes",
            "BP rise",
            "CADSS",
            "SpO2 min",
            "Ready",
            "Anxiety",
            "Adverse events / alerts",
        ]
    ]
    for n, f in enumerate(summary.sessions, start=1):
        notes = list(f.adverse_events) + [f"ALERT: {a}" for a in f.alerts]
        rows.append(
            [
                str(n),
                Paragraph(f.start.astimezone().strftime("%Y-%m-%d %H:%M"), st.cell),
                Paragraph(_clean(f"{f.treatment} {f.dose_mg:g} mg"), st.cell),
                Paragraph(
                    _clean(
                        ", ".join(f"{get_measure(k).short} {v}" for k, v in f.outcomes.items())
                        or "-"
                    ),
                    st.cell,
                ),
                "-" if f.peak_bp_rise is None else f"{f.peak_bp_rise:+.0f}",
                "-" if f.highest_cadss is None else str(f.highest_cadss),
                "-" if f.lowest_spo2 is None else f"{f.lowest_spo2:.0f} %",
                "-" if f.minutes_to_ready is None else f"{f.minutes_to_ready:.0f} min",
                " / ".join(
                    str(f.anxiety[k]) for k in ("before_dose", "discharge") if k in f.anxiety
                )
                or "-",
                Paragraph(_clean("; ".join(notes) or "none"), st.cell),
            ]
        )
    story.append(
        _table(
            rows, [w * width for w in (0.03, 0.12, 0.13, 0.14, 0.07, 0.06, 0.07, 0.07, 0.07, 0.24)]
        )
    )
    trends = summary.trends
    story += [
        Paragraph("Trend across the course", st.h2),
        Paragraph(
            _clean(
                f"BP response: {_trend_text(trends.get('peak_bp_rise_per_session'), 'mmHg')}. "
                f"Dissociation (CADSS): "
                f"{_trend_text(trends.get('highest_cadss_per_session'), 'points')}. "
                f"Time until ready to leave: "
                f"{_trend_text(trends.get('minutes_to_ready_per_session'), 'min')}."
            ),
            st.body,
        ),
    ]
    stamp = generated.astimezone().strftime("%Y-%m-%d %H:%M")
    footer = (
        f"sessionmon course summary - course {str(course.id)[:8]} - generated {stamp} - "
        "not a certified medical device"
    )
    doc = SimpleDocTemplate(
        os.fspath(path),
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=14 * mm,
        bottomMargin=16 * mm,
        title=f"Treatment course {course.pseudonym}",
        author="sessionmon",
        subject="Treatment course summary",
    )
    doc.build(story, canvasmaker=_numbered_canvas(simulated, footer, generated))
    return Path(path)
