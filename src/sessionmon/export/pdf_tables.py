"""The session report's tables: BP, checklists, drug log, safety, limits, alarms, sign-off."""

from __future__ import annotations

from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    Table,
)

from sessionmon.export.limits import limit_changes, limits_rows
from sessionmon.export.pdf_layout import (
    ReportClock,
    Styles,
    clean,
    make_table,
    pairs_table,
)
from sessionmon.export.record import SessionRecord, scale_label
from sessionmon.model import EventKind
from sessionmon.protocol.safety import item_label


def bp_table(record: SessionRecord, clock: ReportClock, st: Styles, width: float) -> Table | None:
    """The blood pressure table (``None`` when no BP was measured)."""
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
    return make_table(rows, [w * width for w in (0.13, 0.08, 0.22, 0.1, 0.1, 0.37)])


def checklist_table(record: SessionRecord, clock: ReportClock, st: Styles, width: float):
    """The checklist scores with their times (``None`` when none)."""
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
                Paragraph(clean(note), st.cell),
                e.by or "-",
            ]
        )
    return make_table(rows, [w * width for w in (0.12, 0.07, 0.1, 0.08, 0.45, 0.18)])


def given_text(record: SessionRecord) -> str:
    """The doses given, in one phrase (``given 56 mg (2 device(s))``)."""
    given = record.administrations
    if not given:
        return "none given"
    total = sum(a.dose_mg for a in given)
    what = f"{len(given)} device(s)" if given[0].device is not None else "infusion"
    return f"given {total:g} mg ({what})"


def drug_log_table(record: SessionRecord, clock: ReportClock, st: Styles, width: float):
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
                Paragraph(clean(detail), st.cell),
                Paragraph(clean(r.by or "-"), st.cell),
                Paragraph(clean(r.witness or "-"), st.cell),
            ]
        )
    given = sum(r.amount_mg for r in log if r.action == "given")
    wasted = sum(r.amount_mg for r in log if r.action == "wasted")
    rows.append(["", "", "Total", f"{given:g} mg", "", f"given; {wasted:g} mg wasted", "", ""])
    widths = (0.1, 0.06, 0.08, 0.09, 0.12, 0.3, 0.12, 0.13)
    return make_table(rows, [w * width for w in widths])


def safety_table(record: SessionRecord, clock: ReportClock, st: Styles, width: float):
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
                Paragraph(clean(detail), st.cell),
                Paragraph(clean(e.by or "-"), st.cell),
            ]
        )
    if len(rows) == 1:
        return None
    return make_table(rows, [w * width for w in (0.11, 0.06, 0.17, 0.5, 0.16)])


def _limits_text(limits: dict) -> str:
    parts = []
    for key in ("medium", "high"):
        stage = limits.get(key)
        if isinstance(stage, dict) and "threshold" in stage:
            parts.append(f"{key} {stage.get('op', '')} {stage['threshold']:g}")
    return ", ".join(parts)


def limits_table(record: SessionRecord, st: Styles, width: float):
    """The alarm limits at the start of the session (from its ``alarm_limits`` event)."""
    rows = limits_rows(record)
    if not rows:
        return None
    changes = limit_changes(record)
    cells = [[Paragraph(clean(c), st.cell) for c in row] for row in rows]
    table = make_table(cells, [w * width for w in (0.3, 0.25, 0.3, 0.15)])
    if not changes:
        return table
    note = f"Changed {changes} time(s) during the session: see the alarm log and the events."
    return KeepTogether([table, Paragraph(clean(note), st.body)])


def alarm_table(record: SessionRecord, clock: ReportClock, st: Styles, width: float):
    """The alarm log (``None`` when no alarm was logged)."""
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
                Paragraph(clean(detail), st.cell),
            ]
        )
    return make_table(rows, [w * width for w in (0.11, 0.06, 0.18, 0.15, 0.09, 0.07, 0.34)])


def notes_table(record: SessionRecord, clock: ReportClock, st: Styles, width: float):
    """Doses, notes, discharge and sign-off events (``None`` when none)."""
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
                Paragraph(clean(text), st.cell),
                e.by or "-",
            ]
        )
    return make_table(rows, [w * width for w in (0.11, 0.06, 0.14, 0.53, 0.16)])


def signoff(record: SessionRecord, clock: ReportClock, st: Styles, width: float, exported: str):
    """The sign-off block: who signed and when, the audit trail and its last hash."""
    s = record.session
    signed = f"{s.signed_by} at {clock.stamp(s.signed_at)}" if s.signed_by else "NOT SIGNED"
    pairs = [
        ("Signed off by", signed),
        ("Audit trail", f"{len(record.audit)} entries cover this session"),
        ("Last audit entry SHA-256", record.last_audit_hash or "-"),
        ("Report generated", exported),
    ]
    return pairs_table(pairs, st, width)
