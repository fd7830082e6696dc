"""The alarm profile: defaults, validation messages, session overrides, the TOML settings file."""

from __future__ import annotations

import tomllib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sessionmon.alarms import (
    AlarmProfile,
    Comparison,
    LatchMode,
    default_profile,
    load_profile,
    profile_toml,
    save_profile,
)
from sessionmon.alarms.toml_writer import dumps
from sessionmon.errors import UserError
from sessionmon.model import AlarmCategory, AlarmPriority, Kind

HIGH, MEDIUM, LOW = AlarmPriority.HIGH, AlarmPriority.MEDIUM, AlarmPriority.LOW


def _stage(profile: AlarmProfile, rule: str, priority: str) -> tuple[str, float, float] | None:
    stage = getattr(profile.limits[rule], priority)
    return None if stage is None else (stage.op.value, stage.threshold, stage.delay_s)


def test_default_profile_is_the_ketamine_session_profile():
    profile = default_profile()
    assert profile.name == "ketamine session"
    assert profile.audio_pause_s == 120
    expected = {
        "spo2_low": (Kind.SPO2, ("<", 90, 10), ("<=", 85, 5)),
        "hr_high": (Kind.HR, (">", 120, 10), (">=", 140, 5)),
        "hr_low": (Kind.HR, ("<", 50, 10), ("<=", 40, 5)),
        "nibp_sys_high": (Kind.NIBP_SYS, (">=", 160, 0), (">=", 180, 0)),
        "nibp_dia_high": (Kind.NIBP_DIA, (">=", 100, 0), (">=", 110, 0)),
        "nibp_sys_low": (Kind.NIBP_SYS, ("<", 90, 0), ("<", 80, 0)),
        "nibp_dia_low": (Kind.NIBP_DIA, ("<", 50, 0), ("<", 30, 0)),
        "nibp_map_low": (Kind.NIBP_MAP, ("<", 60, 0), None),
        "nibp_map_high": (Kind.NIBP_MAP, (">", 110, 0), None),
    }
    breathing = {"resp_rate_low", "resp_rate_high", "apnea", "etco2_high", "etco2_low"}
    assert set(profile.limits) == set(expected) | breathing  # breathing: test_breathing_alarms
    for rule_id, (measure, medium, high) in expected.items():
        rule = profile.limits[rule_id]
        assert rule.measure is measure
        assert _stage(profile, rule_id, "medium") == medium
        assert _stage(profile, rule_id, "high") == high
        assert rule.latching is LatchMode.HIGH
    rise = profile.nibp_rise
    assert (rise.systolic_rise, rise.diastolic_rise, rise.priority) == (40, 25, MEDIUM)
    conditions = {cid: (r.category, r.priority, r.delay_s) for cid, r in profile.conditions.items()}
    tech, proto = AlarmCategory.TECHNICAL, AlarmCategory.PROTOCOL
    assert conditions["oximeter_sensor_off"] == (tech, MEDIUM, 5)
    assert conditions["oximeter_disconnected"] == (tech, MEDIUM, 0)
    assert profile.conditions["oximeter_disconnected"].escalate_after_s == 60
    assert profile.conditions["oximeter_disconnected"].escalate_to is HIGH
    assert conditions["audio_unavailable"] == (tech, MEDIUM, 0)
    assert not profile.conditions["audio_unavailable"].pausable
    assert conditions["storage_failure"] == (tech, MEDIUM, 0)
    for cid in ("oximeter_sensor_off", "oximeter_no_data"):
        rule = profile.conditions[cid]
        assert (rule.escalate_after_s, rule.escalate_to, rule.escalate_while.value) == (
            120,
            HIGH,
            "dose_active",
        )
    desat = profile.areas["spo2_desat"]
    assert (desat.limit_rule, desat.area_threshold, desat.priority) == ("spo2_low", 100, HIGH)
    assert all(rule.source for rule in profile.limits.values()), "every limit names its source"
    assert conditions["predose_bp_elevated"][:2] == (proto, LOW)
    assert conditions["bp_check_due"][:2] == (proto, LOW)
    assert conditions["bp_check_overdue"][:2] == (proto, MEDIUM)
    assert conditions["discharge_blocked"][:2] == (proto, MEDIUM)
    for cid in ("oximeter_no_data", "nibp_disconnected", "nibp_failed"):
        assert conditions[cid][0] is tech
    assert all(r.latching is LatchMode.NEVER for r in profile.conditions.values())


# ---------------------------------------------------------------------------- validation


def test_low_limit_above_high_limit_is_refused_naming_both_rules():
    with pytest.raises(UserError) as err:
        default_profile().with_overrides(hr_low={"medium": {"threshold": 130}})
    message = str(err.value)
    assert "limits.hr_low.medium.threshold (< 130)" in message
    assert "limits.hr_high.medium.threshold (> 120)" in message
    assert "must be below" in message


def test_low_limit_equal_to_high_limit_is_refused():
    with pytest.raises(UserError, match=r"hr_low.*< 120.*hr_high.*> 120"):
        default_profile().with_overrides(hr_low={"medium": {"threshold": 120}, "high": None})


def test_low_limit_check_uses_the_high_stage_when_there_is_no_medium_stage():
    with pytest.raises(UserError, match=r"nibp_sys_low.high.threshold.*nibp_sys_high"):
        default_profile().with_overrides(nibp_sys_low={"medium": None, "high": {"threshold": 170}})


def test_disabled_rule_is_not_compared():
    profile = default_profile().with_overrides(
        hr_low={"enabled": False, "medium": {"threshold": 130}, "high": {"threshold": 125}}
    )
    assert profile.limits["hr_low"].medium.threshold == 130


@pytest.mark.parametrize(
    "rule, high, medium_text",
    [
        ("spo2_low", 92, "< 90"),  # high must be lower than medium for a low limit
        ("hr_high", 110, "> 120"),
        ("nibp_sys_low", 95, "< 90"),
    ],
)
def test_high_threshold_less_severe_than_medium_is_refused(rule, high, medium_text):
    with pytest.raises(UserError) as err:
        default_profile().with_overrides({rule: {"high": {"threshold": high}}})
    message = str(err.value)
    assert f"limits.{rule}" in message
    assert "high limit" in message and f"less severe than medium limit {medium_text}" in message


def test_equal_stages_are_allowed_when_high_is_no_less_severe():
    profile = default_profile().with_overrides(nibp_dia_high={"high": {"threshold": 100}})
    assert profile.limits["nibp_dia_high"].high.threshold == 100
    with pytest.raises(UserError, match="less severe"):
        default_profile().with_overrides(
            spo2_low={"medium": {"op": "<"}, "high": {"op": "<=", "threshold": 90}}
        )


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"spo2_low": {"medium": {"delay_s": -1}}}, "limits.spo2_low.medium.delay_s"),
        ({"oximeter_sensor_off": {"delay_s": -5}}, "conditions.oximeter_sensor_off.delay_s"),
        ({"nibp_rise": {"delay_s": -0.5}}, "nibp_rise.delay_s"),
    ],
)
def test_negative_delays_are_refused(changes, field):
    with pytest.raises(UserError) as err:
        default_profile().with_overrides(changes)
    assert f"{field}: a delay cannot be negative" in str(err.value)


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"spo2_low": {"medium": {"op": ">"}}}, "does not fit a low limit"),
        ({"spo2_low": {"high": {"threshold": 120}}}, "outside the possible spo2 range"),
        ({"hr_high": {"message": "HR {val}"}}, "{val}, which is not known here"),
        ({"hr_high": {"message": "HR {value:.1f}"}}, "take no format"),
        ({"hr_high": {"message": "HR {value"}}, "not a valid template"),
        ({"bp_check_due": {"escalate_after_s": 60, "escalate_to": "low"}}, "must be above"),
        ({"bp_check_due": {"escalate_after_s": 0}}, "more than 0"),
        ({"bp_check_due": {"category": "physiological"}}, "limit rules"),
        ({"nibp_rise": {"systolic_rise": None, "diastolic_rise": None}}, "systolic_rise"),
        ({"hr_low": {"medium": None, "high": None}}, "needs a medium or a high stage"),
        ({"hr_low": {"medium": {"threshold": float("inf")}}}, "finite"),
        ({"hr_low": {"colour": "red"}}, "hr_low.colour: is not a known setting"),
        ({"audio_pause_s": 0}, "audio_pause_s"),
        ({"nibp_failed": {"priority": "urgent"}}, "conditions.nibp_failed.priority"),
    ],
)
def test_invalid_settings_are_refused_with_the_field_named(changes, expected):
    with pytest.raises(UserError) as err:
        default_profile().with_overrides(changes)
    assert expected in str(err.value)
    assert str(err.value).startswith("session alarm settings: ")


def test_override_of_an_unknown_rule_is_refused():
    with pytest.raises(UserError, match="no alarm rule or setting 'spo2_high'"):
        default_profile().with_overrides(spo2_high={"enabled": False})
    with pytest.raises(UserError, match="takes a table"):
        default_profile().with_overrides(hr_high=150)


def test_overrides_make_a_new_validated_profile_and_leave_the_old_one():
    base = default_profile()
    adjusted = base.with_overrides(
        hr_high={"high": {"threshold": 150}},
        oximeter_sensor_off={"delay_s": 10},
        name="ketamine session (adjusted)",
    )
    assert adjusted.limits["hr_high"].high.threshold == 150
    assert adjusted.limits["hr_high"].medium.threshold == 120
    assert adjusted.conditions["oximeter_sensor_off"].delay_s == 10
    assert adjusted.name == "ketamine session (adjusted)"
    assert base == default_profile()


def test_rule_lookup():
    profile = default_profile()
    assert profile.rule("nibp_rise") is profile.nibp_rise
    assert profile.rule("bp_check_due").priority is LOW
    with pytest.raises(KeyError, match="no rule 'x'"):
        profile.rule("x")
    assert Comparison.LE.holds(85, 85) and not Comparison.LT.holds(85, 85)


def test_duplicate_and_badly_named_ids_are_refused():
    data = default_profile().to_dict()
    data["conditions"]["hr_high"] = data["conditions"]["nibp_failed"]
    with pytest.raises(ValueError, match=r"also used by limits\.hr_high"):
        AlarmProfile.model_validate(data)
    data = default_profile().to_dict()
    data["conditions"]["Bad Id"] = data["conditions"]["nibp_failed"]
    with pytest.raises(ValueError, match="lower-case"):
        AlarmProfile.model_validate(data)


# ---------------------------------------------------------------------------- settings file


def test_toml_round_trip(tmp_path):
    profile = default_profile().with_overrides(
        hr_high={"high": {"threshold": 150}, "latching": "always"},
        spo2_low={"message": 'SpO2 "low": {value} %\\ {limit}'},
        nibp_rise={"diastolic_rise": None},
    )
    path = tmp_path / "alarms.toml"
    save_profile(profile, path)
    assert load_profile(path) == profile
    text = path.read_text()
    assert "[limits.spo2_low.medium]" in text
    assert text.startswith("# sessionmon alarm settings")
    assert 'diastolic_rise = "off"' in text


def test_default_profile_file_reads_back_without_defaults(tmp_path):
    text = profile_toml(default_profile())
    assert AlarmProfile.model_validate(tomllib.loads(text)) == default_profile()


def test_short_settings_file_changes_only_what_it_names(tmp_path):
    path = tmp_path / "clinic.toml"
    path.write_text(
        'name = "Clinic A"\n[limits.hr_high.high]\nthreshold = 150\n'
        '[conditions.nibp_failed]\npriority = "low"\n'
    )
    profile = load_profile(path)
    assert profile.name == "Clinic A"
    assert profile.limits["hr_high"].high.threshold == 150
    assert profile.limits["hr_high"].high.op is Comparison.GE
    assert profile.conditions["nibp_failed"].priority is LOW
    assert profile.limits["spo2_low"] == default_profile().limits["spo2_low"]


def test_clinic_may_add_a_limit_rule(tmp_path):
    path = tmp_path / "clinic.toml"
    path.write_text(
        '[limits.map_low]\nmeasure = "nibp_map"\ndirection = "low"\n'
        'message = "MAP low {value}"\nhigh = { op = "<", threshold = 60 }\n'
    )
    rule = load_profile(path).limits["map_low"]
    assert rule.measure is Kind.NIBP_MAP and rule.medium is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("[limits.hr_low.medium]\nthreshold = 130\n", "limits.hr_low.medium.threshold (< 130)"),
        ('[limits.hr_high.high]\nthreshold = "high"\n', "limits.hr_high.high.threshold: "),
        ("[limits.spo2_low.medium]\ndelay_s = -3\n", "limits.spo2_low.medium.delay_s: "),
        ('[conditions.nibp_failed]\nprioity = "low"\n', "conditions.nibp_failed.prioity: is not"),
        ('[limits.new_rule]\nmeasure = "hr"\n', "limits.new_rule.direction: is required"),
        ("[limits.spo2_low\nthreshold = 1\n", "not valid TOML"),
        ("audio_pause_s = 9999\n", "audio_pause_s: "),
    ],
)
def test_settings_file_errors_name_the_file_and_field(tmp_path, text, expected):
    path = tmp_path / "clinic.toml"
    path.write_text(text)
    with pytest.raises(UserError) as err:
        load_profile(path)
    message = str(err.value)
    assert message.startswith(f"{path}: ")
    assert expected in message
    assert "\n" not in message


def test_toml_syntax_error_gives_the_line(tmp_path):
    path = tmp_path / "clinic.toml"
    path.write_text('name = "x"\n\n[limits.spo2_low\n')
    with pytest.raises(UserError, match=r"line 3"):
        load_profile(path)


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(UserError, match="alarm settings file not found"):
        load_profile(tmp_path / "nope.toml")
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(b'name = "Cl\xe9nic"\n')
    with pytest.raises(UserError, match="not UTF-8"):
        load_profile(bad)
    with pytest.raises(UserError, match="cannot write"):
        save_profile(default_profile(), tmp_path / "no-dir" / "alarms.toml")


# ---------------------------------------------------------------------------- property tests


@settings(max_examples=60, deadline=None)
@given(
    low=st.floats(min_value=0, max_value=350, allow_nan=False),
    high=st.floats(min_value=0, max_value=350, allow_nan=False),
    delay=st.floats(min_value=-50, max_value=50, allow_nan=False),
)
def test_any_hr_settings_either_load_and_round_trip_or_are_refused(
    tmp_path_factory, low, high, delay
):
    path = tmp_path_factory.mktemp("p") / "clinic.toml"
    path.write_text(
        f"[limits.hr_low.medium]\nthreshold = {low!r}\ndelay_s = {delay!r}\n"
        f"[limits.hr_high.medium]\nthreshold = {high!r}\n"
    )
    try:
        profile = load_profile(path)
    except UserError as err:
        assert str(err).startswith(f"{path}: ")
        assert low >= high or delay < 0 or low <= 40 or high >= 140
        return
    assert profile.limits["hr_low"].medium.threshold < profile.limits["hr_high"].medium.threshold
    save_profile(profile, path)
    assert load_profile(path) == profile


_scalar = st.one_of(
    st.text(max_size=30),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
)
_key = st.text(min_size=1, max_size=12)


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        _key,
        st.one_of(
            _scalar, st.lists(_scalar, max_size=4), st.dictionaries(_key, _scalar, max_size=4)
        ),
        max_size=6,
    )
)
def test_toml_writer_output_reads_back_identically(data):
    assert tomllib.loads(dumps(data, header="a\nb")) == data


def test_off_removes_an_optional_setting(tmp_path):
    path = tmp_path / "clinic.toml"
    path.write_text(
        '[limits.spo2_low]\nmedium = "off"\n[conditions.oximeter_disconnected]\n'
        'escalate_after_s = "off"\n'
    )
    profile = load_profile(path)
    assert profile.limits["spo2_low"].medium is None
    assert profile.limits["spo2_low"].high.threshold == 85
    assert profile.conditions["oximeter_disconnected"].escalate_after_s is None
    save_profile(profile, path)
    assert load_profile(path) == profile
