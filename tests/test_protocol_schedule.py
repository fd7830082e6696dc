"""Session protocol schedules: timeline, protocol conditions at the right minute, NIBP cadence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sessionmon.errors import UserError
from sessionmon.model import TreatmentId
from sessionmon.protocol import CheckState, ProtocolState, SessionProtocol

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
DOSE = START + timedelta(minutes=10)


def m(minutes: float) -> datetime:
    """A time ``minutes`` after the dose."""
    return DOSE + timedelta(minutes=minutes)


def esk() -> SessionProtocol:
    return SessionProtocol.for_treatment(TreatmentId.ESKETAMINE_84)


def iv() -> SessionProtocol:
    return SessionProtocol.for_treatment("ketamine-iv")


def dosed(*readings, **kw) -> ProtocolState:
    return ProtocolState(dose_at=DOSE, bp_readings=[(START, 126, 80), *readings], **kw)


def by_id(proto, state, now):
    return {c.id: c for c in proto.checks(state, now)}


# --------------------------------------------------------------------------- esketamine


def test_bp_check_due_from_40_min_then_overdue_from_45_min():
    proto, state = esk(), dosed()
    at = {x: proto.active_conditions(state, m(x)) for x in (39.99, 40, 44.99, 45, 90)}
    assert at[39.99] == set()
    assert at[40] == {"bp_check_due"}
    assert at[44.99] == {"bp_check_due"}
    assert at[45] == {"bp_check_overdue"}
    assert at[90] == {"bp_check_overdue"}


def test_bp_in_window_prevents_due_and_overdue():
    proto = esk()
    for taken in (35, 38, 40):
        assert proto.active_conditions(dosed((m(taken), 150, 92)), m(40)) == set()
    for taken in (35, 38, 40, 44, 45):
        assert proto.active_conditions(dosed((m(taken), 150, 92)), m(46)) == set()


def test_bp_before_window_does_not_count():
    proto, state = esk(), dosed((m(34), 150, 92))
    assert proto.active_conditions(state, m(40)) == {"bp_check_due"}


def test_late_bp_clears_overdue_but_the_check_is_missed():
    proto, state = esk(), dosed((m(50), 150, 92))
    assert proto.active_conditions(state, m(47)) == {"bp_check_overdue"}
    assert proto.active_conditions(state, m(50)) == set()
    assert by_id(proto, state, m(51))["bp_40"].status is CheckState.MISSED


def test_bp_due_stops_when_taken_inside_the_window():
    proto, state = esk(), dosed((m(42), 150, 92))
    assert proto.active_conditions(state, m(41)) == {"bp_check_due"}
    assert proto.active_conditions(state, m(42)) == set()


def test_esketamine_timeline_statuses():
    proto = esk()
    state = dosed((m(41), 150, 92), checklists=[(m(38), "moaas", 4)])
    checks = by_id(proto, state, m(30))
    assert checks["bp_predose"].status is CheckState.DONE
    assert checks["bp_40"].status is CheckState.UPCOMING
    assert checks["bp_40"].due_at == m(40)
    assert (checks["bp_40"].window_start, checks["bp_40"].window_end) == (m(35), m(45))
    assert by_id(proto, state, m(36))["bp_40"].status is CheckState.DUE
    later = by_id(proto, state, m(60))
    assert later["bp_40"].status is CheckState.DONE and later["bp_40"].done_at == m(41)
    assert later["moaas_peak"].status is CheckState.DONE
    assert later["cadss_peak"].status is CheckState.OVERDUE
    assert later["min_observation"].status is CheckState.UPCOMING
    assert later["min_observation"].due_at == m(120)
    assert later["bp_discharge"].status is CheckState.UPCOMING
    end = by_id(proto, state, m(121))
    assert end["min_observation"].status is CheckState.DONE
    assert end["bp_discharge"].status is CheckState.DUE
    assert end["bp_discharge"].window_start == m(90)
    assert end["aldrete_discharge"].status is CheckState.DUE
    ids = [c.id for c in proto.checks(state, m(60))]
    assert ids[0] == "bp_predose" and ids.index("bp_40") < ids.index("bp_discharge")


def test_predose_check_due_before_dose_and_missed_without_one():
    proto = esk()
    nothing = ProtocolState()
    assert by_id(proto, nothing, START)["bp_predose"].status is CheckState.DUE
    no_bp = ProtocolState(dose_at=DOSE)
    assert by_id(proto, no_bp, m(1))["bp_predose"].status is CheckState.MISSED
    assert all(c.due_at is None for c in proto.checks(nothing, START)[1:])


@pytest.mark.parametrize(
    ("sys", "dia", "elevated"),
    [(141, 85, True), (130, 91, True), (140, 90, False), (120, 70, False)],
)
def test_predose_bp_elevated_threshold(sys, dia, elevated):
    proto = esk()
    state = ProtocolState(bp_readings=[(START, sys, dia)])
    assert ("predose_bp_elevated" in proto.active_conditions(state, START)) is elevated


def test_predose_bp_elevated_uses_last_reading_and_ends_at_dose():
    proto = esk()
    high_then_ok = ProtocolState(bp_readings=[(START, 150, 95), (m(-2), 132, 84)])
    assert proto.active_conditions(high_then_ok, m(-1)) == set()
    high = ProtocolState(dose_at=DOSE, bp_readings=[(m(-5), 150, 95)])
    assert proto.active_conditions(high, m(-1)) == {"predose_bp_elevated"}
    assert proto.active_conditions(high, m(0)) == set()
    assert "consider delaying" in proto.reminders(high, m(-1))[0]


def test_reminders_name_due_and_overdue_checks():
    proto, state = esk(), dosed()
    assert "BP at 40 min is due" in proto.reminders(state, m(41))
    overdue = proto.reminders(state, m(46))
    assert any(t.startswith("BP at 40 min is overdue: nothing recorded 35-45 min") for t in overdue)


def test_esketamine_nibp_requested_at_40_min_only_once():
    proto, state = esk(), dosed()
    assert not proto.nibp_due(state, m(-1), None)
    assert not proto.nibp_due(state, m(39.9), None)
    assert proto.nibp_due(state, m(40), None)
    assert not proto.nibp_due(state, m(40.1), m(40))
    assert not proto.nibp_due(dosed((m(36), 140, 90)), m(40), None)
    assert not proto.nibp_due(state, m(80), m(40))


def test_nibp_requested_before_discharge_when_asked():
    proto = esk()
    state = dosed((m(40), 140, 90), discharge_requested_at=m(118))
    assert not proto.nibp_due(state, m(117), m(40))
    assert proto.nibp_due(state, m(118), m(40))
    assert not proto.nibp_due(state, m(118.1), m(118))
    recent = dosed((m(40), 140, 90), (m(110), 130, 80), discharge_requested_at=m(118))
    assert not proto.nibp_due(recent, m(118), m(40))


# --------------------------------------------------------------------------- IV ketamine


def test_iv_schedule_every_10_during_infusion_and_15_after():
    proto = iv()
    checks = proto.checks(dosed(), m(0))
    bp = [
        c for c in checks if c.id.startswith("bp_") and c.id not in ("bp_predose", "bp_discharge")
    ]
    assert [c.due_at for c in bp] == [m(10), m(20), m(30), m(40), m(55), m(70)]
    assert "(infusion)" in bp[0].label and "(after infusion)" in bp[-1].label
    assert (bp[3].window_start, bp[3].window_end) == (m(35), m(45))
    assert (bp[0].window_start, bp[0].window_end) == (m(5), m(15))
    assert proto.config.min_observation_min == 70


def test_iv_nibp_cadence_when_requests_are_made():
    proto, state = iv(), dosed()
    requested: list[float] = []
    last = None
    for second in range(0, 110 * 60 + 1, 15):
        now = m(second / 60)
        if proto.nibp_due(state, now, last):
            requested.append(second / 60)
            last = now
    assert requested == [10, 20, 30, 40, 55, 70, 85, 100]


def test_iv_nibp_not_requested_when_a_bp_was_just_taken():
    proto = iv()
    assert not proto.nibp_due(dosed((m(9), 130, 80)), m(10), None)
    assert proto.nibp_due(dosed((m(7), 130, 80)), m(10), None)
    assert proto.nibp_due(dosed((m(10), 130, 80)), m(20), m(10))


def test_iv_due_and_overdue_for_each_scheduled_reading():
    proto = iv()
    assert proto.active_conditions(dosed(), m(10)) == {"bp_check_due"}
    assert proto.active_conditions(dosed(), m(15)) == {"bp_check_overdue"}
    on_time = dosed(*[(m(x), 130, 80) for x in (10, 20, 30, 40, 55)])
    assert proto.active_conditions(on_time, m(56)) == set()


# --------------------------------------------------------------------------- settings


def test_settings_are_editable_and_validated():
    proto = SessionProtocol.for_treatment("esketamine-56", {"min_observation_min": 150})
    assert by_id(proto, dosed(), m(0))["min_observation"].due_at == m(150)
    with pytest.raises(UserError, match="unknown treatment 'ketamine-im'"):
        SessionProtocol.for_treatment("ketamine-im")
    with pytest.raises(UserError, match="protocol setting min_observation_minutes"):
        SessionProtocol.for_treatment("esketamine-84", {"min_observation_minutes": 10})
    with pytest.raises(UserError, match="peak_bp_at_min 50 must lie in its window"):
        SessionProtocol.for_treatment("esketamine-84", {"peak_bp_at_min": 50})
