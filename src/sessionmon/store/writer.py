"""The store's writer thread: every write goes through one bounded queue; no caller waits on disk.

:class:`StoreWriter` owns the store's write connection and runs every write on its own daemon
thread. Callers choose one of three ways in:

* :meth:`StoreWriter.append` buffers measurement and waveform rows (never blocks). They are
  committed together once the oldest is ``commit_interval_s`` old by the injected clock (or
  ``autoflush_s`` real seconds old when the background flush is on).
* :meth:`StoreWriter.post` queues a record write (an alarm version, an alarm-log entry, an
  automatic phase change) that is retried until it is committed, exactly like the rows.
* :meth:`StoreWriter.call` runs a write and waits for it, at most ``timeout_s``: the nurse's
  intents. A write that is not committed in time is withdrawn from the queue before it can run,
  so it is either committed (and the call returns) or not written at all (and the call raises).

A write that has waited more than :data:`STALL_S` (another program holds the database), a write
that fails (disk full, read-only) or a database file that was deleted or replaced under the
running program is reported by :attr:`StoreWriter.problem` (the runtime turns it into the
``storage_failure`` alarm). Buffered rows are bounded (:data:`MAX_BUFFERED_SAMPLES`; the oldest
waveform chunks, then the oldest measurements, are dropped past it); queued records are bounded
by :data:`MAX_QUEUED_RECORDS`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sessionmon.clock import Clock
from sessionmon.store.driver import ERRORS
from sessionmon.store.errors import StoreError, is_locked, translate

log = logging.getLogger(__name__)

#: A write waiting longer than this (clock seconds) is a storage failure.
STALL_S = 2.0

#: Measurements plus waveform chunks kept in memory while they cannot be written. At the console's
#: rates (3 numerics and 2 half-second pleth chunks a second with an oximeter, plus BP) this holds
#: about 5.5 hours of monitoring in about 34 MB (336 bytes an item, measured); see the README.
MAX_BUFFERED_SAMPLES = 100_000

#: Record writes (alarm versions, alarm-log entries, automatic phase changes) kept in memory.
MAX_QUEUED_RECORDS = 20_000

#: How long the writer's ``BEGIN IMMEDIATE`` waits for another program's lock per attempt
#: (milliseconds); it retries until the write is committed or withdrawn.
_BUSY_ATTEMPT_MS = 50

#: Real seconds between retries of a write that failed for another reason than a lock.
_RETRY_S = 0.5

#: Real seconds between checks of the database file's identity while idle.
_IDENTITY_EVERY_S = 0.25

#: Longest real sleep of the writer loop (the injected clock may be advanced from outside).
_POLL_S = 0.1

#: Longest real sleep with the background flush on (the console): rows are then due by real
#: time, which the writer computes (and :meth:`StoreWriter.append` wakes it for rows due sooner),
#: so it sleeps until the next of: rows due, a retry, the identity check.
_AUTOFLUSH_POLL_S = _IDENTITY_EVERY_S

Work = Callable[[sqlite3.Connection], Any]
RowsWriter = Callable[[sqlite3.Connection, list[tuple], list[tuple]], None]


def file_identity(path: Path) -> tuple[int, int] | None:
    """Return ``(st_dev, st_ino)`` of ``path``, or None if it does not exist."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


@dataclass(eq=False)
class _Job:
    """One queued write; ``work`` None is a barrier (everything queued before it is written)."""

    doing: str
    work: Work | None
    waited: bool
    force_rows: bool = False
    state: str = "queued"  # queued -> running -> done, or queued -> withdrawn
    result: Any = None
    error: StoreError | None = None
    done: threading.Event = field(default_factory=threading.Event)


class StoreWriter:
    """Runs every write of one store on a daemon thread, through a bounded queue.

    Parameters
    ----------
    conn : sqlite3.Connection
        The write connection (autocommit mode, ``check_same_thread=False``); used by the writer
        thread only from now on.
    path : Path
        The database file (named in messages; its identity is checked before each write).
    clock : Clock
        The injected time source for the commit rule and the stall time.
    commit_interval_s : float
        Commit buffered rows once the oldest is this old (clock seconds).
    write_rows : callable
        ``write_rows(conn, measurement_rows, chunk_rows)`` inserts one batch (in the open
        transaction).
    anchor : HeadAnchor, optional
        Told the chain head around each commit (:mod:`sessionmon.store.anchor`).
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path,
        clock: Clock,
        commit_interval_s: float,
        write_rows: RowsWriter,
        anchor: Any = None,
    ) -> None:
        self._conn = conn
        self._anchor = anchor
        self._path = path
        self._clock = clock
        self._commit_interval_s = commit_interval_s
        self._write_rows = write_rows
        self._cond = threading.Condition()
        self._jobs: deque[_Job] = deque()
        self._measurements: list[tuple] = []
        self._chunks: list[tuple] = []
        self._in_flight = 0
        self._oldest: float | None = None  # clock monotonic of the oldest buffered row
        self._oldest_real: float | None = None
        self._autoflush_s: float | None = None
        self._commit_requested = False  # commit_soon: the buffered rows go at the next chance
        self._retry_at = 0.0
        self._waiting_since: float | None = None  # clock monotonic of the first failed attempt
        self._failure: str | None = None  # a failure reported at once (disk full, read-only)
        self._identity = file_identity(path)
        self._identity_problem: str | None = None
        self._identity_checked = 0.0
        self._dropped_samples = 0
        self._dropped_records = 0
        self._busy = False
        self._stopping = False
        self._wake_at = 0.0  # real monotonic time the sleeping writer wakes (0: not asleep)
        #: The last error a write hit (None once a write succeeds again).
        self.last_error: StoreError | None = None
        self._last_locked = False
        conn.execute(f"PRAGMA busy_timeout = {_BUSY_ATTEMPT_MS}")
        self._thread = threading.Thread(target=self._run, name="sessionmon-store-writer")
        self._thread.daemon = True
        self._thread.start()

    # ------------------------------------------------------------------ callers' side

    def append(
        self,
        measurements: list[tuple] | None = None,
        chunks: list[tuple] | None = None,
        age_s: float = 0.0,
    ) -> None:
        """Buffer rows for the next batch commit (never blocks).

        ``age_s`` is how old the oldest of them already is (a waveform chunk's first sample):
        the commit rule counts from then.
        """
        with self._cond:
            if not measurements and not chunks:
                return
            born = self._clock.monotonic() - age_s
            if self._oldest is None or born < self._oldest:
                self._oldest = born
                self._oldest_real = time.monotonic() - age_s
            measurements = measurements or []
            chunks = chunks or []
            self._measurements.extend(measurements)
            self._chunks.extend(chunks)
            excess = len(self._measurements) + len(self._chunks) - MAX_BUFFERED_SAMPLES
            if excess > 0:
                self._drop_samples(excess)
            # No wake-up unless the rows are due before the sleeping writer looks again (it
            # looks at least every _POLL_S; with the background flush, when the oldest is due).
            autoflush, real = self._autoflush_s, self._oldest_real
            if autoflush is not None and real is not None and real + autoflush < self._wake_at:
                self._cond.notify_all()

    def _drop_samples(self, excess: int) -> None:
        from_chunks = min(excess, len(self._chunks))
        del self._chunks[:from_chunks]
        del self._measurements[: excess - from_chunks]
        if not self._dropped_samples:
            log.error("storage: buffer full, dropping the oldest unsaved samples")
        self._dropped_samples += excess

    def post(self, doing: str, work: Work) -> None:
        """Queue a record write that is retried until committed (never blocks)."""
        with self._cond:
            self._jobs.append(_Job(doing, work, waited=False))
            records = sum(1 for job in self._jobs if not job.waited)
            if records > MAX_QUEUED_RECORDS:
                for job in self._jobs:
                    if not job.waited:
                        self._jobs.remove(job)
                        break
                self._dropped_records += 1
                log.error("storage: record queue full, dropped the oldest unsaved record")
            self._cond.notify_all()

    def call(
        self, doing: str, work: Work | None, timeout_s: float, force_rows: bool = False
    ) -> Any:
        """Run ``work(conn)`` in a write transaction and return its result, waiting at most
        ``timeout_s``.

        Raises
        ------
        StoreError
            ``work`` refused (its own message), the database failed (nothing was written), or
            the write was not committed within ``timeout_s`` (it is withdrawn, nothing written).
        """
        job = _Job(doing, work, waited=True, force_rows=force_rows)
        with self._cond:
            if self._stopping:
                raise StoreError(f"the session database {self._path} is closed")
            self._jobs.append(job)
            self._cond.notify_all()
        if not job.done.wait(timeout_s):
            with self._cond:
                if job.state == "queued":
                    job.state = "withdrawn"
                    with contextlib.suppress(ValueError):
                        self._jobs.remove(job)
                    raise self._timeout_error(doing, timeout_s)
            job.done.wait()  # running: it holds the write lock, so it ends soon
        if job.error is not None:
            raise job.error
        return job.result

    def _timeout_error(self, doing: str, timeout_s: float) -> StoreError:
        if self._identity_problem is not None:
            return StoreError(f"{self._identity_problem}; nothing was saved ({doing})")
        error = self.last_error
        if error is not None and not self._last_locked:
            return StoreError(f"{error}; nothing was saved")
        return StoreError(
            f"the session database {self._path} is locked by another program or not answering "
            f"(waited {timeout_s:g} s); nothing was saved ({doing})"
        )

    def flush(self, timeout_s: float) -> None:
        """Commit every buffered row and queued write now, waiting at most ``timeout_s``.

        Raises
        ------
        StoreError
            If they cannot be committed; they stay buffered and are retried.
        """
        with self._cond:
            idle = not self._busy and not self._jobs and not self._measurements
            if idle and not self._chunks:
                return
        try:
            self.call("saving buffered measurements", None, timeout_s, force_rows=True)
        except StoreError as exc:
            raise StoreError(f"{exc}; they are kept in memory and will be retried") from None

    def settle(self, timeout_s: float) -> None:
        """Wait (at most ``timeout_s``) until the writes queued so far are committed."""
        with self._cond:
            if not self._busy and not self._jobs:
                return
        with contextlib.suppress(StoreError):
            self.call("reading", None, timeout_s)

    def commit_soon(self) -> None:
        """Commit the rows buffered so far at the writer's next chance, without waiting."""
        with self._cond:
            if self._oldest is not None:
                self._commit_requested = True
                self._cond.notify_all()

    def start_autoflush(self, interval_s: float) -> None:
        """Also commit buffered rows once the oldest is ``interval_s`` real seconds old."""
        with self._cond:
            self._autoflush_s = float(interval_s)
            self._cond.notify_all()

    def stop_autoflush(self) -> None:
        """Go back to the clock's commit rule only."""
        with self._cond:
            self._autoflush_s = None

    @property
    def pending_count(self) -> int:
        """Rows buffered or being written and not yet committed."""
        with self._cond:
            return len(self._measurements) + len(self._chunks) + self._in_flight

    @property
    def queued_records(self) -> int:
        """Record writes queued and not yet committed."""
        with self._cond:
            return sum(1 for job in self._jobs if not job.waited)

    @property
    def problem(self) -> str | None:
        """What keeps writes from reaching the disk now, in one line, or None."""
        with self._cond:
            problem = self._identity_problem or self._failure
            if problem is None and self._waiting_since is not None:
                waited = self._clock.monotonic() - self._waiting_since
                if waited > STALL_S:
                    reason = f" ({self.last_error})" if self.last_error else ""
                    problem = (
                        f"the session database has not accepted a write for {waited:.0f} s{reason}"
                    )
            if problem is None:
                return None
            lost = ""
            if self._dropped_samples or self._dropped_records:
                lost = (
                    f"; memory buffer full: {self._dropped_samples} samples and "
                    f"{self._dropped_records} records dropped"
                )
            return f"{problem}; unsaved values are kept in memory and retried{lost}"

    def stop(self) -> None:
        """Stop the thread (after the write in progress); what is still buffered is dropped."""
        with self._cond:
            self._stopping = True
            for job in self._jobs:
                if job.waited:
                    job.state = "withdrawn"
                    job.error = StoreError(f"the session database {self._path} is closed")
                    job.done.set()
            self._cond.notify_all()
        self._thread.join(timeout=10.0)

    # ------------------------------------------------------------------ the writer thread

    def _rows_due(self) -> bool:
        if self._oldest is None:
            return False
        if self._commit_requested:
            return True
        if self._clock.monotonic() - self._oldest >= self._commit_interval_s - 1e-9:
            return True
        autoflush = self._autoflush_s
        real = self._oldest_real
        return autoflush is not None and real is not None and time.monotonic() - real >= autoflush

    def _ready(self) -> bool:
        if time.monotonic() < self._retry_at:
            return False
        return bool(self._jobs) or self._rows_due()

    def _run(self) -> None:
        while True:
            with self._cond:
                if self._stopping:
                    return
                if not self._ready():
                    wait = max(0.001, self._sleep_s())
                    self._wake_at = time.monotonic() + wait
                    self._cond.wait(wait)
                    self._wake_at = 0.0
                    ready = self._ready() and not self._stopping
                else:
                    ready = True
                if ready:
                    self._busy = True
            try:
                if time.monotonic() - self._identity_checked >= _IDENTITY_EVERY_S or ready:
                    self._check_identity()
                if ready:
                    self._attempt()
            except Exception:  # the writer must not die silently
                log.exception("storage: the writer thread hit an unexpected error")
                with self._cond:
                    self._retry_at = time.monotonic() + _RETRY_S
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _sleep_s(self) -> float:
        """Real seconds the writer may sleep before it must look again (lock held)."""
        now = time.monotonic()
        autoflush = self._autoflush_s
        if autoflush is None:
            wait = _POLL_S
        else:
            wait = min(_AUTOFLUSH_POLL_S, self._identity_checked + _IDENTITY_EVERY_S - now)
            if self._oldest_real is not None:
                wait = min(wait, self._oldest_real + autoflush - now)
        if self._oldest is not None:
            wait = min(wait, self._oldest + self._commit_interval_s - self._clock.monotonic())
        if self._retry_at > now:
            wait = min(wait, self._retry_at - now)
        return wait

    def _check_identity(self) -> None:
        self._identity_checked = time.monotonic()
        now = file_identity(self._path)
        with self._cond:
            if now == self._identity:
                if self._identity_problem is not None:
                    log.warning("storage: the database file %s is back", self._path)
                self._identity_problem = None
            elif self._identity_problem is None:
                self._identity_problem = (
                    f"the session database file {self._path} was deleted or replaced while in "
                    "use; nothing more can be saved until it is put back (closing sessionmon "
                    "loses what is kept in memory)"
                )
                log.error("storage: %s", self._identity_problem)

    def _attempt(self) -> None:
        if self._identity_problem is not None:
            with self._cond:
                self._retry_at = time.monotonic() + _IDENTITY_EVERY_S
                self._note_waiting()
            return
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except ERRORS as exc:
            error = translate(exc, self._path, "starting a write")
            self._failed(error, is_locked(exc), [], [], [], (None, None))
            return
        with self._cond:
            jobs = [job for job in self._jobs if job.state == "queued"]
            self._jobs.clear()
            for job in jobs:
                job.state = "running"
            take_rows = bool(self._measurements or self._chunks) and (
                any(job.force_rows for job in jobs) or self._rows_due()
            )
            measurements: list[tuple] = []
            chunks: list[tuple] = []
            oldest = (self._oldest, self._oldest_real)
            if take_rows:
                measurements, chunks = self._measurements, self._chunks
                self._measurements, self._chunks = [], []
                self._in_flight = len(measurements) + len(chunks)
                self._oldest = self._oldest_real = None
                self._commit_requested = False
        anchor = self._anchor
        try:
            if anchor is not None:
                anchor.begin(conn)
            for job in jobs:
                self._run_job(conn, job)
            if measurements or chunks:
                self._write_rows(conn, measurements, chunks)
            if anchor is not None:
                anchor.before_commit(conn)
            conn.execute("COMMIT")
        except ERRORS as exc:
            with contextlib.suppress(*ERRORS):
                conn.execute("ROLLBACK")
            error = translate(exc, self._path, "saving")
            self._failed(error, is_locked(exc), jobs, measurements, chunks, oldest)
            return
        except BaseException:
            with contextlib.suppress(*ERRORS):
                conn.execute("ROLLBACK")
            error = StoreError("saving failed unexpectedly")
            self._failed(error, False, jobs, measurements, chunks, oldest)
            raise
        with self._cond:
            self._in_flight = 0
            if self._waiting_since is not None or self._failure is not None:
                log.warning("storage: writes reach the database again")
            self._waiting_since = None
            self._failure = None
            self.last_error = None
            self._dropped_samples = self._dropped_records = 0
            for job in jobs:
                job.state = "done"
                if job.error is not None and not job.waited:
                    log.error("storage: %s refused: %s", job.doing, job.error)
                job.done.set()
        if anchor is not None:
            anchor.after_commit()  # after the callers are answered: it fsyncs

    @staticmethod
    def _run_job(conn: sqlite3.Connection, job: _Job) -> None:
        if job.work is None:
            return
        conn.execute("SAVEPOINT job")
        try:
            job.result = job.work(conn)
        except ERRORS:
            raise
        except StoreError as exc:  # the write itself is refused: nothing of it is kept
            conn.execute("ROLLBACK TO job")
            job.error = exc
        except Exception as exc:  # a bug in one write must not lose the others
            conn.execute("ROLLBACK TO job")
            job.error = StoreError(f"{job.doing} failed: {exc}")
        conn.execute("RELEASE job")

    def _note_waiting(self) -> None:
        if self._waiting_since is None:
            self._waiting_since = self._clock.monotonic()

    def _failed(
        self,
        error: StoreError,
        locked: bool,
        jobs: list[_Job],
        measurements: list[tuple],
        chunks: list[tuple],
        oldest: tuple[float | None, float | None],
    ) -> None:
        """Put back what was not written and remember why (called with nothing locked)."""
        with self._cond:
            self.last_error = error
            self._last_locked = locked
            self._note_waiting()
            if not locked:
                self._failure = str(error)
                self._retry_at = time.monotonic() + _RETRY_S
            if measurements or chunks:
                self._measurements = measurements + self._measurements
                self._chunks = chunks + self._chunks
                self._in_flight = 0
                if self._oldest is None or oldest[0] is not None:
                    self._oldest, self._oldest_real = oldest
            requeue = []
            for job in jobs:
                job.result = None
                job.error = None
                if job.waited and not locked:  # an intent is refused at once, not retried
                    job.state = "done"
                    job.error = StoreError(
                        f"{error}{'' if job.work is None else '; nothing was saved'}"
                    )
                    job.done.set()
                else:
                    job.state = "queued"
                    requeue.append(job)
            self._jobs.extendleft(reversed(requeue))
