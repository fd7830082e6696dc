"""The runtime's fast measurement constructor gives the same record pydantic would."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sessionmon.model import Kind, Measurement
from sessionmon.runtime.ingest import trusted_measurement


def test_trusted_measurement_equals_model_construct():
    sid = uuid.uuid4()
    at = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    args = (sid, Kind.SPO2, 97.0, "%", at, None, "oximeter:sim", ("flag",))
    fast = trusted_measurement(*args)
    slow = Measurement.model_construct(
        session_id=sid,
        kind=Kind.SPO2,
        value=97.0,
        unit="%",
        received_at=at,
        device_time=None,
        source="oximeter:sim",
        flags=("flag",),
    )
    assert fast == slow
    assert fast.model_dump() == slow.model_dump()
    assert fast.model_fields_set == slow.model_fields_set
    assert fast.model_copy(update={"value": 96.0}).value == 96.0
