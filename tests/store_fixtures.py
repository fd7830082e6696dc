"""Record factories shared by the store tests."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sessionmon.clock import ManualClock
from sessionmon.model import (
    Kind,
    Measurement,
    Patient,
    Session,
    SessionPhase,
    Treatment,
    TreatmentId,
    WaveformChunk,
)

OXIMETER = "oximeter:sim:1"


def wait_until(predicate: Callable[[], bool], timeout_s: float = 5.0) -> None:
    """Poll ``predicate`` until it holds: the store's writer thread commits on its own time."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("the store's writer thread did not get there in time")
        time.sleep(0.002)


def make_session(clock: ManualClock, pseudonym: str = "PT-0042", **changes) -> Session:
    """Return a planned esketamine-84 session created now."""
    fields = {
        "patient": Patient(pseudonym=pseudonym),
        "treatment": Treatment.for_protocol(TreatmentId.ESKETAMINE_84, lot_number="L123"),
        "staff": ("RN Kim",),
        "created_at": clock.now(),
        "phase": SessionPhase.PLANNED,
    }
    fields.update(changes)
    return Session(**fields)


def make_measurement(
    session_id: uuid.UUID, at: datetime, kind: Kind = Kind.HR, value: float = 72.0
) -> Measurement:
    """Return one measurement from the simulated oximeter."""
    return Measurement(
        session_id=session_id,
        kind=kind,
        value=value,
        unit="/min" if kind is Kind.HR else "%",
        received_at=at,
        device_time=at - timedelta(milliseconds=40),
        source=OXIMETER,
        flags=("searching",) if value == 0 else (),
    )


def make_chunk(session_id: uuid.UUID, start: datetime, n: int = 75, base: int = 0) -> WaveformChunk:
    """Return ``n`` pleth samples at 75 Hz (small integers, exact in float32)."""
    return WaveformChunk(
        session_id=session_id,
        kind=Kind.PLETH,
        start=start,
        sample_rate_hz=75.0,
        samples=tuple(float((base + i) % 100) for i in range(n)),
        source=OXIMETER,
    )
