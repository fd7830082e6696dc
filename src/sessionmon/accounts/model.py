"""What an account is: a username, a printed name, a role and the hash of its secret."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

_USERNAME = re.compile(r"^[a-z][a-z0-9._-]{1,31}$")


class Role(StrEnum):
    """What a member of staff may do (see ``docs/decisions/accounts.md``)."""

    NURSE = "nurse"
    PRESCRIBER = "prescriber"
    TRAINER = "trainer"
    ADMIN = "admin"


def roles_phrase(roles: tuple[Role, ...]) -> str:
    """Return the roles as a refusal names them, with their article: ``an admin``,
    ``a trainer or admin``."""
    wanted = " or ".join(Role(r).value for r in roles)
    return f"{'an' if wanted[:1] in ('a', 'e', 'i', 'o', 'u') else 'a'} {wanted}"


def check_username(value: str) -> str:
    """Return ``value`` lower-cased, or raise ValueError saying what a username may be."""
    value = value.strip().lower()
    if not _USERNAME.match(value):
        raise ValueError(
            f"username {value!r} must be 2-32 characters: a letter, then letters, digits, . _ -"
        )
    return value


class Account(BaseModel):
    """One staff account (the latest version wins; every version is kept and audited).

    Attributes
    ----------
    username : str
        What the person types to sign in (lower case).
    full_name : str
        The printed name on records and signatures.
    role : Role
        What they may do.
    secret_hash : str
        The argon2id hash of the password or PIN (never the secret itself).
    disabled : bool
        A disabled account cannot sign in; its past records keep its name.
    built_in : bool
        The simulator's trainee (never stored in a clinic database).
    changed_at : datetime
        When this version was written.
    changed_by : str
        Who wrote it (the admin's signature, or ``first run``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    username: str
    full_name: str = Field(min_length=1, max_length=100)
    role: Role
    secret_hash: str = ""
    disabled: bool = False
    built_in: bool = False
    changed_at: datetime
    changed_by: str = Field(min_length=1, max_length=200)

    _username = field_validator("username")(classmethod(lambda cls, v: check_username(v)))

    @property
    def signature(self) -> str:
        """How records name this person: ``Full Name (username, role)``."""
        if self.built_in:
            return f"{self.full_name} (built-in trainee, simulator)"
        return f"{self.full_name} ({self.username}, {self.role.value})"

    def may(self, *roles: Role) -> bool:
        """Whether the account holds one of ``roles`` (an admin holds every role but prescriber)."""
        if self.role in roles:
            return True
        return self.role is Role.ADMIN and Role.PRESCRIBER not in roles


#: The simulator's built-in user: every record written in simulator mode names it.
TRAINEE = Account(
    username="trainee",
    full_name="Trainee",
    role=Role.TRAINER,
    built_in=True,
    changed_at=datetime(2026, 1, 1),
    changed_by="built in",
)
