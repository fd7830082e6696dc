"""Staff accounts and the sign-in log in the session store (a mixin of ``SessionStore``).

The store keeps raw records only (a username and a JSON body); :mod:`sessionmon.accounts`
validates them and decides who may sign in. Every write is one audited transaction on the
writer thread, committed before the call returns.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from sessionmon.store import codec

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Callable
    from datetime import datetime


class AccountRecords:
    """Account versions and sign-in attempts (mixed into the session store)."""

    # Provided by SessionStore.
    _lock: Any
    _clock: Any
    _write: Callable[..., Any]
    _read: Callable[..., list[tuple]]
    _insert_audited: Callable[..., None]

    def save_account_body(self, username: str, body: str) -> None:
        """Record a new version of the account ``username`` (JSON ``body``)."""
        row = (username, codec.to_us(self._clock.now()), body)

        def work(conn: sqlite3.Connection) -> None:
            self._insert_audited(
                conn, "account_versions", "username, written_us, body", [row], "account.save"
            )

        with self._lock:
            self._write(f"saving account {username}", work)

    def account_bodies(self) -> list[str]:
        """The latest JSON body of every account, by username."""
        rows = self._read(
            "listing accounts",
            "SELECT body FROM account_versions WHERE version_id IN "
            "(SELECT MAX(version_id) FROM account_versions GROUP BY username) ORDER BY username",
        )
        return [r[0] for r in rows]

    def account_body(self, username: str) -> str | None:
        """The latest JSON body of the account ``username``, or None."""
        rows = self._read(
            "reading an account",
            "SELECT body FROM account_versions WHERE username = ? ORDER BY version_id DESC LIMIT 1",
            (username,),
        )
        return rows[0][0] if rows else None

    def add_sign_in(self, username: str, ok: bool, body: str) -> None:
        """Record one sign-in attempt (``ok`` or not) with its JSON ``body`` (the reason)."""
        row = (username, codec.to_us(self._clock.now()), int(ok), body)

        def work(conn: sqlite3.Connection) -> None:
            self._insert_audited(
                conn, "sign_ins", "username, at_us, ok, body", [row], "account.sign_in"
            )

        with self._lock:
            self._write(f"recording a sign-in of {username}", work)

    def sign_ins_since(self, username: str, since: datetime | None) -> list[tuple[Any, bool, str]]:
        """Sign-in attempts of ``username`` after ``since`` (all when None), oldest first.

        Returns
        -------
        list of (datetime, bool, str)
            When, whether it succeeded, and the JSON body.
        """
        since_us = codec.to_us(since) if since is not None else -1
        rows = self._read(
            "reading sign-ins",
            "SELECT at_us, ok, body FROM sign_ins WHERE username = ? AND at_us > ? ORDER BY row_id",
            (username, since_us),
        )
        return [(codec.from_us(r[0]), bool(r[1]), r[2]) for r in rows]

    def add_clinic_change(self, kind: str, body: str) -> None:
        """Record a change of a clinic-wide setting (``kind``, e.g. ``alarm_defaults``)."""
        row = (kind, codec.to_us(self._clock.now()), body)

        def work(conn: sqlite3.Connection) -> None:
            self._insert_audited(
                conn, "clinic_changes", "kind, at_us, body", [row], "clinic.change"
            )

        with self._lock:
            self._write(f"recording a change of {kind}", work)

    def clinic_changes(self, kind: str) -> list[tuple[Any, str]]:
        """``(when, JSON body)`` of every change of ``kind``, oldest first."""
        rows = self._read(
            "reading clinic changes",
            "SELECT at_us, body FROM clinic_changes WHERE kind = ? ORDER BY row_id",
            (kind,),
        )
        return [(codec.from_us(r[0]), r[1]) for r in rows]

    def audit_head(self) -> tuple[int, str]:
        """The audit chain's head now: the newest entry's sequence number and SHA-256."""
        rows = self._read(
            "reading the audit head",
            "SELECT seq, entry_sha256 FROM audit ORDER BY seq DESC LIMIT 1",
        )
        return (int(rows[0][0]), str(rows[0][1])) if rows else (0, "0" * 64)
