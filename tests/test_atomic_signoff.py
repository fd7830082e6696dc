"""Sign-off is one transaction: SIGKILL at any statement of it, and a held lock while signing."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from sessionmon.clock import ManualClock
from sessionmon.model import EventKind, Patient, SessionPhase
from sessionmon.runtime import SessionRuntime
from sessionmon.sim import Physiology, PhysiologyTargets, SimulatedOximeter
from sessionmon.store import SessionStore, StoreError

CHILD = Path(__file__).with_name("signoff_child.py")


def run_child(db: Path, kill_at: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(CHILD), str(db), str(kill_at)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def signed_state(db: Path, session_id: uuid.UUID) -> tuple[SessionPhase, int, int]:
    """The phase after the kill, the sign-off events and the phase changes to closed."""
    with SessionStore.open(db, ManualClock()) as store:
        assert store.verify_audit().ok
        phase = store.get_session(session_id).phase
        events = store.events(session_id, include_superseded=True)
    sign_offs = sum(e.kind is EventKind.SIGN_OFF for e in events)
    closings = sum(
        e.kind is EventKind.PHASE_CHANGE and e.payload.get("to") == "closed" for e in events
    )
    return phase, sign_offs, closings


def test_sigkill_at_each_step_of_sign_off_leaves_it_signed_once_or_unsigned(tmp_path):
    dry = run_child(tmp_path / "count.db", -1)
    out, err = dry.communicate(timeout=60)
    assert dry.returncode == 0, err
    statements = out.splitlines()[1:]
    inserts = [i for i, s in enumerate(statements) if s.startswith("INSERT INTO events")]
    # The transaction holding the event inserts (buffered samples are committed before it).
    begin = max(i for i, s in enumerate(statements[: inserts[0]]) if s == "BEGIN IMMEDIATE")
    commit = statements.index("COMMIT", inserts[-1])
    # Before any write, at the BEGIN, at each event insert (the sign-off, the phase change), at
    # the COMMIT (not yet done), and just after sign() returned.
    points = sorted({0, begin, *inserts, commit, len(statements)})
    assert begin < inserts[0] < commit and len(inserts) == 2
    children = {k: (tmp_path / f"kill{k}.db") for k in points}
    children = {k: (db, run_child(db, k)) for k, db in children.items()}
    outcomes = {}
    for k, (db, proc) in children.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == -9, f"kill point {k}: exit {proc.returncode} {err}"
        session_id = uuid.UUID(out.split()[0])
        phase, sign_offs, closings = signed_state(db, session_id)
        if phase is SessionPhase.CLOSED:
            assert (sign_offs, closings) == (1, 1), f"kill point {k}"
            outcomes[k] = "signed"
        else:
            # Unsigned: resumable (the writer is gone) and no trace of a sign-off.
            assert phase is SessionPhase.INTERRUPTED, f"kill point {k}: {phase}"
            assert (sign_offs, closings) == (0, 0), f"kill point {k}"
            outcomes[k] = "unsigned"
    # Killed up to and at the COMMIT: unsigned; once it is done: signed, exactly once.
    assert [k for k, o in outcomes.items() if o == "signed"] == [len(statements)]


def steady_oximeter(clock: ManualClock) -> SimulatedOximeter:
    """A simulated oximeter on a well patient: discharge judges the SpO2 and pulse now."""
    patient = Physiology(clock, PhysiologyTargets(hr=70, spo2=98, sys=124, dia=78), seed=4)
    return SimulatedOximeter(clock, patient, seed=5, sample_rate_hz=1.0)


def to_discharge_ready(runtime: SessionRuntime, clock: ManualClock) -> None:
    runtime.start_baseline()
    runtime.record_bp(124, 78, by="RN A")
    runtime.dose(by="RN A", confirm_unanswered=True)
    for minutes in (41, 80):
        for _ in range(minutes):
            clock.advance(60)
            runtime.tick()
        runtime.record_bp(126, 79, by="RN A")
    for scale, total in (("moaas", 5), ("aldrete", 10), ("cadss6", 0)):
        runtime.record_checklist(scale, total=total, by="RN A")
    assert runtime.attempt_discharge(by="RN A").allowed


def test_sign_off_refused_by_a_held_lock_changes_nothing_and_signing_again_signs_once(tmp_path):
    clock = ManualClock()
    db = tmp_path / "sessions.db"
    with SessionStore.open(db, clock, busy_timeout_s=0.5) as store:
        runtime = SessionRuntime(
            store,
            clock,
            patient=Patient(pseudonym="LOCK-1"),
            treatment="esketamine-56",
            simulated=True,
            oximeter=steady_oximeter(clock),
        )
        to_discharge_ready(runtime, clock)
        seen = []
        runtime.add_event_listener(seen.append)
        other = sqlite3.connect(db, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another program holds the write lock
        with pytest.raises(StoreError, match="locked"):
            runtime.sign(by="RN A")
        other.execute("ROLLBACK")
        other.close()
        assert runtime.phase is SessionPhase.DISCHARGE_READY and not runtime.locked
        assert store.get_session(runtime.session_id).phase is SessionPhase.DISCHARGE_READY
        assert not [e for e in seen if e.kind is EventKind.SIGN_OFF]
        runtime.sign(by="RN A")
        events = store.events(runtime.session_id)
        assert sum(e.kind is EventKind.SIGN_OFF for e in events) == 1
        assert {e.kind for e in seen[-2:]} == {EventKind.SIGN_OFF, EventKind.PHASE_CHANGE}
        assert store.get_session(runtime.session_id).signed_by == "RN A"
        # The store itself refuses a new version of a signed session.
        closed = store.get_session(runtime.session_id)
        with pytest.raises(StoreError, match="closed"):
            store.update_session(closed)
