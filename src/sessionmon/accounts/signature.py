"""The electronic signature manifest (21 CFR 11.50): printed name, date and time, and meaning.

A signature is made at sign-off after the signer re-enters their password or PIN. It binds to
the record as it was at that moment by the audit chain's head then (the sequence number and
SHA-256 of the newest entry, which chains every earlier row of the record); the sign-off event
that carries the manifest is itself the next audited row, so the signature cannot be detached.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any

from sessionmon.accounts.model import Account

#: What the signature means (shown to the signer and printed on the report).
MEANING = "monitoring record reviewed and signed"


def manifest(
    account: Account, at: datetime, head: tuple[int, str], tz: tzinfo | None = None
) -> dict[str, Any]:
    """The manifest of ``account`` signing at ``at`` over the audit chain ending at ``head``.

    Parameters
    ----------
    account : Account
        The signer (re-authenticated by the caller).
    at : datetime
        When (timezone-aware, from the injected clock).
    head : (int, str)
        The audit chain head at that moment: sequence number and entry SHA-256.
    tz : tzinfo, optional
        The local time zone (default: the computer's).
    """
    local = at.astimezone(tz) if tz is not None else at.astimezone()
    return {
        "printed_name": account.full_name,
        "username": account.username,
        "role": account.role.value,
        "signed_at_utc": at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "signed_at_local": local.strftime("%Y-%m-%d %H:%M:%S %Z").strip(),
        "meaning": MEANING,
        "audit_seq": head[0],
        "audit_sha256": head[1],
    }


def lines(signature: dict[str, Any]) -> list[tuple[str, str]]:
    """The manifest as ``(label, value)`` pairs, for the report and the dialog."""
    return [
        (
            "Signed by",
            f"{signature['printed_name']} ({signature['username']}), {signature['role']}",
        ),
        ("Meaning", signature["meaning"]),
        ("Signed at", f"{signature['signed_at_utc']} ({signature['signed_at_local']} local)"),
        (
            "Bound to the record",
            f"audit entry #{signature['audit_seq']} SHA-256 {signature['audit_sha256']}",
        ),
    ]
