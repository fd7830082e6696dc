"""The session protocol of one treatment: a small facade over the pure schedule functions."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sessionmon.model import TreatmentId
from sessionmon.protocol import discharge, schedule
from sessionmon.protocol.config import ProtocolConfig
from sessionmon.protocol.discharge import DischargeDecision
from sessionmon.protocol.patient_now import PatientNow
from sessionmon.protocol.schedule import CheckState, CheckStatus
from sessionmon.protocol.state import ProtocolState


@dataclass(frozen=True)
class SessionProtocol:
    """Schedule, protocol conditions, NIBP requests and discharge criteria of one treatment.

    Every method is pure: it reads ``state`` and ``now`` and changes nothing.

    Parameters
    ----------
    config : ProtocolConfig
        The (editable) protocol settings.
    """

    config: ProtocolConfig

    @classmethod
    def for_treatment(
        cls, treatment: TreatmentId | str, overrides: dict[str, Any] | None = None
    ) -> SessionProtocol:
        """The protocol of ``treatment`` with its default settings, plus ``overrides``.

        Raises
        ------
        UserError
            Unknown treatment or a bad setting.
        """
        return cls(ProtocolConfig.for_treatment(treatment, overrides))

    @property
    def treatment(self) -> TreatmentId:
        """The treatment this protocol is for."""
        return self.config.treatment

    def checks(self, state: ProtocolState, now: datetime) -> list[CheckStatus]:
        """The timeline of checks with their status (see :func:`schedule.checks`)."""
        return schedule.checks(self.config, state, now)

    def active_conditions(self, state: ProtocolState, now: datetime) -> set[str]:
        """``predose_bp_elevated``, ``bp_check_due``, ``bp_check_overdue`` where active."""
        return schedule.active_conditions(self.config, state, now)

    def nibp_due(
        self, state: ProtocolState, now: datetime, last_request_at: datetime | None
    ) -> bool:
        """Whether to request an NIBP measurement now (see :func:`schedule.nibp_due`)."""
        return schedule.nibp_due(self.config, state, now, last_request_at)

    def evaluate_discharge(self, state: ProtocolState, now: datetime) -> DischargeDecision:
        """Whether discharge is allowed now, with every unmet criterion as a sentence."""
        return discharge.evaluate_discharge(self.config, state, now)

    def minutes_until_ready(
        self,
        state: ProtocolState,
        until: datetime,
        patient_at: Callable[[datetime], PatientNow] | None = None,
        moments: Iterable[datetime] = (),
    ) -> float | None:
        """REMS: minutes after the first dose until ready, had there been no 2-hour minimum
        (see :func:`discharge.minutes_until_ready`)."""
        return discharge.minutes_until_ready(self.config, state, until, patient_at, moments)

    def reminders(self, state: ProtocolState, now: datetime) -> list[str]:
        """One sentence per check that is due or overdue now, for the reminder strip."""
        texts = []
        if schedule.predose_bp_elevated(self.config, state, now):
            last = state.predose_readings(now)[-1]
            texts.append(
                f"pre-dose BP {last.sys:g}/{last.dia:g} mmHg is above "
                f"{self.config.predose_sys_above:g}/{self.config.predose_dia_above:g}: "
                "consider delaying the dose"
            )
        dose = state.dose_at
        for check in self.checks(state, now):
            if check.status is CheckState.DUE:
                texts.append(f"{check.label} is due")
            elif check.status is CheckState.OVERDUE and dose is not None:
                start = (check.window_start - dose).total_seconds() / 60
                end = (check.window_end - dose).total_seconds() / 60
                span = f"{start:g}-{end:g} min after the dose"
                texts.append(f"{check.label} is overdue: nothing recorded {span}")
        return texts
