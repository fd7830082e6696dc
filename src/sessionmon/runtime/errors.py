"""Errors a nurse intent can raise: each a :class:`~sessionmon.errors.UserError`, one line."""

from __future__ import annotations

from sessionmon.errors import UserError


class IntentRefusedError(UserError):
    """The session cannot do what was asked now (the message says why)."""


class SessionLockedError(IntentRefusedError):
    """The session is signed and closed: nothing more can be recorded in it."""
