"""The session report's first sections: patient, treatment and staff, and the REMS form fields."""

from __future__ import annotations

from reportlab.lib import colors
from reportlab.platypus import (
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from sessionmon.export.pdf_layout import (
    ReportClock,
    Styles,
    clean,
    pairs_table,
)
from sessionmon.export.pdf_tables import (
    given_text,
)
from sessionmon.export.record import SessionRecord
from sessionmon.export.rems import RemsSummary
from sessionmon.export.rems_rows import rems_rows
from sessionmon.lifecycle import describe_ending, ending_of
from sessionmon.model import SessionEnding


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


def identity_table(
    record: SessionRecord, rems: RemsSummary, clock: ReportClock, st: Styles, width: float
) -> Table:
    """Patient, treatment, dose, lot and staff as label / value pairs."""
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
        ("Dose", f"{t.dose_mg:g} mg{devices}; {given_text(record)}"),
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
    return pairs_table(pairs, st, width)


def _ending_text(session, clock: ReportClock) -> str:
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


def _rems_ending(record: SessionRecord, clock: ReportClock) -> list[tuple[str, str]]:
    """The end of monitoring, on the form when it was not a discharge."""
    found = ending_of(record.session)
    if found is None or found[0] is SessionEnding.DISCHARGED:
        return []
    return [("Monitoring ended", _ending_text(record.session, clock))]


def rems_section(
    record: SessionRecord, rems: RemsSummary, clock: ReportClock, st: Styles, width: float
) -> list:
    """Every field of the Patient Monitoring Form; open questions shaded yellow, the
    clinician's answers blue."""
    flow: list = []
    ending = _rems_ending(record, clock)
    if ending:
        flow += [pairs_table(ending, st, width), Spacer(1, 3)]
    for title, rows in rems_rows(rems, record.dose_at, lambda t: clock.local(t, "%Y-%m-%d")):
        flow.append(Paragraph(f"<b>{clean(title)}</b>", st.small))
        table = pairs_table([(label, value) for label, value, _ in rows], st, width)
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
                + clean(", ".join(rems.missing)),
                st.small,
            )
        )
    return flow
