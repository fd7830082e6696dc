"""The one-line view of a session that lists show."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sessionmon.model import SessionPhase, TreatmentId


@dataclass(frozen=True)
class SessionSummary:
    """What a session list shows about one session.

    ``phase`` is :attr:`SessionPhase.INTERRUPTED` for a session left open by a writer that is
    gone; ``phase_before`` then says where it was (the phase a resume returns to).
    """

    id: uuid.UUID
    pseudonym: str
    protocol: TreatmentId
    dose_mg: float
    phase: SessionPhase
    phase_before: SessionPhase | None
    created_at: datetime
    dose_at: datetime | None
    ended_at: datetime | None
    signed_by: str | None
    simulated: bool
    scenario: str | None

    def as_json(self) -> dict[str, object]:
        """Return a JSON-ready dict: full id, ISO 8601 UTC times, enum values."""

        def iso(moment: datetime | None) -> str | None:
            return None if moment is None else moment.isoformat()

        return {
            "id": str(self.id),
            "pseudonym": self.pseudonym,
            "protocol": self.protocol.value,
            "dose_mg": self.dose_mg,
            "phase": self.phase.value,
            "phase_before": None if self.phase_before is None else self.phase_before.value,
            "created_at": iso(self.created_at),
            "dose_at": iso(self.dose_at),
            "ended_at": iso(self.ended_at),
            "signed_by": self.signed_by,
            "simulated": self.simulated,
            "scenario": self.scenario,
        }
