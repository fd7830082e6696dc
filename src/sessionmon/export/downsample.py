"""Per-interval summaries of 1 Hz numerics, for exports that should not carry every second.

FHIR and HL7 exports carry one value per minute per kind for the continuous numerics (HR, SpO2,
respiratory rate): the median of the values received in that minute, stamped at the minute's
start, with the minute's lowest and highest value alongside. Every NIBP reading is exported as is.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sessionmon.model import Measurement

#: The continuous kinds summarised per interval.
INTERVAL_S = 60.0


@dataclass(frozen=True)
class Summary:
    """The values of one kind received in one interval."""

    start: datetime
    end: datetime
    median: float
    low: float
    high: float
    count: int
    source: str


def per_interval(
    measurements: Iterable[Measurement], origin: datetime, interval_s: float = INTERVAL_S
) -> Iterator[Summary]:
    """Summarise time-ordered measurements of one kind per ``interval_s`` from ``origin``.

    Parameters
    ----------
    measurements : iterable of Measurement
        One kind, in time order (a list, or a stream read once).
    origin : datetime
        Where interval 0 starts (the dose, so intervals are whole minutes after it).
    interval_s : float
        Interval length in seconds.

    Yields
    ------
    Summary
        One per interval that holds a value, in time order, each as soon as the first value of a
        later interval is read: only one interval's values are kept, however long the session.

    Raises
    ------
    ValueError
        If a measurement is earlier than the interval before it (the input is not in time order,
        which a record read from the store always is).
    """
    step = timedelta(seconds=interval_s)
    index: int | None = None
    values: list[float] = []
    source = ""
    for m in measurements:
        at = int((m.received_at - origin).total_seconds() // interval_s)
        if at == index:
            values.append(m.value)
            continue
        if index is not None:
            if at < index:
                raise ValueError(f"measurements out of time order at {m.received_at.isoformat()}")
            yield _summary(origin + index * step, step, values, source)
        index, values, source = at, [m.value], m.source
    if index is not None:
        yield _summary(origin + index * step, step, values, source)


def _summary(start: datetime, step: timedelta, values: list[float], source: str) -> Summary:
    return Summary(
        start=start,
        end=start + step,
        median=float(statistics.median(values)),
        low=min(values),
        high=max(values),
        count=len(values),
        source=source,
    )
