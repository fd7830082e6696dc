"""PDF report and REMS fields, record state after the session, and the export command."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from export_fixtures import (
    BP,
    DOSE,
    START,
    build_session,
    pdf_pages,
    pdf_text,
)
from sessionmon.cli import main
from sessionmon.clock import ManualClock
from sessionmon.export import export_session, load_record, record_state_for, reminders
from sessionmon.export.rems import rems_summary
from sessionmon.model import EventKind


@pytest.fixture
def built(tmp_path):
    b = build_session(tmp_path / "s.db")
    yield b
    b.store.close()


def _text(path) -> str:
    return pdf_text(path)


def _pages(path) -> int:
    return pdf_pages(path)


def test_rems_fields_from_the_record(built):
    rems = rems_summary(load_record(built.store, built.session_id))
    assert rems.total_monitoring_min == 130
    assert (rems.bp_before_dose.sys, rems.bp_before_dose.dia) == BP[0][1:3]
    assert (rems.bp_at_40_min.sys, rems.bp_at_40_min.dia) == BP[1][1:3]
    assert (rems.bp_before_discharge.sys, rems.bp_before_discharge.dia) == BP[3][1:3]
    assert rems.sedation.occurred is True and "lowest 3" in rems.sedation.details
    assert rems.dissociation.occurred is True and "CADSS 9" in rems.dissociation.details
    assert rems.respiratory_depression.occurred is True
    assert "lowest 86 %" in rems.respiratory_depression.details
    assert rems.vitals_ok_before_dose is True and rems.vitals_ok_before_leaving is True
    assert rems.lot_number == "LOT-77" and rems.missing == []
    # The clinician's entry at sign-off; the computed suggestion beside it: ready when the
    # Aldrete at 112 min completed the criteria (the BP at 90 min is within 30 min then).
    assert rems.minutes_until_ready == 100
    assert rems.minutes_until_ready_suggested == pytest.approx(112)
    assert rems.provider["email"] == "kim.lee@harbour.example"
    assert rems.setting["zip"] == "04101"
    assert (rems.patient_first_name, rems.patient_middle_initial) == ("Ada", None)
    assert rems.patient_last_name == "Example"
    assert rems.medicines == dict.fromkeys(rems.medicines, False)


def test_pdf_report_shows_the_record(built, tmp_path):
    out = tmp_path / "r.pdf"
    audit_hash = load_record(built.store, built.session_id).last_audit_hash
    export_session(built.store, built.session_id, "pdf", out, clock=built.clock, tz=UTC)
    assert out.read_bytes().startswith(b"%PDF")
    pages = _pages(out)
    text = _text(out)
    assert pages >= 2 and f"Page {pages} of {pages}" in text
    for expected in (
        "Ada Example",
        "Harbour Clinic",
        "LOT-77",
        "RN Kim",
        "130 min",
        f"{BP[1][1]}/{BP[1][2]} mmHg at 41 min",
        "spo2_low",
        "MOAA/S",
        "minutes since the first dose",
        "Nausea | mild",
    ):
        assert expected in text, expected
    assert audit_hash[:40] in text.replace(" ", "").replace("\n", "")
    assert "SIMULATION" not in text


def test_rems_treatment_date_is_the_clinic_date_not_the_utc_date(built, tmp_path):
    out = tmp_path / "rems.pdf"
    honolulu = timezone(timedelta(hours=-10))  # dose 09:05 UTC is 23:05 the day before
    export_session(built.store, built.session_id, "rems", out, clock=built.clock, tz=honolulu)
    assert re.search(r"Treatment date\s+2026-01-04", _text(out))


def test_simulated_session_pdf_has_watermark_and_rems_is_one_page(tmp_path):
    b = build_session(tmp_path / "sim.db", simulated=True)
    with b.store:
        report = tmp_path / "r.pdf"
        export_session(b.store, b.session_id, "pdf", report, clock=b.clock)
        form = tmp_path / "f.pdf"
        export_session(b.store, b.session_id, "rems", form, clock=b.clock)
    assert _text(report).count("SIMULATION - NOT A PATIENT") >= _pages(report)
    assert _pages(form) == 1 and "REMS patient monitoring form" in _text(form)


def test_deidentified_pdf_has_no_name_or_date(built, tmp_path):
    out = tmp_path / "d.pdf"
    export_session(built.store, built.session_id, "pdf", out, clock=built.clock, deidentify=True)
    text = _text(out)
    assert "Ada" not in text and "1980" not in text and "2026-01-05" not in text
    assert "PT-0042" in text


def test_record_state_through_the_rems_window(built, tmp_path):
    summary = built.store.list_sessions()[0]
    state = record_state_for(summary, built.store.events(built.session_id), DOSE)
    assert state.signed and state.rems_required and not state.rems_exported
    assert state.days_left == 7 and state.due_on.isoformat() == "2026-01-12"
    assert not state.due_soon and state.label() == "signed; REMS due in 7 d"
    assert reminders(built.store, DOSE) == []
    later = DOSE + timedelta(days=5)
    (reminder,) = reminders(built.store, later)
    assert reminder.state.days_left == 2 and "due in 2 days" in reminder.message
    overdue = DOSE + timedelta(days=8)
    state = record_state_for(summary, built.store.events(built.session_id), overdue)
    assert state.overdue and state.label() == "signed; REMS overdue 1 d"
    # a de-identified export does not count; an identified REMS form does
    clock = ManualClock(later)
    export_session(
        built.store, built.session_id, "rems", tmp_path / "d.pdf", clock=clock, deidentify=True
    )
    assert reminders(built.store, later)
    export_session(built.store, built.session_id, "rems", tmp_path / "f.pdf", clock=clock)
    assert reminders(built.store, overdue) == []
    state = record_state_for(summary, built.store.events(built.session_id), overdue)
    assert state.rems_exported_at == later and state.label() == "signed; REMS sent"


def test_unsigned_session_is_reminded_and_simulations_are_not(tmp_path):
    b = build_session(tmp_path / "u.db")
    session = b.store.get_session(b.session_id)
    with b.store:
        # a second, unsigned copy under a new id (closed without a signature)
        import uuid

        unsigned = session.model_copy(
            update={"id": uuid.uuid4(), "signed_by": None, "signed_at": None}
        )
        b.store.create_session(unsigned)
        sim = session.model_copy(update={"id": uuid.uuid4(), "signed_by": None, "simulated": True})
        b.store.create_session(sim)
        found = reminders(b.store, START + timedelta(hours=3))
    assert [r.session_id for r in found] == [unsigned.id]
    assert "not signed" in found[0].message
    assert found[0].state.label() == "unsigned; REMS due in 7 d"


def test_export_command_writes_file_and_export_event(built, tmp_path, capsys):
    path = built.path
    built.store.close()
    out = tmp_path / "cli.hl7"
    assert (
        main(
            [
                "--db",
                str(path),
                "export",
                "--session",
                str(built.session_id)[:8],
                "--format",
                "hl7",
                "--out",
                str(out),
                "--quiet",
            ]
        )
        == 0
    )
    assert out.read_bytes().startswith(b"MSH|")
    assert (
        main(
            [
                "--db",
                str(path),
                "export",
                "--session",
                "nope",
                "--format",
                "pdf",
                "--out",
                str(tmp_path / "x.pdf"),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "no session 'nope'" in err
    assert f"see 'sessionmon --db {path} sessions list'" in err  # the list of the database used
    assert (
        main(
            [
                "--db",
                str(path),
                "export",
                "--format",
                "json",
                "--out",
                str(tmp_path / "missing" / "x.json"),
            ]
        )
        == 2
    )
    assert "does not exist" in capsys.readouterr().err
    from sessionmon.store import SessionStore

    with SessionStore.open(path, ManualClock(datetime(2026, 1, 6, tzinfo=UTC))) as store:
        exports = [e for e in store.events(built.session_id) if e.kind is EventKind.EXPORT]
    assert [e.payload["format"] for e in exports] == ["hl7"]
    assert exports[0].payload["rems_form"] is False and exports[0].payload["file"] == "cli.hl7"
