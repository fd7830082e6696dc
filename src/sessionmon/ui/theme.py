"""Colours, fonts and the style sheet of the console: dark, high contrast, readable from 2 m."""

from __future__ import annotations

from pathlib import Path

from sessionmon.model import AlarmPriority

BACKGROUND = "#000000"
PANEL = "#111418"
PANEL_BORDER = "#2A2F36"
TEXT = "#F2F2F2"
TEXT_DIM = "#9AA3AD"
STALE = "#6A737D"
#: A control that cannot be changed now: dim text on the page colour, a faint border (as a
#: disabled button), so it does not look like a field to fill.
DISABLED_TEXT = "#7A848E"
DISABLED_BORDER = "#2E363E"

#: Parameter colours (bedside-monitor convention).
HR_COLOUR = "#39FF6A"
SPO2_COLOUR = "#3FD8FF"
NIBP_COLOUR = "#FFFFFF"
#: Respiration (RR, etCO2, capnogram): lavender, not the yellow many monitors use, because
#: yellow here means a medium-priority alarm.
RESP_COLOUR = "#C9A7FF"
CO2_COLOUR = RESP_COLOUR

#: IEC 60601-1-8 alarm colours.
ALARM_COLOURS: dict[AlarmPriority, str] = {
    AlarmPriority.HIGH: "#FF1F1F",
    AlarmPriority.MEDIUM: "#FFD400",
    AlarmPriority.LOW: "#00E5FF",
}
#: Text colour to use on top of each alarm colour.
ALARM_TEXT: dict[AlarmPriority, str] = {
    AlarmPriority.HIGH: "#FFFFFF",
    AlarmPriority.MEDIUM: "#000000",
    AlarmPriority.LOW: "#000000",
}
#: Alarm markers.
ALARM_MARKERS: dict[AlarmPriority, str] = {
    AlarmPriority.HIGH: "***",
    AlarmPriority.MEDIUM: "**",
    AlarmPriority.LOW: "*",
}
#: Flash frequency in Hz (0 = steady). High 2 Hz (1.4-2.8), medium 0.5 Hz (0.4-0.8), low steady.
FLASH_HZ: dict[AlarmPriority, float] = {
    AlarmPriority.HIGH: 2.0,
    AlarmPriority.MEDIUM: 0.5,
    AlarmPriority.LOW: 0.0,
}

#: Check status colours on the timeline.
CHECK_COLOURS: dict[str, str] = {
    "upcoming": "#5A6570",
    "due": "#FFD400",
    "overdue": "#FF1F1F",
    "done": "#2ECC71",
    "missed": "#B03030",
}

SIMULATION_RED = "#C00000"

#: Numeric font sizes in pixels (numerics are at least 60 px).
NUMERIC_PX = 96
NUMERIC_SMALL_PX = 64
LABEL_PX = 22
BODY_PX = 18


def flash_on(priority: AlarmPriority | None, phase_s: float) -> bool:
    """Return whether a flashing alarm indicator is lit at ``phase_s`` seconds of display time.

    Parameters
    ----------
    priority : AlarmPriority or None
        The priority shown; ``None`` and low priority are steady (always lit).
    phase_s : float
        Seconds of display time (any origin).
    """
    if priority is None:
        return True
    hz = FLASH_HZ[priority]
    if hz <= 0:
        return True
    return (phase_s * hz) % 1.0 < 0.5


#: The tick drawn in a checked check box (a filled square alone does not read as "on").
CHECK_MARK = (Path(__file__).resolve().parents[1] / "data" / "check.svg").as_posix()

STYLE_SHEET = f"""
QWidget {{
    background-color: {BACKGROUND};
    color: {TEXT};
    font-size: {BODY_PX}px;
}}
QMainWindow, QDialog {{ background-color: {BACKGROUND}; }}
QFrame#panel {{
    background-color: {PANEL};
    border: 2px solid {PANEL_BORDER};
    border-radius: 6px;
}}
QLabel {{ background: transparent; }}
QPushButton {{
    background-color: #26303A;
    color: {TEXT};
    border: 2px solid #4A5663;
    border-radius: 6px;
    padding: 6px 14px;
    font-size: {BODY_PX}px;
    font-weight: bold;
}}
QPushButton:hover {{ border-color: #8FA3B8; }}
QPushButton:pressed {{ background-color: #3A4856; }}
QPushButton:disabled {{ color: #5C6670; border-color: #2E363E; }}
QLineEdit, QSpinBox, QDoubleSpinBox, QComboBox, QDateEdit, QPlainTextEdit, QTextEdit {{
    background-color: #1A1F25;
    color: {TEXT};
    border: 2px solid #4A5663;
    border-radius: 4px;
    padding: 4px;
    selection-background-color: #3D6A99;
}}
QLineEdit:disabled, QSpinBox:disabled, QDoubleSpinBox:disabled, QComboBox:disabled,
QDateEdit:disabled, QPlainTextEdit:disabled, QTextEdit:disabled {{
    background-color: {BACKGROUND};
    color: {DISABLED_TEXT};
    border: 2px solid {DISABLED_BORDER};
}}
QCheckBox:disabled, QRadioButton:disabled {{ color: {DISABLED_TEXT}; }}
QCheckBox::indicator:disabled, QRadioButton::indicator:disabled {{
    border-color: {DISABLED_BORDER}; background: {BACKGROUND};
}}
QLineEdit[invalid="true"], QComboBox[invalid="true"], QDateEdit[invalid="true"],
QDoubleSpinBox[invalid="true"] {{
    border: 2px solid {ALARM_COLOURS[AlarmPriority.HIGH]};
}}
QLabel#fieldError {{ color: #FF6B6B; font-weight: bold; }}
QLabel#dim {{ color: {TEXT_DIM}; }}
QGroupBox {{
    border: 2px solid {PANEL_BORDER};
    border-radius: 6px;
    margin-top: 14px;
    padding-top: 8px;
    font-weight: bold;
}}
QGroupBox::title {{ subcontrol-origin: margin; left: 10px; padding: 0 4px; }}
QTableWidget, QTableView, QListWidget {{
    background-color: #0C0F12;
    gridline-color: #2A2F36;
    alternate-background-color: #141A20;
}}
QHeaderView::section {{
    background-color: #1E252C;
    color: {TEXT};
    padding: 4px;
    border: 1px solid #2A2F36;
    font-weight: bold;
}}
QDockWidget::title {{ background: #1E252C; padding: 6px; font-weight: bold; }}
QTabBar::tab {{ background: #1E252C; padding: 8px 16px; border: 1px solid #2A2F36; }}
QTabBar::tab:selected {{ background: #34414E; }}
QMenuBar {{ background-color: #111418; font-size: {BODY_PX}px; }}
QMenuBar::item:selected {{ background: #34414E; }}
QMenu {{ background-color: #1A1F25; border: 1px solid #4A5663; }}
QMenu::item:selected {{ background: #34414E; }}
QCheckBox::indicator, QRadioButton::indicator {{
    width: 20px; height: 20px; border: 2px solid #8FA3B8; border-radius: 3px; background: #1A1F25;
}}
QCheckBox::indicator:checked, QRadioButton::indicator:checked {{
    background: #3FD8FF; border-color: #3FD8FF;
}}
QCheckBox::indicator:checked {{ image: url({CHECK_MARK}); }}
QSlider::groove:horizontal {{ height: 8px; background: #4A5663; border-radius: 4px; }}
QSlider::handle:horizontal {{
    background: #3FD8FF; width: 18px; margin: -6px 0; border-radius: 9px;
}}
QToolTip {{ background-color: #1A1F25; color: {TEXT}; border: 1px solid #4A5663; }}
QProgressBar {{
    border: 1px solid #4A5663; border-radius: 3px; background: #1A1F25; text-align: center;
}}
QProgressBar::chunk {{ background-color: {SPO2_COLOUR}; }}
"""
