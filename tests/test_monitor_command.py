"""``sessionmon monitor``: a real session headless, as typed, against devices on ptys."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from pty_helpers import LiveDevice
from sessionmon.cli import main
from sessionmon.clock import ManualClock
from sessionmon.devices.pty_port import PtyPort
from sessionmon.model import Kind, SessionPhase
from sessionmon.store import SessionStore


@pytest.fixture
def ports(tmp_path) -> Iterator[tuple[PtyPort, PtyPort]]:
    oximeter, nibp = PtyPort(link=tmp_path / "ttyUSB0"), PtyPort(link=tmp_path / "ttyUSB1")
    yield oximeter, nibp
    oximeter.close()
    nibp.close()


class Lines:
    """The stdout lines of a running process, read on a thread (waited for with a deadline)."""

    def __init__(self, process: subprocess.Popen) -> None:
        self._queue: queue.Queue[str] = queue.Queue()
        self.seen: list[dict] = []
        threading.Thread(target=self._read, args=(process.stdout,), daemon=True).start()

    def _read(self, stream) -> None:
        for line in stream:
            self._queue.put(line)

    def until(self, predicate, timeout_s: float = 60.0) -> dict:
        while True:
            obj = json.loads(self._queue.get(timeout=timeout_s))
            self.seen.append(obj)
            if predicate(obj):
                return obj

    def rest(self, timeout_s: float = 10.0) -> list[dict]:
        try:
            while True:
                self.seen.append(json.loads(self._queue.get(timeout=timeout_s)))
        except queue.Empty:
            return self.seen


def test_monitor_as_typed_records_a_real_session_and_ctrl_c_leaves_it_resumable(tmp_path, ports):
    ox_port, bp_port = ports
    db = tmp_path / "sessions.db"
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    with LiveDevice("cms50-v7", ox_port), LiveDevice("suntech", bp_port):
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sessionmon",
                "--db",
                str(db),
                "monitor",
                "--oximeter",
                f"cms50-v7:{ox_port.path}",
                "--nibp",
                f"suntech:{bp_port.path}",
                "--pseudonym",
                "HEADLESS-1",
                "--treatment",
                "esketamine-56",
                "--json",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            lines = Lines(process)
            first = lines.until(lambda o: True)
            assert first["type"] == "session" and first["pseudonym"] == "HEADLESS-1"
            assert first["treatment"] == "esketamine-56"
            lines.until(lambda o: o["type"] == "reading" and o["kind"] == "spo2")
            lines.until(lambda o: o["type"] == "reading" and o["kind"] == "cuff_pressure")
            process.send_signal(signal.SIGINT)
            code = process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    seen = lines.rest(timeout_s=1.0)
    assert code == 130, process.stderr.read()
    last = seen[-1]
    assert last["type"] == "stopped" and last["why"] == "interrupted"
    assert last["phase"] == "interrupted" and last["phase_before"] == "baseline"
    assert not any(o["type"] == "alarm" and "disconnected" in o.get("condition", "") for o in seen)
    session_id = first["session_id"]
    assert last["resume"].endswith(f"sessions resume {session_id[:8]}")
    with SessionStore.open(db, ManualClock()) as store:
        (summary,) = store.list_sessions()
        assert str(summary.id) == session_id and not summary.simulated
        assert summary.phase is SessionPhase.INTERRUPTED
        assert store.measurements(summary.id, kinds=[Kind.SPO2])
        resumed = store.resume_session(summary.id)
        assert resumed.phase is SessionPhase.BASELINE
        # a named patient is enrolled and the session is in their treatment course
        assert store.get_patient("HEADLESS-1") is not None
        course = store.open_course("HEADLESS-1")
        assert course is not None and course.treatment.value == "esketamine-56"
        assert store.get_session(summary.id).course_id == course.id


def test_monitor_for_a_duration_prints_plain_lines_and_records(tmp_path, ports, capsys):
    ox_port, _ = ports
    db = tmp_path / "sessions.db"
    with LiveDevice("nonin-df8", ox_port):
        oximeter = f"nonin-df8:{ox_port.path}"
        # Nonin #8 has no checksum: its first values come once 3 frames (2 s) agree
        code = main(["--db", str(db), "monitor", "--oximeter", oximeter, "--duration", "4.5"])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[0].startswith("session ") and "recording to" in out[0]
    assert any(" oximeter spo2 " in line for line in out)
    assert out[-1].startswith("stopped (duration) after ")
    with SessionStore.open(db, ManualClock()) as store:
        (summary,) = store.list_sessions()
        assert summary.pseudonym == "MONITOR"
        assert store.measurements(summary.id, kinds=[Kind.HR])
        # the default pseudonym is a recording of no patient: no patient record, no course
        assert store.get_patient("MONITOR") is None
        assert store.get_session(summary.id).course_id is None


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--oximeter", "suntech:{port}"], "suntech is an NIBP driver"),
        (["--oximeter", "cms50-v7"], "write DRIVER:PORT"),
        (["--oximeter", "cms50-v7:{dir}/none"], "cannot open {dir}/none (115200 8-N-1): no such"),
        (["--oximeter", "cms50-v7:{port}", "--bp-every", "5"], "--bp-every needs an NIBP"),
        (["--oximeter", "cms50-v7:{port}", "--treatment", "x"], "unknown treatment 'x'"),
    ],
)
def test_monitor_refuses_bad_arguments_in_one_line(tmp_path, ports, capsys, argv, message):
    values = {"port": ports[0].path, "dir": tmp_path}
    argv = [a.format(**values) for a in argv]
    code = main(["--db", str(tmp_path / "s.db"), "monitor", *argv])
    err = capsys.readouterr().err
    assert code == 2
    assert message.format(**values) in err
    assert len(err.strip().splitlines()) == 1
