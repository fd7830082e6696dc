"""Staff accounts: roles, argon2id-hashed passwords or PINs, sign-in with lock-out.

Core code (no Qt). Accounts live in the clinic's session database (migration 4); see
:class:`~sessionmon.accounts.book.AccountBook` for adding, disabling, resetting and signing in.
"""

from sessionmon.accounts.book import AccountBook, SignInError
from sessionmon.accounts.model import TRAINEE, Account, Role

__all__ = ["TRAINEE", "Account", "AccountBook", "Role", "SignInError"]
