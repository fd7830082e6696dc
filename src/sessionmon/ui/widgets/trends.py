"""Session trends of HR, SpO2 and NIBP with window choice and event markers."""

from __future__ import annotations

import html
import math

import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QBoxLayout,
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sessionmon.ui import theme
from sessionmon.ui.trend_buffer import SessionTrends
from sessionmon.ui.viewmodel import TrendMarker

#: Window choices: label -> seconds (None = whole session).
WINDOWS: tuple[tuple[str, float | None], ...] = (
    ("15 min", 15 * 60.0),
    ("1 h", 3600.0),
    ("Session", None),
)

MARKER_COLOURS = {
    "dose": "#FFFFFF",
    "check": "#2ECC71",
    "alarm": "#FF1F1F",
    "annotation": "#C38BFF",
}
MARKER_POOL = 40
#: Room above and below each plot for half a tick label: the top and bottom labels are
#: centred on their ticks, which lie at the plot's edges (60 on RR/etCO2, 200 on NIBP).
TICK_ROOM_PX = 10
#: Below this panel height the three plots go side by side instead of stacked.
STACK_MIN_HEIGHT = 330
#: Plots shorter than this are not worth showing: the panel says to enlarge the window instead.
MIN_PLOT_HEIGHT = 72
#: The plot height the panel asks for at least (it collapses only when the window cannot give
#: even :data:`MIN_PLOT_HEIGHT`).
WANTED_PLOT_HEIGHT = 100
COLLAPSED_TEXT = "Trends hidden: enlarge the window to see them"
AXIS_FROM_DOSE = "min from dose"
#: The RR / etCO2 plot's title, and the same on two lines for a plot too narrow for one.
RESP_TITLE = "RR / etCO2"
RESP_TITLE_TWO_LINES = "RR /<br>etCO2"
#: The plot titles' distance from the plot's left edge, px.
TITLE_OFFSET_PX = 6
AXIS_NOT_DOSED = "min from start (no dose)"
#: The time axis's label, then shorter forms for a plot too narrow for it (the narrow NIBP
#: plot at 1024 px with the trainer panel): never a word cut at the plot's edge.
AXIS_TEXTS = {
    AXIS_FROM_DOSE: (AXIS_FROM_DOSE, "min"),
    AXIS_NOT_DOSED: (AXIS_NOT_DOSED, "min from start", "min"),
}


class DoseAxis(pg.AxisItem):
    """A time axis whose ticks count minutes from the dose (the plots' x is minutes from the
    session start); before a dose it counts from the start, as the header does."""

    def __init__(self, orientation: str = "bottom") -> None:
        #: The label's text, then shorter forms: the first that fits the plot is shown.
        #: :attr:`labelText` stays the full text (what the axis counts). Set before
        #: pyqtgraph's constructor, which draws the label.
        self.label_texts: tuple[str, ...] = ()
        self.shown_label: str | None = None  # the form shown now (None: the full text)
        super().__init__(orientation)
        self.offset_min = 0.0

    def set_label_texts(self, texts: tuple[str, ...]) -> None:
        """Label the axis with the first of ``texts`` (longest first) that fits the plot."""
        if texts == self.label_texts:
            return
        self.label_texts = texts
        self.shown_label = None
        self.setLabel(texts[0])
        self.fit_label()

    def labelString(self) -> str:
        """The label's HTML, with the form of the text that fits (pyqtgraph's format)."""
        style = ";".join(f"{key}: {value}" for key, value in self.labelStyle.items())
        text = html.escape(self.shown_label or self.labelText)
        return f"<span style='{style}'>{text} </span>"

    def resizeEvent(self, ev=None) -> None:
        """Place the label as pyqtgraph does, then fit it to the plot (see :meth:`fit_label`)."""
        super().resizeEvent(ev)
        self.fit_label()

    def fit_label(self) -> None:
        """Show the longest of :attr:`label_texts` that fits under the plot and keep it whole.

        The label is centred under the axis; when that would take it past the plot's edge it
        moves left, under the empty corner below the left axis, as far as the plot's left.
        """
        if self.label is None or not self.label_texts or self.orientation != "bottom":
            return
        plot = self.parentItem()
        width = self.size().width()
        left = self.pos().x()  # the plot's room left of the axis (below the left axis)
        right = max(plot.boundingRect().width() - left - width, 0.0) if plot else 0.0
        # the text item's document margin is empty: it may lie past the plot's edges
        margin = self.label.document().documentMargin()
        room = left + width + right
        for text in self.label_texts:
            if text != (self.shown_label or self.labelText):
                self.shown_label = text
                self.label.setHtml(self.labelString())
            if self.label.boundingRect().width() - 2 * margin <= room:
                break
        label_width = self.label.boundingRect().width()
        centred = width / 2.0 - label_width / 2.0
        x = max(-left - margin, min(centred, width + right + margin - label_width))
        self.label.setPos(math.floor(x), self.label.pos().y())

    def tickValues(self, minVal, maxVal, size):  # noqa: N803 - pyqtgraph's names
        """Ticks at round minutes from the dose."""
        o = self.offset_min
        levels = super().tickValues(minVal - o, maxVal - o, size)
        return [(spacing, [v + o for v in values]) for spacing, values in levels]

    def tickStrings(self, values, scale, spacing):
        """Labels in minutes from the dose (negative before it)."""
        return super().tickStrings([v - self.offset_min for v in values], scale, spacing)


def _plot(title: str, colour: str, y_range: tuple[float, float]) -> pg.PlotWidget:
    plot = pg.PlotWidget(background=theme.PANEL, axisItems={"bottom": DoseAxis()})
    plot.setMenuEnabled(False)
    plot.hideButtons()
    plot.getPlotItem().layout.setContentsMargins(1, TICK_ROOM_PX, 1, TICK_ROOM_PX)
    plot.setMouseEnabled(x=False, y=False)
    # No grid: the grid is drawn by the axes and repainting it dominates the frame cost.
    plot.setYRange(*y_range, padding=0.02)
    plot.getAxis("left").setWidth(44)
    label = pg.LabelItem(title, color=colour, size="13pt", bold=True)
    label.setParentItem(plot.getPlotItem().vb)
    label.anchor(itemPos=(0, 0), parentPos=(0, 0), offset=(TITLE_OFFSET_PX, 0))
    plot.title_label = label
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.enableAutoSIPrefix(False)  # minutes and mmHg: no "k" prefix, no label re-layout
        axis.setPen(pg.mkPen("#6A7580"))
        axis.setTextPen(pg.mkPen("#C8D0D8"))
    plot.setClipToView(True)
    plot.setDownsampling(auto=True, mode="peak")
    plot.setMinimumSize(120, 0)  # the panel hides the plots rather than squash them
    return plot


def x_range(window_s: float | None, now_s: float) -> tuple[float, float]:
    """The x range in minutes for a window ending now, moved in steps of 1/60 of the window.

    Stepping keeps the axes still between steps (repainting them is the costly part of a frame).
    """
    now_min = max(now_s / 60.0, 0.0)
    if window_s is None:
        span = max(now_min, 10.0)
        step = max(span / 60.0, 0.25)
        end = step * (int(now_min / step) + 1)
        return (0.0, max(end, 10.0))
    width = window_s / 60.0
    step = width / 60.0
    end = max(width, step * (int(now_min / step) + 1))
    return (round(end - width, 6), round(end, 6))


class TrendsPanel(QFrame):
    """Three linked trend plots, four with respiration (x in minutes from the session start,
    labelled from the dose).

    Signals
    -------
    window_changed(object)
        The chosen window in seconds (``None`` for the whole session).
    """

    window_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("panel")
        self.hr_plot = _plot("HR", theme.HR_COLOUR, (30, 160))
        self.spo2_plot = _plot("SpO2", theme.SPO2_COLOUR, (75, 101))
        self.bp_plot = _plot("NIBP", theme.NIBP_COLOUR, (40, 200))
        self.resp_plot = _plot(RESP_TITLE, theme.RESP_COLOUR, (0, 60))
        #: Every plot, in stacking order; :attr:`plots` are the ones shown (RR/etCO2 only with
        #: a respiration source, see :meth:`set_respiration`).
        self.all_plots = (self.hr_plot, self.spo2_plot, self.resp_plot, self.bp_plot)
        self.plots = (self.hr_plot, self.spo2_plot, self.bp_plot)
        self.respiration = False
        # Not x-linked: each plot gets the same x range itself, so the plots can be redrawn
        # one per frame (see :meth:`redraw`) instead of all four in one frame.
        for plot in self.all_plots[:-1]:
            plot.hideAxis("bottom")
        self.bp_plot.showAxis("bottom")
        self.bp_plot.getAxis("bottom").set_label_texts(AXIS_TEXTS[AXIS_NOT_DOSED])
        self.dose_offset_min: float | None = None
        self.curves = {
            "hr": self.hr_plot.plot(pen=pg.mkPen(theme.HR_COLOUR, width=2)),
            "spo2": self.spo2_plot.plot(pen=pg.mkPen(theme.SPO2_COLOUR, width=2)),
            "nibp_sys": self.bp_plot.plot(
                pen=pg.mkPen("#FFFFFF", width=2), symbol="t", symbolSize=10, symbolBrush="#FFFFFF"
            ),
            "nibp_dia": self.bp_plot.plot(
                pen=pg.mkPen("#BBBBBB", width=2), symbol="t1", symbolSize=10, symbolBrush="#BBBBBB"
            ),
            "nibp_map": self.bp_plot.plot(
                pen=pg.mkPen("#888888", width=1, style=pg.QtCore.Qt.PenStyle.DashLine)
            ),
            "resp_rate": self.resp_plot.plot(pen=pg.mkPen(theme.RESP_COLOUR, width=2)),
            "etco2": self.resp_plot.plot(
                pen=pg.mkPen("#8E7CC3", width=2, style=pg.QtCore.Qt.PenStyle.DashLine)
            ),
        }
        #: The curves of each plot of :attr:`all_plots`, by index.
        self.plot_curves: tuple[tuple[str, ...], ...] = (
            ("hr",),
            ("spo2",),
            ("resp_rate", "etco2"),
            ("nibp_sys", "nibp_dia", "nibp_map"),
        )
        for curve in self.curves.values():
            curve.setClipToView(True)
            curve.setDownsampling(auto=True, method="peak")
        self.markers: list[list[pg.InfiniteLine]] = [[] for _ in self.all_plots]
        for index, plot in enumerate(self.all_plots):
            for _ in range(MARKER_POOL):
                line = pg.InfiniteLine(angle=90, movable=False)
                line.setVisible(False)
                plot.addItem(line, ignoreBounds=True)
                self.markers[index].append(line)
        self.window_s: float | None = WINDOWS[0][1]
        self.buttons = QButtonGroup(self)
        bar = QHBoxLayout()
        title = QLabel("Trends")
        title.setStyleSheet("font-weight: bold;")
        bar.addWidget(title)
        bar.addSpacing(16)
        for kind, text in (
            ("dose", "dose"),
            ("check", "check"),
            ("alarm", "alarm"),
            ("annotation", "note"),
        ):
            key = QLabel(f"\u254e {text}")
            key.setStyleSheet(f"color: {MARKER_COLOURS[kind]}; font-size: 15px; font-weight: bold;")
            bar.addWidget(key)
        bar.addStretch(1)
        for index, (label, seconds) in enumerate(WINDOWS):
            button = QPushButton(label)
            button.setCheckable(True)
            button.setStyleSheet("padding: 2px 12px; font-size: 16px;")
            button.setChecked(index == 0)
            self.buttons.addButton(button, index)
            bar.addWidget(button)
            button.clicked.connect(lambda _=False, s=seconds: self.set_window(s))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(0)
        layout.addLayout(bar)
        self.plot_row = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self.plot_row.setSpacing(4)
        for plot in self.all_plots:
            self.plot_row.addWidget(plot, 1)
        self.resp_plot.setVisible(False)
        layout.addLayout(self.plot_row, 1)
        self.collapsed_label = QLabel(COLLAPSED_TEXT)
        self.collapsed_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.collapsed_label.setStyleSheet(f"color: {theme.TEXT_DIM}; font-size: 16px;")
        self.collapsed_label.setVisible(False)
        layout.addWidget(self.collapsed_label, 1)
        self._bar = bar
        # The title "RR / etCO2" is wider than the plot beside the others on a small laptop:
        # it then goes on two lines rather than being cut.
        title = self.resp_plot.title_label
        self._resp_title_px = title.item.boundingRect().width()
        self.resp_plot.getPlotItem().vb.sigResized.connect(self._fit_resp_title)
        self._drawn: dict[str, tuple[int, float | None]] = {}
        self._markers_drawn: tuple[TrendMarker, ...] | None = None
        self._range_drawn: dict[int, tuple[float, float]] = {}  # plot index -> x range

    def resizeEvent(self, event) -> None:
        """Stack the plots when there is height for them, else put them side by side, else hide
        them and say so."""
        super().resizeEvent(event)
        margins = self.layout().contentsMargins()
        room = (
            event.size().height() - self._bar.sizeHint().height() - margins.top() - margins.bottom()
        )
        collapsed = room < MIN_PLOT_HEIGHT
        if collapsed != self.collapsed:
            self.collapsed_label.setVisible(collapsed)
            for plot in self.plots:
                plot.setVisible(not collapsed)
            self.resp_plot.setVisible(self.respiration and not collapsed)
        self._arrange(event.size().height())

    def _fit_resp_title(self) -> None:
        """One line when the RR / etCO2 title fits the plot's width, else two."""
        title = self.resp_plot.title_label
        room = self.resp_plot.getPlotItem().vb.width() - TITLE_OFFSET_PX
        text = RESP_TITLE if self._resp_title_px <= room else RESP_TITLE_TWO_LINES
        if title.text != text:
            title.setText(text)
            # fit the label to its new text (it does not shrink by itself: the one-line title
            # would sit centred in the two-line box, lower than the other titles)
            title.resize(title.minimumWidth(), title.minimumHeight())

    def _arrange(self, height: int) -> None:
        """Stack the plots when each gets the height three stacked plots get at
        :data:`STACK_MIN_HEIGHT`, else put them side by side."""
        stacked = height >= STACK_MIN_HEIGHT * len(self.plots) / 3
        direction = (
            QBoxLayout.Direction.TopToBottom if stacked else QBoxLayout.Direction.LeftToRight
        )
        if self.plot_row.direction() != direction:
            self.plot_row.setDirection(direction)
            for plot in self.all_plots[:-1]:
                plot.showAxis("bottom") if not stacked else plot.hideAxis("bottom")

    def minimumSizeHint(self) -> QSize:
        """Room for the bar and plots of :data:`WANTED_PLOT_HEIGHT`."""
        hint = super().minimumSizeHint()
        margins = self.layout().contentsMargins()
        height = self._bar.sizeHint().height() + margins.top() + margins.bottom()
        return QSize(hint.width(), height + WANTED_PLOT_HEIGHT)

    @property
    def collapsed(self) -> bool:
        """Whether the panel is too short for the plots and asks for a bigger window."""
        return self.collapsed_label.isVisibleTo(self)

    @property
    def stacked(self) -> bool:
        """Whether the plots are stacked (tall panel) rather than side by side."""
        return self.plot_row.direction() == QBoxLayout.Direction.TopToBottom

    def set_respiration(self, shown: bool) -> None:
        """Show the RR / etCO2 trend (a session with a respiration source) or hide it."""
        if shown == self.respiration:
            return
        self.respiration = shown
        self.plots = self.all_plots if shown else (self.hr_plot, self.spo2_plot, self.bp_plot)
        self.resp_plot.setVisible(shown and not self.collapsed)
        self._arrange(self.height())

    def set_dose_offset(self, minutes: float | None) -> None:
        """Count the time axis from the dose, ``minutes`` after the session start (None: no
        dose yet, count from the start)."""
        if minutes == self.dose_offset_min:
            return
        self.dose_offset_min = minutes
        for plot in self.all_plots:
            axis = plot.getAxis("bottom")
            axis.offset_min = minutes or 0.0
            axis.picture = None  # ticks are cached: draw them again
            axis.update()
        axis_text = AXIS_NOT_DOSED if minutes is None else AXIS_FROM_DOSE
        self.bp_plot.getAxis("bottom").set_label_texts(AXIS_TEXTS[axis_text])

    def set_window(self, seconds: float | None) -> None:
        """Show the last ``seconds`` of the session (``None`` = all of it)."""
        self.window_s = seconds
        self._range_drawn = {}
        self.window_changed.emit(seconds)

    @property
    def range_pending(self) -> bool:
        """Whether a plot has not been drawn with the chosen window yet (a new window choice:
        the caller redraws every plot at once rather than one per frame)."""
        return len(self._range_drawn) < len(self.all_plots)

    def redraw(
        self,
        trends: SessionTrends,
        markers: tuple[TrendMarker, ...],
        now_s: float,
        plots: tuple[int, ...] | None = None,
    ) -> None:
        """Redraw what changed: the series, the markers and the x range.

        Parameters
        ----------
        trends : SessionTrends
            The series to draw.
        markers : tuple of TrendMarker
            The event markers (drawn on every plot when they changed).
        now_s : float
            Seconds from the session start now (the x range ends there).
        plots : tuple of int, optional
            Indices into :attr:`all_plots` to redraw (default: all). Redrawing one plot per
            frame spreads the cost of a moving x range, which repaints the whole plot and its
            axis, over several frames instead of one long frame.
        """
        indices = range(len(self.all_plots)) if plots is None else plots
        span = x_range(self.window_s, now_s)
        for index in indices:
            for name in self.plot_curves[index]:
                ring = trends.series[name]
                key = (len(ring), ring.last_t)
                if self._drawn.get(name) == key:
                    continue
                self._drawn[name] = key
                t, v = ring.arrays()
                self.curves[name].setData(t / 60.0, v)
            if self._range_drawn.get(index) != span:
                self._range_drawn[index] = span
                self.all_plots[index].setXRange(span[0], span[1], padding=0.01)
        if markers != self._markers_drawn:
            self._markers_drawn = markers
            shown = markers[-MARKER_POOL:]
            for lines in self.markers:
                for index, line in enumerate(lines):
                    if index < len(shown):
                        marker = shown[index]
                        line.setPos(marker.t_s / 60.0)
                        line.setPen(
                            pg.mkPen(
                                MARKER_COLOURS.get(marker.kind, "#FFFFFF"),
                                width=2,
                                style=pg.QtCore.Qt.PenStyle.DashLine,
                            )
                        )
                        line.setToolTip(marker.label)
                        line.setVisible(True)
                    else:
                        line.setVisible(False)
