"""How long the store's writer thread sleeps: rows due by real time wake it on time.

With the console's background flush on, the writer no longer looks ten times a second: it
sleeps until the buffered rows are due (the oldest ``interval_s`` real seconds old), a retry, or
the next identity check of the database file, whichever comes first; ``append`` wakes it when
rows are due sooner than that. Without it (headless runs on a manual clock) it still looks every
0.1 s, since the clock may be advanced from outside.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from sessionmon.store import SessionStore
from sessionmon.store.writer import _IDENTITY_EVERY_S, _POLL_S
from store_fixtures import make_chunk, make_measurement, make_session, wait_until


@pytest.fixture
def store(tmp_path, clock):
    with SessionStore.open(tmp_path / "sessions.db", clock) as opened:
        yield opened


def _sleep_s(store: SessionStore) -> float:
    writer = store._writer
    with writer._cond:
        return writer._sleep_s()


def test_without_the_background_flush_the_writer_looks_every_poll(store) -> None:
    assert _sleep_s(store) == _POLL_S


def test_an_idle_writer_sleeps_until_its_identity_check(store) -> None:
    store.start_autoflush(0.5)
    assert _sleep_s(store) <= _IDENTITY_EVERY_S
    writer = store._writer
    with writer._cond:
        writer._identity_checked = time.monotonic()  # just checked: the next one is 0.25 s on
        assert writer._sleep_s() > _POLL_S


def test_rows_due_sooner_shorten_the_sleep_and_are_committed(store, clock) -> None:
    session = make_session(clock)
    store.create_session(session)
    store.start_autoflush(0.5)
    # a chunk whose first sample is 0.4 s old is due in 0.1 s, before the identity check
    store.append_waveform(make_chunk(session.id, clock.now() - timedelta(seconds=0.4)))
    writer = store._writer
    with writer._cond:
        if writer.pending_count:  # not yet committed (the writer may already have taken it)
            writer._identity_checked = time.monotonic()
            assert writer._sleep_s() <= 0.1
    store.append_measurement(make_measurement(session.id, clock.now()))
    store.append_waveform(make_chunk(session.id, clock.now() - timedelta(seconds=0.5)))
    wait_until(lambda: store.pending_count == 0)  # due at once: committed
