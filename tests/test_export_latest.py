"""``--session latest`` and id prefixes are answered by SQL without parsing session bodies, and
name the session the old rule named (the real session that started last; a training session
only when there is no other; ties to the one recorded first); an export from the command line
does not import the alarm engine."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sessionmon.clock import ManualClock
from sessionmon.errors import UserError
from sessionmon.export import resolve_session_id
from sessionmon.model import Patient, Session, Treatment, TreatmentId
from sessionmon.store import SessionStore

SRC = str(Path(__file__).resolve().parents[1] / "src")
START = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)


def _session(minute: int, simulated: bool, n: int) -> Session:
    return Session(
        patient=Patient(pseudonym=f"P-{n}"),
        treatment=Treatment.for_protocol(TreatmentId.ESKETAMINE_56),
        created_at=START + timedelta(minutes=minute),
        simulated=simulated,
    )


def _latest_by_listing(store: SessionStore):
    """The rule as it was: parse every session, pick the max start (first of equals)."""
    summaries = store.list_sessions()
    real = [s for s in summaries if not s.simulated] or summaries
    return max(real, key=lambda s: s.created_at).id


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.booleans()), min_size=1, max_size=6))
def test_latest_names_the_session_the_listing_rule_names(shapes):
    with tempfile.TemporaryDirectory() as folder:
        clock = ManualClock(START + timedelta(days=1))
        with SessionStore.open(Path(folder) / "s.db", clock) as store:
            for n, (minute, simulated) in enumerate(shapes):
                store.create_session(_session(minute, simulated, n))
            assert resolve_session_id(store, "latest") == _latest_by_listing(store)
            assert store.session_ids() == [s.id for s in store.list_sessions()]


def test_a_later_training_session_does_not_hide_the_latest_patient_session(tmp_path):
    with SessionStore.open(tmp_path / "s.db", ManualClock(START)) as store:
        patient = _session(0, False, 0)
        store.create_session(patient)
        store.create_session(_session(30, True, 1))
        assert resolve_session_id(store, "latest") == patient.id


def test_an_empty_database_and_an_unknown_prefix_are_refused_clearly(tmp_path):
    with SessionStore.open(tmp_path / "s.db", ManualClock(START)) as store:
        with pytest.raises(UserError, match="no sessions recorded"):
            resolve_session_id(store, "latest")
        session = _session(0, False, 0)
        store.create_session(session)
        assert resolve_session_id(store, str(session.id)[:6].upper()) == session.id
        with pytest.raises(UserError, match="no session 'zz'"):
            resolve_session_id(store, "zz")


def test_an_export_from_the_command_line_imports_no_alarm_engine_or_sounds(tmp_path):
    db = tmp_path / "s.db"
    with SessionStore.open(db, ManualClock(START)) as store:
        store.create_session(_session(0, False, 0))
    script = (
        "import sys\n"
        "from sessionmon.cli import main\n"
        f"code = main(['--db', {str(db)!r}, 'export', '--format', 'hl7', "
        f"'--out', {str(tmp_path / 'x.hl7')!r}, '--quiet'])\n"
        "engine = {'sessionmon.alarms.engine', 'sessionmon.alarms.sounds'}\n"
        "print(code, sorted(set(sys.modules) & engine))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": SRC, "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert result.stdout.split("\n")[-2] == "0 []", result.stderr


def test_every_public_alarm_name_still_imports_from_the_package():
    import sessionmon.alarms as alarms

    assert sorted(alarms.__all__) == sorted(alarms._HOMES)
    for name in alarms.__all__:
        assert getattr(alarms, name) is not None
    with pytest.raises(AttributeError):
        alarms.NotAnAlarmName  # noqa: B018
