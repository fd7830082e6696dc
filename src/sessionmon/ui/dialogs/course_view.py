"""Treatment course view: is it working? Outcome totals against session dates over the severity
bands with response and remission marked, each session's figures and trends, sessions due or
missed. It shows a :class:`~sessionmon.course.summary.CourseSummary`; it computes nothing."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from sessionmon.course.measures import get_measure
from sessionmon.course.summary import CourseSummary, MeasureOutcome
from sessionmon.ui.course_intents import title as course_title
from sessionmon.ui.dialogs.course_panel import CourseActions
from sessionmon.ui.dialogs.tables import fill_table, new_table

BAND_COLOURS = ("#e8f5e9", "#f1f8e9", "#fff8e1", "#fff3e0", "#ffebee")
SESSION_HEADERS = (
    "#",
    "Date",
    "Treatment",
    "Outcomes",
    "BP rise",
    "Highest CADSS",
    "Lowest SpO2",
    "Ready after",
    "Anxiety before / discharge",
    "Adverse events / alerts",
)


def session_rows(summary: CourseSummary) -> list[list[str]]:
    """The session table's rows, oldest first."""
    rows = []
    for n, f in enumerate(summary.sessions, start=1):
        notes = [f"ALERT {a}" for a in f.alerts] + list(f.adverse_events)
        rows.append(
            [
                str(n),
                f.start.astimezone().strftime("%Y-%m-%d %H:%M"),
                f"{f.treatment} {f.dose_mg:g} mg",
                ", ".join(f"{get_measure(k).short} {v}" for k, v in f.outcomes.items()) or "-",
                "-" if f.peak_bp_rise is None else f"{f.peak_bp_rise:+.0f} mmHg",
                "-" if f.highest_cadss is None else str(f.highest_cadss),
                "-" if f.lowest_spo2 is None else f"{f.lowest_spo2:.0f} %",
                "-" if f.minutes_to_ready is None else f"{f.minutes_to_ready:.0f} min",
                " / ".join(str(f.anxiety.get(k, "-")) for k in ("before_dose", "discharge")),
                "; ".join(notes) or "none",
            ]
        )
    return rows


def _dates(days: tuple) -> str:
    return ", ".join(d.strftime("%a %d %b") for d in days) or "none"


def schedule_text(summary: CourseSummary) -> str:
    """Held / planned, due now, missed and next due (the schedule line of the view)."""
    s = summary.schedule
    if not s.planned:
        return f"Sessions held {s.held}; no planned schedule."
    extra = f" ({s.unplanned} not on a planned date)" if s.unplanned else ""
    return (
        f"Sessions held {s.held} of {s.planned} planned{extra}. Due now: {_dates(s.due)}. "
        f"Missed: {_dates(s.missed)}. Next due: "
        f"{s.next_due.strftime('%a %d %b %Y') if s.next_due else '-'} "
        f"(a session counts for a planned date up to {s.tolerance_days} days away)."
    )


def _trend(value: float | None, unit: str) -> str:
    if value is None:
        return "too few sessions"
    word = "growing" if value > 0.5 else "fading" if value < -0.5 else "steady"
    return f"{word} ({value:+.1f} {unit}/session)"


def headline(summary: CourseSummary) -> str:
    """One line per measure: baseline, latest, change, RESPONSE / REMISSION."""
    parts = []
    for m in summary.measures:
        marks = [w for w, on in (("RESPONSE", m.response), ("REMISSION", m.remission)) if on]
        change = "" if m.change_pct is None else f" ({m.change_pct:+.0f} %)"
        parts.append(
            f"{m.short} {m.baseline} \u2192 {m.latest}{change} {m.band or ''} {' '.join(marks)}"
        )
    return "\n".join(parts) or "No outcome questionnaires recorded in this course yet."


class OutcomeChart(QWidget):
    """One measure's totals by date over its severity bands, response and remission lines."""

    def __init__(self, summary: CourseSummary, measure: MeasureOutcome, parent=None) -> None:
        super().__init__(parent)
        self.summary, self.measure = summary, measure
        self.setMinimumSize(560, 210)

    def paintEvent(self, _event: Any) -> None:
        """Draw bands, axes, the response and remission lines, and the points."""
        m = self.measure
        scale = get_measure(m.scale).scale
        low, high = scale.total_range
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        left, top = 44.0, 26.0
        right, bottom = self.width() - 10.0, self.height() - 26.0
        start = self.summary.course.started_on
        days = [(at.date() - start).days for at, _ in m.points] or [0]
        span = max(7, max(days) + 2)

        def x(day: float) -> float:
            return left + (right - left) * day / span

        def y(total: float) -> float:
            return bottom - (bottom - top) * (total - low) / max(1, high - low)

        small = QFont(self.font())
        small.setPointSizeF(9)
        p.setFont(small)
        for index, band in enumerate(scale.bands):
            y1 = y(min(high, band.max + 0.5))
            y0 = y(band.min - 0.5 if band.min > low else low)
            p.fillRect(QRectF(left, y1, right - left, y0 - y1), QColor(BAND_COLOURS[min(index, 4)]))
            p.setPen(QColor("#666666"))
            corner = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom
            p.drawText(QRectF(left, y1, right - left - 4, y0 - y1), corner, band.label)
        p.setPen(QPen(QColor("#000000"), 1))
        p.drawLine(QPointF(left, bottom), QPointF(right, bottom))
        p.drawLine(QPointF(left, top), QPointF(left, bottom))
        step = 5 if high <= 30 else 10
        for value in range(low, high + 1, step):
            p.drawText(
                QRectF(0, y(value) - 8, left - 4, 16), Qt.AlignmentFlag.AlignRight, str(value)
            )
        for week in range(0, span + 1, 7):
            p.drawText(QRectF(x(week) - 20, bottom + 4, 40, 16), Qt.AlignmentFlag.AlignCenter,
                       f"wk {week // 7}")  # fmt: skip
        if m.baseline:
            p.setPen(QPen(QColor("#1565c0"), 1.2, Qt.PenStyle.DashLine))
            p.drawLine(QPointF(left, y(m.baseline / 2)), QPointF(right, y(m.baseline / 2)))
            p.drawText(QPointF(left + 4, y(m.baseline / 2) - 3), "response: 50 % of baseline")
        if m.remission_below is not None:
            cut = y(m.remission_below - 0.5)
            p.setPen(QPen(QColor("#2e7d32"), 1.2, Qt.PenStyle.DotLine))
            p.drawLine(QPointF(left, cut), QPointF(right, cut))
            p.drawText(QPointF(left + 4, cut + 12), f"remission: below {m.remission_below}")
        points = [QPointF(x(d), y(t)) for d, (_, t) in zip(days, m.points, strict=False)]
        p.setPen(QPen(QColor("#1565c0"), 2.5))
        for a, b in pairwise(points):
            p.drawLine(a, b)
        p.setBrush(QColor("#1565c0"))
        for point, (_, total) in zip(points, m.points, strict=False):
            p.setPen(QPen(QColor("#ffffff"), 1))
            p.drawEllipse(point, 4.5, 4.5)
            p.setPen(QColor("#000000"))
            p.drawText(QRectF(point.x() - 15, point.y() - 22, 30, 16), Qt.AlignmentFlag.AlignCenter,
                       str(total))  # fmt: skip
        bold = QFont(self.font())
        bold.setBold(True)
        bold.setPointSizeF(11)
        p.setFont(bold)
        marks = [w for w, on in (("RESPONSE", m.response), ("REMISSION", m.remission)) if on]
        title = f"{m.short}: baseline {m.baseline}, latest {m.latest}"
        p.drawText(QPointF(left, 17), title + ("   " + "  ".join(marks) if marks else ""))
        p.end()


class CourseDialog(QDialog):
    """The treatment course of the current patient (read-only)."""

    def __init__(self, summary: CourseSummary, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        course = summary.course
        self.summary = summary
        self.setWindowTitle(f"Treatment course - {course.pseudonym}")
        self.resize(1200, 900)
        layout = QVBoxLayout(self)
        self.title = title = QLabel(f"{course_title(course)}, {len(summary.sessions)} session(s)")
        big = QFont(title.font())
        big.setPointSizeF(15)
        big.setBold(True)
        title.setFont(big)
        layout.addWidget(title)
        self.headline = QLabel(headline(summary))
        mid = QFont(self.headline.font())
        mid.setPointSizeF(13)
        self.headline.setFont(mid)
        layout.addWidget(self.headline)
        charts = QHBoxLayout()
        self.charts = [OutcomeChart(summary, m) for m in summary.measures]
        for chart in self.charts:
            charts.addWidget(chart, 1)
        layout.addLayout(charts, 2)
        self.table = new_table()
        fill_table(self.table, SESSION_HEADERS, session_rows(summary))
        self.table.resizeColumnsToContents()
        layout.addWidget(self.table, 2)
        t = summary.trends
        self.trend = QLabel(
            f"BP response {_trend(t.get('peak_bp_rise_per_session'), 'mmHg')}; dissociation "
            f"{_trend(t.get('highest_cadss_per_session'), 'CADSS')}; ready to leave "
            f"{_trend(t.get('minutes_to_ready_per_session'), 'min')}."
        )
        self.trend.setFont(mid)
        self.trend.setWordWrap(True)
        layout.addWidget(self.trend)
        self.schedule = QLabel(schedule_text(summary))
        self.schedule.setFont(mid)
        self.schedule.setWordWrap(True)
        layout.addWidget(self.schedule)
        self.actions = CourseActions(course, self)
        self.actions.setVisible(False)  # the charts and table keep the room until asked
        layout.addWidget(self.actions)
        layout.addWidget(self.actions.message)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        self.manage_button = QPushButton("Change, close or export the course...")
        self.manage_button.setCheckable(True)
        self.manage_button.toggled.connect(self.actions.setVisible)
        row = QHBoxLayout()
        row.addWidget(self.manage_button)
        row.addStretch(1)
        row.addWidget(close)
        layout.addLayout(row)
