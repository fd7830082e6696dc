"""Trainer panel (training mode): scenario, speed, pause, faults and live physiology changes."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QDockWidget,
    QGridLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from sessionmon.ui.widgets.elide import ElidedComboBox

#: Fault buttons: (label, device, fault).
FAULTS: tuple[tuple[str, str, str], ...] = (
    ("Sensor off", "oximeter", "sensor_off"),
    ("Sensor on", "oximeter", "clear:sensor_off"),
    ("NIBP error", "nibp", "nibp_error"),
    ("NIBP error end", "nibp", "clear:nibp_error"),
    ("Unplug SpO2", "oximeter", "disconnect"),
    ("Unplug NIBP", "nibp", "disconnect"),
    ("Replug SpO2", "oximeter", "reconnect"),
    ("Replug NIBP", "nibp", "reconnect"),
)

#: The panel's width range, px (narrow: its controls stack in one column).
MIN_WIDTH = 210
MAX_WIDTH = 345

#: Physiology spin boxes: name -> (minimum, maximum, default).
LABELS = {"hr": "HR", "spo2": "SpO2", "sys": "Sys", "dia": "Dia"}

PHYSIOLOGY: dict[str, tuple[int, int, int]] = {
    "hr": (20, 220, 74),
    "spo2": (50, 100, 98),
    "sys": (50, 260, 126),
    "dia": (20, 180, 80),
}


class TrainerPanel(QDockWidget):
    """The trainer's controls. Emits intents; the controller carries them out.

    Signals
    -------
    scenario_requested(str)
        Start the scenario with this id.
    speed_changed(int)
        Simulated seconds per real second (1-60).
    pause_toggled(bool)
        True to pause simulated time.
    fault_requested(str, str)
        ``(device, fault)``; ``clear:<fault>`` ends a fault.
    physiology_requested(dict, float)
        New targets (hr, spo2, sys, dia) reached over this many seconds.
    debrief_requested()
        Show the debrief.
    """

    scenario_requested = Signal(str)
    speed_changed = Signal(int)
    pause_toggled = Signal(bool)
    fault_requested = Signal(str, str)
    physiology_requested = Signal(dict, float)
    debrief_requested = Signal()

    def __init__(self, scenarios: Sequence[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__("Trainer", parent)
        self.setObjectName("trainer")
        self.setAllowedAreas(Qt.DockWidgetArea.RightDockWidgetArea)
        self.columns = 0
        self._wide_width: int | None = None
        self.body = body = QWidget()
        body.setStyleSheet(
            "QWidget { font-size: 15px; } QPushButton { font-size: 15px; padding: 4px 6px; }"
        )
        self.setMaximumWidth(MAX_WIDTH)
        self.setMinimumWidth(MIN_WIDTH)
        layout = QVBoxLayout(body)
        layout.setSpacing(6)
        scenario_box = QGroupBox("Scenario")
        s_layout = QVBoxLayout(scenario_box)
        self.scenario = ElidedComboBox()
        self.scenario.setSizeAdjustPolicy(
            ElidedComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.scenario.setMinimumContentsLength(8)
        for index, (scenario_id, name) in enumerate(scenarios):
            self.scenario.addItem(name, scenario_id)
            self.scenario.setItemData(index, name, Qt.ItemDataRole.ToolTipRole)
        self.start_button = QPushButton("Run scenario")
        s_layout.addWidget(self.scenario)
        s_layout.addWidget(self.start_button)
        self.trainee_note = QLabel(
            "The scenario plays the patient and the equipment. Its nurse steps (BP, dose, "
            "checklists, acknowledge, discharge, sign) are not done for you: the trainee does "
            "them; the debrief compares."
        )
        self.trainee_note.setWordWrap(True)
        self.trainee_note.setObjectName("dim")
        s_layout.addWidget(self.trainee_note)
        layout.addWidget(scenario_box)
        time_box = QGroupBox("Time")
        t_layout = QGridLayout(time_box)
        self.speed = QSlider(Qt.Orientation.Horizontal)
        self.speed.setRange(1, 60)
        self.speed.setMinimumWidth(60)
        self.speed_label = QLabel("1x")
        self.speed_label.setMinimumWidth(40)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        t_layout.addWidget(QLabel("Speed"), 0, 0)
        t_layout.addWidget(self.speed, 0, 1)
        t_layout.addWidget(self.speed_label, 0, 2)
        self.presets = QGridLayout()
        self.preset_buttons: list[QPushButton] = []
        for value in (1, 10, 30, 60):
            button = QPushButton(f"{value}x")
            button.clicked.connect(lambda _=False, v=value: self.speed.setValue(v))
            self.preset_buttons.append(button)
        t_layout.addLayout(self.presets, 1, 0, 1, 3)
        t_layout.addWidget(self.pause_button, 2, 0, 1, 3)
        layout.addWidget(time_box)
        fault_box = QGroupBox("Inject fault")
        self.fault_grid = QGridLayout(fault_box)
        self.fault_buttons: dict[tuple[str, str], QPushButton] = {}
        for label, device, fault in FAULTS:
            button = QPushButton(label)
            button.clicked.connect(
                lambda _=False, d=device, f=fault: self.fault_requested.emit(d, f)
            )
            self.fault_buttons[(device, fault)] = button
        layout.addWidget(fault_box)
        phys_box = QGroupBox("Physiology")
        self.phys_grid = QGridLayout(phys_box)
        self.target_labels: dict[str, QLabel] = {}
        self.targets: dict[str, QSpinBox] = {}
        self.edited: set[str] = set()  # fields the trainer changed and has not applied yet
        self._syncing = False
        for name, (low, high, default) in PHYSIOLOGY.items():
            spin = QSpinBox()
            spin.setRange(low, high)
            spin.setValue(default)
            spin.valueChanged.connect(lambda _v, n=name: self._edited(n))
            self.target_labels[name] = QLabel(LABELS[name])
            self.targets[name] = spin
        self.over = QSpinBox()
        self.over.setRange(0, 1800)
        self.over.setValue(60)
        self.over.setSuffix(" s")
        self.over.setPrefix("over ")
        self.apply_button = QPushButton("Apply")
        layout.addWidget(phys_box)
        self.debrief_button = QPushButton("Debrief...")
        s_layout.addWidget(self.debrief_button)
        layout.addStretch(1)
        scroll = _Scroll(self._reflow)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(body)
        self.setWidget(scroll)
        self._arrange(2)
        self.start_button.clicked.connect(self._run_scenario)
        self.speed.valueChanged.connect(self._speed_moved)
        self.pause_button.toggled.connect(self._pause_toggled)
        self.apply_button.clicked.connect(self._apply)
        self.debrief_button.clicked.connect(self.debrief_requested)

    def _arrange(self, columns: int) -> None:
        """Lay the fault, speed and physiology controls out in ``columns`` columns (2 or 1)."""
        if columns == self.columns:
            return
        self.columns = columns
        movable = [*self.fault_buttons.values(), *self.preset_buttons, self.over, self.apply_button]
        movable += [*self.targets.values(), *self.target_labels.values()]
        for widget in movable:
            for grid in (self.fault_grid, self.presets, self.phys_grid):
                grid.removeWidget(widget)
        for index, button in enumerate(self.fault_buttons.values()):
            self.fault_grid.addWidget(button, *divmod(index, columns))
        per_row = 4 if columns == 2 else 2
        for index, button in enumerate(self.preset_buttons):
            self.presets.addWidget(button, *divmod(index, per_row))
        for index, name in enumerate(self.targets):
            row, column = divmod(index, columns)
            self.phys_grid.addWidget(self.target_labels[name], row, column * 2)
            self.phys_grid.addWidget(self.targets[name], row, column * 2 + 1)
        rows = len(self.targets) // columns
        if columns == 2:
            self.phys_grid.addWidget(self.over, rows, 0, 1, 2)
            self.phys_grid.addWidget(self.apply_button, rows, 2, 1, 2)
        else:
            self.phys_grid.addWidget(self.over, rows, 0, 1, 2)
            self.phys_grid.addWidget(self.apply_button, rows + 1, 0, 1, 2)
        self.body.layout().invalidate()

    def _reflow(self, width: int) -> None:
        """Two columns when the panel is wide enough for them whole, else one."""
        if not self.columns:
            return  # still being built
        if self.columns == 2 or self._wide_width is None:
            # Measured in the two-column arrangement (the controls' text never changes).
            self._arrange(2)
            self._wide_width = self._minimum_width()
        self._arrange(2 if width >= self._wide_width else 1)

    def _minimum_width(self) -> int:
        """The body's minimum width in the current arrangement (every cached size refreshed)."""
        for widget in self.body.findChildren(QWidget):
            widget.ensurePolished()
            widget.updateGeometry()
        for grid in (self.fault_grid, self.presets, self.phys_grid):
            grid.invalidate()
        self.body.layout().invalidate()
        return self.body.layout().totalMinimumSize().width()

    def _run_scenario(self) -> None:
        self.edited.clear()  # the new patient's physiology shows in every field
        self.scenario_requested.emit(self.scenario.currentData())

    def _speed_moved(self, value: int) -> None:
        self.speed_label.setText(f"{value}x")
        self.speed_changed.emit(value)

    def _pause_toggled(self, paused: bool) -> None:
        self.pause_button.setText("Resume" if paused else "Pause")
        self.pause_toggled.emit(paused)

    def _edited(self, name: str) -> None:
        if not self._syncing:
            self.edited.add(name)

    def _apply(self) -> None:
        self.edited.clear()
        self.physiology_requested.emit(
            {name: float(spin.value()) for name, spin in self.targets.items()},
            float(self.over.value()),
        )

    def editing(self, name: str) -> bool:
        """Whether the trainer is changing field ``name`` (focused, or changed and not applied)."""
        spin = self.targets[name]
        return name in self.edited or spin.hasFocus()

    def set_targets(self, targets: dict[str, float]) -> None:
        """Show the physiology in force (a scenario's change, say) in the fields not being edited.

        Does not emit :attr:`physiology_requested`.
        """
        self._syncing = True
        try:
            for name, value in targets.items():
                if name in self.targets and not self.editing(name):
                    self.targets[name].setValue(round(value))
        finally:
            self._syncing = False


class _Scroll(QScrollArea):
    """The panel's scroll area; tells the panel the width it shows so the controls reflow."""

    def __init__(self, on_width) -> None:
        super().__init__()
        self._on_width = on_width
        self.viewport().installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        """Report the visible width whenever the viewport is resized."""
        if watched is self.viewport() and event.type() == QEvent.Type.Resize:
            self._on_width(event.size().width())
        return super().eventFilter(watched, event)
