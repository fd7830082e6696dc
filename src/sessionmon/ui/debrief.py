"""Training debrief figures: how fast the trainee acknowledged alarms, which checks were on time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from statistics import median
from typing import Any


@dataclass(frozen=True)
class AlarmResponse:
    """One alarm and the trainee's response to it."""

    condition: str
    priority: str
    started_s: float
    response_s: float | None  # start -> acknowledge; None if never acknowledged


@dataclass(frozen=True)
class CheckOutcome:
    """One scheduled check and whether it was done in its window."""

    label: str
    status: str

    @property
    def on_time(self) -> bool:
        """Done within its window."""
        return self.status == "done"


@dataclass(frozen=True)
class Debrief:
    """Response times and checks of a training session."""

    responses: tuple[AlarmResponse, ...]
    checks: tuple[CheckOutcome, ...]

    @property
    def median_response_s(self) -> float | None:
        """Median acknowledge time over acknowledged alarms."""
        times = [r.response_s for r in self.responses if r.response_s is not None]
        return median(times) if times else None

    @property
    def unacknowledged(self) -> int:
        """Alarms never acknowledged."""
        return sum(1 for r in self.responses if r.response_s is None)


def build_debrief(alarms: list[Any], checks: tuple[Any, ...], start: datetime) -> Debrief:
    """Compute the debrief from the store's alarm records and the protocol's check statuses.

    Parameters
    ----------
    alarms : list of AlarmRecord
        Every alarm of the session (latest version of each).
    checks : tuple of CheckStatus
        The protocol's checks now.
    start : datetime
        The session start, for times relative to it.
    """
    responses = []
    for alarm in sorted(alarms, key=lambda a: a.start):
        ack = alarm.acknowledged_at
        responses.append(
            AlarmResponse(
                condition=alarm.condition,
                priority=str(getattr(alarm.priority, "value", alarm.priority)),
                started_s=(alarm.start - start).total_seconds(),
                response_s=(ack - alarm.start).total_seconds() if ack else None,
            )
        )
    outcomes = tuple(
        CheckOutcome(
            label=str(getattr(c, "label", "")),
            status=str(getattr(getattr(c, "status", ""), "value", getattr(c, "status", ""))),
        )
        for c in checks
    )
    return Debrief(tuple(responses), outcomes)
