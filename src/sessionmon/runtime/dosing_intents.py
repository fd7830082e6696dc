"""The nurse's dosing intents: each nasal device or the infusion as given, waste, safety checks.

:class:`DosingIntents` is the part of :class:`~sessionmon.runtime.SessionRuntime` that records
doses. Each esketamine device is its own ``dose_given`` event of 28 mg with its number; an IV
ketamine infusion is one event with the weight, mg/kg, mg and rate, ended by
:meth:`~DosingIntents.stop_infusion` (or at its planned end). Before the first dose the
pre-session safety checklist is checked: a contraindication answered "yes" refuses the dose until
a prescriber overrides it with a reason; unanswered items need the nurse's confirmation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sessionmon.errors import UserError
from sessionmon.model import Event, EventKind, Route, SessionPhase
from sessionmon.protocol.dosing import check_nasal_device, plan_infusion, planned_devices
from sessionmon.protocol.safety import evaluate_safety, item_label
from sessionmon.runtime.errors import ConfirmationNeededError, IntentRefusedError

if TYPE_CHECKING:  # pragma: no cover - typing only
    from sessionmon.runtime.wiring import RuntimeWiring

    _Base = RuntimeWiring
else:
    _Base = object

P = SessionPhase


@dataclass(frozen=True)
class DosingStatus:
    """What the dose and safety dialogs show: devices so far, a running infusion, the checklist."""

    is_nasal: bool
    drug: str
    devices_given: int
    devices_planned: int
    device_mg: float
    last_dose_at: datetime | None
    infusion_running: bool
    infusion_started_at: datetime | None
    infusion_ends_at: datetime | None
    iv_low_mg_per_kg: float
    iv_high_mg_per_kg: float
    infusion_min: float
    dosing_open: bool
    safety_done: bool
    answers: dict[str, str | None]
    unanswered: tuple[str, ...]
    contraindications: tuple[str, ...]
    cautions: tuple[str, ...]
    override: dict[str, Any] | None


def _labels(keys: Any) -> str:
    return "; ".join(item_label(k) for k in keys)


class DosingIntents(_Base):
    """Dose, stop infusion, waste, safety checklist and its override."""

    # ------------------------------------------------------------------ helpers

    def _config(self) -> Any:
        from sessionmon.protocol import ProtocolConfig

        config = getattr(self._protocol, "config", None)
        if config is None:
            config = ProtocolConfig.for_treatment(self._session.treatment.protocol)
        return config

    @property
    def is_nasal(self) -> bool:
        """Whether the session's dose is given as nasal devices (esketamine)."""
        return self._session.treatment.route is Route.INTRANASAL

    def _check_safety(self, confirm_unanswered: bool) -> dict[str, Any]:
        """Check the safety checklist before the first dose; return what goes in the payload."""
        state = self._state
        verdict = state.safety
        if verdict is None:
            verdict = evaluate_safety({}, self._session.treatment.drug.value).as_payload()
        contra = list(verdict.get("contraindications") or [])
        override = state.safety_override
        if contra and override is None:
            raise IntentRefusedError(
                f"contraindication answered yes ({_labels(contra)}): a prescriber must "
                "override it with a reason before the dose"
            )
        unanswered = tuple(verdict.get("unanswered") or ())
        if unanswered and not confirm_unanswered:
            if state.safety is None:
                message = "the pre-session safety checklist has not been done"
            else:
                more = len(unanswered) - 2
                message = f"safety checklist not answered: {_labels(unanswered[:2])}" + (
                    f" and {more} more" if more > 0 else ""
                )
            raise ConfirmationNeededError(message + "; confirm to give the dose", unanswered)
        found: dict[str, Any] = {"safety_checked": state.safety is not None}
        if unanswered:
            found["safety_unanswered_confirmed"] = list(unanswered)
        if contra:
            found["safety_override"] = override
        return found

    def dosing_status(self) -> DosingStatus:
        """The doses so far and the safety checklist, for the console's dialogs."""
        state, treatment, config = self._state, self._session.treatment, self._config()
        safety = state.safety
        if safety is None:
            safety = evaluate_safety({}, treatment.drug.value).as_payload()
        times = state.dose_times
        running = not self.is_nasal and bool(times) and self._session.phase is P.DOSING
        return DosingStatus(
            is_nasal=self.is_nasal,
            drug=treatment.drug.value,
            devices_given=len(times) if self.is_nasal else 0,
            devices_planned=planned_devices(treatment.dose_mg, treatment.devices_count, config),
            device_mg=config.nasal_device_mg,
            last_dose_at=max(times) if times else None,
            infusion_running=running,
            infusion_started_at=times[0] if running else None,
            infusion_ends_at=state.infusion_ends_at if running else None,
            iv_low_mg_per_kg=config.iv_dose_low_mg_per_kg,
            iv_high_mg_per_kg=config.iv_dose_high_mg_per_kg,
            infusion_min=config.infusion_min or 40.0,
            dosing_open=self._session.phase in (P.PLANNED, P.BASELINE, P.DOSING) and not running,
            safety_done=state.safety is not None,
            answers=dict(safety.get("answers") or {}),
            unanswered=tuple(safety.get("unanswered") or ()),
            contraindications=tuple(safety.get("contraindications") or ()),
            cautions=tuple(safety.get("cautions") or ()),
            override=state.safety_override,
        )

    # ------------------------------------------------------------------ dose

    def dose(
        self,
        by: str | None = None,
        text: str | None = None,
        dose_mg: float | None = None,
        lot_number: str | None = None,
        *,
        weight_kg: float | None = None,
        mg_per_kg: float | None = None,
        rate_mg_per_h: float | None = None,
        confirm_unanswered: bool = False,
    ) -> Event:
        """Record a dose given now. The first dose starts dosing (and the protocol's clock).

        Esketamine: one call per nasal device (28 mg each, ``dose_mg`` must be left out or be
        28); a device is accepted up to ``nasal_device_accept_max_min`` after the previous one
        and a gap outside the expected window is recorded as a warning. IV ketamine: one call
        starts the infusion with ``weight_kg`` and ``mg_per_kg`` and/or ``dose_mg`` (the rate
        defaults to the dose over the protocol's infusion time).

        Raises
        ------
        ConfirmationNeededError
            First dose with safety checklist items unanswered and ``confirm_unanswered`` False.
        IntentRefusedError
            A contraindication without an override, dosing is over, or the dose is not possible.
        """
        now = self._require_open()
        phase = self._session.phase
        treatment = self._session.treatment
        config = self._config()
        state = self._state
        if phase not in (P.PLANNED, P.BASELINE, P.DOSING):
            raise IntentRefusedError(f"dosing is over (the session is in {phase.value})")
        payload: dict[str, Any] = {"drug": treatment.drug.value, "route": treatment.route.value}
        try:
            if self.is_nasal:
                if dose_mg is not None and abs(dose_mg - config.nasal_device_mg) > 1e-6:
                    raise IntentRefusedError(
                        f"one nasal device is {config.nasal_device_mg:g} mg; record each device"
                    )
                planned = planned_devices(treatment.dose_mg, treatment.devices_count, config)
                check = check_nasal_device(state.dose_times, now, planned, config)
                payload.update(
                    dose_mg=config.nasal_device_mg,
                    device=check.number,
                    devices_planned=check.planned,
                    total_mg=check.number * config.nasal_device_mg,
                )
                if check.gap_s is not None:
                    payload["gap_s"] = round(check.gap_s, 1)
                warning = check.warning
            else:
                if state.dose_times:
                    raise IntentRefusedError(
                        f"the infusion was started at {state.dose_times[0]:%H:%M:%S} UTC; "
                        "record a change as a note"
                    )
                plan = plan_infusion(config, weight_kg, mg_per_kg, dose_mg, rate_mg_per_h)
                payload.update(
                    dose_mg=plan.dose_mg,
                    weight_kg=plan.weight_kg,
                    mg_per_kg=plan.mg_per_kg,
                    rate_mg_per_h=plan.rate_mg_per_h,
                    planned_min=plan.duration_min,
                    total_mg=plan.dose_mg,
                )
                warning = plan.warning
        except UserError as exc:
            if isinstance(exc, IntentRefusedError):
                raise
            raise IntentRefusedError(str(exc)) from None
        if warning:
            payload["warning"] = warning
        if lot_number or treatment.lot_number:
            payload["lot_number"] = lot_number or treatment.lot_number
        first = not state.dose_times and phase is not P.DOSING
        if first:
            payload.update(self._check_safety(confirm_unanswered))
            if phase is P.PLANNED:
                self._move(P.BASELINE, now, "pre-dose checks started", by=by)
            baseline = state.baseline(now)
            payload["first"] = True
            payload["baseline_bp"] = list(baseline) if baseline else None
        else:
            payload["first"] = False
        if text is None:
            text = self._dose_text(payload)
        if first:  # the move to dosing and the dose are one transaction: both, or neither
            event = self._events.make(EventKind.DOSE_GIVEN, now, by=by, text=text, payload=payload)
            self._move(P.DOSING, now, "first dose given", by=by, dose_at=now, also=(event,))
            state.dose_at = now
            state.first_dose_at = now
            if baseline is not None:
                state.baseline_bp = (float(baseline[0]), float(baseline[1]))
                self._engine.set_baseline_bp(*baseline)
        else:
            event = self._event(EventKind.DOSE_GIVEN, now, by=by, text=text, payload=payload)
        state.dose_times.append(now)
        if not self.is_nasal:
            state.infusion_ends_at = now + timedelta(minutes=float(payload["planned_min"]))
        elif payload["device"] >= payload["devices_planned"]:
            self._move(P.OBSERVATION, now, f"dosing complete: {payload['total_mg']:g} mg given")
        self._after_intent(now)
        return event

    @staticmethod
    def _dose_text(payload: dict[str, Any]) -> str:
        if "device" in payload:
            of = f"{payload['device']}/{payload['devices_planned']}"
            return f"device {of} {payload['dose_mg']:g} mg"
        return (
            f"infusion {payload['dose_mg']:g} mg ({payload['mg_per_kg']:g} mg/kg) "
            f"at {payload['rate_mg_per_h']:g} mg/h"
        )

    def stop_infusion(self, by: str | None = None, text: str | None = None) -> Event:
        """Record that the IV infusion stopped now (dosing -> observation).

        Raises
        ------
        IntentRefusedError
            No infusion is running.
        """
        now = self._require_open()
        if self.is_nasal or self._session.phase is not P.DOSING or not self._state.dose_times:
            raise IntentRefusedError("no infusion is running")
        return self._end_infusion(now, by=by, text=text, planned=False)

    def _end_infusion(
        self, now: datetime, by: str | None = None, text: str | None = None, planned: bool = False
    ) -> Event:
        started = self._state.dose_times[0]
        event = self._event(
            EventKind.NURSE_ACTION,
            now,
            by=by,
            text=text or ("infusion ended (planned end)" if planned else "infusion stopped"),
            payload={
                "action": "stop_infusion",
                "started_at": started.isoformat(),
                "minutes": round((now - started).total_seconds() / 60.0, 2),
                "planned_end": planned,
            },
        )
        self._state.infusion_ends_at = None
        self._move(P.OBSERVATION, now, "dosing complete", by=by)
        self._after_intent(now)
        return event

    def _dosing_complete_reason(self, now: datetime) -> str | None:
        """Why dosing is complete at ``now`` by itself (the runtime then moves to observation)."""
        times = self._state.dose_times
        if not times:
            return None
        if self.is_nasal:
            last = max(times)
            accept = self._config().nasal_device_accept_max_min * 60.0
            if (now - last).total_seconds() > accept:
                return f"dosing complete: no further device within {accept / 60:g} min"
            return None
        ends = self._state.infusion_ends_at
        if ends is not None and now >= ends:
            self._end_infusion(now, planned=True)
        return None

    # ------------------------------------------------------------------ drug log

    def record_waste(
        self,
        amount_mg: float,
        witness: str,
        by: str | None = None,
        lot_number: str | None = None,
        text: str | None = None,
    ) -> Event:
        """Record drug wasted (controlled-substance log) with the witness's name.

        Raises
        ------
        IntentRefusedError
            No witness, the witness is the person wasting, or an impossible amount.
        """
        now = self._require_open()
        witness = (witness or "").strip()
        if not witness:
            raise IntentRefusedError("wasting a controlled substance needs a witness")
        if by and witness.casefold() == by.strip().casefold():
            raise IntentRefusedError("the witness must be someone other than the person wasting")
        if not 0 < amount_mg <= 1000:
            raise IntentRefusedError(f"a waste of {amount_mg:g} mg is not possible (0-1000 mg)")
        treatment = self._session.treatment
        event = self._event(
            EventKind.NURSE_ACTION,
            now,
            by=by,
            text=text or f"{amount_mg:g} mg {treatment.drug.value} wasted, witness {witness}",
            payload={
                "action": "waste",
                "drug": treatment.drug.value,
                "amount_mg": float(amount_mg),
                "witness": witness,
                "lot_number": lot_number or treatment.lot_number,
            },
        )
        self._after_intent(now)
        return event

    # ------------------------------------------------------------------ safety checklist

    def record_safety_checklist(self, answers: dict[str, Any], by: str | None = None) -> Event:
        """Record the pre-session safety checklist (item key -> yes / no / None).

        Raises
        ------
        IntentRefusedError
            Dosing has started, an unknown item or an answer other than yes/no.
        """
        now = self._require_open()
        if self._state.dose_times:
            raise IntentRefusedError("the safety checklist is done before the first dose")
        try:
            verdict = evaluate_safety(answers, self._session.treatment.drug.value)
        except UserError as exc:
            raise IntentRefusedError(str(exc)) from None
        payload = {"scale": "safety", **verdict.as_payload()}
        parts = []
        if verdict.contraindications:
            parts.append(f"{len(verdict.contraindications)} contraindication(s)")
        if verdict.unanswered:
            parts.append(f"{len(verdict.unanswered)} unanswered")
        if verdict.cautions:
            parts.append(f"{len(verdict.cautions)} caution(s)")
        text = "safety checklist: " + (", ".join(parts) if parts else "all clear")
        payload["interpretation"] = text.removeprefix("safety checklist: ")
        event = self._event(EventKind.CHECKLIST, now, by=by, text=text, payload=payload)
        self._state.safety = payload
        self._state.safety_override = None  # a new checklist needs a new override
        self._after_intent(now)
        return event

    def override_contraindication(self, prescriber: str, reason: str) -> Event:
        """A prescriber allows the dose despite a contraindication answered "yes".

        Raises
        ------
        IntentRefusedError
            No name or reason, or no contraindication to override.
        """
        now = self._require_open()
        prescriber, reason = (prescriber or "").strip(), (reason or "").strip()
        if not prescriber or not reason:
            raise IntentRefusedError("an override needs the prescriber's name and a reason")
        contra = list((self._state.safety or {}).get("contraindications") or [])
        if not contra:
            raise IntentRefusedError("no contraindication was answered yes; nothing to override")
        payload = {
            "action": "contraindication_override",
            "contraindications": contra,
            "prescriber": prescriber,
            "reason": reason,
        }
        event = self._event(
            EventKind.NURSE_ACTION,
            now,
            by=prescriber,
            text=f"contraindication overridden by {prescriber}: {reason}",
            payload=payload,
        )
        self._state.safety_override = {"prescriber": prescriber, "reason": reason, "at": str(now)}
        self._after_intent(now)
        return event
