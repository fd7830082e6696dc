"""``sessions list`` shows each session's record state: signed, REMS form sent, days left."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from sessionmon.cli import main
from sessionmon.clock import ManualClock
from sessionmon.model import Event, EventKind, SessionPhase
from sessionmon.store import SessionStore
from store_fixtures import make_session


def _local_noon(days_ago: int) -> datetime:
    """Noon on the local calendar ``days_ago`` days back, in UTC (the command uses the real
    clock and counts REMS days on the local calendar)."""
    today = datetime.now().astimezone()
    noon = today.replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=days_ago)
    return noon.astimezone(UTC)


def _closed_session(store: SessionStore, days_ago: int, pseudonym: str, **changes):
    clock = ManualClock(_local_noon(days_ago))
    session = make_session(
        clock,
        pseudonym,
        phase=SessionPhase.CLOSED,
        dose_at=clock.now() + timedelta(minutes=5),
        ended_at=clock.now() + timedelta(hours=2, minutes=5),
        **changes,
    )
    store.create_session(session)
    return session


def _build(db) -> dict[str, object]:
    with SessionStore.open(db, ManualClock()) as store:
        signed = _closed_session(store, 2, "PT-SIGNED", signed_by="RN Kim")
        unsigned = _closed_session(store, 8, "PT-UNSIGNED")
        sent = _closed_session(store, 3, "PT-SENT", signed_by="RN Kim")
        simulated = _closed_session(store, 1, "PT-SIM", signed_by="RN Kim", simulated=True)
        # A CSV export is not the REMS form: the signed session's form is still due.
        store.add_event(
            Event(
                session_id=signed.id,
                kind=EventKind.EXPORT,
                at=signed.ended_at,
                payload={"format": "csv", "rems_form": False},
            )
        )
        store.add_event(
            Event(
                session_id=sent.id,
                kind=EventKind.EXPORT,
                at=sent.ended_at,
                payload={"format": "rems", "rems_form": True},
            )
        )
    return {"signed": signed, "unsigned": unsigned, "sent": sent, "simulated": simulated}


def test_sessions_list_json_has_record_state_fields(tmp_path, capsys):
    db = tmp_path / "s.db"
    built = _build(db)
    assert main(["--db", str(db), "sessions", "list", "--json"]) == 0
    listed = {s["pseudonym"]: s for s in json.loads(capsys.readouterr().out)}
    today = date.today()

    signed = listed["PT-SIGNED"]
    assert signed["signed"] is True
    assert signed["days_left"] == 5
    assert signed["due_on"] == (today + timedelta(days=5)).isoformat()
    assert signed["rems_exported_at"] is None
    assert signed["record_state"] == "signed; REMS due in 5 d"

    unsigned = listed["PT-UNSIGNED"]
    assert (unsigned["signed"], unsigned["days_left"]) == (False, -1)
    assert unsigned["due_on"] == (today - timedelta(days=1)).isoformat()
    assert unsigned["record_state"] == "unsigned; REMS overdue 1 d"

    sent = listed["PT-SENT"]
    assert sent["record_state"] == "signed; REMS sent"
    assert datetime.fromisoformat(sent["rems_exported_at"]) == built["sent"].ended_at
    assert sent["days_left"] == 4

    simulated = listed["PT-SIM"]
    assert simulated["record_state"] == "simulation"
    assert (simulated["days_left"], simulated["due_on"]) == (None, None)
    # The summary fields are still there, beside the new ones.
    assert signed["id"] == str(built["signed"].id) and signed["phase"] == "closed"


def test_sessions_list_table_has_a_record_column(tmp_path, capsys):
    db = tmp_path / "s.db"
    built = _build(db)
    assert main(["--db", str(db), "sessions", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[-1] == "RECORD"
    rows = {line.split()[1]: line for line in lines[1:]}
    assert rows["PT-SIGNED"].endswith("signed; REMS due in 5 d")
    assert rows["PT-UNSIGNED"].endswith("unsigned; REMS overdue 1 d")
    assert rows["PT-SENT"].endswith("signed; REMS sent")
    assert rows["PT-SIM"].endswith("simulation")
    assert rows["PT-UNSIGNED"].startswith(str(built["unsigned"].id)[:8])
