"""What the console shows of a running session, read in one call.

:class:`ConsoleSnapshot` is the part of :class:`~sessionmon.runtime.SessionRuntime` that builds
the :class:`~sessionmon.runtime.snapshot.RuntimeSnapshot` (vitals, pleth and capnogram, NIBP,
devices, alarms, checks, discharge, markers) from the runtime's parts; the pieces are computed
in :mod:`~sessionmon.runtime.snapshot_builder`. Each snapshot carries the runtime's count of
shown changes and when time alone next changes what it shows
(:mod:`~sessionmon.runtime.view_changes`); :meth:`ConsoleSnapshot.waveforms` reads the live
waveforms alone, for a frame in which nothing else changed.
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
from sessionmon.runtime.view_changes import next_change_at

if TYPE_CHECKING:  # pragma: no cover - typing only
    from sessionmon.runtime.wiring import RuntimeWiring

    _Base = RuntimeWiring
else:
    _Base = object


class ConsoleSnapshot(_Base):
    """The console's view of a running session."""

    def snapshot(self) -> RuntimeSnapshot:
        """Return everything the console shows now (read only; cheap enough for 10-30 Hz)."""
        version = self._view_changes.count
        now = self._clock.now()
        alarms = sorted_alarms(self._engine)
        dose_at = self._session.dose_at
        values = vital_values(now, self._ingest, alarms, self._oximeter)
        nibp = nibp_status(
            now,
            self._nibp,
            self._ingest,
            self._driver.nibp_interval_s,
            self._driver.last_request_at,
            self._driver.protocol_reason,
        )
        audio = self._engine.audio_state(now)
        checks = tuple(self._protocol.checks(self.protocol_state, now))
        pleth, co2 = self.waveforms()
        return RuntimeSnapshot(
            now=now,
            session=self._session,
            phase=self._session.phase,
            locked=self.locked,
            dose_at=dose_at,
            since_dose_s=(now - dose_at).total_seconds() if dose_at else None,
            values=values,
            pleth=pleth,
            nibp=nibp,
            devices=device_statuses(self._ingest),
            alarms=tuple(alarms),
            audio=audio,
            audio_available=self._audio_available,
            checks=checks,
            discharge=self._last_decision,
            discharge_attempted_at=self._discharge_attempted_at,
            markers=tuple(self._events.markers),
            alarm_limits=self._limits,
            co2=co2,
            version=version,
            next_change_at=next_change_at(
                now, values.values(), nibp.last_at, dose_at, checks, audio
            ),
        )

    def waveforms(self) -> tuple[PlethView, PlethView | None]:
        """The live pleth and the capnogram (None without a respiration source), as in
        :meth:`snapshot` (cheap: for the frames in which nothing else changed)."""
        ring = self._waveform.ring
        pleth = PlethView(ring.samples(), ring.sample_rate_hz, ring.last_at, ring.received)
        if self._respiration is None:
            return pleth, None
        ring = self._co2_waveform.ring
        return pleth, PlethView(ring.samples(), ring.sample_rate_hz, ring.last_at, ring.received)

    @property
    def has_respiration(self) -> bool:
        """Whether a respiration (capnography) source is in the session."""
        return self._respiration is not None
