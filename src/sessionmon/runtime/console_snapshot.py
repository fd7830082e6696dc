"""What the console shows of a running session, read in one call.

:class:`ConsoleSnapshot` is the part of :class:`~sessionmon.runtime.SessionRuntime` that builds
the :class:`~sessionmon.runtime.snapshot.RuntimeSnapshot` (vitals, pleth and capnogram, NIBP,
devices, alarms, checks, discharge, markers) from the runtime's parts; the pieces are computed
in :mod:`~sessionmon.runtime.snapshot_builder`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sessionmon.runtime.snapshot import PlethView, RuntimeSnapshot
from sessionmon.runtime.snapshot_builder import (
    device_statuses,
    nibp_status,
    sorted_alarms,
    vital_values,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    from sessionmon.runtime.wiring import RuntimeWiring

    _Base = RuntimeWiring
else:
    _Base = object


class ConsoleSnapshot(_Base):
    """The console's view of a running session."""

    def snapshot(self) -> RuntimeSnapshot:
        """Return everything the console shows now (read only; cheap enough for 10-30 Hz)."""
        now = self._clock.now()
        alarms = sorted_alarms(self._engine)
        dose_at = self._session.dose_at
        ring = self._waveform.ring
        return RuntimeSnapshot(
            now=now,
            session=self._session,
            phase=self._session.phase,
            locked=self.locked,
            dose_at=dose_at,
            since_dose_s=(now - dose_at).total_seconds() if dose_at else None,
            values=vital_values(now, self._ingest, alarms, self._oximeter),
            pleth=PlethView(ring.samples(), ring.sample_rate_hz, ring.last_at, ring.received),
            nibp=nibp_status(
                now,
                self._nibp,
                self._ingest,
                self._driver.nibp_interval_s,
                self._driver.last_request_at,
                self._driver.protocol_reason,
            ),
            devices=device_statuses(self._ingest),
            alarms=tuple(alarms),
            audio=self._engine.audio_state(now),
            audio_available=self._audio_available,
            checks=tuple(self._protocol.checks(self.protocol_state, now)),
            discharge=self._last_decision,
            discharge_attempted_at=self._discharge_attempted_at,
            markers=tuple(self._events.markers),
            alarm_limits=self._limits,
            co2=self._co2_view(),
        )

    def _co2_view(self) -> PlethView | None:
        """The capnogram for the console, when a respiration source is in the session."""
        if self._respiration is None:
            return None
        ring = self._co2_waveform.ring
        return PlethView(ring.samples(), ring.sample_rate_hz, ring.last_at, ring.received)

    @property
    def has_respiration(self) -> bool:
        """Whether a respiration (capnography) source is in the session."""
        return self._respiration is not None
