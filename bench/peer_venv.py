"""Install the peer GUI ``cms50ew`` into a venv of its own, for ``bench/live_cpu.py``.

``cms50ew`` (github.com/tobac/cms50ew, a PyQt5 + pyqtgraph client for the CMS50EW) is not on the
package registry and has no packaging of its own: it is a folder ``cms50ew/`` holding
``cms50ew.py`` (the device) and ``cms50ew_qt.py`` (the GUI, run as a script from that folder).
Where the peer comes from, first found wins:

1. a source the user names: ``--peer-source`` or the ``SESSIONMON_PEER_SOURCE`` environment
   variable, a checkout (a folder holding ``cms50ew/cms50ew_qt.py``) or anything ``git clone``
   takes (a URL, a path to a repository or to its ``.git``), cloned into the cache;
2. the package registry, should ``cms50ew`` ever appear there;
3. else the bench skips the peer and says how to name a source.

The venv gets the peer's imports from the registry (PyQt5, PyQtWebEngine, pyqtgraph, numpy,
pyserial, pygal, matplotlib) and a ``.pth`` file putting the peer's folder on its path; nothing of
the peer is copied into this repository. The peer imports PyBluez (``bluetooth``) only for the
exception types of its Bluetooth link and to ask whether an adapter exists; PyBluez 0.23 no longer
builds (it needs ``use_2to3``), so when its install fails the venv gets a stand-in module
``bluetooth`` (no adapter, one exception type) and the bench says so.

The venv is kept under ``$XDG_CACHE_HOME/sessionmon-bench/`` (``~/.cache`` by default), one per
source, and made again when the source or the requirement list changes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

#: What the peer imports, from the registry (PyQtWebEngine: ``cms50ew_qt`` imports its
#: ``QWebEngineView`` at the top to show Pygal plots).
REQUIREMENTS = ["PyQt5", "PyQtWebEngine", "pyqtgraph", "numpy", "pyserial", "pygal", "matplotlib"]
ENV_VAR = "SESSIONMON_PEER_SOURCE"
HOW_TO = (
    f"name a checkout of github.com/tobac/cms50ew with --peer-source PATH_OR_GIT_URL"
    f" (or {ENV_VAR}=... make bench)"
)
BLUETOOTH_STAND_IN = '''"""Stand-in for PyBluez (which does not build here), by bench/peer_venv.py.

The peer imports ``bluetooth`` for its exception types and to ask whether an adapter exists;
this answers "no adapter" and offers no Bluetooth link.
"""

import types

RFCOMM = 3


class BluetoothError(OSError):
    """The error a Bluetooth link raises."""


btcommon = types.SimpleNamespace(BluetoothError=BluetoothError)
_bluetooth = types.SimpleNamespace(hci_devid=lambda *args: -1)


def BluetoothSocket(*args, **kwargs):
    raise BluetoothError("no Bluetooth: PyBluez stand-in")


def discover_devices(*args, **kwargs):
    return []


def lookup_name(*args, **kwargs):
    return None
'''


@dataclass
class Peer:
    """A peer venv ready to run: its python, where the peer came from, what was stood in."""

    python: Path
    origin: str
    notes: list[str] = field(default_factory=list)


def cache_root() -> Path:
    """Where peer venvs are kept."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sessionmon-bench"


def _run(command: list[str], timeout: float = 600.0, cwd: Path | None = None) -> str | None:
    """Run ``command``; None if it worked, else the last line it wrote."""
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, cwd=cwd, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return str(error)
    if done.returncode == 0:
        return None
    lines = (done.stderr.strip() or done.stdout.strip() or "failed").splitlines()
    return lines[-1]


def _checkout(source: str, folder: Path) -> tuple[Path | None, str]:
    """The folder holding ``cms50ew_qt.py`` for ``source`` (cloned if need be), or None and why."""
    local = Path(source).expanduser()
    if (local / "cms50ew" / "cms50ew_qt.py").is_file():
        return local.resolve() / "cms50ew", f"checkout {local.resolve()}"
    if (local / "cms50ew_qt.py").is_file():
        return local.resolve(), f"checkout {local.resolve()}"
    clone = folder / "src"
    if not (clone / "cms50ew" / "cms50ew_qt.py").is_file():
        why = _run(["git", "clone", "--quiet", "--depth", "1", source, str(clone)], 300.0)
        if why is not None:
            return None, f"{source} is not a cms50ew checkout and git could not clone it ({why})"
    head = subprocess.run(
        ["git", "-C", str(clone), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    return clone / "cms50ew", f"{source} cloned at {head or '?'} into {clone}"


def _site_packages(venv: Path) -> Path:
    relative = Path(sysconfig.get_path("purelib")).relative_to(sysconfig.get_path("data"))
    return venv / relative


def _make_venv(venv: Path, peer_dir: Path | None) -> tuple[list[str], str | None]:
    """Build the venv; return its notes and None, or the notes and why it failed."""
    notes: list[str] = []
    made = _run([sys.executable, "-m", "venv", "--clear", str(venv)], 120.0)
    if made is not None:
        return notes, f"a venv could not be made ({made})"
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    wanted = REQUIREMENTS if peer_dir is not None else [*REQUIREMENTS, "cms50ew"]
    why = _run([*pip, *wanted])
    if why is not None:
        what = "the peer's dependencies" if peer_dir is not None else "cms50ew"
        return notes, f"{what} could not be installed from the package registry ({why})"
    site = _site_packages(venv)
    if peer_dir is not None:
        (site / "cms50ew_peer.pth").write_text(f"{peer_dir}\n")
    if _run([*pip, "pybluez"], 300.0) is not None:
        (site / "bluetooth.py").write_text(BLUETOOTH_STAND_IN)
        notes.append("PyBluez does not build here: its venv has a stand-in `bluetooth` module")
    return notes, None


def _on_registry() -> bool:
    """Whether the package registry has a distribution called ``cms50ew``."""
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
        command += ["--timeout", "10", "--retries", "1"]
        return _run([*command, "--dest", tmp, "cms50ew"], 120.0) is None


def peer(source: str | None) -> Peer | str:
    """The peer's venv (made or reused), or why the peer cannot be run."""
    if source:
        key = "source-" + hashlib.sha256(source.encode()).hexdigest()[:12]
    elif _on_registry():
        key = "registry"
    else:
        return f"cms50ew is not on the package registry and no source was named: {HOW_TO}"
    folder = cache_root() / f"peer-cms50ew-{key}"
    folder.mkdir(parents=True, exist_ok=True)
    peer_dir, origin = _checkout(source, folder) if source else (None, "the package registry")
    if source and peer_dir is None:
        with contextlib.suppress(OSError):
            folder.rmdir()  # nothing kept for a source that is not one
        return f"{origin}; {HOW_TO}"
    venv = folder / "venv"
    stamp = folder / "stamp"
    wanted = "\n".join([str(peer_dir), *REQUIREMENTS])
    notes_file = folder / "notes"
    if stamp.is_file() and stamp.read_text() == wanted and (venv / "bin" / "python").exists():
        notes = notes_file.read_text().splitlines() if notes_file.is_file() else []
        return Peer(venv / "bin" / "python", origin, [*notes, f"venv reused from {venv}"])
    stamp.unlink(missing_ok=True)
    notes, why = _make_venv(venv, peer_dir)
    if why is not None:
        return why
    notes_file.write_text("".join(f"{note}\n" for note in notes))
    stamp.write_text(wanted)
    return Peer(venv / "bin" / "python", origin, [*notes, f"venv made in {venv}"])
