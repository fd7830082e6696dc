"""Sessions for the export tests: one built directly through the store API (fast, every kind
of record), and one simulated by a built-in scenario (cached once per test run)."""

from __future__ import annotations

import functools
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sessionmon.clock import ManualClock
from sessionmon.model import (
    AlarmCategory,
    AlarmLogAction,
    AlarmLogEntry,
    AlarmPriority,
    AlarmRecord,
    Event,
    EventKind,
    Kind,
    Measurement,
    Patient,
    Session,
    SessionPhase,
    Treatment,
    TreatmentId,
    WaveformChunk,
)
from sessionmon.store import SessionStore

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
DOSE = START + timedelta(minutes=5)
OXIMETER = "oximeter:cms50-v7:/dev/ttyUSB0"
NIBP = "nibp:suntech:/dev/ttyUSB1"
NOTE = "Nausea | mild ^ settled & calm ~ ok \\ done"
#: (minutes after dose, sys, dia, map, pulse)
BP = [(-4, 128, 82, 97, 74), (41, 152, 96, 115, 88), (90, 134, 84, 101, 76), (118, 130, 80, 97, 72)]
#: (minutes after dose, scale, total)
CHECKLISTS = [
    (40, "moaas", 3),
    (42, "cadss", 9),
    (110, "moaas", 5),
    (111, "cadss", 2),
    (112, "aldrete", 10),
]
SPO2_DIP = (30, 34)  # minutes after the dose when SpO2 is 86


@dataclass
class Built:
    """A store holding the built session, with its id and clock."""

    store: SessionStore
    session_id: uuid.UUID
    clock: ManualClock
    path: Path


def hr_at(minute: float) -> float:
    """The synthetic pulse: 70 plus the whole minute mod 7."""
    return 70.0 + int(minute) % 7


#: The clinician's REMS entries recorded with the sign-off.
SIGNED_REMS = {
    "minutes_until_ready": 100,
    "answers": {},
    "provider": {
        "first_name": "Kim",
        "last_name": "Lee",
        "phone": "555-0100",
        "email": "kim.lee@harbour.example",
    },
    "setting": {
        "name": "Harbour Clinic",
        "address": "1 Quay Street",
        "city": "Portland",
        "state": "ME",
        "zip": "04101",
    },
}


def build_session(path: Path, *, simulated: bool = False) -> Built:
    """A closed, signed esketamine-84 session with every kind of record, in a new ``path``
    (copied from a database built once per test run)."""
    template, session_id = _template(simulated)
    shutil.copyfile(template, path)
    clock = ManualClock(START)
    return Built(SessionStore.open(path, clock), session_id, clock, path)


@functools.cache
def _template(simulated: bool) -> tuple[Path, uuid.UUID]:
    folder = Path(tempfile.mkdtemp(prefix="sessionmon-export-tests-"))
    path = folder / "built.db"
    built = _build(path, simulated=simulated)
    built.store.close()
    return path, built.session_id


def _build(path: Path, *, simulated: bool, monitored_min: int = 130) -> Built:
    clock = ManualClock(START)
    store = SessionStore.open(path, clock)
    ended = DOSE + timedelta(minutes=monitored_min)
    session = Session(
        patient=Patient(
            pseudonym="PT-0042", name="Ada Example", date_of_birth=date(1980, 2, 29), sex="female"
        ),
        treatment=Treatment.for_protocol(TreatmentId.ESKETAMINE_84, lot_number="LOT-77"),
        concomitant_medicines=("sertraline",),
        monitoring_provider="Dr Who",
        staff=("RN Kim",),
        clinic="Harbour Clinic",
        phase=SessionPhase.CLOSED,
        created_at=START,
        dose_at=DOSE,
        ended_at=ended,
        signed_by="RN Kim",
        signed_at=ended,
        simulated=simulated,
    )
    store.create_session(session)
    sid = session.id
    rows = []
    second = START + timedelta(seconds=1)
    while second <= ended:
        minute = (second - DOSE).total_seconds() / 60
        spo2 = 86.0 if SPO2_DIP[0] <= minute < SPO2_DIP[1] else 97.0
        for kind, value, unit in ((Kind.HR, hr_at(minute), "/min"), (Kind.SPO2, spo2, "%")):
            rows.append(
                Measurement(
                    session_id=sid,
                    kind=kind,
                    value=value,
                    unit=unit,
                    received_at=second,
                    source=OXIMETER,
                )
            )
        second += timedelta(seconds=1)
    for minute, sys, dia, mean, pulse in BP:
        at = DOSE + timedelta(minutes=minute, seconds=7)
        for kind, value in (
            (Kind.NIBP_SYS, sys),
            (Kind.NIBP_DIA, dia),
            (Kind.NIBP_MAP, mean),
            (Kind.NIBP_HR, pulse),
        ):
            unit = "/min" if kind is Kind.NIBP_HR else "mm[Hg]"
            rows.append(
                Measurement(
                    session_id=sid, kind=kind, value=value, unit=unit, received_at=at, source=NIBP
                )
            )
    rows.sort(key=lambda m: m.received_at)
    store.append_measurements(rows)
    for index in range(3):
        store.append_waveform(
            WaveformChunk(
                session_id=sid,
                start=DOSE + timedelta(seconds=index * 2),
                sample_rate_hz=75.0,
                samples=tuple(float(i % 50) for i in range(150)),
                source=OXIMETER,
            )
        )
    store.flush()

    def event(kind: EventKind, minute: float, **fields) -> Event:
        e = Event(session_id=sid, kind=kind, at=DOSE + timedelta(minutes=minute), **fields)
        store.add_event(e)
        return e

    event(
        EventKind.DOSE_GIVEN,
        0,
        by="RN Kim",
        payload={
            "drug": "esketamine",
            "route": "intranasal",
            "dose_mg": 84.0,
            "first": True,
            "lot_number": "LOT-77",
            "baseline_bp": [128, 82],
        },
    )
    for minute, scale, total in CHECKLISTS:
        event(
            EventKind.CHECKLIST,
            minute,
            by="RN Kim",
            payload={"scale": scale, "total": total, "interpretation": f"{scale} {total}"},
        )
    wrong = event(EventKind.CHECKLIST, 60, by="RN Kim", payload={"scale": "moaas", "total": 1})
    event(
        EventKind.CHECKLIST,
        60.5,
        by="RN Kim",
        supersedes=wrong.id,
        payload={"scale": "moaas", "total": 4, "interpretation": "corrected"},
    )
    event(EventKind.ANNOTATION, 50, by="RN Kim", text=NOTE)
    event(EventKind.DISCHARGE_ATTEMPT, 121, by="RN Kim", payload={"allowed": True, "blocking": []})
    event(
        EventKind.SIGN_OFF,
        monitored_min,
        by="RN Kim",
        text="signed off by RN Kim",
        payload={"rems": SIGNED_REMS},
    )
    alarm = AlarmRecord(
        session_id=sid,
        condition="spo2_low",
        priority=AlarmPriority.MEDIUM,
        category=AlarmCategory.PHYSIOLOGICAL,
        start=DOSE + timedelta(minutes=30, seconds=10),
        end=DOSE + timedelta(minutes=34, seconds=2),
        acknowledged_by="RN Kim",
        acknowledged_at=DOSE + timedelta(minutes=31),
        limits={
            "measure": "spo2",
            "direction": "low",
            "medium": {"op": "<", "threshold": 88.0, "delay_s": 10.0},
        },
        message="SpO2 low: 86 % (limit 88 %)",
    )
    store.save_alarm(alarm)
    for action, minute in (
        (AlarmLogAction.RAISED, 30.17),
        (AlarmLogAction.ACKNOWLEDGED, 31),
        (AlarmLogAction.ENDED, 34.03),
    ):
        store.add_alarm_log(
            AlarmLogEntry(
                session_id=sid,
                alarm_id=alarm.id,
                condition="spo2_low",
                action=action,
                at=DOSE + timedelta(minutes=minute),
                priority=AlarmPriority.MEDIUM,
                category=AlarmCategory.PHYSIOLOGICAL,
                value=86.0,
                limits=alarm.limits,
                by="RN Kim" if action is AlarmLogAction.ACKNOWLEDGED else None,
            )
        )
    return Built(store, sid, clock, path)


@functools.cache
def _scenario_db() -> Path:
    from sessionmon.scenarios import load_scenario
    from sessionmon.scenarios.runner import run_scenario

    folder = Path(tempfile.mkdtemp(prefix="sessionmon-export-tests-"))
    path = folder / "scenario.db"
    with SessionStore.open(path, ManualClock(START)) as store:
        run_scenario(load_scenario("desaturation-deep-sedation"), store)
    return path


def scenario_store(tmp_path: Path) -> tuple[SessionStore, uuid.UUID]:
    """A copy of a database holding the simulated desaturation scenario, opened."""
    path = tmp_path / "scenario.db"
    shutil.copyfile(_scenario_db(), path)
    store = SessionStore.open(path, ManualClock(START + timedelta(days=1)))
    return store, store.latest_session_id()


def pdf_text(path) -> str:
    """Return the text a reader sees on every page of a PDF (pypdf, layout mode)."""
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    return "\n".join(page.extract_text(extraction_mode="layout") for page in reader.pages)


def pdf_pages(path) -> int:
    """Return the number of pages of a PDF."""
    from pypdf import PdfReader

    return len(PdfReader(str(path)).pages)


def pdf_text_and_metadata(path) -> str:
    """Return a PDF's text plus its document information (title, author, subject ...)."""
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    info = reader.metadata or {}
    return pdf_text(path) + "\n" + "\n".join(f"{k}: {v}" for k, v in info.items())
