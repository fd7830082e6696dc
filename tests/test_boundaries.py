"""The import-linter contracts in pyproject.toml: the core never imports Qt; no import circles."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(cwd: Path, extra_path: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if extra_path is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(extra_path), env.get("PYTHONPATH")]))
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", "pyproject.toml", "--no-cache"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_core_does_not_import_qt_and_has_no_import_circles():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken" in result.stdout


def copy_of_the_package(tmp_path: Path) -> Path:
    """Copy src/sessionmon and pyproject.toml; add empty packages for core modules not built yet."""
    shutil.copytree(
        ROOT / "src" / "sessionmon",
        tmp_path / "src" / "sessionmon",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    [contract] = [
        c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "forbidden"
    ]
    for module in contract["source_modules"]:
        path = tmp_path / "src" / Path(*module.split("."))
        if not path.with_suffix(".py").exists() and not (path / "__init__.py").exists():
            path.mkdir(parents=True, exist_ok=True)
            (path / "__init__.py").write_text("")
    return tmp_path


def test_the_contract_catches_qt_in_the_core(tmp_path):
    copy = copy_of_the_package(tmp_path)
    clean = lint_imports(copy, extra_path=copy / "src")
    assert clean.returncode == 0, clean.stdout + clean.stderr

    leak = copy / "src" / "sessionmon" / "store" / "qt_leak.py"
    leak.write_text("from PySide6 import QtCore\n")
    broken = lint_imports(copy, extra_path=copy / "src")
    assert broken.returncode != 0
    assert "sessionmon.store.qt_leak -> PySide6" in broken.stdout


def test_the_contract_catches_an_import_circle(tmp_path):
    copy = copy_of_the_package(tmp_path)
    intents = copy / "src" / "sessionmon" / "runtime" / "intents.py"
    intents.write_text(
        intents.read_text() + "\nfrom sessionmon.runtime.session_runtime import SessionRuntime\n"
    )
    broken = lint_imports(copy, extra_path=copy / "src")
    assert broken.returncode != 0
    assert "no circles) BROKEN" in broken.stdout
    assert ".session_runtime -> .intents" in broken.stdout


@pytest.mark.parametrize(
    ("module", "line", "package", "edge"),
    [
        # a typing-only import counts: the store's mixins type against store_wiring instead
        (
            "store/buffered_writes.py",
            "if TYPE_CHECKING:\n    from sessionmon.store.session_store import SessionStore\n",
            "sessionmon.store",
            ".buffered_writes -> .session_store",
        ),
        # a package-level circle: sim uses devices, so devices may not use sim
        (
            "devices/source.py",
            "def _physiology():\n    from sessionmon.sim import Physiology  # noqa: F401\n",
            "sessionmon",
            ".devices -> .sim",
        ),
        # the store keeps the course models; course types against course/record_store
        (
            "course/enrol.py",
            "if TYPE_CHECKING:\n    from sessionmon.store import SessionStore\n",
            "sessionmon",
            ".course -> .store",
        ),
    ],
)
def test_the_contract_catches_circles_in_the_store_and_between_packages(
    tmp_path, module, line, package, edge
):
    copy = copy_of_the_package(tmp_path)
    path = copy / "src" / "sessionmon" / module
    path.write_text(path.read_text() + "\n" + line)
    broken = lint_imports(copy, extra_path=copy / "src")
    assert broken.returncode != 0
    assert "no circles) BROKEN" in broken.stdout
    assert f"No cycles are allowed in {package}." in broken.stdout
    assert edge in broken.stdout
