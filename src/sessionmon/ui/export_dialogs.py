"""Exporting from the console window: the export dialog, the worker thread with its progress
dialog, and the result shown after."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtWidgets import (
    QMessageBox,
    QProgressDialog,
)

from sessionmon.errors import UserError
from sessionmon.ui.dialogs.export_dialog import ExportDialog
from sessionmon.ui.export_job import ExportJob, ExportRequest

if TYPE_CHECKING:  # pragma: no cover - typing only
    from sessionmon.ui.window_wiring import ConsoleWindow

    _Base = ConsoleWindow
else:
    _Base = object


class ExportDialogs(_Base):
    """Opens the export dialog and runs the export it asks for."""

    __slots__ = ()  # the window keeps the state; a mixin adds no instance layout

    def export_folder(self) -> Path:
        """Where an export goes by default: the last export folder, else Documents, else home."""
        remembered = self.controller.settings.export_folder
        if remembered and Path(remembered).is_dir():
            return Path(remembered)
        documents = QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation
        )
        if documents and Path(documents).is_dir():
            return Path(documents)
        return Path.home()

    def show_export(self, session_id: Any | None = None, fmt: str | None = None) -> Any:
        """Open the export dialog for ``session_id`` (default: the session on screen)."""
        c = self.controller
        if session_id is None:
            shown = c.runtime.session if c.runtime else c.read_only_session
            if shown is None:
                c.error.emit("Start or open a session first (or pick one in Session history).")
                return None
            session_id = shown.id
        try:
            session = c.store.get_session(session_id)
        except (LookupError, UserError) as exc:
            c.error.emit(str(exc))
            return None
        dialog = ExportDialog(
            session.id, session.patient.pseudonym, session.created_at, self.export_folder(), self
        )
        if fmt is not None:
            dialog.set_format(fmt)
        dialog.accepted.connect(lambda: self.start_export(dialog.request))
        return self._open("export", dialog)

    def start_export(self, request: ExportRequest) -> ExportJob | None:
        """Run ``request`` in a worker thread with a progress dialog; the result is shown after."""
        c = self.controller
        if self.export_job is not None and self.export_job.isRunning():
            c.error.emit("An export is already running; wait for it to finish.")
            return None
        try:
            c.store.flush()  # the worker reads the database on its own connection
        except UserError as exc:
            c.error.emit(f"Export not started: {exc}")
            return None
        job = ExportJob(c.store.path, request, c.clock, by=c.staff, parent=self)
        progress = QProgressDialog(
            f"Exporting {request.out.name} ({request.fmt.upper()})...", "", 0, 100, self
        )
        progress.setWindowTitle("Export")
        progress.setCancelButton(None)  # an export cannot be stopped half-way
        progress.setWindowModality(Qt.WindowModality.NonModal)  # alarms stay reachable
        progress.setMinimumDuration(0)
        progress.setAutoClose(False)
        progress.setAutoReset(False)
        progress.setValue(0)
        self.last_export_progress = 0
        job.progress.connect(self._export_progressed)
        job.succeeded.connect(self._export_succeeded)
        job.failed.connect(self._export_failed)
        self.export_job = job
        self.export_progress = progress
        progress.show()
        job.start()
        return job

    def _export_progressed(self, fraction: float) -> None:
        self.last_export_progress = round(fraction * 100)
        if self.export_progress is not None:
            self.export_progress.setValue(self.last_export_progress)

    def _export_finished(self) -> None:
        if self.export_job is not None:
            self.export_job.wait()  # run() has emitted its last signal; let the thread end
        if self.export_progress is not None:
            self.export_progress.close()
            self.export_progress.deleteLater()
            self.export_progress = None

    def _export_succeeded(self, result: Any) -> None:
        self._export_finished()
        paths = [str(p) for p in result.paths]
        self.controller.settings.export_folder = str(Path(paths[0]).parent)
        self.controller.save_settings()
        text = "Exported to " + " and ".join(paths)
        if result.format == "rems":
            text += " (REMS monitoring form)"
        self.show_message(text)
        self._show_export_result(QMessageBox.Icon.Information, "Export done", text)

    def _export_failed(self, reason: str) -> None:
        self._export_finished()
        text = f"Export failed: {reason}"
        self.show_message(text)
        self._show_export_result(QMessageBox.Icon.Warning, "Export failed", text)

    def _show_export_result(self, icon: QMessageBox.Icon, title: str, text: str) -> None:
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self)
        box.setWindowModality(Qt.WindowModality.NonModal)
        old = self.dialogs.get("export_result")
        if old is not None:
            old.close()
            old.deleteLater()
        self.dialogs["export_result"] = box
        box.show()
