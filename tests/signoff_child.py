"""Child process of the sign-off kill test: brings a session to discharge and signs it.

``python signoff_child.py DB K`` SIGKILLs itself just before the K-th SQL statement that signing
runs (counted from 0 at the call to ``sign``), or right after ``sign`` returns when signing runs
fewer statements; ``K = -1`` signs normally and prints each statement signing ran, one a line.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import sys

from sessionmon.clock import ManualClock
from sessionmon.model import Patient
from sessionmon.runtime import SessionRuntime
from sessionmon.sim import Physiology, PhysiologyTargets, SimulatedOximeter
from sessionmon.store import SessionStore

db, kill_at = sys.argv[1], int(sys.argv[2])
counting = {"on": False, "n": 0}
statements: list[str] = []


def trace(statement: str) -> None:
    if not counting["on"]:
        return
    statements.append(" ".join(statement.split())[:60])
    if counting["n"] == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
    counting["n"] += 1


real_connect = sqlite3.connect


def connect(*args, **kwargs):
    conn = real_connect(*args, **kwargs)
    conn.set_trace_callback(trace)
    return conn


sqlite3.connect = connect
clock = ManualClock()
store = SessionStore.open(db, clock)
patient = Physiology(clock, PhysiologyTargets(hr=70, spo2=98, sys=124, dia=78), seed=4)
runtime = SessionRuntime(
    store,
    clock,
    patient=Patient(pseudonym="KILL-1"),
    treatment="esketamine-56",
    simulated=True,
    oximeter=SimulatedOximeter(clock, patient, seed=5, sample_rate_hz=1.0),  # no pleth to speak of
)
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
print(runtime.session_id, flush=True)
counting["on"] = True
runtime.sign(by="RN A")
counting["on"] = False
if kill_at >= 0:
    os.kill(os.getpid(), signal.SIGKILL)
print("\n".join(statements), flush=True)
