"""Passwords and PINs hashed with argon2id (``argon2-cffi``); the clear text is never kept."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

#: argon2-cffi's defaults: argon2id with the RFC 9106 "low memory" parameters (t=3, 64 MiB, p=4).
_HASHER = PasswordHasher()


def hash_secret(secret: str) -> str:
    """Return the argon2id hash (PHC string, with its own random salt) of ``secret``."""
    return _HASHER.hash(secret)


def verify_secret(secret_hash: str, secret: str) -> bool:
    """Whether ``secret`` matches ``secret_hash`` (False for a damaged hash, never raises)."""
    try:
        return _HASHER.verify(secret_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


def check_secret(secret: str, min_length: int) -> str:
    """Return ``secret`` if it is long enough, else raise ValueError saying why."""
    if len(secret) < min_length:
        raise ValueError(
            f"the password or PIN must be at least {min_length} characters "
            f"(clinic setting min_secret_length); it has {len(secret)}"
        )
    if secret != secret.strip():
        raise ValueError("the password or PIN must not start or end with a space")
    return secret
