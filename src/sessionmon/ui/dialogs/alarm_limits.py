"""Alarm limits dialog: edit thresholds and delays; the alarm profile model validates them."""

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


class AlarmLimitsDialog(QDialog):
    """One row per limit rule (thresholds and delays of its medium and high stage) plus the BP rise.

    Parameters
    ----------
    profile : AlarmProfile
        The profile in force; :meth:`AlarmProfile.with_overrides` validates every change.
    """

    def __init__(self, profile: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Alarm limits: {profile.name}")
        self.setMinimumSize(900, 560)
        self._profile = profile
        self.result_profile = profile
        self.overrides: dict[str, Any] = {}
        data = profile.to_dict()
        self._limits = data["limits"]
        self._rise = data["nibp_rise"]
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
            grid.addWidget(QLabel(rule_id), row, 0)
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
        grid.addWidget(QLabel("nibp_rise (mmHg over baseline)"), row, 0)
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
        layout = QVBoxLayout(self)
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
                        return {}, f"{rule_id} {stage} {field}: '{edit.text()}' is not a number."
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
                    return {}, f"nibp_rise {field}: '{text}' is not a number."
            if value != self._rise.get(field):
                rise[field] = value
        if rise:
            overrides["nibp_rise"] = rise
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
