"""Scratch folders of exports, and removing those left by an export that was killed.

An export writes into ``.sessionmon-export-<pid>-<random>`` beside its target and moves the
finished files into place (see :mod:`sessionmon.export.run`). A process killed halfway leaves
that folder behind; :func:`remove_stale_scratch` removes every such folder whose process is gone
(run before each export into the folder, and when the console starts, on its export folder).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

log = logging.getLogger(__name__)

PREFIX = ".sessionmon-export-"
_NAMED = re.compile(rf"^{re.escape(PREFIX)}(\d+)-")
#: A scratch folder without a process id (written by sessionmon 0.1) is stale after this long.
UNNAMED_STALE_S = 3600.0


def make_scratch(folder: Path) -> Path:
    """Create a private (0700) scratch folder in ``folder`` named after this process."""
    return Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=folder))


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's live process
    return True


def remove_stale_scratch(folder: Path | str | None) -> list[Path]:
    """Remove the scratch folders in ``folder`` left by exports whose process is gone.

    Returns the folders removed (nothing, without error, if ``folder`` is missing or unreadable).
    """
    if not folder:
        return []
    removed = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return []
    now = time.time()
    for entry in entries:
        if not entry.name.startswith(PREFIX) or entry.is_symlink() or not entry.is_dir():
            continue
        named = _NAMED.match(entry.name)
        if named:
            stale = not _process_alive(int(named.group(1)))
        else:
            try:
                stale = now - entry.stat().st_mtime > UNNAMED_STALE_S
            except OSError:
                continue
        if stale:
            shutil.rmtree(entry, ignore_errors=True)
            if not entry.exists():
                removed.append(entry)
                log.warning("removed %s, left by an export that did not finish", entry)
    return removed
