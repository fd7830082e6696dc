"""The PDF session report (reportlab), and the one-page REMS monitoring form.

Contents: clinic, patient, treatment, dose, lot and staff; the REMS monitoring-form fields; a
trend chart of HR, SpO2 and BP with the dose and event markers; the BP table; checklist scores
with times; the alarm log; annotations; sign-off and the audit hash. Simulated sessions carry a
"SIMULATION - NOT A PATIENT" watermark on every page; every page is numbered "Page i of n".
Times are shown in ``tz`` (the computer's zone unless given) with minutes since the first dose.

The parts: :mod:`~sessionmon.export.pdf_layout` (fonts, styles, page furniture, tables),
:mod:`~sessionmon.export.pdf_identity` (patient and REMS sections),
:mod:`~sessionmon.export.pdf_chart` (the trend chart) and :mod:`~sessionmon.export.pdf_tables`
(the other tables); this module puts the report together.
"""

from __future__ import annotations

import os
from datetime import datetime, tzinfo
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
)

from sessionmon.export.pdf_chart import (
    MARKER_GAP,
    chart_legend,
    trend_chart,
)
from sessionmon.export.pdf_identity import (
    identity_table,
    rems_section,
)
from sessionmon.export.pdf_layout import (
    ALARM_FILL,
    BP_COLOUR,
    FONT,
    FONT_BOLD,
    GRID,
    HR_COLOUR,
    SPO2_COLOUR,
    WATERMARK,
    ReportClock,
    Styles,
    clean,
    make_table,
    numbered_canvas,
    register_fonts,
    section,
)
from sessionmon.export.pdf_tables import (
    alarm_table,
    bp_table,
    checklist_table,
    drug_log_table,
    limits_table,
    notes_table,
    safety_table,
    signoff,
)
from sessionmon.export.record import Progress, SessionRecord, report
from sessionmon.export.rems import rems_summary
from sessionmon.lifecycle import ending_of

__all__ = [
    "ALARM_FILL",
    "BP_COLOUR",
    "FONT",
    "FONT_BOLD",
    "GRID",
    "HR_COLOUR",
    "MARKER_GAP",
    "SPO2_COLOUR",
    "WATERMARK",
    "export_pdf",
    "trend_chart",
]


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
    register_fonts()
    st = Styles()
    clock = ReportClock(record, tz)
    s = record.session
    width = A4[0] - 30 * mm
    rems = rems_summary(record)
    report(progress, 0.1)
    exported = clock.stamp(exported_at)
    kind = "REMS patient monitoring form" if rems_only else "Session report"
    title = f"{kind}: {s.patient.pseudonym}, {clock.stamp(record.dose_at or s.created_at)}"
    story: list = [Paragraph(clean(title), st.title)]
    if s.clinic:
        story.append(Paragraph(clean(s.clinic), st.body))
    if rems_only:
        story.append(
            Paragraph(
                clean(
                    f"Session {s.patient.pseudonym} ({str(s.id)[:8]}), {s.treatment.protocol.value}"
                    f", phase {s.phase.value}"
                ),
                st.small,
            )
        )
    else:
        story += section(
            "Patient and treatment", st, identity_table(record, rems, clock, st, width)
        )
    heading = (
        "REMS patient monitoring form"
        if rems.applies
        else "Monitoring summary (the esketamine REMS form does not apply)"
    )
    if rems.applies and record.dose_at is None and ending_of(s) is not None:
        heading = "Monitoring summary (no dose was given: the REMS form does not apply)"
    story += [Paragraph(clean(heading), st.h2), *rems_section(record, rems, clock, st, width)]
    if not rems_only:
        report(progress, 0.2)
        story += [
            Paragraph("Trend", st.h2),
            KeepTogether(
                [trend_chart(record, width), Spacer(1, 2), chart_legend(record, clock, st)]
            ),
        ]
        report(progress, 0.5)
        story += section("Blood pressure", st, bp_table(record, clock, st, width))
        story += section("Checklists", st, checklist_table(record, clock, st, width))
        safety = safety_table(record, clock, st, width)
        story += section("Pre-session safety checklist", st, safety)
        log = drug_log_table(record, clock, st, width)
        story += section("Controlled-substance log", st, log)
        story += section("Alarm limits in force", st, limits_table(record, st, width))
        story += section("Alarm log", st, alarm_table(record, clock, st, width))
        story += section("Doses, notes and discharge", st, notes_table(record, clock, st, width))
    story += section("Sign-off", st, signoff(record, clock, st, width, exported))
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
    doc.build(story, canvasmaker=numbered_canvas(s.simulated, footer, exported_at))
    report(progress, 1.0)
    return Path(path)


# The names the course report imported before the split (kept working).
_clean = clean
_numbered_canvas = numbered_canvas
_register_fonts = register_fonts
_Styles = Styles
_table = make_table
