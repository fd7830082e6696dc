"""The audit trail as the store's callers see it: a session's entries, and the whole check.

:class:`AuditChecks` is the part of :class:`~sessionmon.store.SessionStore` that reads the audit
entries of a session and checks the hash chain, its coverage of every row and its head against
the anchor (:mod:`sessionmon.store.verify`). Both commit what is buffered first.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sessionmon.store import audit
from sessionmon.store.driver import ERRORS
from sessionmon.store.errors import translate

if TYPE_CHECKING:  # pragma: no cover - typing only
    from sessionmon.store.store_wiring import StoreWiring

    _Base = StoreWiring
else:
    _Base = object


class AuditChecks(_Base):
    """A session's audit entries and the check of the whole audit trail."""

    def audit_entries(self, session_id: uuid.UUID) -> list[audit.AuditEntry]:
        """Return the audit entries that wrote this session's rows, in chain order.

        Buffered measurements are committed first, so the entries cover everything appended.
        The last entry's ``entry_sha256`` chains every write before it. An unknown session
        has no entries.
        """
        with self._lock:
            self._check_open()
            self._flush_pending()
            try:
                return audit.entries_for_session(self._rconn, session_id)
            except ERRORS as exc:
                raise translate(exc, self.path, "reading the audit trail") from None

    def verify_audit(self) -> audit.AuditReport:
        """Check the chain, that it covers every row, and its head against the anchor.

        Commits buffered measurements first. See :mod:`sessionmon.store.verify`.
        """
        from sessionmon.store.verify import verify_store

        with self._lock:
            self._flush_pending()
            try:
                for _attempt in range(3):  # another process may commit between DB and sidecar
                    self._rconn.execute("BEGIN")
                    try:
                        report = verify_store(self._rconn, self._anchor.path, self._anchor.mac_key)
                    finally:
                        self._rconn.execute("COMMIT")
                    if report.ok:
                        break
                return report
            except ERRORS as exc:
                raise translate(exc, self.path, "checking the audit trail") from None
