"""When the console's view changes (runtime.view_changes): the counted changes and the next time
alone changes it. The console rebuilds its view only then, so every time-driven step of what it
shows must be at or after ``now`` and never later than the first moment it shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from sessionmon.alarms.alarm_state import AudioState
from sessionmon.model import Kind
from sessionmon.protocol.schedule import CheckState, CheckStatus
from sessionmon.runtime.snapshot import VitalValue
from sessionmon.runtime.snapshot_builder import _OXIMETER_KINDS, _RESPIRATION_KINDS
from sessionmon.runtime.view_changes import (
    AGING_KINDS,
    STALE_AFTER_S,
    next_change_at,
    next_whole_second,
    reading_changes_view,
)
from sessionmon.ui.adapter import format_duration
from sessionmon.ui.viewmodel import AudioView

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
offsets = st.floats(-3600, 3600, allow_nan=False).map(lambda s: timedelta(seconds=s))


def _audio(ends_at: datetime, now: datetime) -> AudioState:
    left = max(0.0, (ends_at - now).total_seconds())
    return AudioState(None, left > 0, left, ends_at if left > 0 else None, ())


def test_every_kind_shown_stale_by_age_is_an_aging_kind():
    assert _OXIMETER_KINDS | _RESPIRATION_KINDS == AGING_KINDS


@given(offsets, offsets)
def test_a_text_counting_seconds_steps_exactly_at_the_next_whole_second(origin, now):
    origin, now = T0 + origin, T0 + now
    due = next_whole_second(origin, now)
    assert now < due <= now + timedelta(seconds=1)
    text = format_duration((now - origin).total_seconds())
    before = due - timedelta(microseconds=1)
    if now < origin:
        return  # counts nothing before its origin; an early build is harmless
    assert format_duration((before - origin).total_seconds()) == text
    assert format_duration((due - origin).total_seconds()) != text


@given(st.floats(0.001, 200), st.floats(0, 200))
def test_the_pause_countdown_never_steps_before_the_time_named(pause_s, elapsed_s):
    ends_at = T0 + timedelta(seconds=pause_s)
    now = T0 + timedelta(seconds=elapsed_s)
    audio = _audio(ends_at, now)
    due = next_change_at(now, (), None, None, (), audio)
    shown = AudioView("paused" if audio.paused else "on", audio.pause_remaining_s).text
    probe = due - timedelta(microseconds=1)  # the last moment before the time named
    assert probe >= now
    later = _audio(ends_at, probe)
    assert AudioView("paused" if later.paused else "on", later.pause_remaining_s).text == shown


def test_a_fresh_value_is_due_stale_a_tick_after_its_limit_and_a_stale_one_is_not():
    now = T0
    fresh = VitalValue(Kind.HR, 72, "/min", now - timedelta(seconds=3.3), 3.3, False, None, "ox")
    due = next_change_at(now.replace(microsecond=500_000), (fresh,), None, None, (), None)
    stale_at = fresh.at + timedelta(seconds=STALE_AFTER_S, microseconds=1)
    assert due == min(stale_at, T0 + timedelta(seconds=1))
    old = VitalValue(Kind.HR, 72, "/min", now - timedelta(seconds=30), 30, True, None, "ox")
    nibp = VitalValue(Kind.NIBP_SYS, 120, "mm[Hg]", now, 0.0, False, None, "nibp")
    assert next_change_at(now, (old, nibp), None, None, (), None) == T0 + timedelta(seconds=1)


def test_a_check_is_due_at_its_window_start_end_and_due_time():
    now = T0 + timedelta(seconds=0.1)
    check = CheckStatus(
        "bp_40",
        "BP at 40 min",
        T0 + timedelta(seconds=0.6),
        T0 + timedelta(seconds=0.3),
        T0 + timedelta(seconds=0.9),
        CheckState.UPCOMING,
    )
    times = [next_change_at(now, (), None, None, (check,), None)]
    for _ in range(3):
        times.append(next_change_at(times[-1], (), None, None, (check,), None))
    assert times == [check.window_start, check.due_at, check.window_end, T0 + timedelta(seconds=1)]


def test_only_a_repeat_of_a_fresh_aging_value_from_the_same_device_changes_nothing():
    before = (72.0, T0, "ox")
    soon = T0 + timedelta(seconds=1)
    assert not reading_changes_view(before, Kind.HR, 72.0, soon, "ox")
    assert reading_changes_view(before, Kind.HR, 73.0, soon, "ox")
    assert reading_changes_view(before, Kind.HR, 72.0, soon, "monitor")
    assert reading_changes_view(None, Kind.HR, 72.0, soon, "ox")
    late = T0 + timedelta(seconds=STALE_AFTER_S + 0.5)  # the old one was shown stale
    assert reading_changes_view(before, Kind.HR, 72.0, late, "ox")
    # an NIBP result shows when it was taken: the same numbers again are a new result
    assert reading_changes_view((120.0, T0, "nibp"), Kind.NIBP_SYS, 120.0, soon, "nibp")
