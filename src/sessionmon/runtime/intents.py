"""The nurse's intents on a running session: each one checked, recorded as an event, applied.

An intent's event is committed before the intent is applied: the store waits for the database at
most its ``busy_timeout_s`` (2 s in the console) and then refuses it with a one-line message
(another program holds the database, the disk is full, the file was deleted). A refused intent
changes nothing, so it is never "applied but not recorded"; entered again, it is recorded once.

:class:`NurseIntents` is the part of :class:`~sessionmon.runtime.SessionRuntime` that holds the
public intent methods (dose, measure BP, checklist, acknowledge, discharge, sign...). It relies on
the runtime's wiring (``_store``, ``_engine``, ``_state``, ``_driver``, ``_event``, ``_move``...).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sessionmon.devices.source import LinkState
from sessionmon.model import UNITS, Event, EventKind, Kind, Measurement, SessionPhase
from sessionmon.protocol import DischargeDecision, score_checklist
from sessionmon.runtime.errors import IntentRefusedError
from sessionmon.runtime.limits_in_force import record_limits_in_force
from sessionmon.runtime.patient_details import (
    RemsFieldsMissingError,
    as_json,
    corrected_session,
    describe_changes,
    missing_rems_fields,
)
from sessionmon.runtime.rems_sign_off import (
    RemsFormIncompleteError,
    checked_entries,
    still_needed,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    from collections.abc import Callable

    from sessionmon.runtime.wiring import RuntimeWiring

    _Base = RuntimeWiring
else:
    _Base = object

P = SessionPhase


def plain(value: Any) -> Any:
    """Turn pydantic models / tuples / enums into JSON-friendly values for event payloads."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if hasattr(value, "value") and not isinstance(value, int | float | str):
        return value.value
    return value


def limits_of(profile: Any) -> dict[str, Any]:
    """The profile's rules as plain data (for the snapshot and the alarm log)."""
    to_dict = getattr(profile, "to_dict", None)
    return dict(to_dict()) if callable(to_dict) else {}


class NurseIntents(_Base):
    """The intents a nurse (or a scenario step) can carry out on a session."""

    def start_baseline(self, by: str | None = None) -> Event:
        """Start the pre-dose checks (planned -> baseline)."""
        now = self._require_open()
        return self._move(P.BASELINE, now, "pre-dose checks started", by=by)

    def measure_bp(self, by: str | None = None) -> Event:
        """Ask the NIBP module for a measurement now.

        Raises
        ------
        IntentRefusedError
            No NIBP module, or it is not connected.
        """
        now = self._require_open()
        nibp = self._nibp
        if nibp is None or not hasattr(nibp, "request_measurement"):
            raise IntentRefusedError("no NIBP module is connected; enter the BP by hand")
        if nibp.state is not LinkState.STREAMING:
            raise IntentRefusedError(
                f"the NIBP module is {nibp.state.value}; check the cable or enter the BP by hand"
            )
        already = bool(getattr(nibp, "measuring", False))
        manual = getattr(nibp, "starts_measurements", True) is False
        event = self._event(
            EventKind.NURSE_ACTION,
            now,
            by=by,
            text="BP requested: start it on the monitor" if manual else "BP measurement requested",
            payload={"action": "measure_bp", "already_measuring": already},
        )
        nibp.request_measurement()  # type: ignore[attr-defined]
        self._driver.note_request(now)
        self._driver.prompt_if_manual(now)
        self._after_intent(now)
        return event

    def record_bp(
        self, sys: float, dia: float, by: str | None = None, map_: float | None = None
    ) -> Event:
        """Record a BP taken by hand (manual cuff).

        The event is committed first: if the database refuses it (e.g. locked by another
        program) nothing is recorded and the error is raised, so entering it again records it
        once. Once the event is saved, the readings are buffered like the devices' values (kept
        and retried if the database fails meanwhile, which raises the ``storage_failure`` alarm).
        """
        now = self._require_open()
        if not (0 < dia < sys <= 300):
            raise IntentRefusedError(
                f"BP {sys:g}/{dia:g} is not possible (need 0 < dia < sys <= 300)"
            )
        values = {Kind.NIBP_SYS: sys, Kind.NIBP_DIA: dia}
        if map_ is not None:
            values[Kind.NIBP_MAP] = map_
        event = self._event(
            EventKind.NURSE_ACTION,
            now,
            by=by,
            text=f"BP {sys:g}/{dia:g} entered by hand",
            payload={"action": "record_bp", "sys": sys, "dia": dia, "map": map_},
        )
        batch = [
            Measurement(
                session_id=self._sid,
                kind=kind,
                value=value,
                unit=UNITS[kind],
                received_at=now,
                source="manual",
                flags=("manual",),
            )
            for kind, value in values.items()
        ]
        self._store.append_measurements(batch)
        for kind, value in values.items():
            self._ingest.values[kind] = (value, now, "manual")
        self._engine.observe_bp(sys, dia, now)
        if map_ is not None:
            self._engine.observe(Kind.NIBP_MAP, map_, now)
        self._state.bp_readings.append((now, sys, dia))
        self._after_intent(now)
        return event

    def end_dosing(self, by: str | None = None) -> Event:
        """Mark dosing complete now (dosing -> observation) instead of waiting for the schedule."""
        now = self._require_open()
        return self._move(P.OBSERVATION, now, "dosing complete", by=by)

    def record_checklist(
        self,
        scale: str,
        answers: dict[str, Any] | list[Any] | None = None,
        total: int | None = None,
        by: str | None = None,
    ) -> Event:
        """Score and record a checklist (``moaas``, ``cadss``, ``cadss6``, ``side_effects``,
        ``aldrete``, ``rass``) from item answers or a total."""
        now = self._require_open()
        result = score_checklist(scale, answers, total)
        scale_id = str(getattr(result, "scale_id", scale))
        payload: dict[str, Any] = {
            "scale": scale_id,
            "total": int(result.total),
            "interpretation": result.interpretation,
            "complete": bool(getattr(result, "complete", True)),
        }
        items = getattr(result, "items", None)
        if items:
            payload["items"] = plain(items)
        event = self._event(EventKind.CHECKLIST, now, by=by, payload=payload)
        # Counted only once saved: a checklist the database refused is not done.
        self._state.checklists.append((now, scale_id, int(result.total)))
        self._after_intent(now)
        return event

    def annotate(self, text: str, by: str | None = None) -> Event:
        """Add a free-text note."""
        now = self._require_open()
        text = (text or "").strip()
        if not text:
            raise IntentRefusedError("an annotation needs some text")
        return self._event(EventKind.ANNOTATION, now, by=by, text=text)

    def acknowledge(
        self, by: str | None = None, condition: str | None = None, *, while_locked: bool = False
    ) -> Event:
        """Acknowledge every active alarm, or one ``condition`` (``while_locked``: from the
        console's lock screen, recorded as such)."""
        now = self._require_open()
        text = f"acknowledged {condition}" if condition else "acknowledged alarms"
        event = self._event(  # recorded first: a refused acknowledge leaves the alarms as they are
            EventKind.NURSE_ACTION,
            now,
            by=by,
            text=text + (" (acknowledged while locked)" if while_locked else ""),
            payload={"action": "acknowledge", "condition": condition}
            | ({"while_locked": True} if while_locked else {}),
        )
        self._engine.acknowledge(by, now, condition)
        if condition in (None, "discharge_blocked"):
            self._gate.set("discharge_blocked", False, now)
        self._after_intent(now)
        return event

    def pause_audio(self, by: str | None = None, *, while_locked: bool = False) -> Event:
        """Pause alarm sounds for the profile's pause time (120 s)."""
        now = self._require_open()
        event = self._event(
            EventKind.NURSE_ACTION,
            now,
            by=by,
            text="alarm audio paused" + (" (acknowledged while locked)" if while_locked else ""),
            payload={"action": "pause_audio"} | ({"while_locked": True} if while_locked else {}),
        )
        self._engine.pause_audio(now)
        self._after_intent(now)
        return event

    def set_nibp_interval(self, seconds: float | None, by: str | None = None) -> Event:
        """Set the NIBP auto-cycle interval (None: off)."""
        now = self._require_open()
        if seconds is not None and seconds < 60:
            raise IntentRefusedError(
                f"an NIBP interval of {seconds:g} s is too short (minimum 60 s)"
            )
        event = self._event(
            EventKind.NURSE_ACTION,
            now,
            by=by,
            text=f"NIBP auto-cycle {'off' if seconds is None else f'every {seconds / 60:g} min'}",
            payload={"action": "set_nibp_interval", "interval_s": seconds},
        )
        self._driver.nibp_interval_s = seconds
        return event

    def set_alarm_limits(self, by: str | None = None, /, **changes: Any) -> Event:
        """Adjust alarm rules for this session, e.g.
        ``set_alarm_limits("RN A", spo2_low={"medium": {"threshold": 88}})``.

        Keys are condition ids (or ``audio_pause_s``...) as in
        :meth:`AlarmProfile.with_overrides`, which validates the result (a low limit above a high
        limit is refused with a message naming both).

        Raises
        ------
        UserError
            An unknown rule or an invalid combination; nothing is changed.
        """
        now = self._require_open()
        profile = self._profile.with_overrides(**changes)
        set_profile = getattr(self._engine, "set_profile", None)
        if set_profile is None:
            raise IntentRefusedError(
                "this alarm engine cannot change limits during a session; "
                "change the clinic profile before starting"
            )
        event = self._event(
            EventKind.NURSE_ACTION,
            now,
            by=by,
            text="alarm limits changed: " + ", ".join(sorted(changes)),
            payload={"action": "set_alarm_limits", "changes": plain(changes)},
        )
        record_limits_in_force(self._events, self._store, self._sid, profile, now, "changed", by)
        set_profile(profile, now)
        self._profile = profile
        self._limits = limits_of(profile)
        self._after_intent(now)
        return event

    def set_audio_available(self, available: bool, detail: str = "") -> None:
        """Tell the runtime whether alarm sounds can play (raises ``audio_unavailable``)."""
        self._audio_available = bool(available)
        self._view_changes.bump()
        if not self.locked:
            now = self._clock.now()
            self._gate.set("audio_unavailable", not available, now, detail)
            self._after_intent(now)

    def attempt_discharge(self, by: str | None = None) -> DischargeDecision:
        """Check the discharge criteria now and record the attempt.

        Returns
        -------
        DischargeDecision
            ``allowed`` and every blocking reason. A refusal raises ``discharge_blocked``; an
            allowed discharge moves the session to ``discharge_ready`` (sign to close it).
        """
        self._require_open()
        self.tick()
        now = self._clock.now()
        self._state.discharge_requested_at = now
        decision = self._protocol.evaluate_discharge(self.discharge_state(), now)
        self._last_decision = decision
        self._discharge_attempted_at = now
        blocking = list(decision.blocking)
        self._event(
            EventKind.DISCHARGE_ATTEMPT,
            now,
            by=by,
            text="discharge allowed"
            if decision.allowed
            else "discharge refused: " + "; ".join(blocking),
            payload={
                "allowed": bool(decision.allowed),
                "blocking": blocking,
                "blocking_ids": list(getattr(decision, "blocking_ids", [])),
            },
        )
        if decision.allowed:
            self._gate.set("discharge_blocked", False, now)
            if self._session.phase is P.OBSERVATION:
                self._move(P.DISCHARGE_READY, now, "discharge criteria met", by=by)
        elif self._discharge_override is None:
            self._gate.set("discharge_blocked", True, now, "; ".join(blocking))
            if self._session.phase is P.DISCHARGE_READY:
                self._move(P.OBSERVATION, now, "discharge criteria no longer met", by=by)
        self._after_intent(now)
        return decision

    def override_discharge(self, by: str, reason: str) -> Event:
        """A clinician discharges a patient the criteria refuse, with a written reason.

        The override is recorded as a ``discharge_attempt`` event (``allowed``, with
        ``override`` naming who and why and ``blocking`` the reasons overridden); the session
        moves to ``discharge_ready`` and stays there until it is signed. The minimum observation
        time (the REMS 2-hour minimum) cannot be overridden.

        Raises
        ------
        IntentRefusedError
            No name or no reason, nothing to override (discharge is allowed), no dose yet, or
            the minimum observation time has not passed.
        """
        self._require_open()
        by, reason = (by or "").strip(), (reason or "").strip()
        if not by:
            raise IntentRefusedError("an override needs the clinician's name")
        if not reason:
            raise IntentRefusedError("an override needs a written reason")
        self.tick()
        now = self._clock.now()
        if self._session.phase not in (P.OBSERVATION, P.DISCHARGE_READY):
            raise IntentRefusedError(
                f"nothing to override: the session is in {self._session.phase.value}"
            )
        decision = self._protocol.evaluate_discharge(self.discharge_state(), now)
        if decision.allowed:
            raise IntentRefusedError("discharge is allowed: no override is needed")
        if "min_observation" in decision.blocking_ids:
            minimum = next(c for c in decision.criteria if c.id == "min_observation")
            raise IntentRefusedError(
                f"the minimum observation time cannot be overridden: {minimum.message}"
            )
        blocking = list(decision.blocking)
        self._discharge_override = {"by": by, "reason": reason, "at": now.isoformat()}
        self._last_decision = decision
        self._discharge_attempted_at = now
        event = self._event(
            EventKind.DISCHARGE_ATTEMPT,
            now,
            by=by,
            text=f"discharge overridden by {by}: {reason} (criteria not met: "
            + "; ".join(blocking)
            + ")",
            payload={
                "allowed": True,
                "override": {"by": by, "reason": reason},
                "blocking": blocking,
                "blocking_ids": list(decision.blocking_ids),
            },
        )
        self._gate.set("discharge_blocked", False, now)
        if self._session.phase is P.OBSERVATION:
            self._move(P.DISCHARGE_READY, now, f"discharge overridden by {by}", by=by)
        self._after_intent(now)
        return event

    @property
    def discharge_override(self) -> dict[str, Any] | None:
        """The clinician's override in force (``by``, ``reason``, ``at``), or None."""
        return self._discharge_override

    def rems_form(self, entries: dict[str, Any] | None = None) -> Any:
        """The REMS monitoring form of this session as it stands (with ``entries``, the
        clinician's sign-off entries, applied): a
        :class:`~sessionmon.export.rems.RemsSummary` with the computed suggestion for the
        minutes until ready and the questions the record cannot answer."""
        from sessionmon.export.record import load_record
        from sessionmon.export.rems import rems_summary

        self._waveform.flush()
        self._store.flush()
        return rems_summary(load_record(self._store, self._sid), entries or {})

    def rems_sign_off_needs(self, entries: dict[str, Any] | None = None) -> list[str]:
        """What signing still needs on the REMS form (``[]`` when nothing, or no form)."""
        session = self._session
        if session.simulated or session.treatment.drug.value != "esketamine":
            return []
        return still_needed(self.rems_form(entries).missing)

    def sign(
        self,
        by: str,
        rems: dict[str, Any] | None = None,
        *,
        signature: Callable[[tuple[int, str]], dict[str, Any]] | None = None,
    ) -> Event:
        """Sign the session off: discharge and lock it (closed). Later intents are refused.

        Signing discharges the patient, so unless the last discharge attempt was allowed (and
        nothing has changed since: the session is still ``discharge_ready``) it first makes and
        records a discharge attempt; a refused attempt raises ``discharge_blocked``.

        A real (not simulated) esketamine session is not signed while a field the REMS
        monitoring form needs is empty (see :meth:`missing_rems_fields`): the session stays
        open (``discharge_ready``) until they are filled. Nor is it signed until the clinician's
        REMS entries (``rems``: minutes until ready, answers to the questions the record
        cannot support, provider and setting) complete the form's required fields; they are
        recorded with the sign-off.

        ``signature(head)``, given, makes the electronic signature manifest (see
        :mod:`sessionmon.accounts.signature`) from the audit chain head once everything before
        the sign-off is committed; it is recorded in the sign-off event's payload.

        Raises
        ------
        RemsFieldsMissingError
            REMS-required patient details are empty (the message and ``.missing`` list them).
        IntentRefusedError
            If the discharge criteria are not met (the message lists them) or ``by`` is empty.
        """
        self._require_open()
        by = (by or "").strip()
        if not by:
            raise IntentRefusedError("signing needs the name of the person signing")
        self.tick()
        now = self._clock.now()
        allowed_before = self._session.phase is P.DISCHARGE_READY and (
            self._discharge_override is not None
            or (self._last_decision is not None and self._last_decision.allowed)
        )
        if not allowed_before:
            decision = self.attempt_discharge(by=by)
            if not decision.allowed or self._session.phase is not P.DISCHARGE_READY:
                reasons = "; ".join(decision.blocking) or f"the session is {self.phase.value}"
                raise IntentRefusedError(f"cannot sign off yet: {reasons}")
        missing = self.missing_rems_fields()
        if missing:
            raise RemsFieldsMissingError(missing)
        from sessionmon.export.rems import QUESTIONS

        entries = checked_entries(rems, set(QUESTIONS))
        needed = self.rems_sign_off_needs(entries)
        if needed:
            raise RemsFormIncompleteError(needed)
        self._waveform.flush()
        self._store.flush()
        # One transaction: the signed version, the sign-off and the phase change, or none of
        # them (a kill or a refused write leaves it unsigned, and signing again signs once).
        payload: dict[str, Any] = {"rems": entries} if entries else {}
        audit_head = getattr(self._store, "audit_head", None)
        if signature is not None and audit_head is not None:
            payload["signature"] = signature(audit_head())
        event = self._events.make(
            EventKind.SIGN_OFF,
            now,
            by=by,
            text=f"signed off by {by}",
            payload=payload or None,
        )
        self._move(
            P.CLOSED,
            now,
            "discharged and signed",
            by=by,
            also_before=(event,),
            signed_by=by,
            signed_at=now,
            ended_at=now,
        )
        self._engine.close(now, "session signed off")  # only once the sign-off is committed
        self._notify_alarms()
        self._store.flush()
        return event

    def missing_rems_fields(self) -> list[str]:
        """The REMS-required patient details still empty (field names; ``[]`` when none).

        Only a real esketamine session has a REMS monitoring form: simulated and ketamine
        sessions always return ``[]``. Names are keys of
        :data:`sessionmon.runtime.patient_details.FIELD_LABELS`.
        """
        return missing_rems_fields(self._session)

    def update_patient_details(self, by: str, /, **fields: Any) -> Event:
        """Correct the patient details of the open session, e.g. those of a pseudonymous start.

        Parameters
        ----------
        by : str
            Who makes the correction (required; recorded with the event).
        **fields
            Any of ``name``, ``date_of_birth`` (a ``date`` or ``YYYY-MM-DD`` text), ``sex``,
            ``lot_number``, ``concomitant_medicines`` (the REMS classes) and
            ``monitoring_provider``, checked as on the new-session form.

        Returns
        -------
        Event
            A ``nurse_action`` event naming the corrected fields and who corrected them. The
            session is stored as a new version; the old version stays in the store.

        Raises
        ------
        SessionLockedError
            The session is signed (or cancelled) and locked.
        IntentRefusedError
            ``by`` is empty, a value is refused (the message names the field) or nothing changed.
        """
        now = self._require_open()
        by = (by or "").strip()
        if not by:
            raise IntentRefusedError("a correction needs the name of the person making it")
        today = now.astimezone().date()
        session, changed = corrected_session(self._session, today, fields)
        names = describe_changes(changed)
        event = self._events.make(
            EventKind.NURSE_ACTION,
            now,
            by=by,
            text=f"patient details corrected by {by}: {names}",
            payload={
                "action": "update_patient_details",
                "changed": {
                    name: {"from": as_json(old), "to": as_json(new)}
                    for name, (old, new) in changed.items()
                },
            },
        )
        self._store.update_session(session, events=(event,))  # one transaction: both or neither
        self._session = session
        self._events.announce(event)
        return event

    def cancel(self, by: str, reason: str) -> Event:
        """Cancel a session before the dose: ends it as "dose not given" (see ``end_session``)."""
        return self.end_session("dose_not_given", by=by, reason=reason)  # type: ignore[attr-defined]
