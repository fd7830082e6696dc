"""What the clinician enters on the REMS form at sign-off, checked; and what signing still needs.

The entries (recorded in the ``sign_off`` event's payload as ``rems``): ``minutes_until_ready``
(the REMS evaluation question; the computed value is only a suggestion), ``answers`` to the
yes/no questions the record cannot support, the monitoring ``provider`` (first and last name,
telephone, email) and the healthcare ``setting`` (name, address, city, state, ZIP) from the
clinic settings.
"""

from __future__ import annotations

from typing import Any

from sessionmon.clinic import ClinicSettings, StaffMember
from sessionmon.errors import UserError
from sessionmon.runtime.errors import IntentRefusedError

#: The most minutes a monitoring period is taken to last (a day).
MAX_MINUTES = 24 * 60

#: Fields of the form the sign-off must have, as the form names them (the asterisked ones,
#: and the clinician's entries).
REQUIRED = (
    "patient first name",
    "patient last name",
    "date of birth",
    "sex",
    "provider first name",
    "provider last name",
    "provider telephone",
    "provider email",
    "setting name",
    "setting address",
    "setting city",
    "setting state",
    "setting ZIP",
    "first dose time",
    "minutes until ready to leave",
)


class RemsFormIncompleteError(IntentRefusedError):
    """Signing refused: the REMS form still has required fields or questions to answer.

    Attributes
    ----------
    missing : list of str
        The fields as the form names them.
    """

    def __init__(self, missing: list[str]) -> None:
        self.missing = list(missing)
        super().__init__(
            "cannot sign off yet: the REMS monitoring form needs " + ", ".join(self.missing)
        )


def checked_entries(entries: dict[str, Any] | None, questions: set[str]) -> dict[str, Any]:
    """Validate the clinician's REMS entries; returns them as plain data.

    Raises
    ------
    IntentRefusedError
        A value is not acceptable (the message names it).
    """
    if not entries:
        return {}
    result: dict[str, Any] = {}
    minutes = entries.get("minutes_until_ready")
    if minutes is not None:
        if isinstance(minutes, bool) or not isinstance(minutes, int | float):
            raise IntentRefusedError(f"minutes until ready {minutes!r} is not a number")
        if not 0 <= minutes <= MAX_MINUTES:
            raise IntentRefusedError(
                f"minutes until ready {minutes:g} must be from 0 to {MAX_MINUTES}"
            )
        result["minutes_until_ready"] = round(minutes)
    answers = {}
    for question, given in (entries.get("answers") or {}).items():
        if question not in questions:
            raise IntentRefusedError(f"unknown REMS question {question!r}")
        if not isinstance(given, dict) or not isinstance(given.get("occurred"), bool):
            raise IntentRefusedError(f"answer {question.replace('_', ' ')} with yes or no")
        details = str(given.get("details") or "").strip()[:500]
        answers[question] = {"occurred": given["occurred"], "details": details}
    result["answers"] = answers
    provider = {k: str(v or "").strip() for k, v in (entries.get("provider") or {}).items()}
    if provider:
        try:
            person = StaffMember(
                first_name=provider.get("first_name") or "-",
                last_name=provider.get("last_name") or "-",
                phone=provider.get("phone", ""),
                email=provider.get("email", ""),
            )
        except ValueError as exc:
            raise IntentRefusedError(_first_error(exc, "provider")) from None
        result["provider"] = {
            "first_name": provider.get("first_name", ""),
            "last_name": provider.get("last_name", ""),
            "phone": person.phone,
            "email": person.email,
        }
    setting = {k: str(v or "").strip() for k, v in (entries.get("setting") or {}).items()}
    if setting:
        try:
            clinic = ClinicSettings.from_data(
                {k: setting.get(k, "") for k in ("name", "address", "city", "state", "zip")},
                "healthcare setting",
            )
        except UserError as exc:
            raise IntentRefusedError(str(exc)) from None
        result["setting"] = {
            k: getattr(clinic, k) for k in ("name", "address", "city", "state", "zip")
        }
    return result


def _first_error(exc: ValueError, where: str) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        return f"{where} {'.'.join(str(p) for p in first['loc'])}: " + first["msg"].removeprefix(
            "Value error, "
        )
    return f"{where}: {exc}"


def still_needed(missing: list[str]) -> list[str]:
    """Of the form's empty fields, those signing needs (required ones and open questions)."""
    return [m for m in missing if m in REQUIRED or m.endswith("(clinician)")]
