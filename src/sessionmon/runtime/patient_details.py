"""The REMS patient details of a session: correcting them later, and what signing still needs.

A pseudonymous session can be started without the patient's name, date of birth or sex; the
REMS patient monitoring form (clinical.md) needs them, with the lot number and the monitoring
provider. :func:`corrected_session` checks a correction the way the new-session form checks a
new session and returns the new session version with what changed; :func:`missing_rems_fields`
says which required fields of a real esketamine session are still empty (signing is refused
until they are filled).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sessionmon.model import Drug, Session
from sessionmon.runtime.errors import IntentRefusedError

#: REMS concomitant-medicine classes (clinical.md).
CONCOMITANT_MEDICINES: tuple[str, ...] = (
    "benzodiazepines",
    "non-benzodiazepine sedative hypnotics",
    "psychostimulants",
    "MAOIs",
    "opioids",
)

#: The answers the record takes for the patient's sex.
SEXES: tuple[str, ...] = ("female", "male", "other", "unknown")

#: Field name -> how the field is named to the nurse (in messages and event texts).
FIELD_LABELS: dict[str, str] = {
    "name": "patient name",
    "date_of_birth": "date of birth",
    "sex": "sex",
    "lot_number": "lot number",
    "concomitant_medicines": "concomitant medicines",
    "monitoring_provider": "monitoring provider",
}

#: The fields the REMS monitoring form needs before an esketamine session can be signed.
REMS_REQUIRED: tuple[str, ...] = (
    "name",
    "date_of_birth",
    "sex",
    "lot_number",
    "monitoring_provider",
)

#: Oldest date of birth accepted, in days before today (as on the new-session form).
OLDEST_DAYS = 120 * 366


class RemsFieldsMissingError(IntentRefusedError):
    """Signing refused: the REMS monitoring form still has empty required fields.

    Attributes
    ----------
    missing : list of str
        The field names (keys of :data:`FIELD_LABELS`) still empty.
    """

    def __init__(self, missing: list[str]) -> None:
        self.missing = list(missing)
        names = ", ".join(FIELD_LABELS[name] for name in self.missing)
        super().__init__(
            f"cannot sign off yet: the REMS monitoring form needs {names}; "
            "fill them in Patient details"
        )


def current_details(session: Session) -> dict[str, Any]:
    """The editable REMS details of ``session`` (field name -> value)."""
    return {
        "name": session.patient.name,
        "date_of_birth": session.patient.date_of_birth,
        "sex": session.patient.sex,
        "lot_number": session.treatment.lot_number,
        "concomitant_medicines": tuple(session.concomitant_medicines),
        "monitoring_provider": session.monitoring_provider,
    }


def missing_rems_fields(session: Session) -> list[str]:
    """The REMS-required fields still empty in a real esketamine session.

    Simulated (training) sessions and ketamine sessions have no REMS form: always ``[]``.
    """
    if session.simulated or session.treatment.drug is not Drug.ESKETAMINE:
        return []
    details = current_details(session)
    return [name for name in REMS_REQUIRED if not details[name]]


def _text(name: str, value: Any, limit: int, required: bool) -> str | None:
    text = "" if value is None else str(value).strip()
    if not text:
        if required:
            raise IntentRefusedError(f"enter the {FIELD_LABELS[name]}; it cannot be left empty")
        return None
    if len(text) > limit:
        raise IntentRefusedError(
            f"the {FIELD_LABELS[name]} is {len(text)} characters; at most {limit}"
        )
    return text


def _date_of_birth(value: Any, today: date) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            raise IntentRefusedError(
                f"date of birth '{value.strip()}' is not a date; write it as YYYY-MM-DD"
            ) from None
    if not isinstance(value, date):
        raise IntentRefusedError(f"date of birth {value!r} is not a date")
    if value >= today:
        raise IntentRefusedError("the date of birth must be before today")
    if (today - value).days > OLDEST_DAYS:
        raise IntentRefusedError("the date of birth is more than 120 years ago")
    return value


def _medicines(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    chosen = [str(m).strip() for m in value if str(m).strip()]
    unknown = [m for m in chosen if m not in CONCOMITANT_MEDICINES]
    if unknown:
        raise IntentRefusedError(
            f"unknown concomitant medicines class: {', '.join(unknown)}"
            f" (known: {', '.join(CONCOMITANT_MEDICINES)})"
        )
    return tuple(m for m in CONCOMITANT_MEDICINES if m in chosen)


def _validated(name: str, value: Any, today: date) -> Any:
    if name == "name":
        return _text(name, value, 200, required=False)
    if name == "date_of_birth":
        return _date_of_birth(value, today)
    if name == "sex":
        sex = "" if value is None else str(value).strip()
        if sex not in SEXES:
            raise IntentRefusedError("sex: choose female, male, other or unknown")
        return sex
    if name == "lot_number":
        return _text(name, value, 64, required=True)
    if name == "monitoring_provider":
        return _text(name, value, 200, required=True)
    return _medicines(value)


def corrected_session(
    session: Session, today: date, fields: dict[str, Any]
) -> tuple[Session, dict[str, tuple[Any, Any]]]:
    """Check a correction of the patient details and build the session's new version.

    Parameters
    ----------
    session : Session
        The session as it is now.
    today : date
        Today's local date (from the injected clock), to check the date of birth.
    fields : dict
        Field name (a key of :data:`FIELD_LABELS`) -> new value. A name or date of birth may
        be cleared (None or ""); sex, lot number and monitoring provider are required, as on
        the new-session form.

    Returns
    -------
    tuple
        The new session version, and field name -> (old value, new value) for each field
        that changed.

    Raises
    ------
    IntentRefusedError
        An unknown field, a value the new-session form would refuse (the message names the
        field), or nothing changed.
    """
    unknown = sorted(set(fields) - set(FIELD_LABELS))
    if unknown:
        raise IntentRefusedError(
            f"cannot correct {', '.join(unknown)}; patient details are "
            + ", ".join(FIELD_LABELS.values())
        )
    before = current_details(session)
    changed: dict[str, tuple[Any, Any]] = {}
    for name in FIELD_LABELS:
        if name not in fields:
            continue
        value = _validated(name, fields[name], today)
        if value != before[name]:
            changed[name] = (before[name], value)
    if not changed:
        raise IntentRefusedError("nothing to correct: the patient details are as recorded")
    new = {name: new for name, (_, new) in changed.items()}
    patient = session.patient.model_copy(
        update={k: new[k] for k in ("name", "date_of_birth", "sex") if k in new}
    )
    treatment = session.treatment
    if "lot_number" in new:
        treatment = treatment.model_copy(update={"lot_number": new["lot_number"]})
    update: dict[str, Any] = {"patient": patient, "treatment": treatment}
    if "concomitant_medicines" in new:
        update["concomitant_medicines"] = new["concomitant_medicines"]
    if "monitoring_provider" in new:
        update["monitoring_provider"] = new["monitoring_provider"]
    return session.model_copy(update=update), changed


def as_json(value: Any) -> Any:
    """A detail's value as JSON data (a date as ``YYYY-MM-DD``, medicines as a list)."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def describe_changes(changed: Iterable[str]) -> str:
    """``"date of birth, sex"``: the changed fields as the nurse calls them."""
    return ", ".join(FIELD_LABELS[name] for name in changed)
