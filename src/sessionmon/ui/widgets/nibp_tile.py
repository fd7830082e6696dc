"""The NIBP tile: systolic/diastolic, mean, time of the last measurement, live cuff pressure."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QWidget

from sessionmon.ui import theme
from sessionmon.ui.viewmodel import NibpView, NumericView
from sessionmon.ui.widgets.elide import ElidedLabel
from sessionmon.ui.widgets.fit_row import FitRow
from sessionmon.ui.widgets.numeric_tile import NumericTile, ink_height

#: Font sizes of the tile's buttons, biggest first (a narrow tile steps down so none is cut).
BUTTON_PX = (16, 14, 13, 12)
#: The live cuff pressure is drawn at this share of a result's size: it is not a BP.
CUFF_SCALE = 0.55

#: The MEASURING badge: black on white, so it reads on any tile fill.
MEASURING_STYLE = (
    "color: #000000; background: #FFFFFF; font-weight: bold; padding: 2px 8px;"
    f" font-size: {theme.BODY_PX + 2}px;"
)

#: The MAP line's font size, px (bold), and the widest text it shows.
MAP_PX = theme.LABEL_PX + 4
MAP_TEMPLATE = "MAP 188"

#: The tile's title while measuring, then shorter forms for a narrow tile (at 1024 px the long
#: one ran into "mmHg").
MEASURING_TITLES = ("NIBP  cuff pressure", "NIBP  cuff", "NIBP")

#: Auto-interval choices: label -> minutes (None = on request only).
AUTO_INTERVALS: tuple[tuple[str, int | None], ...] = (
    ("Auto off", None),
    ("Auto 5 min", 5),
    ("Auto 10 min", 10),
    ("Auto 15 min", 15),
    ("Auto 30 min", 30),
)


class NibpTile(NumericTile):
    """Shows a :class:`NibpView` and emits the nurse's BP commands.

    Signals
    -------
    start_requested()
        Start a measurement now.
    stop_requested()
        Abort the running measurement.
    interval_changed(object)
        New auto-cycle interval in minutes, or ``None`` for off.
    manual_requested()
        Enter a BP taken with a manual cuff.
    """

    start_requested = Signal()
    stop_requested = Signal()
    interval_changed = Signal(object)
    manual_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(theme.NIBP_COLOUR, 80, parent, template="188/118")
        self.mean_label = QLabel("MAP --")
        # "MAP" and digits have no descender: in a short tile row the line may be as low as
        # its ink (the empty line space below is clipped), never over the value above it.
        probe = QFont(self.mean_label.font())
        probe.setPixelSize(MAP_PX)
        probe.setBold(True)
        self.mean_label.setMinimumHeight(ink_height(MAP_TEMPLATE, probe))
        self.last_label = ElidedLabel("not measured")
        self.measuring_label = QLabel("")
        self._measuring_shown = False
        self._compact = False  # a short window: the controls' vertical padding is 2 px, not 4
        #: ((tile width, alarm marker), measuring title) last chosen
        self._title_for: tuple[tuple[int, str], str] = ((-1, ""), MEASURING_TITLES[0])
        self.measuring_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        #: Says when the console itself started the measurement (40-minute BP, discharge).
        self.console_label = ElidedLabel("")
        self.console_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.console_label.setVisible(False)
        self.start_button = QPushButton("Start")
        self.start_button.setToolTip("Start a BP measurement now (F3)")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop the BP measurement (deflate the cuff)")
        self.manual_button = QPushButton("Manual")
        self.manual_button.setToolTip("Enter a BP taken with a manual cuff (Ctrl+M)")
        self.interval_box = QComboBox()
        for label, minutes in AUTO_INTERVALS:
            self.interval_box.addItem(label, minutes)
        self.last_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        info = QHBoxLayout()
        info.setSpacing(8)
        info.addWidget(self.mean_label)
        info.addStretch(1)
        info.addWidget(self.last_label)
        #: Shown while measuring: the status and who started it, on their own line so that
        #: neither MAP nor the time of the last result is squeezed.
        self.status_row = QWidget()
        status = QHBoxLayout(self.status_row)
        status.setContentsMargins(0, 0, 0, 0)
        status.setSpacing(8)
        status.addWidget(self.measuring_label)
        status.addWidget(self.console_label, 1)
        self.status_row.setVisible(False)
        self.buttons = FitRow(
            [
                (self.start_button, 1),
                (self.stop_button, 1),
                (self.manual_button, 1),
                (self.interval_box, 0),
            ],
            len(BUTTON_PX),
            self._style_buttons,
            spacing=4,
        )
        self.extra.addWidget(self.status_row)
        self.extra.addLayout(info)
        self.extra.addWidget(self.buttons)
        self.apply_text_colour(theme.NIBP_COLOUR)
        self.start_button.clicked.connect(self.start_requested)
        self.stop_button.clicked.connect(self.stop_requested)
        self.manual_button.clicked.connect(self.manual_requested)
        self.interval_box.activated.connect(
            lambda index: self.interval_changed.emit(self.interval_box.itemData(index))
        )

    def _style_buttons(self, level: int) -> None:
        px = BUTTON_PX[level]
        pad = 6 if level == 0 else 4
        high = 2 if self._compact else 4
        for button in (self.start_button, self.stop_button, self.manual_button):
            button.setStyleSheet(f"font-size: {px}px; padding: {high}px {pad}px;")
        box = f"font-size: {px}px;"
        if self._compact:
            box += f" padding: {high}px 4px;"  # the theme's 4 px all round, lower
        self.interval_box.setStyleSheet(box)

    def set_compact(self, compact: bool) -> None:
        """In a short window, narrower margins and the controls 4 px lower (the tile row is
        short)."""
        super().set_compact(compact)
        if compact != self._compact:
            self._compact = compact
            self.buttons.remeasure()
            self._style_buttons(self.buttons.level)
            self.buttons.updateGeometry()

    def apply_text_colour(self, text: str) -> None:
        """MAP and time labels take the tile's text colour (readable on an alarm fill)."""
        mean = getattr(self, "mean_label", None)
        if mean is not None:
            mean.setStyleSheet(f"color: {text}; font-size: {MAP_PX}px; font-weight: bold;")
            self.last_label.setStyleSheet(f"color: {text}; font-size: {theme.BODY_PX}px;")
            self.console_label.setStyleSheet(f"color: {text}; font-size: {theme.BODY_PX}px;")

    def _measuring_title(self) -> str:
        """The longest of :data:`MEASURING_TITLES` that fits beside the unit and marker."""
        width = self.width()
        if self._title_for[0] != (width, self.marker.text()):
            margins = self.layout().contentsMargins()
            room = width - margins.left() - margins.right() - 2 * self.frameWidth()
            spacing = max(self.layout().itemAt(0).layout().spacing(), 0)  # the title row
            marker = self.marker.sizeHint().width() if self.marker.text() else 0
            room -= self.unit.sizeHint().width() + marker + 2 * spacing
            self.label.ensurePolished()
            metrics = self.label.fontMetrics()
            fits = [t for t in MEASURING_TITLES if metrics.horizontalAdvance(t) <= room]
            self._title_for = (
                (width, self.marker.text()),
                fits[0] if fits else MEASURING_TITLES[-1],
            )
        return self._title_for[1]

    def set_nibp(self, view: NibpView, lit: bool = True) -> None:
        """Show ``view``: the last result, or while measuring the cuff pressure, labelled and
        smaller (it is not a blood pressure)."""
        if view.measuring:
            value = NumericView(
                self._measuring_title(),
                view.cuff_pressure,
                "mmHg",
                view.priority,
                flashing=view.flashing,
            )
        else:
            value = NumericView(
                "NIBP",
                f"{view.systolic}/{view.diastolic}",
                "mmHg",
                view.priority,
                flashing=view.flashing,
            )
        self.set_value_scale(CUFF_SCALE if view.measuring else 1.0)
        self.set_view(value, lit)
        note = f"Started by the console: {view.started_by_console}" if view.measuring else ""
        if not view.started_by_console:
            note = ""
        reason = view.started_by_console
        self.console_label.set_full_text(
            note,
            (
                f"Console: {reason}",
                f"Console: {reason.replace('-minute', '-min')}",
                "started by the console",
                "by console",
            ),
        )
        self.console_label.setVisible(bool(note))
        self.status_row.setVisible(view.measuring)
        self.mean_label.setText(f"MAP {view.mean}")
        last = view.last_measured
        short = last.removeprefix("at ")
        self.last_label.set_full_text(last, (short, short.split(" (")[0]))
        if view.measuring != self._measuring_shown:
            # a style sheet re-polishes and re-lays out the label: set it only on a change
            self._measuring_shown = view.measuring
            self.measuring_label.setText("MEASURING" if view.measuring else "")
            self.measuring_label.setStyleSheet(MEASURING_STYLE if view.measuring else "")
            # The status line takes its height from the numeric (the cuff pressure is drawn
            # smaller anyway), so the tile's minimum height stays and a measurement does not
            # make the window lay out its rows again (the trends moved by a few pixels).
            room = self.status_row.sizeHint().height() if view.measuring else 0
            self.value.setMinimumHeight(max(self.value.minimumSizeHint().height() - room, 0))
        self.start_button.setEnabled(view.available and not view.measuring)
        self.stop_button.setEnabled(view.measuring)
        index = self.interval_box.findData(view.auto_interval_min)
        if index >= 0 and index != self.interval_box.currentIndex():
            self.interval_box.setCurrentIndex(index)
