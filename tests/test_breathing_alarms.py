"""The breathing alarms of the default profile, one rule at a time, on a manual clock:
resp_rate_low, resp_rate_high, apnea (latched), etco2_high, etco2_low (not during an apnoea),
and the profile's validation of ``unless``."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from tests.test_alarm_engine import Rig

from sessionmon.alarms import AlarmProfile, default_profile
from sessionmon.model import AlarmPriority, Kind

HIGH, MEDIUM = AlarmPriority.HIGH, AlarmPriority.MEDIUM


def _active(rig: Rig, condition: str):
    return rig.engine.alarm(condition)


def test_resp_rate_low_is_medium_after_15_s_and_high_at_5():
    rig = Rig()
    rig.hold(Kind.RESP_RATE, 7, 0, 14)
    assert _active(rig, "resp_rate_low") is None
    rig.hold(Kind.RESP_RATE, 7, 15, 16)
    assert _active(rig, "resp_rate_low").priority is MEDIUM
    rig.hold(Kind.RESP_RATE, 5, 17, 31)
    assert _active(rig, "resp_rate_low").priority is MEDIUM  # high waits its own 15 s
    rig.hold(Kind.RESP_RATE, 5, 32, 33)
    assert _active(rig, "resp_rate_low").priority is HIGH


def test_resp_rate_low_does_not_fire_on_a_short_dip():
    rig = Rig()
    rig.hold(Kind.RESP_RATE, 7, 0, 10)
    rig.hold(Kind.RESP_RATE, 12, 11, 40)
    assert all(r.condition != "resp_rate_low" for r in rig.records)


def test_resp_rate_high_is_medium_after_30_s():
    rig = Rig()
    rig.hold(Kind.RESP_RATE, 31, 0, 29)
    assert _active(rig, "resp_rate_high") is None
    rig.hold(Kind.RESP_RATE, 31, 30, 31)
    assert _active(rig, "resp_rate_high").priority is MEDIUM
    rig.hold(Kind.RESP_RATE, 30, 32, 33)  # "> 30": 30 itself is within limits
    assert _active(rig, "resp_rate_high") is None


def test_apnea_is_high_after_20_s_and_latches_until_acknowledged():
    rig = Rig()
    rig.hold(Kind.RESP_RATE, 14, 0, 5)
    rig.hold(Kind.RESP_RATE, 0, 6, 25)
    assert _active(rig, "apnea") is None
    rig.hold(Kind.RESP_RATE, 0, 26, 27)
    alarm = _active(rig, "apnea")
    assert alarm is not None and alarm.priority is HIGH
    rig.hold(Kind.RESP_RATE, 14, 28, 40)  # breathing again: the alarm stays until acknowledged
    assert _active(rig, "apnea") is not None
    rig.engine.acknowledge("nurse", condition="apnea")
    rig.to(41)
    assert _active(rig, "apnea") is None


def test_etco2_high_is_medium_at_once():
    rig = Rig()
    rig.hold(Kind.ETCO2, 50, 0, 3)
    assert _active(rig, "etco2_high") is None
    rig.hold(Kind.ETCO2, 51, 4, 4)
    assert _active(rig, "etco2_high").priority is MEDIUM


def test_etco2_low_is_medium_after_30_s():
    rig = Rig()
    for second in range(0, 32):
        rig.to(second)
        rig.observe(Kind.RESP_RATE, 14)
        rig.observe(Kind.ETCO2, 12)
        if second == 29:
            assert _active(rig, "etco2_low") is None
    assert _active(rig, "etco2_low").priority is MEDIUM


def test_etco2_low_is_not_raised_during_an_apnoea():
    rig = Rig()
    for second in range(0, 60):
        rig.to(second)
        rig.observe(Kind.RESP_RATE, 0)
        rig.observe(Kind.ETCO2, 0)
    assert _active(rig, "apnea") is not None
    assert all(r.condition != "etco2_low" for r in rig.records)


def test_breathing_values_go_stale_like_the_oximeter():
    rig = Rig()
    rig.hold(Kind.RESP_RATE, 6, 0, 10)
    rig.to(40)  # no RR for 30 s: the capno_no_data alarm explains it, not resp_rate_low
    assert _active(rig, "resp_rate_low") is None


def test_default_profile_has_the_breathing_alarms_with_their_limits():
    profile = default_profile()
    assert profile.limits["apnea"].limits()["latching"] == "always"
    assert profile.conditions["capno_line_blocked"].category.value == "technical"
    assert profile.limits["etco2_low"].unless == ("apnea",)


def test_unless_must_name_another_limit_rule():
    data = default_profile().to_dict()
    data["limits"]["etco2_low"]["unless"] = ["no_such_rule"]
    with pytest.raises(ValidationError, match="unless"):
        AlarmProfile.model_validate(data)


def test_breathing_limits_are_editable_through_the_profile():
    data = default_profile().to_dict()
    data["limits"]["resp_rate_low"]["medium"]["threshold"] = 10
    profile = AlarmProfile.model_validate(data)
    assert profile.limits["resp_rate_low"].medium.threshold == 10
    data["limits"]["resp_rate_low"]["medium"]["threshold"] = 200
    with pytest.raises(ValidationError, match="outside the possible resp_rate range"):
        AlarmProfile.model_validate(data)
