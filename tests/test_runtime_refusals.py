"""An intent the database refuses leaves no trace: entered again, it is recorded once."""

from __future__ import annotations

import sqlite3

import pytest

from sessionmon.model import EventKind, Kind, Patient
from sessionmon.runtime import SessionRuntime
from sessionmon.store import SessionStore, StoreError


def test_refused_checklist_and_manual_bp_are_not_counted_and_retry_records_once(tmp_path, clock):
    with SessionStore.open(tmp_path / "s.db", clock, busy_timeout_s=0.05) as store:
        runtime = SessionRuntime(
            store, clock, patient=Patient(pseudonym="R-1"), treatment="esketamine-84"
        )
        other = sqlite3.connect(tmp_path / "s.db", isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StoreError, match="locked by another program"):
            runtime.record_checklist("moaas", total=5, by="RN A")
        with pytest.raises(StoreError, match="locked by another program"):
            runtime.record_bp(131, 84, by="RN A")
        state = runtime.protocol_state
        assert state.checklists == [] and state.bp_readings == []
        other.execute("ROLLBACK")
        other.close()
        runtime.record_checklist("moaas", total=5, by="RN A")
        runtime.record_bp(131, 84, by="RN A")
        store.flush()
        assert [m.value for m in store.measurements(runtime.session_id, [Kind.NIBP_SYS])] == [131]
        kinds = [e.kind for e in store.events(runtime.session_id)]
        assert kinds.count(EventKind.CHECKLIST) == 1
        assert len(runtime.protocol_state.checklists) == 1
