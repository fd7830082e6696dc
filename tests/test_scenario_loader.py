"""Scenario files: every built-in loads; every mistake names the file, the line and the field."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sessionmon.errors import UserError
from sessionmon.scenarios import builtin_ids, list_builtin, load_scenario
from sessionmon.scenarios.model import Action, Fault, format_hms, parse_hms

GOOD = """\
name = "Test scenario"
treatment = "esketamine-84"
duration = "01:00:00"
seed = 3

[baseline]
hr = 74
spo2 = 98
sys = 126
dia = 80

[nibp]
interval = "00:05:00"

[[step]]
at = "00:05:00"
action = "measure_bp"

[[step]]
at = "00:10:00"
action = "dose"

[[step]]
at = "00:35:00"
change = { sys = 186, dia = 114 }
over = "00:08:00"

[[step]]
at = "00:45:00"
action = "checklist"
scale = "moaas"
score = 4

[[step]]
at = "00:50:00"
fault = "sensor_off"
device = "oximeter"
duration = "00:00:40"
"""


def write(tmp_path: Path, text: str, name: str = "case.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(UserError) as info:
        load_scenario(path)
    return str(info.value)


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the ``occurrence``-th line containing ``needle``."""
    hits = [i + 1 for i, line in enumerate(text.splitlines()) if needle in line]
    return hits[occurrence - 1]


def test_the_example_format_loads_with_times_in_seconds(tmp_path):
    scenario = load_scenario(write(tmp_path, GOOD))
    assert scenario.duration == 3600
    assert scenario.nibp.interval == 300
    assert [s.at for s in scenario.steps] == [300, 600, 2100, 2700, 3000]
    assert scenario.steps[2].change.targets() == {"sys": 186, "dia": 114}
    assert scenario.steps[2].over == 480
    assert scenario.steps[3].action is Action.CHECKLIST and scenario.steps[3].score == 4
    assert scenario.steps[4].fault is Fault.SENSOR_OFF and scenario.steps[4].duration == 40


def test_every_builtin_loads_and_there_are_at_least_six():
    entries = list_builtin()
    assert len(entries) >= 6
    treatments = {e.treatment for e in entries}
    assert {"esketamine-84", "ketamine-iv"} <= treatments
    for entry in entries:
        scenario = load_scenario(entry.id)  # by name
        assert scenario.name == entry.name
        actions = [s.action for s in scenario.steps]
        assert Action.DOSE in actions and Action.DISCHARGE in actions and Action.SIGN in actions


def test_nibp_off_means_on_request_only(tmp_path):
    scenario = load_scenario(
        write(tmp_path, GOOD.replace('"00:05:00"\n\n[[step]]', '"off"\n\n[[step]]', 1))
    )
    assert scenario.nibp.interval is None


def test_toml_syntax_error_names_file_and_line(tmp_path):
    text = GOOD.replace("sys = 126", "sys = ")
    message = error_of(tmp_path, text)
    assert message.startswith("case.toml, line 9")
    assert "not valid TOML" in message


def test_unknown_action_names_file_line_and_field(tmp_path):
    text = GOOD.replace('action = "dose"', 'action = "dosee"')
    message = error_of(tmp_path, text)
    assert f"case.toml, line {line_of(text, 'dosee')}, field step[2].action" in message
    assert "'dosee'" in message


def test_missing_top_level_field_is_named(tmp_path):
    text = GOOD.replace('treatment = "esketamine-84"\n', "")
    message = error_of(tmp_path, text)
    assert message.startswith("case.toml, line 1, field treatment: required field is missing")


def test_missing_checklist_score_points_at_its_step(tmp_path):
    text = GOOD.replace("score = 4\n", "")
    message = error_of(tmp_path, text)
    header = line_of(text, "[[step]]", occurrence=4)
    assert f"case.toml, line {header}, field step[4]" in message
    assert "score" in message


def test_bad_time_string_names_line_and_field(tmp_path):
    text = GOOD.replace('over = "00:08:00"', 'over = "8 min"')
    message = error_of(tmp_path, text)
    assert f"line {line_of(text, '8 min')}, field step[3].over" in message
    assert "HH:MM:SS" in message


def test_value_out_of_range_inside_an_inline_table(tmp_path):
    text = GOOD.replace("sys = 186", "sys = 986")
    message = error_of(tmp_path, text)
    assert f"line {line_of(text, 'sys = 986')}, field step[3].change.sys" in message


def test_unknown_field_is_refused_with_its_line(tmp_path):
    text = GOOD.replace("hr = 74", "hr = 74\nheight_cm = 180")
    message = error_of(tmp_path, text)
    assert f"line {line_of(text, 'height_cm')}, field baseline.height_cm: unknown field" in message


def test_step_with_two_kinds_is_refused(tmp_path):
    text = GOOD.replace('action = "measure_bp"', 'action = "measure_bp"\nfault = "disconnect"')
    message = error_of(tmp_path, text)
    assert "field step[1]" in message and "exactly one of action, change or fault" in message


def test_step_after_the_end_is_refused(tmp_path):
    text = GOOD.replace('at = "00:50:00"', 'at = "01:50:00"')
    message = error_of(tmp_path, text)
    assert f"line {line_of(text, '01:50:00')}, field step[5].at" in message
    assert "after the scenario ends" in message


def test_disconnect_needs_a_device(tmp_path):
    text = GOOD + '\n[[step]]\nat = "00:55:00"\nfault = "disconnect"\n'
    message = error_of(tmp_path, text)
    assert "field step[6]" in message and "device" in message


def test_unknown_scenario_name_lists_the_builtins():
    with pytest.raises(UserError) as info:
        load_scenario("no-such-scenario")
    assert "no-such-scenario" in str(info.value)
    assert builtin_ids()[0] in str(info.value)


@given(st.integers(min_value=0, max_value=99 * 3600 + 59 * 60 + 59))
def test_time_strings_round_trip(seconds):
    assert parse_hms(format_hms(seconds)) == seconds


@given(st.text(max_size=12))
def test_time_parser_accepts_only_hh_mm_ss(text):
    try:
        value = parse_hms(text)
    except ValueError as exc:
        assert "HH:MM:SS" in str(exc)
    else:
        hours, minutes, seconds = text.strip().split(":")
        assert value == int(hours) * 3600 + int(minutes) * 60 + float(seconds)
        assert 0 <= int(minutes) < 60 and 0 <= float(seconds) < 60


def test_a_folder_given_as_scenario_is_named_a_folder(tmp_path):
    with pytest.raises(UserError, match="is a folder"):
        load_scenario(tmp_path)
