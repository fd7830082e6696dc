"""Clinic settings dialog: the clinic's name, address and phone, and the staff list, entered once.

The REMS patient monitoring form takes the healthcare setting from here and the monitoring
provider from the staff list; the report shows the clinic instead of "-".
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from sessionmon.clinic import ClinicSettings
from sessionmon.errors import UserError
from sessionmon.ui.dialogs.form import ValidatedForm

_CLINIC_FIELDS = (
    ("name", "Clinic name *"),
    ("address", "Street address *"),
    ("city", "City *"),
    ("state", "State *"),
    ("zip", "ZIP code *"),
    ("phone", "Telephone"),
)
_STAFF_COLUMNS = (
    ("first_name", "First name"),
    ("last_name", "Last name"),
    ("phone", "Telephone"),
    ("email", "Email"),
    ("role", "Role"),
)


class ClinicSettingsDialog(QDialog):
    """Edit :class:`~sessionmon.clinic.ClinicSettings`.

    Attributes
    ----------
    save : callable, optional
        Called with the validated settings; may raise ``UserError`` (shown in place).
    """

    def __init__(self, clinic: ClinicSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Clinic settings")
        self.setMinimumWidth(760)
        self.save = None
        intro = QLabel(
            "Entered once for this computer. The REMS patient monitoring form takes the "
            "healthcare setting from here and the monitoring provider from the staff list."
        )
        intro.setWordWrap(True)
        self.form_layout = ValidatedForm()
        self.edits: dict[str, QLineEdit] = {}
        for name, label in _CLINIC_FIELDS:
            edit = QLineEdit(getattr(clinic, name))
            self.edits[name] = self.form_layout.add_field(name, label, edit)
        self.edits["state"].setPlaceholderText("2 letters, e.g. NY")
        self.edits["zip"].setPlaceholderText("12345 or 12345-6789")
        self.staff = QTableWidget(0, len(_STAFF_COLUMNS))
        self.staff.setHorizontalHeaderLabels([label for _, label in _STAFF_COLUMNS])
        self.staff.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.staff.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.staff.setMinimumHeight(180)
        for person in clinic.staff:
            self.add_staff_row([getattr(person, key) for key, _ in _STAFF_COLUMNS])
        add = QPushButton("Add staff member")
        add.clicked.connect(lambda: self.add_staff_row())
        remove = QPushButton("Remove selected")
        remove.clicked.connect(self.remove_selected)
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        self.staff_error = QLabel("")
        self.staff_error.setObjectName("fieldError")
        self.staff_error.setWordWrap(True)
        self.staff_error.setVisible(False)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.try_accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(self.form_layout)
        staff_title = QLabel("Staff (monitoring providers for the REMS form)")
        staff_title.setStyleSheet("font-weight: bold;")
        layout.addWidget(staff_title)
        layout.addWidget(self.staff)
        layout.addLayout(row)
        layout.addWidget(self.staff_error)
        layout.addWidget(buttons)

    def add_staff_row(self, values: list[str] | None = None) -> int:
        """Add a staff row (empty, or with ``values``); returns its index."""
        index = self.staff.rowCount()
        self.staff.insertRow(index)
        for column, value in enumerate(values or [""] * len(_STAFF_COLUMNS)):
            self.staff.setItem(index, column, QTableWidgetItem(value))
        return index

    def remove_selected(self) -> None:
        """Remove the selected staff rows."""
        for index in sorted({i.row() for i in self.staff.selectedIndexes()}, reverse=True):
            self.staff.removeRow(index)

    def data(self) -> dict:
        """What is typed, as clinic-settings data (empty staff rows left out)."""
        staff = []
        for row in range(self.staff.rowCount()):
            values = {
                key: (self.staff.item(row, column).text() if self.staff.item(row, column) else "")
                for column, (key, _) in enumerate(_STAFF_COLUMNS)
            }
            if any(v.strip() for v in values.values()):
                staff.append(values)
        return {**{name: edit.text() for name, edit in self.edits.items()}, "staff": staff}

    def try_accept(self) -> bool:
        """Validate and save; a bad field is named under it (the dialog stays open)."""
        self.staff_error.setVisible(False)
        try:
            clinic = ClinicSettings.from_data(self.data(), "clinic settings")
            if self.save is not None:
                self.save(clinic)
        except UserError as exc:
            text = str(exc).removeprefix("clinic settings: ")
            field = text.split(":", 1)[0]
            if field in self.edits:
                self.form_layout.show_errors({field: text.split(":", 1)[1].strip()})
            elif field.startswith("staff"):
                self.form_layout.show_errors({})
                parts = field.split(".")
                where = f"Staff row {int(parts[1]) + 1}" if len(parts) > 1 else "Staff"
                self.staff_error.setText(f"{where}: {text.split(':', 1)[1].strip()}")
                self.staff_error.setVisible(True)
            else:
                self.form_layout.show_refusal(text)
            return False
        self.form_layout.show_errors({})
        self.accept()
        return True
