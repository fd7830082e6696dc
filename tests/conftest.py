"""Fixtures shared by the core tests (the console tests in ``tests/ui`` have their own)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from pty_helpers import serial_readers_running, wait_until
from sessionmon.clock import ManualClock
from sessionmon.store import SessionStore

# The tests never see the desktop's keyring: a database key stored there would encrypt every test
# database (the tests that need a keyring set their own backend).
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


@pytest.fixture
def clock() -> ManualClock:
    """A manual clock the test advances."""
    return ManualClock()


@pytest.fixture
def no_serial_reader_left() -> Iterator[None]:
    """Fail the test if a serial reader thread it started is still running afterwards."""
    yield
    assert wait_until(lambda: not serial_readers_running()), (
        "a serial reader thread was left running"
    )


@pytest.fixture(scope="module")
def scenario_store(tmp_path_factory) -> Iterator[SessionStore]:
    """One store per test module for the headless scenario runs (each run is its own session)."""
    path = tmp_path_factory.mktemp("acceptance") / "sessions.db"
    with SessionStore.open(path, ManualClock()) as store:
        yield store


# The test files that take longest, longest first (wall time of each file in one process, as
# measured in docs/decisions/suite.md: real-time device waits, whole simulated sessions, real
# processes killed and restarted). `make test` runs one file per worker; started first, they end
# with the rest instead of leaving one worker busy at the end.
LONGEST_FIRST = (
    "test_intellivue_e2e.py",
    "test_scenario_runs.py",
    "test_accounts_ui.py",
    "test_device_fault_alarms.py",
    "test_acceptance_discharge.py",
    "test_course.py",
    "test_monitor_command.py",
    "test_real_devices.py",
    "test_storage_faults.py",
    "test_export_fhir_hl7.py",
    "test_dialogs.py",
    "test_tamper_evidence.py",
    "test_atomic_signoff.py",
    "test_alarm_states.py",
    "test_session_endings_ui.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the longest test files first (stable order otherwise)."""
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
