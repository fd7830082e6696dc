"""Trainer panel (training mode): scenario, speed, pause, faults and live physiology changes."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

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
        body = QWidget()
        body.setStyleSheet(
            "QWidget { font-size: 15px; } QPushButton { font-size: 15px; padding: 4px 6px; }"
        )
        self.setMaximumWidth(330)
        self.setMinimumWidth(300)
        layout = QVBoxLayout(body)
        layout.setSpacing(6)
        scenario_box = QGroupBox("Scenario")
        s_layout = QVBoxLayout(scenario_box)
        self.scenario = QComboBox()
        self.scenario.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.scenario.setMinimumContentsLength(12)
        for scenario_id, name in scenarios:
            self.scenario.addItem(name, scenario_id)
        self.start_button = QPushButton("Run scenario")
        s_layout.addWidget(self.scenario)
        s_layout.addWidget(self.start_button)
        layout.addWidget(scenario_box)
        time_box = QGroupBox("Time")
        t_layout = QGridLayout(time_box)
        self.speed = QSlider(Qt.Orientation.Horizontal)
        self.speed.setRange(1, 60)
        self.speed.setMinimumWidth(120)
        self.speed_label = QLabel("1x")
        self.speed_label.setMinimumWidth(48)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        t_layout.addWidget(QLabel("Speed"), 0, 0)
        t_layout.addWidget(self.speed, 0, 1)
        t_layout.addWidget(self.speed_label, 0, 2)
        presets = QHBoxLayout()
        for value in (1, 10, 30, 60):
            button = QPushButton(f"{value}x")
            button.clicked.connect(lambda _=False, v=value: self.speed.setValue(v))
            presets.addWidget(button)
        t_layout.addLayout(presets, 1, 0, 1, 3)
        t_layout.addWidget(self.pause_button, 2, 0, 1, 3)
        layout.addWidget(time_box)
        fault_box = QGroupBox("Inject fault")
        f_layout = QGridLayout(fault_box)
        self.fault_buttons: dict[tuple[str, str], QPushButton] = {}
        for index, (label, device, fault) in enumerate(FAULTS):
            button = QPushButton(label)
            button.clicked.connect(
                lambda _=False, d=device, f=fault: self.fault_requested.emit(d, f)
            )
            f_layout.addWidget(button, index // 2, index % 2)
            self.fault_buttons[(device, fault)] = button
        layout.addWidget(fault_box)
        phys_box = QGroupBox("Physiology")
        p_layout = QGridLayout(phys_box)
        self.targets: dict[str, QSpinBox] = {}
        self.edited: set[str] = set()  # fields the trainer changed and has not applied yet
        self._syncing = False
        for index, (name, (low, high, default)) in enumerate(PHYSIOLOGY.items()):
            spin = QSpinBox()
            spin.setRange(low, high)
            spin.setValue(default)
            spin.valueChanged.connect(lambda _v, n=name: self._edited(n))
            row, column = divmod(index, 2)
            p_layout.addWidget(QLabel(LABELS[name]), row, column * 2)
            p_layout.addWidget(spin, row, column * 2 + 1)
            self.targets[name] = spin
        self.over = QSpinBox()
        self.over.setRange(0, 1800)
        self.over.setValue(60)
        self.over.setSuffix(" s")
        self.over.setPrefix("over ")
        self.apply_button = QPushButton("Apply")
        p_layout.addWidget(self.over, 2, 0, 1, 2)
        p_layout.addWidget(self.apply_button, 2, 2, 1, 2)
        layout.addWidget(phys_box)
        self.debrief_button = QPushButton("Debrief...")
        s_layout.addWidget(self.debrief_button)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(body)
        self.setWidget(scroll)
        self.start_button.clicked.connect(self._run_scenario)
        self.speed.valueChanged.connect(self._speed_moved)
        self.pause_button.toggled.connect(self._pause_toggled)
        self.apply_button.clicked.connect(self._apply)
        self.debrief_button.clicked.connect(self.debrief_requested)

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
