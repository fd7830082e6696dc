"""Export dialog: format, de-identification, waveform and the file to write, validated in place."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sessionmon.ui.dialogs.form import ValidatedForm
from sessionmon.ui.export_job import (
    FORMAT_LABELS,
    WAVEFORM_FORMATS,
    ExportRequest,
    default_export_name,
    unused_path,
)


def validate_export_path(text: str) -> str | None:
    """Return why ``text`` cannot be exported to, or ``None`` if it can be tried."""
    text = text.strip()
    if not text:
        return "Choose the file to write."
    path = Path(text).expanduser()
    if path.is_dir():
        return f"{path} is a folder; add a file name."
    if not path.parent.is_dir():
        return f"The folder {path.parent} does not exist."
    return None


def waveform_text() -> str:
    """The waveform check box's text, naming the formats that take the waves (from
    :data:`WAVEFORM_FORMATS`, in the order of the format list)."""
    names = [
        label.split()[0].rstrip(",")
        for fmt, label in FORMAT_LABELS.items()
        if fmt in WAVEFORM_FORMATS
    ]
    return f"Include the waveforms: pleth and capnogram ({', '.join(names)})"


class ExportDialog(QDialog):
    """Asks how and where to export one session; :attr:`request` is set when accepted.

    Parameters
    ----------
    session_id : UUID
        The session to export.
    pseudonym : str
        The patient pseudonym (for the title and the default file name).
    started : datetime
        When the session started (for the default file name).
    folder : Path
        The folder of the default file (the last export folder, Documents or home).
    """

    def __init__(
        self,
        session_id: uuid.UUID,
        pseudonym: str,
        started: datetime,
        folder: Path,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export session")
        self.session_id = session_id
        self._pseudonym = pseudonym
        self._started = started
        self._folder = folder
        self._suggested = ""  # the path we filled in; replaced when the format changes
        self.request: ExportRequest | None = None
        f = self.form_layout = ValidatedForm()
        self.format = f.add_field("format", "Format", QComboBox())
        for fmt, label in FORMAT_LABELS.items():
            self.format.addItem(label, fmt)
        self.deidentify = f.add_field(
            "deidentify", "", QCheckBox("De-identify (no name or date of birth, dates shifted)")
        )
        self.waveform = f.add_field("waveform", "", QCheckBox(waveform_text()))
        chooser = QWidget()
        row = QHBoxLayout(chooser)
        row.setContentsMargins(0, 0, 0, 0)
        self.path = QLineEdit()
        self.path.setMinimumWidth(620)
        self.browse_button = QPushButton("Choose...")
        row.addWidget(self.path, 1)
        row.addWidget(self.browse_button)
        f.add_field("path", "File", chooser)
        f.fields["path"] = self.path  # errors mark the text field
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        self.buttons.accepted.connect(self.try_accept)
        self.buttons.rejected.connect(self.reject)
        title = QLabel(f"Session {pseudonym}, started {started.astimezone():%Y-%m-%d %H:%M}")
        title.setStyleSheet("font-size: 20px; font-weight: bold;")
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(f)
        layout.addWidget(self.buttons)
        self.format.currentIndexChanged.connect(self._options_changed)
        self.deidentify.toggled.connect(self._options_changed)
        self.browse_button.clicked.connect(self.browse)
        self._options_changed()

    @property
    def fmt(self) -> str:
        """The chosen format id."""
        return str(self.format.currentData())

    def set_format(self, fmt: str) -> None:
        """Choose format ``fmt`` (one of :data:`FORMAT_LABELS`)."""
        self.format.setCurrentIndex(self.format.findData(fmt))

    def suggested_path(self) -> Path:
        """The default file for the current choices (never an existing file)."""
        name = default_export_name(
            self._pseudonym, self.session_id, self._started, self.fmt, self.deidentify.isChecked()
        )
        return unused_path(self._folder / name)

    def _options_changed(self) -> None:
        allows_waveform = self.fmt in WAVEFORM_FORMATS
        self.waveform.setEnabled(allows_waveform)
        if not allows_waveform:
            self.waveform.setChecked(False)
        if self.path.text() in ("", self._suggested):  # the nurse's own choice is kept
            self._suggested = str(self.suggested_path())
            self.path.setText(self._suggested)

    def browse(self) -> None:
        """Let the nurse pick the file (the file dialog confirms replacing an existing one)."""
        current = Path(self.path.text().strip() or self._suggested)
        chosen, _ = QFileDialog.getSaveFileName(self, "Export to", str(current))
        if chosen:
            self.path.setText(chosen)

    def try_accept(self) -> bool:
        """Check the file; accept with :attr:`request` set, or show why not and keep the text."""
        problem = validate_export_path(self.path.text())
        self.form_layout.show_errors({"path": problem} if problem else {})
        if problem:
            self.path.setFocus()
            return False
        self.request = ExportRequest(
            session_id=self.session_id,
            fmt=self.fmt,
            out=Path(self.path.text().strip()).expanduser(),
            deidentify=self.deidentify.isChecked(),
            waveform=self.waveform.isChecked(),
        )
        self.accept()
        return True
