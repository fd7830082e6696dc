"""A real MQTT broker process on 127.0.0.1 for the central-station tests.

Mosquitto when it is on PATH (``.ci/run`` installs it on Debian), otherwise the pure-Python
``amqtt`` broker (plain listener only).
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

from pty_helpers import wait_until

MOSQUITTO = shutil.which("mosquitto") or (
    "/usr/sbin/mosquitto" if os.path.exists("/usr/sbin/mosquitto") else None
)
if os.environ.get("SESSIONMON_TEST_BROKER") == "amqtt":  # try the fallback where mosquitto is
    MOSQUITTO = None


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class Broker:
    """One broker process; :meth:`kill` and :meth:`start` again keep the port."""

    def __init__(
        self, folder: Path, tls: dict[str, Path] | None = None, extra: list[str] | None = None
    ) -> None:
        self.folder = folder
        self.extra = extra or []
        self.port = free_port()
        self.tls = tls
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """``mqtt://127.0.0.1:PORT`` (``mqtts://`` with TLS)."""
        return f"{'mqtts' if self.tls else 'mqtt'}://127.0.0.1:{self.port}"

    def _command(self) -> list[str]:
        if MOSQUITTO:
            lines = [
                f"listener {self.port} 127.0.0.1",
                *(self.extra or ["allow_anonymous true"]),
                f"user {getpass.getuser()}",  # as root it would drop to 'mosquitto': no tmp access
            ]
            if self.tls:
                lines += [
                    f"cafile {self.tls['ca']}",
                    f"certfile {self.tls['cert']}",
                    f"keyfile {self.tls['key']}",
                ]
            conf = self.folder / "mosquitto.conf"
            conf.write_text("\n".join(lines) + "\n")
            return [MOSQUITTO, "-c", str(conf)]
        if self.extra:
            raise RuntimeError("the access-list test needs mosquitto (apt-get install mosquitto)")
        tls = ""
        if self.tls:
            tls = (
                f"    ssl: true\n    certfile: {self.tls['cert']}\n    keyfile: {self.tls['key']}\n"
            )
        conf = self.folder / "amqtt.yaml"
        conf.write_text(
            "listeners:\n  default:\n    type: tcp\n"
            f"    bind: 127.0.0.1:{self.port}\n{tls}"
            "plugins:\n  amqtt.plugins.authentication.AnonymousAuthPlugin:\n"
            "    allow_anonymous: true\n"
        )
        run = (
            "import sys; from amqtt.scripts.broker_script import main; "
            "sys.argv[0] = 'amqtt'; main()"
        )
        return [sys.executable, "-c", run, "-c", str(conf)]

    def start(self, timeout_s: float = 10.0) -> Broker:
        """Start the broker and wait until it accepts connections."""
        log = open(self.folder / "broker.log", "ab")  # noqa: SIM115 - kept by the process
        self.process = subprocess.Popen(self._command(), stdout=log, stderr=log)
        process = self.process
        wait_until(lambda: process.poll() is not None or _accepts(self.port), timeout_s)
        if process.poll() is not None or not _accepts(self.port):
            raise RuntimeError(
                f"broker did not start: {(self.folder / 'broker.log').read_text()[-500:]}"
            )
        return self

    def kill(self) -> None:
        """SIGKILL the broker (no goodbye to anyone) and wait for it."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(5)
        self.process = None


def make_certificates(folder: Path) -> dict[str, Path]:
    """A CA, a server certificate for 127.0.0.1/localhost signed by it, and a second CA."""

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=folder)

    for name in ("ca", "other_ca"):
        run(
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", f"{name}.key", "-out", f"{name}.pem", "-subj", f"/CN=sessionmon {name}",
        )  # fmt: skip
    (folder / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run(
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=127.0.0.1",
    )  # fmt: skip
    run(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "san.ext",
    )  # fmt: skip
    return {
        "ca": folder / "ca.pem",
        "cert": folder / "server.pem",
        "key": folder / "server.key",
        "other_ca": folder / "other_ca.pem",
    }
