"""The runtime's own view of which conditions it has told the alarm engine are active."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sessionmon.alarms import AlarmEngine
from sessionmon.model import Kind

#: Oximeter conditions under which its numerics are no longer current.
OXIMETER_DATA_LOST = frozenset(
    {
        "oximeter_sensor_off",
        "oximeter_disconnected",
        "oximeter_no_data",
        "oximeter_no_valid_data",
    }
)


class ConditionGate:
    """Passes technical and protocol conditions to the alarm engine, only when they change.

    Parameters
    ----------
    engine : AlarmEngine
        The engine that raises the alarms.
    """

    def __init__(self, engine: AlarmEngine) -> None:
        self._engine = engine
        self._active: dict[str, bool] = {}
        self._activated_at: dict[str, datetime] = {}

    def is_active(self, condition: str) -> bool:
        """Whether ``condition`` was last set active."""
        return self._active.get(condition, False)

    def activated_at(self, condition: str) -> datetime | None:
        """When ``condition`` last became active (None if never)."""
        return self._activated_at.get(condition)

    def set(
        self, condition: str, active: bool, at: datetime, detail: str = "", priority: Any = None
    ) -> None:
        """Switch ``condition`` on or off at ``at`` (nothing happens if it already is);
        ``priority``: the device's own priority for a condition it reports."""
        if self._active.get(condition, False) == active:
            return
        self._active[condition] = active
        if active:
            self._activated_at[condition] = at
        if priority is None:
            self._engine.set_condition(condition, active, at, detail=detail)
        else:
            self._engine.set_condition(condition, active, at, detail=detail, priority=priority)
        if active and condition in OXIMETER_DATA_LOST:
            # SpO2 and pulse limits stop holding: the technical alarm explains the gap.
            for kind in (Kind.SPO2, Kind.HR):
                self._engine.invalidate(kind, at, detail=condition)
