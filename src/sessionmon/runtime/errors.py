"""Errors a nurse intent can raise: each a :class:`~sessionmon.errors.UserError`, one line."""

from __future__ import annotations

from sessionmon.errors import UserError


class IntentRefusedError(UserError):
    """The session cannot do what was asked now (the message says why)."""


class SessionLockedError(IntentRefusedError):
    """The session is signed and closed: nothing more can be recorded in it."""


class ConfirmationNeededError(IntentRefusedError):
    """The intent needs the nurse's confirmation first (e.g. a dose with checklist items open).

    ``items`` names what is unconfirmed; repeating the intent with the confirmation records it.
    """

    def __init__(self, message: str, items: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.items = items
