"""Per-interval summaries of 1 Hz numerics, for exports that should not carry every second.

FHIR and HL7 exports carry one value per minute per kind for the continuous numerics (HR, SpO2,
respiratory rate): the median of the values received in that minute, stamped at the minute's
start, with the minute's lowest and highest value alongside. Every NIBP reading is exported as is.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
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
) -> list[Summary]:
    """Summarise time-ordered measurements of one kind per ``interval_s`` from ``origin``.

    Parameters
    ----------
    measurements : iterable of Measurement
        One kind, in time order (a list, or a stream read once).
    origin : datetime
        Where interval 0 starts (the dose, so intervals are whole minutes after it).
    interval_s : float
        Interval length in seconds.
    """
    # Only the values and the first source of each interval are kept, never the measurements,
    # so a stream of measurements (``SessionRecord.stream``) is summarised in bounded memory.
    bins: dict[int, tuple[list[float], str]] = {}
    for m in measurements:
        index = int((m.received_at - origin).total_seconds() // interval_s)
        found = bins.get(index)
        if found is None:
            bins[index] = ([m.value], m.source)
        else:
            found[0].append(m.value)
    result = []
    step = timedelta(seconds=interval_s)
    for index in sorted(bins):
        values, source = bins[index]
        start = origin + index * step
        result.append(
            Summary(
                start=start,
                end=start + step,
                median=float(statistics.median(values)),
                low=min(values),
                high=max(values),
                count=len(values),
                source=source,
            )
        )
    return result
