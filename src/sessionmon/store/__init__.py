"""Crash-safe, append-only SQLite storage of session records.

>>> from sessionmon.store import SessionStore            # doctest: +SKIP
>>> with SessionStore.open(path, clock) as store:        # doctest: +SKIP
...     store.create_session(session)
"""

from sessionmon.store.audit import AuditEntry, AuditReport
from sessionmon.store.errors import StoreError
from sessionmon.store.session_store import SessionStore
from sessionmon.store.summary import SessionSummary

__all__ = ["AuditEntry", "AuditReport", "SessionStore", "SessionSummary", "StoreError"]
