"""Crash recovery for real: a recording process is SIGKILLed and its session is recovered."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from datetime import datetime, timedelta

from sessionmon.clock import SystemClock
from sessionmon.model import Kind, SessionPhase
from sessionmon.store import SessionStore

RECORDER = textwrap.dedent(
    """
    import json, sys, time
    from sessionmon.clock import SystemClock
    from sessionmon.model import (Kind, Measurement, Patient, Session, SessionPhase, Treatment,
                                  WaveformChunk)
    from sessionmon.store import SessionStore

    clock = SystemClock()
    store = SessionStore.open(sys.argv[1], clock)
    session = Session(patient=Patient(pseudonym="PT-CRASH"),
                      treatment=Treatment.for_protocol("esketamine-84"), created_at=clock.now())
    store.create_session(session)
    for phase in (SessionPhase.BASELINE, SessionPhase.DOSING, SessionPhase.OBSERVATION):
        session = session.model_copy(update={"phase": phase})
        store.update_session(session)
    print(json.dumps({"ready": str(session.id)}), flush=True)
    numerics = samples = 0
    start = time.monotonic()
    tick = 0
    while True:  # 25 ticks a second: 3 pleth samples (75 Hz); hr, spo2, pi once a second
        tick += 1
        time.sleep(max(0.0, start + tick / 25 - time.monotonic()))
        now = clock.now()
        store.append_waveform(WaveformChunk(session_id=session.id, start=now, sample_rate_hz=75,
                                            samples=(tick % 7, 10.0, 20.0), source="sim"))
        samples += 3
        if tick % 25 == 0:
            for kind, value, unit in ((Kind.HR, 72, "/min"), (Kind.SPO2, 98, "%"),
                                      (Kind.PI, 3.5, "%")):
                store.append_measurement(Measurement(session_id=session.id, kind=kind,
                                                     value=value, unit=unit, received_at=now,
                                                     source="sim"))
            numerics += 3
            print(json.dumps({"numerics": numerics, "samples": samples,
                              "last_at": now.isoformat()}), flush=True)
    """
)


def read_line(proc: subprocess.Popen, timeout_s: float = 10.0) -> dict:
    """Return the child's next JSON line, failing the test if none comes in time."""
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if selector.select(timeout=0.1):
                line = proc.stdout.readline()
                assert line, f"recorder exited early: {proc.stderr.read()}"
                return json.loads(line)
        raise AssertionError("recorder printed nothing in time")
    finally:
        selector.close()


def test_killed_recorder_leaves_an_interrupted_session_missing_at_most_a_second(tmp_path):
    db = tmp_path / "sessions.db"
    script = tmp_path / "recorder.py"
    script.write_text(RECORDER)
    proc = subprocess.Popen(
        [sys.executable, str(script), str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        session_id = uuid.UUID(read_line(proc)["ready"])
        first = read_line(proc)
        # While the recorder runs, another process sees the session as live, not interrupted.
        with SessionStore.open(db, SystemClock()) as viewer:
            [live] = viewer.list_sessions()
            assert live.phase is SessionPhase.OBSERVATION
        last = read_line(proc)
        assert last["numerics"] > first["numerics"]
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL

    reported_at = datetime.fromisoformat(last["last_at"])
    one_second = timedelta(seconds=1.1)  # one second of buffer plus one 40 ms append tick
    with SessionStore.open(db, SystemClock()) as store:
        [summary] = store.list_sessions()
        assert (summary.id, summary.phase) == (session_id, SessionPhase.INTERRUPTED)
        assert summary.phase_before is SessionPhase.OBSERVATION
        assert store.get_session(session_id).phase is SessionPhase.INTERRUPTED

        numerics = store.measurements(session_id)
        chunks = store.waveform(session_id, Kind.PLETH)
        stored_samples = sum(len(chunk.samples) for chunk in chunks)
        assert numerics[-1].received_at >= reported_at - one_second
        assert chunks[-1].start >= reported_at - one_second
        assert stored_samples >= last["samples"] - 75 * 1.1
        assert len(numerics) >= last["numerics"] - 6
        assert store.verify_audit().ok

        resumed = store.resume_session(session_id)
        assert resumed.phase is SessionPhase.OBSERVATION
        assert store.list_sessions()[0].phase is SessionPhase.OBSERVATION
        closing = resumed.model_copy(update={"phase": SessionPhase.DISCHARGE_READY})
        store.update_session(closing)
        assert store.verify_audit().ok
