"""The clinic's identity, entered once: name, address, phone and the staff list.

Kept as ``clinic.json`` in the settings folder and validated on load and save. The REMS patient
monitoring form needs the healthcare setting's name, address, city, state and ZIP, and the
monitoring provider's first and last name, telephone and email; the console's pickers offer the
staff list. A session copies what it needs at sign-off, so a later change of the settings does
not change a signed record.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sessionmon.errors import UserError
from sessionmon.paths import config_dir

CLINIC_FILE = "clinic.json"

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^[0-9+()./ -]{7,25}$")
_ZIP = re.compile(r"^\d{5}(-\d{4})?$")

#: Field name -> label, as the dialog and the messages name them.
LABELS: dict[str, str] = {
    "name": "clinic name",
    "address": "street address",
    "city": "city",
    "state": "state",
    "zip": "ZIP code",
    "phone": "telephone",
    "first_name": "first name",
    "last_name": "last name",
    "email": "email",
    "role": "role",
}


def _stripped(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


def _check_phone(value: str) -> str:
    if value and not _PHONE.match(value):
        raise ValueError(f"telephone {value!r} is not a phone number (digits, + ( ) - . /)")
    return value


def _check_email(value: str) -> str:
    if value and not _EMAIL.match(value):
        raise ValueError(f"email {value!r} is not an email address")
    return value


class StaffMember(_Strict):
    """Someone who may monitor a session (the REMS monitoring healthcare provider)."""

    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    phone: str = Field(default="", max_length=25)
    email: str = Field(default="", max_length=200)
    role: str = Field(default="", max_length=60)

    _phone = field_validator("phone")(classmethod(lambda cls, v: _check_phone(v)))
    _email = field_validator("email")(classmethod(lambda cls, v: _check_email(v)))

    @property
    def full_name(self) -> str:
        """``First Last`` (with the role in brackets when given)."""
        name = f"{self.first_name} {self.last_name}"
        return f"{name} ({self.role})" if self.role else name


class ClinicSettings(_Strict):
    """The clinic (REMS: healthcare setting) and its staff."""

    name: str = Field(default="", max_length=200)
    address: str = Field(default="", max_length=200)
    city: str = Field(default="", max_length=100)
    state: str = Field(default="", max_length=2)
    zip: str = Field(default="", max_length=10)
    phone: str = Field(default="", max_length=25)
    staff: tuple[StaffMember, ...] = ()
    #: Shortest password or PIN a staff account accepts (docs/decisions/accounts.md).
    min_secret_length: int = Field(default=8, ge=4, le=128)
    #: Minutes without input after which the console locks (docs/decisions/accounts.md).
    lock_after_minutes: float = Field(default=5.0, ge=1.0, le=60.0)

    _phone = field_validator("phone")(classmethod(lambda cls, v: _check_phone(v)))

    @field_validator("state")
    @classmethod
    def _check_state(cls, value: str) -> str:
        if value and not re.fullmatch(r"[A-Za-z]{2}", value):
            raise ValueError(f"state {value!r} must be the 2-letter code, e.g. NY")
        return value.upper()

    @field_validator("zip")
    @classmethod
    def _check_zip(cls, value: str) -> str:
        if value and not _ZIP.match(value):
            raise ValueError(f"ZIP code {value!r} must be 5 digits (or ZIP+4, 12345-6789)")
        return value

    @property
    def missing(self) -> list[str]:
        """Labels of the fields the REMS form needs that are empty."""
        return [
            LABELS[name]
            for name in ("name", "address", "city", "state", "zip")
            if not getattr(self, name)
        ]

    def setting(self) -> dict[str, str]:
        """The REMS healthcare-setting fields (name, address, city, state, zip, phone)."""
        return {k: getattr(self, k) for k in ("name", "address", "city", "state", "zip", "phone")}

    def member(self, full_name: str) -> StaffMember | None:
        """The staff member with this :attr:`StaffMember.full_name` (or ``First Last``)."""
        for person in self.staff:
            if full_name in (person.full_name, f"{person.first_name} {person.last_name}"):
                return person
        return None

    @classmethod
    def path(cls, folder: Path | None = None) -> Path:
        """Where the file lives."""
        return (folder or config_dir()) / CLINIC_FILE

    @classmethod
    def from_data(cls, data: Any, source: str = "clinic settings") -> ClinicSettings:
        """Validate ``data``.

        Raises
        ------
        UserError
            One line naming the first bad field.
        """
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            message = first["msg"].removeprefix("Value error, ")
            count = len(exc.errors())
            more = f" (and {count - 1} more)" if count > 1 else ""
            raise UserError(f"{source}: {where}: {message}{more}") from None

    @classmethod
    def load(cls, folder: Path | None = None) -> ClinicSettings:
        """Read the clinic settings; no file gives empty settings.

        Raises
        ------
        UserError
            The file cannot be read or is not valid (the message names the file and field).
        """
        path = cls.path(folder)
        if not path.exists():
            return cls()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
        except ValueError as exc:
            raise UserError(f"{path} is not valid JSON: {exc}") from None
        return cls.from_data(data, str(path))

    def save(self, folder: Path | None = None) -> Path:
        """Write the settings atomically (owner read/write only) and return the path."""
        path = self.path(folder)
        tmp = path.with_suffix(".tmp")
        text = json.dumps(self.model_dump(mode="json"), indent=2, sort_keys=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        tmp.replace(path)
        return path
