"""Alarm limits dialog: edit thresholds and delays; the alarm profile model validates them.

Rules are shown by name ("SpO2 low"), their condition id and source in the tooltip; the clinic
settings file in force is named at the top (the clinic edits that file to change the defaults
of every session; this dialog changes the running session and is remembered for the next)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from sessionmon.errors import UserError

STAGES = ("medium", "high")

#: How each rule is named in the dialog (the condition id is in the tooltip).
RULE_NAMES = {
    "spo2_low": "SpO2 low (%)",
    "hr_high": "Pulse rate high (/min)",
    "hr_low": "Pulse rate low (/min)",
    "nibp_sys_high": "Systolic BP high (mmHg)",
    "nibp_sys_low": "Systolic BP low (mmHg)",
    "nibp_dia_high": "Diastolic BP high (mmHg)",
    "nibp_dia_low": "Diastolic BP low (mmHg)",
    "nibp_map_low": "Mean BP low (mmHg)",
    "nibp_map_high": "Mean BP high (mmHg)",
    "nibp_rise": "BP rise over pre-dose (mmHg)",
    "spo2_desat": "SpO2 desaturation area (%·s)",
}


def rule_name(rule_id: str) -> str:
    """The readable name of a rule (its id made readable when it has no name here)."""
    return RULE_NAMES.get(rule_id) or rule_id.replace("_", " ").capitalize()


def _name_label(rule_id: str, rule: dict[str, Any]) -> QLabel:
    label = QLabel(rule_name(rule_id))
    tip = f"condition id: {rule_id}"
    if rule.get("source"):
        tip += f"\nsource: {rule['source']}"
    label.setToolTip(tip)
    return label


class AlarmLimitsDialog(QDialog):
    """One row per limit rule (thresholds and delays of its medium and high stage) plus the BP rise.

    Parameters
    ----------
    profile : AlarmProfile
        The profile in force; :meth:`AlarmProfile.with_overrides` validates every change.
    settings_file : str, optional
        The clinic's alarm settings file the profile was read from (None: built-in defaults).
    """

    def __init__(
        self, profile: Any, parent: QWidget | None = None, settings_file: str | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Alarm limits: {profile.name}")
        self.setMinimumSize(960, 600)
        self._profile = profile
        self.result_profile = profile
        self.overrides: dict[str, Any] = {}
        data = profile.to_dict()
        self._limits = data["limits"]
        self._rise = data["nibp_rise"]
        self._areas = data.get("areas", {})
        grid_holder = QWidget()
        grid = QGridLayout(grid_holder)
        headers = ("Alarm", "On", "Medium", "delay s", "High", "delay s")
        for column, text in enumerate(headers):
            label = QLabel(text)
            label.setStyleSheet("font-weight: bold;")
            grid.addWidget(label, 0, column)
        self.enabled: dict[str, QCheckBox] = {}
        self.cells: dict[tuple[str, str, str], QLineEdit] = {}
        row = 1
        for rule_id, rule in self._limits.items():
            grid.addWidget(_name_label(rule_id, rule), row, 0)
            box = QCheckBox()
            box.setChecked(bool(rule.get("enabled", True)))
            grid.addWidget(box, row, 1)
            self.enabled[rule_id] = box
            for index, stage in enumerate(STAGES):
                spec = rule.get(stage)
                if not spec:
                    grid.addWidget(QLabel("-"), row, 2 + 2 * index)
                    continue
                threshold = QLineEdit(f"{spec['threshold']:g}")
                threshold.setToolTip(f"{stage} when value {spec['op']} this")
                delay = QLineEdit(f"{spec.get('delay_s', 0):g}")
                for edit in (threshold, delay):
                    edit.setMaximumWidth(110)
                op = QLabel(spec["op"])
                holder = QWidget()
                line = QGridLayout(holder)
                line.setContentsMargins(0, 0, 0, 0)
                line.addWidget(op, 0, 0)
                line.addWidget(threshold, 0, 1)
                grid.addWidget(holder, row, 2 + 2 * index)
                grid.addWidget(delay, row, 3 + 2 * index)
                self.cells[(rule_id, stage, "threshold")] = threshold
                self.cells[(rule_id, stage, "delay_s")] = delay
            row += 1
        self.area_boxes: dict[str, QCheckBox] = {}
        self.area_cells: dict[str, QLineEdit] = {}
        for rule_id, rule in self._areas.items():
            grid.addWidget(_name_label(rule_id, rule), row, 0)
            box = QCheckBox()
            box.setChecked(bool(rule.get("enabled", True)))
            grid.addWidget(box, row, 1)
            self.area_boxes[rule_id] = box
            edit = QLineEdit(f"{rule['area_threshold']:g}")
            edit.setMaximumWidth(110)
            edit.setToolTip(
                "high priority once the area below the SpO2 low limit (points x s) reaches this"
            )
            grid.addWidget(QLabel("-"), row, 2)
            grid.addWidget(QLabel("high at %·s"), row, 4)
            grid.addWidget(edit, row, 5)
            self.area_cells[rule_id] = edit
            row += 1
        grid.addWidget(_name_label("nibp_rise", self._rise), row, 0)
        self.rise_box = QCheckBox()
        self.rise_box.setChecked(bool(self._rise.get("enabled", True)))
        grid.addWidget(self.rise_box, row, 1)
        self.sys_rise = QLineEdit(
            f"{self._rise.get('systolic_rise') or '':g}" if self._rise.get("systolic_rise") else ""
        )
        self.dia_rise = QLineEdit(
            f"{self._rise.get('diastolic_rise') or '':g}"
            if self._rise.get("diastolic_rise")
            else ""
        )
        grid.addWidget(QLabel("sys +"), row, 2)
        grid.addWidget(self.sys_rise, row, 3)
        grid.addWidget(QLabel("dia +"), row, 4)
        grid.addWidget(self.dia_rise, row, 5)
        area = QScrollArea()
        area.setWidgetResizable(True)
        area.setWidget(grid_holder)
        self.error_label = QLabel("")
        self.error_label.setObjectName("fieldError")
        self.error_label.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Apply limits")
        buttons.accepted.connect(self.try_accept)
        buttons.rejected.connect(self.reject)
        source = QLabel(
            f"Clinic alarm settings file: {settings_file}"
            if settings_file
            else "Clinic alarm settings file: none (built-in defaults)"
        )
        source.setObjectName("dim")
        source.setWordWrap(True)
        source.setToolTip(
            "Edit that TOML file to change the defaults of every session; "
            "changes here apply to this session and are remembered for the next."
        )
        self.settings_file_label = source
        layout = QVBoxLayout(self)
        layout.addWidget(source)
        layout.addWidget(area, 1)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)

    def collect(self) -> tuple[dict[str, Any], str | None]:
        """Return ``(overrides, error)``: the changes typed, or the first unreadable number."""
        overrides: dict[str, Any] = {}
        for rule_id, rule in self._limits.items():
            change: dict[str, Any] = {}
            if self.enabled[rule_id].isChecked() != bool(rule.get("enabled", True)):
                change["enabled"] = self.enabled[rule_id].isChecked()
            for stage in STAGES:
                for field in ("threshold", "delay_s"):
                    edit = self.cells.get((rule_id, stage, field))
                    if edit is None:
                        continue
                    text = edit.text().strip().replace(",", ".")
                    try:
                        value = float(text)
                    except ValueError:
                        what = "delay" if field == "delay_s" else "limit"
                        return {}, (
                            f"{rule_name(rule_id)}, {stage} {what}: "
                            f"'{edit.text()}' is not a number."
                        )
                    if value != float(rule[stage].get(field, 0.0)):
                        change.setdefault(stage, {})[field] = value
            if change:
                overrides[rule_id] = change
        rise: dict[str, Any] = {}
        if self.rise_box.isChecked() != bool(self._rise.get("enabled", True)):
            rise["enabled"] = self.rise_box.isChecked()
        for edit, field in ((self.sys_rise, "systolic_rise"), (self.dia_rise, "diastolic_rise")):
            text = edit.text().strip()
            value: float | None
            if not text:
                value = None
            else:
                try:
                    value = float(text.replace(",", "."))
                except ValueError:
                    return {}, f"{rule_name('nibp_rise')} {field}: '{text}' is not a number."
            if value != self._rise.get(field):
                rise[field] = value
        if rise:
            overrides["nibp_rise"] = rise
        for rule_id, rule in self._areas.items():
            change = {}
            if self.area_boxes[rule_id].isChecked() != bool(rule.get("enabled", True)):
                change["enabled"] = self.area_boxes[rule_id].isChecked()
            text = self.area_cells[rule_id].text().strip().replace(",", ".")
            try:
                value = float(text)
            except ValueError:
                return {}, f"{rule_name(rule_id)}: '{text}' is not a number."
            if value != float(rule["area_threshold"]):
                change["area_threshold"] = value
            if change:
                overrides[rule_id] = change
        return overrides, None

    def try_accept(self) -> bool:
        """Validate the changes with the profile; accept, or show the message and keep the text."""
        overrides, error = self.collect()
        if error is None:
            try:
                self.result_profile = self._profile.with_overrides(overrides)
            except UserError as exc:
                error = str(exc)
        if error:
            self.error_label.setText(error)
            return False
        self.overrides = overrides
        self.error_label.setText("")
        self.accept()
        return True
