"""A headless run faster than the disk slows down instead of dropping samples."""

from __future__ import annotations

import logging

from sessionmon.clock import ManualClock
from sessionmon.scenarios import parse_scenario
from sessionmon.scenarios import runner as scenario_runner
from sessionmon.scenarios.runner import run_scenario
from sessionmon.store import SessionStore
from sessionmon.store import writer as store_writer

ONE_HOUR = """\
name = "One quiet hour"
treatment = "esketamine-84"
duration = "01:00:00"
seed = 7

[devices]
respiration = false

[nibp]
interval = "off"
"""


def test_a_run_faster_than_the_disk_keeps_every_second_of_pleth(tmp_path, monkeypatch, caplog):
    # A small buffer stands in for a long session: an hour of pleth and numerics is far more
    # than it holds, and the store's own clock (never advanced here) never makes rows due.
    monkeypatch.setattr(store_writer, "MAX_BUFFERED_SAMPLES", 2_000)
    monkeypatch.setattr(scenario_runner, "HEADLESS_BACKLOG", 400)
    caplog.set_level(logging.ERROR)
    with SessionStore.open(tmp_path / "s.db", ManualClock()) as store:
        summary = run_scenario(parse_scenario(ONE_HOUR, "hour.toml"), store)
        chunks = store.waveform(summary["session_id"])
        seconds = sum(len(c.samples) / c.sample_rate_hz for c in chunks if c.kind.value == "pleth")
    assert "dropping" not in caplog.text
    assert seconds >= 3590  # every second of the hour (the first one starts the stream)
