"""When what the console shows changes: a change count, and the next change time alone brings.

The console draws 25 frames a second, but at 1x most of them show nothing new but the pleth.
The runtime therefore says when its view moved: :class:`ViewChanges` counts everything the
console shows that changed (a reading with a new value, an alarm raised or changed, a device's
state, an event, an intent), and :func:`next_change_at` says when time alone next changes it
(a value going stale, a check falling due, the "ago", elapsed and countdown texts that step once a
second). Both travel in the :class:`~sessionmon.runtime.snapshot.RuntimeSnapshot`; the console
rebuilds its view when the count moved or that time came, and otherwise only draws the newest
waveform samples.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sessionmon.model import Kind

#: Numerics the console shows as stale once they are this old (seconds; the oximeter's and the
#: capnograph's).
STALE_AFTER_S = 10.0

#: The kinds that go stale with age alone (the oximeter's and the capnograph's numerics).
AGING_KINDS = frozenset({Kind.HR, Kind.SPO2, Kind.PI, Kind.RESP_RATE, Kind.ETCO2, Kind.FICO2})

#: A value older than ``STALE_AFTER_S`` is stale; it is so from this much later (the clock's
#: resolution), which is when the console must show it.
_TICK = timedelta(microseconds=1)
_SECOND = timedelta(seconds=1)


class ViewChanges:
    """A count of the changes the console shows (it only ever grows)."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0

    def bump(self, *_: Any) -> None:
        """Something the console shows changed (takes and ignores a listener's arguments)."""
        self.count += 1


def reading_changes_view(
    previous: tuple[float, datetime, str] | None,
    kind: Kind,
    value: float,
    at: datetime,
    source: str,
) -> bool:
    """Whether a reading changes what the console shows, given the kind's previous one.

    A reading of an aging kind (:data:`AGING_KINDS`) with the value, source and freshness of the
    previous one changes nothing shown (the previous one was not stale yet, and the age of these
    kinds is not shown); every other reading does (an NIBP result shows when it was taken).
    """
    if previous is None or kind not in AGING_KINDS:
        return True
    before, before_at, before_source = previous
    return (
        before != value
        or before_source != source
        or (at - before_at).total_seconds() > STALE_AFTER_S
    )


def next_whole_second(origin: datetime, now: datetime) -> datetime:
    """The first ``origin + k s`` (whole ``k``) after ``now``: when a text counting whole
    seconds from ``origin`` next steps."""
    steps = math.floor((now - origin) / _SECOND) + 1
    return origin + steps * _SECOND


def _pause_steps(ends_at: datetime, now: datetime) -> Iterable[datetime]:
    """When the countdown of an audio pause ending at ``ends_at`` next steps (it shows the whole
    seconds left, rounded), and when the pause ends.

    Python rounds half to even, so with exactly ``k + 0.5`` s left the text already shows ``k``
    for an even ``k`` and still shows ``k + 1`` for an odd one: both that moment and the next
    microsecond are named (an early build is harmless, a late one shows the wrong second)."""
    left = (ends_at - now).total_seconds()
    nearest = math.floor(left - 0.5)
    for k in (nearest - 1, nearest, nearest + 1):
        if k >= 0:
            half = ends_at - timedelta(seconds=k + 0.5)
            yield half
            yield half + _TICK
    yield ends_at


def next_change_at(
    now: datetime,
    values: Iterable[Any],
    nibp_last_at: datetime | None,
    dose_at: datetime | None,
    checks: Iterable[Any],
    audio: Any,
) -> datetime:
    """The first moment after ``now`` at which time alone changes what the console shows.

    Parameters
    ----------
    now : datetime
        The snapshot's time.
    values : iterable of VitalValue
        The latest values: each aging value that is not stale yet goes stale
        :data:`STALE_AFTER_S` after it arrived.
    nibp_last_at : datetime or None
        The last NIBP result's time (its "ago" text steps each second).
    dose_at : datetime or None
        The first dose (the elapsed time since it steps each second).
    checks : iterable of CheckStatus
        The protocol's checks: each changes status at its window's start or end or its due time.
    audio : AudioState or None
        The audio pause's countdown steps each second; the pause ends at ``pause_ends_at``.

    Returns
    -------
    datetime
        Never later than the next whole second of ``now`` (the header's clock).
    """
    times = [next_whole_second(now.replace(microsecond=0), now)]
    for origin in (nibp_last_at, dose_at):
        if origin is not None:
            times.append(next_whole_second(origin, now))
    stale_after = timedelta(seconds=STALE_AFTER_S)
    for value in values:
        if value.kind in AGING_KINDS and not value.stale:
            times.append(value.at + stale_after + _TICK)
    for check in checks:
        for at in (check.due_at, check.window_start, check.window_end):
            if at is not None:
                times.append(at)
    ends_at = getattr(audio, "pause_ends_at", None)
    if ends_at is not None:
        times.extend(_pause_steps(ends_at, now))
    return min(t for t in times if t > now)
