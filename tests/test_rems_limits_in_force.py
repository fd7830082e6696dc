"""The REMS form judges vital signs by the limits the session ran with, not the defaults."""

from __future__ import annotations

import dataclasses

import pytest

from export_fixtures import build_session
from sessionmon.alarms import default_profile
from sessionmon.export import load_record
from sessionmon.export.rems_replay import PatientReplay
from sessionmon.model import Event, EventKind


@pytest.fixture
def record(tmp_path):
    built = build_session(tmp_path / "s.db")
    try:
        yield load_record(built.store, built.session_id)
    finally:
        built.store.close()


def _with_profile(record, profile_data):
    others = [e for e in record.events if e.kind is not EventKind.ALARM_LIMITS]
    limits = Event(
        session_id=record.session.id,
        kind=EventKind.ALARM_LIMITS,
        at=record.session.created_at,
        payload={"profile": profile_data},
    )
    return dataclasses.replace(record, events=[limits, *others])


def _spo2_low(replay: PatientReplay) -> float:
    return next(lim.threshold for lim in replay.limits if lim.condition == "spo2_low")


def test_the_clinic_limits_recorded_at_the_start_are_used(record):
    clinic = default_profile().with_overrides(spo2_low={"medium": {"threshold": 93}})
    replay = PatientReplay(_with_profile(record, clinic.to_dict()))
    assert _spo2_low(replay) == 93


def test_a_record_without_recorded_limits_uses_the_default_profile(record):
    bare = dataclasses.replace(
        record, events=[e for e in record.events if e.kind is not EventKind.ALARM_LIMITS]
    )
    default = default_profile().limits["spo2_low"].least_severe()[1].threshold
    assert _spo2_low(PatientReplay(bare)) == default


def test_a_recorded_profile_that_no_longer_validates_falls_back_to_the_default(record):
    default = default_profile().limits["spo2_low"].least_severe()[1].threshold
    broken = _with_profile(record, {"limits": "not a table"})
    assert _spo2_low(PatientReplay(broken)) == default
