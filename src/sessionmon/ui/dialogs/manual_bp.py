"""Manual BP entry: a blood pressure taken with a manual cuff, validated in place."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from sessionmon.ui.dialogs.form import ValidatedForm, submitted

#: Plausible ranges of a manual reading, mmHg (anything else is a typing slip).
SYS_RANGE = (50.0, 300.0)
DIA_RANGE = (20.0, 200.0)
MAP_RANGE = (30.0, 250.0)


@dataclass(frozen=True)
class ManualBp:
    """A validated manual reading."""

    sys: float
    dia: float
    map: float | None = None


def _number(text: str) -> float | None:
    try:
        return float(text.strip().replace(",", "."))
    except ValueError:
        return None


def validate_manual_bp(sys_text: str, dia_text: str, map_text: str = "") -> dict[str, str]:
    """Check a manual BP entry; returns ``{field: message}`` (empty when it can be recorded)."""
    errors: dict[str, str] = {}
    values: dict[str, float] = {}
    for name, text, (low, high), label in (
        ("sys", sys_text, SYS_RANGE, "Systolic"),
        ("dia", dia_text, DIA_RANGE, "Diastolic"),
        ("map", map_text, MAP_RANGE, "MAP"),
    ):
        if not text.strip():
            if name != "map":
                errors[name] = f"Enter the {label.lower()} pressure in mmHg."
            continue
        value = _number(text)
        if value is None:
            errors[name] = f"'{text.strip()}' is not a number of mmHg."
        elif not low <= value <= high:
            errors[name] = f"{label} must be {low:g} to {high:g} mmHg."
        else:
            values[name] = value
    if "sys" in values and "dia" in values and values["dia"] >= values["sys"]:
        errors["dia"] = "Diastolic must be below systolic."
    if (
        "map" in values
        and "sys" in values
        and "dia" in values
        and not values["dia"] <= values["map"] <= values["sys"]
    ):
        errors["map"] = "MAP must lie between diastolic and systolic."
    return errors


class ManualBpDialog(QDialog):
    """Collects systolic, diastolic and (optional) mean pressure; :attr:`reading` when accepted.

    Attributes
    ----------
    submit : callable, optional
        ``submit(reading)`` records the reading; returns the core's refusal (shown in place,
        the dialog stays open with the typed values).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Manual BP")
        self.reading: ManualBp | None = None
        self.submit: Callable[[ManualBp], str | None] | None = None
        f = self.form_layout = ValidatedForm()
        self.sys = f.add_field("sys", "Systolic (mmHg) *", QLineEdit())
        self.dia = f.add_field("dia", "Diastolic (mmHg) *", QLineEdit())
        self.map = f.add_field("map", "MAP (mmHg, optional)", QLineEdit())
        for field in (self.sys, self.dia, self.map):
            field.setMaxLength(6)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Record BP")
        buttons.accepted.connect(self.try_accept)
        buttons.rejected.connect(self.reject)
        note = QLabel("A BP taken with a manual cuff now; it counts for the BP checks.")
        note.setObjectName("dim")
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(f)
        layout.addWidget(buttons)

    def try_accept(self) -> bool:
        """Accept if the reading is plausible, else show why under each field (text kept)."""
        errors = validate_manual_bp(self.sys.text(), self.dia.text(), self.map.text())
        self.form_layout.show_errors(errors)
        if errors:
            self.form_layout.fields[next(iter(errors))].setFocus()
            return False
        reading = ManualBp(
            float(self.sys.text().strip().replace(",", ".")),
            float(self.dia.text().strip().replace(",", ".")),
            float(self.map.text().strip().replace(",", ".")) if self.map.text().strip() else None,
        )
        submit = self.submit
        if not submitted(
            (lambda: submit(reading)) if submit else None, self.form_layout.show_refusal
        ):
            return False
        self.reading = reading
        self.accept()
        return True
