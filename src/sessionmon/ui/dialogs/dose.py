"""Dose-given dialog: one esketamine device, the IV infusion start (by weight) or its stop.

The time is taken by the runtime when the dose is confirmed. The dialog shows what the core
will check (device n of N and the time since the last one; mg/kg against the clinic's band) and
the state of the pre-session safety checklist, with a button to it; when items are unanswered
the nurse must tick the confirmation before the dose is recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sessionmon.ui.dialogs.form import Submit, ValidatedForm, submitted


def _ago(now: datetime, then: datetime) -> str:
    seconds = max(0, round((now - then).total_seconds()))
    return f"{seconds // 60} min {seconds % 60:02d} s ago"


def _spin(low: float, high: float, decimals: int, step: float, suffix: str) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(low, high)
    box.setDecimals(decimals)
    box.setSingleStep(step)
    box.setSuffix(suffix)
    box.setMinimumWidth(160)
    return box


class DoseDialog(QDialog):
    """Asks who gives the dose (and, for IV ketamine, the weight, mg/kg and rate).

    Parameters
    ----------
    status : DosingStatus
        From :meth:`SessionRuntime.dosing_status`: devices so far, infusion, safety checklist.
    lot : str
        The treatment's lot number (editable here).
    by : str
        Who gives it (the last name used).
    now : datetime
        The time now (for "device 1 given 5 min 20 s ago").
    labels : callable
        Safety item key -> its question (for the unanswered list).

    Attributes
    ----------
    submit : callable, optional
        Records the dose; returns the core's refusal (shown in place, the dialog stays open).
    open_safety, open_override : callable, optional
        Open the safety checklist / the prescriber's override (buttons in the dialog).
    """

    def __init__(
        self,
        status: Any,
        lot: str = "",
        by: str = "",
        now: datetime | None = None,
        labels: Callable[[str], str] = str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.status = status
        self.submit: Submit | None = None
        self.open_safety: Callable[[], Any] | None = None
        self.open_override: Callable[[], Any] | None = None
        self.stopping = bool(status.infusion_running)
        self.setWindowTitle("Infusion stopped" if self.stopping else "Dose given")
        self.form_layout = ValidatedForm()
        layout = QVBoxLayout(self)
        title = QLabel(self._title())
        title.setStyleSheet("font-size: 22px; font-weight: bold;")
        title.setObjectName("doseTitle")
        layout.addWidget(title)
        self.title = title
        self.context = QLabel(self._context(now))
        self.context.setWordWrap(True)
        layout.addWidget(self.context)
        self.weight = self.mg_per_kg = self.rate = None
        self.dose_mg = QLabel("")
        self.dose_warning = QLabel("")
        self.dose_warning.setObjectName("fieldError")
        if not status.is_nasal and not self.stopping:
            self.weight = self.form_layout.add_field(
                "weight", "Weight (kg) *", _spin(0, 300, 1, 0.5, " kg")
            )
            self.mg_per_kg = self.form_layout.add_field(
                "mg_per_kg", "Dose (mg/kg) *", _spin(0, 5, 2, 0.05, " mg/kg")
            )
            self.mg_per_kg.setValue(status.iv_low_mg_per_kg)
            self.form_layout.addRow("Dose (mg)", self.dose_mg)
            self.rate = self.form_layout.add_field(
                "rate", "Rate (mg/h)", _spin(0, 2000, 1, 1, " mg/h")
            )
            self.rate.setToolTip(f"Empty (0): the dose over {status.infusion_min:g} min")
            self.rate.setSpecialValueText(f"dose over {status.infusion_min:g} min")
            self.form_layout.addRow("", self.dose_warning)
            for box in (self.weight, self.mg_per_kg, self.rate):
                box.valueChanged.connect(self._recalculate)
        self.lot = None
        if not self.stopping:
            self.lot = self.form_layout.add_field("lot", "Lot number", QLineEdit(lot))
        self.by = self.form_layout.add_field("by", "Given by *", QLineEdit(by))
        self.note = self.form_layout.add_field("note", "Note", QLineEdit())
        layout.addLayout(self.form_layout)
        self.safety = QLabel("")
        self.safety.setWordWrap(True)
        self.confirm_unanswered = QCheckBox("")
        self.confirm_unanswered.setVisible(False)
        self.needs_confirmation = False
        safety_row = QHBoxLayout()
        self.safety_button = QPushButton("Safety checklist...")
        self.safety_button.clicked.connect(lambda: self.open_safety and self.open_safety())
        self.override_button = QPushButton("Prescriber override...")
        self.override_button.clicked.connect(lambda: self.open_override and self.open_override())
        safety_row.addWidget(self.safety_button)
        safety_row.addWidget(self.override_button)
        safety_row.addStretch(1)
        first = not self.stopping and status.devices_given == 0 and status.last_dose_at is None
        self.first_dose = first
        if first:
            layout.addWidget(self.safety)
            layout.addWidget(self.confirm_unanswered)
            layout.addLayout(safety_row)
            self.show_safety(status, labels)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self._ok_text())
        buttons.accepted.connect(self.try_accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._recalculate()

    # ------------------------------------------------------------------ texts

    def _title(self) -> str:
        s = self.status
        if s.is_nasal:
            number = s.devices_given + 1
            return (
                f"{s.drug.capitalize()} nasal device {number} of {s.devices_planned} "
                f"({s.device_mg:g} mg)"
            )
        if self.stopping:
            return f"{s.drug.capitalize()} IV infusion running"
        return f"{s.drug.capitalize()} IV infusion"

    def _context(self, now: datetime | None) -> str:
        s = self.status
        if s.is_nasal:
            total = s.devices_planned * s.device_mg
            if s.last_dose_at is not None and now is not None:
                given = s.devices_given * s.device_mg
                return (
                    f"Device {s.devices_given} given {_ago(now, s.last_dose_at)} "
                    f"({given:g} of {total:g} mg so far). Devices about 5 min apart."
                )
            return f"Device 1 starts the session clock. {total:g} mg planned."
        if self.stopping:
            started = s.infusion_started_at
            text = "The infusion stop is recorded at this moment."
            if started is not None and now is not None:
                text = f"Started {_ago(now, started)}. " + text
            return text
        return (
            f"The infusion start is recorded at this moment. Dose band "
            f"{s.iv_low_mg_per_kg:g}-{s.iv_high_mg_per_kg:g} mg/kg."
        )

    def _ok_text(self) -> str:
        s = self.status
        if s.is_nasal:
            return f"Device {s.devices_given + 1} given now"
        return "Infusion stopped now" if self.stopping else "Start infusion now"

    def show_safety(self, status: Any, labels: Callable[[str], str] = str) -> None:
        """Show the safety checklist's state (called again after the checklist is recorded)."""
        self.status = status
        if not status.safety_done:
            text = "Safety checklist: not done."
        elif status.contraindications and status.override is None:
            names = "; ".join(labels(k) for k in status.contraindications)
            text = f"CONTRAINDICATION answered yes: {names} A prescriber must override."
        elif status.contraindications:
            text = f"Contraindication overridden by {status.override.get('prescriber')}."
        else:
            text = "Safety checklist: done."
        if status.safety_done and status.cautions:
            text += " Cautions: " + "; ".join(labels(k) for k in status.cautions)
        self.safety.setText(text)
        blocked = bool(status.contraindications) and status.override is None
        self.safety.setObjectName("fieldError" if blocked else "")
        self.safety.setStyleSheet("color: #FF6B6B; font-weight: bold;" if blocked else "")
        self.override_button.setVisible(blocked)
        count = len(status.unanswered)
        self.needs_confirmation = count > 0
        self.confirm_unanswered.setVisible(count > 0)
        self.confirm_unanswered.setChecked(False)
        self.confirm_unanswered.setText(
            f"Give the dose with {count} safety checklist item(s) unanswered"
        )

    # ------------------------------------------------------------------ values

    def _recalculate(self) -> None:
        if self.weight is None or self.mg_per_kg is None:
            return
        weight, per_kg = self.weight.value(), self.mg_per_kg.value()
        mg = round(weight * per_kg, 1)
        rate = self.rate.value() if self.rate is not None else 0.0
        if not rate and mg:
            rate = mg / self.status.infusion_min * 60
        self.dose_mg.setText(f"{mg:g} mg at {rate:.1f} mg/h" if weight and per_kg else "-")
        low, high = self.status.iv_low_mg_per_kg, self.status.iv_high_mg_per_kg
        warn = ""
        if per_kg and not low <= per_kg <= high:
            warn = f"{per_kg:.2f} mg/kg is outside {low:g}-{high:g} mg/kg"
        self.dose_warning.setText(warn)

    def details(self) -> dict[str, Any]:
        """The values for :meth:`ConsoleController.dose` (lot, and for IV weight, mg/kg, rate)."""
        values: dict[str, Any] = {}
        if self.lot is not None and self.lot.text().strip():
            values["lot_number"] = self.lot.text().strip()
        if self.weight is not None and self.mg_per_kg is not None:
            values["weight_kg"] = self.weight.value() or None
            values["mg_per_kg"] = self.mg_per_kg.value() or None
            if self.rate is not None and self.rate.value():
                values["rate_mg_per_h"] = self.rate.value()
        return values

    def try_accept(self) -> bool:
        """Record the dose once the required fields are filled; a refusal keeps it open."""
        errors = {} if self.by.text().strip() else {"by": "Enter who gives the dose."}
        if self.weight is not None and not self.weight.value():
            errors["weight"] = "Enter the patient's weight."
        if self.mg_per_kg is not None and not self.mg_per_kg.value():
            errors["mg_per_kg"] = "Enter the dose in mg/kg."
        self.form_layout.show_errors(errors)
        if self.needs_confirmation and not self.confirm_unanswered.isChecked():
            self.form_layout.show_refusal(
                "Answer the safety checklist, or tick the box to give the dose without it."
            )
            return False
        if errors or not submitted(self.submit, self.form_layout.show_refusal):
            return False
        self.accept()
        return True
