"""Issue 10 item 6: the console starts the store's background flush, so samples reach the disk
within half a second of real time whatever the clock does (the crash-loss rule)."""

from __future__ import annotations

import sqlite3

from sessionmon.ui.controller import STORE_AUTOFLUSH_S


def committed(db, table: str) -> int:
    with sqlite3.connect(db) as reader:
        return reader.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_the_console_starts_the_stores_background_flush(qtbot, training_console, store, clock):
    controller = training_console.controller
    controller.start_simulated_session()
    for _ in range(30):
        clock.advance(0.1)
        controller.step()
    # The newest samples are younger than the store's one-second rule on the (stopped) manual
    # clock: only the background flush, by real time, can commit them now.
    waiting = store.pending_count
    assert waiting > 0
    before = committed(store.path, "measurements") + committed(store.path, "waveform_chunks")
    controller.start_timers()  # what the console does at launch
    qtbot.waitUntil(lambda: store.pending_count == 0, timeout=int(STORE_AUTOFLUSH_S * 4000))
    after = committed(store.path, "measurements") + committed(store.path, "waveform_chunks")
    assert after >= before + waiting
    controller.stop_timers()
