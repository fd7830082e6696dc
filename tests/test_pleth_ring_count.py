"""The live waveform ring counts the samples it received, so the console's sweep can tell which
samples of a snapshot are new (issue 12: only the new strip of the pleth is painted)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from sessionmon.runtime.pleth import PlethRing

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@given(st.lists(st.integers(0, 40), max_size=30), st.integers(1, 64))
def test_the_count_is_every_sample_appended_and_the_newest_end_the_ring(blocks, capacity):
    ring = PlethRing(capacity)
    stream = np.arange(sum(blocks), dtype=np.float32)
    sent = 0
    for size in blocks:
        ring.extend(stream[sent : sent + size], 75.0, AT)
        sent += size
        assert ring.received == sent
        kept = ring.samples()
        assert np.array_equal(kept, stream[max(0, sent - capacity) : sent])


def test_a_new_rate_empties_the_ring_but_the_count_goes_on():
    ring = PlethRing(100)
    ring.extend(np.zeros(30), 75.0, AT)
    ring.extend(np.ones(10), 50.0, AT)
    assert ring.received == 40 and len(ring.samples()) == 10
