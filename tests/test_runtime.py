"""SessionRuntime: intents become events, readings become the record, alarms reach the store."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from sessionmon.devices.readings import Reading, TechnicalCondition
from sessionmon.devices.source import (
    ConditionChange,
    DeviceRole,
    LinkState,
    LinkStateChange,
    SourceOutput,
    WaveformBlock,
)
from sessionmon.model import (
    AlarmLogAction,
    AlarmPriority,
    EventKind,
    Kind,
    Patient,
    SessionPhase,
)
from sessionmon.runtime import (
    IntentRefusedError,
    RemsFieldsMissingError,
    RemsFormIncompleteError,
    SessionLockedError,
    SessionRuntime,
)
from sessionmon.sim import Physiology, PhysiologyTargets, SimulatedNibp, SimulatedOximeter
from sessionmon.store import SessionStore
from store_fixtures import wait_until


class ScriptedSource:
    """A vitals source fed by the test, like a serial driver's queue (no mocking of pyserial)."""

    def __init__(self, role: DeviceRole, device_id: str) -> None:
        self._role = role
        self._device_id = device_id
        self._state = LinkState.DISCONNECTED
        self._queue: list[SourceOutput] = []
        self.conditions: set[TechnicalCondition] = set()

    device_id = property(lambda self: self._device_id)
    role = property(lambda self: self._role)
    state = property(lambda self: self._state)
    active_conditions = property(lambda self: frozenset(self.conditions))

    def start(self) -> None:
        self._state = LinkState.STREAMING

    def stop(self) -> None:
        self._state = LinkState.DISCONNECTED

    def poll(self) -> list[SourceOutput]:
        out, self._queue = self._queue, []
        return out

    def send(self, at, item) -> None:
        if isinstance(item, LinkStateChange):
            self._state = item.new
        if isinstance(item, ConditionChange):
            (self.conditions.add if item.active else self.conditions.discard)(item.condition)
        self._queue.append(SourceOutput(at, item))


@pytest.fixture
def store(tmp_path, clock):
    with SessionStore.open(tmp_path / "sessions.db", clock) as s:
        yield s


REMS_ENTRIES = {
    "minutes_until_ready": 100,
    "provider": {
        "first_name": "B",
        "last_name": "Doe",
        "phone": "555-0100",
        "email": "b@d.example",
    },
    "setting": {"name": "C", "address": "1 Main St", "city": "X", "state": "NY", "zip": "10001"},
}

#: The clinician's answer where no capnography was monitored (the record cannot say No).
NO_DEPRESSION = {"respiratory_depression": {"occurred": False, "details": "watched throughout"}}


@pytest.fixture
def oximeter():
    return ScriptedSource(DeviceRole.OXIMETER, "oximeter:test:/dev/pts/9")


def make_runtime(store, clock, oximeter=None, nibp=None, treatment="esketamine-84"):
    return SessionRuntime(
        store,
        clock,
        patient=Patient(pseudonym="RT-1"),
        treatment=treatment,
        oximeter=oximeter,
        nibp=nibp,
    )


def feed_vitals(source, clock, seconds, spo2=98.0, hr=72.0):
    """One reading of each per second plus a pleth block, ticking nothing (caller ticks)."""
    for _ in range(seconds):
        at = clock.now()
        source.send(at, Reading.of(Kind.SPO2, spo2, flags=("ok",)))
        source.send(at, Reading.of(Kind.HR, hr))
        source.send(at, WaveformBlock(tuple(float(i % 50) for i in range(75)), 75.0))
        clock.advance(1.0)


def run_for(runtime, source, clock, seconds, **vitals):
    for _ in range(seconds):
        feed_vitals(source, clock, 1, **vitals)
        runtime.tick()


def test_a_new_session_is_created_in_the_store(store, clock):
    runtime = make_runtime(store, clock)
    stored = store.get_session(runtime.session_id)
    assert stored.patient.pseudonym == "RT-1"
    assert stored.treatment.protocol.value == "esketamine-84"
    assert runtime.phase is SessionPhase.PLANNED


def test_measurements_land_in_the_store_with_both_clocks_and_the_source(store, clock, oximeter):
    runtime = make_runtime(store, clock, oximeter)
    device_time = clock.now() - timedelta(seconds=3)
    oximeter.send(clock.now(), Reading.of(Kind.SPO2, 97, device_time=device_time, flags=("x",)))
    run_for(runtime, oximeter, clock, 5)
    runtime.close()
    rows = store.measurements(runtime.session_id, kinds=[Kind.SPO2])
    assert len(rows) == 6
    first = rows[0]
    assert first.value == 97 and first.device_time == device_time and first.flags == ("x",)
    assert first.source == "oximeter:test:/dev/pts/9"
    assert first.received_at == clock.now() - timedelta(seconds=5)
    chunks = store.waveform(runtime.session_id)
    assert sum(len(c.samples) for c in chunks) == 5 * 75
    assert chunks[0].sample_rate_hz == 75.0


def test_every_intent_becomes_an_event_committed_before_return(store, clock, oximeter):
    runtime = make_runtime(store, clock, oximeter)
    runtime.start_baseline(by="RN A")
    runtime.record_bp(132, 84, by="RN A")
    clock.advance(60)
    runtime.dose(by="RN A", text="first device", confirm_unanswered=True)
    clock.advance(60)
    runtime.annotate("patient comfortable", by="RN A")
    runtime.record_checklist("moaas", total=4, by="RN A")
    runtime.acknowledge(by="RN A")
    runtime.pause_audio(by="RN A")
    events = store.events(runtime.session_id)  # read back from the database
    kinds = [e.kind for e in events]
    assert kinds.count(EventKind.PHASE_CHANGE) == 2  # planned->baseline, baseline->dosing
    assert EventKind.DOSE_GIVEN in kinds and EventKind.ANNOTATION in kinds
    checklist = next(e for e in events if e.kind is EventKind.CHECKLIST)
    assert checklist.payload["scale"] == "moaas" and checklist.payload["total"] == 4
    actions = [e.payload.get("action") for e in events if e.kind is EventKind.NURSE_ACTION]
    assert actions == ["record_bp", "acknowledge", "pause_audio"]
    dose = next(e for e in events if e.kind is EventKind.DOSE_GIVEN)
    assert dose.payload["baseline_bp"] == [132, 84]
    assert store.get_session(runtime.session_id).dose_at == dose.at


def test_dosing_moves_to_observation_after_the_last_nasal_device(store, clock, oximeter):
    runtime = make_runtime(store, clock, oximeter)  # esketamine-84: three devices
    runtime.dose(by="RN A", confirm_unanswered=True)
    run_for(runtime, oximeter, clock, 320)
    runtime.dose(by="RN A")
    run_for(runtime, oximeter, clock, 320)
    assert runtime.phase is SessionPhase.DOSING
    runtime.dose(by="RN A")  # 10:40 after the first: accepted, dosing complete
    assert runtime.phase is SessionPhase.OBSERVATION
    assert store.get_session(runtime.session_id).phase is SessionPhase.OBSERVATION


def test_dosing_ends_when_no_further_device_comes_within_15_min(store, clock, oximeter):
    runtime = make_runtime(store, clock, oximeter)
    runtime.dose(by="RN A", confirm_unanswered=True)
    run_for(runtime, oximeter, clock, 15 * 60)
    assert runtime.phase is SessionPhase.DOSING
    run_for(runtime, oximeter, clock, 2)
    assert runtime.phase is SessionPhase.OBSERVATION
    with pytest.raises(IntentRefusedError, match="dosing is over"):
        runtime.dose(by="RN A")


def test_desaturation_is_alarmed_logged_and_stored(store, clock, oximeter):
    runtime = make_runtime(store, clock, oximeter)
    seen = []
    runtime.add_alarm_listener(lambda alarms: seen.append([a.condition for a in alarms]))
    run_for(runtime, oximeter, clock, 5)
    run_for(runtime, oximeter, clock, 6, spo2=84)  # high priority once <= 85 % has held 5 s
    snap = runtime.snapshot()
    assert [a.condition for a in snap.alarms] == ["spo2_low"]
    assert snap.values[Kind.SPO2].priority is AlarmPriority.HIGH
    assert seen and seen[0] == ["spo2_low"]
    records = store.alarms(runtime.session_id)
    assert [(r.condition, r.priority) for r in records] == [("spo2_low", AlarmPriority.HIGH)]
    log = store.alarm_log(runtime.session_id)
    assert log[0].action is AlarmLogAction.RAISED and log[0].value == 84
    runtime.acknowledge(by="RN B")
    assert store.alarms(runtime.session_id)[0].acknowledged_by == "RN B"


def test_sensor_off_from_a_serial_style_source_alarms_after_its_delay(store, clock, oximeter):
    runtime = make_runtime(store, clock, oximeter)
    run_for(runtime, oximeter, clock, 3)
    oximeter.send(clock.now(), ConditionChange(TechnicalCondition.SENSOR_OFF, True, "finger out"))
    for _ in range(4):
        clock.advance(1)
        runtime.tick()
    assert runtime.engine.alarm("oximeter_sensor_off") is None
    clock.advance(1.5)
    runtime.tick()
    alarm = runtime.engine.alarm("oximeter_sensor_off")
    assert alarm is not None and alarm.priority is AlarmPriority.MEDIUM
    snap = runtime.snapshot()
    assert snap.values[Kind.SPO2].stale
    device = snap.devices[0]
    assert device.conditions == ("sensor_off",)
    assert device.alarm_conditions == ("oximeter_sensor_off",)


def test_a_lost_link_raises_oximeter_disconnected_and_recovery_ends_it(store, clock, oximeter):
    runtime = make_runtime(store, clock, oximeter)
    run_for(runtime, oximeter, clock, 2)
    oximeter.send(clock.now(), LinkStateChange(LinkState.STREAMING, LinkState.RECONNECTING, "EIO"))
    clock.advance(1)
    runtime.tick()
    assert runtime.engine.alarm("oximeter_disconnected") is not None
    oximeter.send(clock.now(), LinkStateChange(LinkState.RECONNECTING, LinkState.OPENING))
    oximeter.send(clock.now(), LinkStateChange(LinkState.OPENING, LinkState.STREAMING))
    run_for(runtime, oximeter, clock, 2)
    assert runtime.engine.alarm("oximeter_disconnected") is None
    record = store.alarms(runtime.session_id)[0]
    assert record.condition == "oximeter_disconnected" and record.end is not None


def test_a_blocked_database_alarms_keeps_the_samples_and_the_alarm_ends_on_recovery(
    tmp_path, clock, oximeter
):
    path = tmp_path / "blocked.db"
    with SessionStore.open(path, clock, busy_timeout_s=0.05) as store:
        runtime = make_runtime(store, clock, oximeter)
        run_for(runtime, oximeter, clock, 2)
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another program holds the write lock
        run_for(runtime, oximeter, clock, 1)
        wait_until(lambda: store.last_flush_error is not None)  # the writer met the lock
        assert runtime.engine.alarm("storage_failure") is None  # not yet 2 s
        run_for(runtime, oximeter, clock, 3)
        alarm = runtime.engine.alarm("storage_failure")
        assert alarm is not None and alarm.priority is AlarmPriority.MEDIUM
        other.execute("ROLLBACK")
        other.close()
        wait_until(lambda: store.write_problem is None)
        run_for(runtime, oximeter, clock, 2)
        assert runtime.engine.alarm("storage_failure") is None
        runtime.close()
        assert len(store.measurements(runtime.session_id, kinds=[Kind.SPO2])) == 8
        assert [r.condition for r in store.alarms(runtime.session_id)] == ["storage_failure"]


def test_discharge_refused_early_then_signing_locks_the_session(store, clock, tmp_path):
    phys = Physiology(clock, PhysiologyTargets(hr=70, spo2=98, sys=124, dia=78), seed=4)
    ox = SimulatedOximeter(clock, phys, seed=5)
    bp = SimulatedNibp(clock, phys, seed=6)
    runtime = make_runtime(store, clock, ox, bp)
    events = []
    runtime.add_event_listener(events.append)

    def run(seconds):
        for _ in range(int(seconds)):
            clock.advance(1)
            runtime.tick()

    runtime.start_baseline()
    runtime.measure_bp()
    run(60)
    runtime.dose(by="RN A", confirm_unanswered=True)
    run(60 * 60)
    decision = runtime.attempt_discharge(by="RN A")
    assert not decision.allowed
    assert any("120 min" in reason for reason in decision.blocking)
    assert runtime.engine.alarm("discharge_blocked") is not None
    with pytest.raises(IntentRefusedError, match="cannot sign off yet"):
        runtime.sign(by="RN A")
    run(50 * 60)
    for scale, total in (("moaas", 5), ("aldrete", 10), ("cadss6", 0)):
        runtime.record_checklist(scale, total=total, by="RN A")
    runtime.measure_bp()
    run(11 * 60)
    decision = runtime.attempt_discharge(by="RN A")
    assert decision.allowed, decision.blocking
    assert runtime.phase is SessionPhase.DISCHARGE_READY
    # A pseudonymous esketamine session: the REMS form still needs the patient's details.
    with pytest.raises(RemsFieldsMissingError, match="patient name, date of birth, sex"):
        runtime.sign(by="RN A")
    runtime.update_patient_details(
        "RN A",
        name="Ann Example",
        date_of_birth="1970-02-03",
        sex="female",
        lot_number="L-1",
        monitoring_provider="Dr. B",
    )
    # ... and the clinician's REMS entries: the record answers every yes/no but respiratory
    # depression (an oximeter only: breathing was not monitored, the form says so).
    with pytest.raises(RemsFormIncompleteError, match="minutes until ready to leave"):
        runtime.sign(by="RN A")
    assert runtime.rems_form().open_questions == ["respiratory_depression"]
    assert "breathing not monitored" in runtime.rems_form().respiratory_depression.details
    runtime.sign(by="RN A", rems={**REMS_ENTRIES, "answers": NO_DEPRESSION})
    stored = store.get_session(runtime.session_id)
    assert stored.phase is SessionPhase.CLOSED and stored.signed_by == "RN A"
    with pytest.raises(SessionLockedError, match="locked"):
        runtime.annotate("too late", by="RN A")
    with pytest.raises(SessionLockedError):
        runtime.measure_bp()
    attempts = [
        e for e in store.events(runtime.session_id) if e.kind is EventKind.DISCHARGE_ATTEMPT
    ]
    # The early sign-off counts as a (refused) discharge attempt too.
    assert [a.payload["allowed"] for a in attempts] == [False, False, True]
    assert events[-1].kind is EventKind.PHASE_CHANGE and events[-1].payload["to"] == "closed"
    # Every alarm of a signed session has an end.
    assert all(r.end is not None for r in store.alarms(runtime.session_id))
    # The NIBP measurements are in the record.
    assert len(store.measurements(runtime.session_id, kinds=[Kind.NIBP_SYS])) >= 3


def test_measure_bp_without_a_module_is_refused(store, clock):
    runtime = make_runtime(store, clock)
    with pytest.raises(IntentRefusedError, match="no NIBP"):
        runtime.measure_bp()


def test_snapshot_shows_pleth_values_phase_and_checks(store, clock, oximeter):
    runtime = make_runtime(store, clock, oximeter)
    runtime.dose(by="RN A", confirm_unanswered=True)
    run_for(runtime, oximeter, clock, 20)
    snap = runtime.snapshot()
    assert snap.phase is SessionPhase.DOSING and snap.since_dose_s == 20
    assert snap.value(Kind.HR) == 72 and not snap.values[Kind.HR].stale
    assert len(snap.pleth.samples) == 1024 and snap.pleth.sample_rate_hz == 75.0
    assert {c.id for c in snap.checks} >= {"bp_40"}
    assert snap.audio.sounding is None
    assert snap.markers[-1].kind == "dose_given"
    clock.advance(30)
    assert runtime.snapshot().values[Kind.HR].stale


def test_resuming_a_session_restores_dose_and_checklists(store, clock, oximeter):
    runtime = make_runtime(store, clock, oximeter)
    runtime.record_bp(130, 80)
    runtime.dose(by="RN A", confirm_unanswered=True)
    runtime.record_checklist("moaas", total=3)
    runtime.close()
    again = SessionRuntime(store, clock, runtime.session, oximeter=oximeter)
    state = again.protocol_state
    assert state.dose_at == runtime.session.dose_at
    assert [c[1:] for c in state.checklists] == [("moaas", 3)]
    assert state.bp_readings[0][1:] == (130, 80)
    assert again.engine.baseline_bp == (130, 80)
