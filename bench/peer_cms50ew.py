"""Run the peer GUI ``cms50ew`` live on a port, as its user would; run by the peer's venv python.

``bench/live_cpu.py`` starts this script with the venv ``bench/peer_venv.py`` made. It does what
the peer's ``__main__`` and its user do: it imports the peer's Qt module ``cms50ew_qt``, makes
the application and the main window (module globals ``app`` and ``w``, which the peer's code
refers to), enters the port in the "Open USB device" dialog and presses Return (the peer opens
it with its own serial settings: 115200 8-N-1, XON/XOFF, 0.1 s timeout), then presses the Live
button. The window is shown under ``QT_QPA_PLATFORM`` (offscreen unless set), from the peer's
folder so that its icons load.

The peer was written against pyqtgraph 0.10, which put every ``QtWidgets`` class into ``QtGui``
for PyQt5 (the peer calls ``QtGui.QLabel`` and the like); current pyqtgraph no longer does, so
this script does it before importing the peer.

Prints ``ready`` once Live is pressed; after ``SECONDS`` it stops the stream as the Live button
would and prints one JSON line of what the peer decoded (packets, its labels, its curves) and how
often its two plots were painted (an event filter counts their paint events).

Usage: ``PEER_PYTHON bench/peer_cms50ew.py PORT SECONDS``.
"""

from __future__ import annotations

import json
import os
import sys
import time


def paint_counter(qtcore):
    """An event filter counting the paint events of the widgets it is installed on."""

    class PaintCounter(qtcore.QObject):
        def __init__(self) -> None:
            super().__init__()
            self.paints = 0

        def eventFilter(self, watched, event):
            if event.type() == qtcore.QEvent.Paint:
                self.paints += 1
            return False

    return PaintCounter()


def main(port: str, seconds: float) -> int:
    """Run the peer live on ``port`` for ``seconds``; print what it decoded."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PyQt5 import QtCore, QtGui, QtWidgets

    for name in dir(QtWidgets):
        if name.startswith("Q") and not hasattr(QtGui, name):
            setattr(QtGui, name, getattr(QtWidgets, name))
    import cms50ew_qt as peer  # the peer's GUI module (QtWebEngine before the application)
    import pyqtgraph

    os.chdir(os.path.dirname(os.path.abspath(peer.__file__)))
    app = QtWidgets.QApplication([sys.argv[0]])
    peer.app = app
    peer.w = window = peer.MainWindow()  # shows itself
    dialog = peer.DeviceDialog()
    dialog.deviceTextBox.setText(port)
    dialog.deviceTextBox.returnPressed.emit()
    if not window.liveRunAction.isEnabled():
        print(f"the peer could not open {port}: {window.statusBar.currentMessage()}", flush=True)
        return 1
    counter = paint_counter(QtCore)  # how often its plots are really painted
    for curve in (window.cw.pulse_curve, window.cw.spo2_curve):
        curve.getViewWidget().viewport().installEventFilter(counter)
    window.liveRunAction.trigger()
    print("ready", flush=True)
    started = time.monotonic()
    QtCore.QTimer.singleShot(int(seconds * 1000), app.quit)
    app.exec_()
    elapsed = time.monotonic() - started
    window.live_running = False
    window.liveThread.wait(2000)
    oxi = window.oxi
    pulse_x, _ = window.cw.pulse_curve.getData()
    seen = {
        "packets": oxi.n_data_points,
        "pulse_label": window.cw.label_pulse_rate.text(),
        "spo2_label": window.cw.label_spo2.text(),
        "status": window.statusBar.currentMessage(),
        "curve_points": 0 if pulse_x is None else len(pulse_x),
        "plot_paints_per_s": counter.paints / elapsed,
        "last_pulse": oxi.pulse_ydata[-1] if oxi.pulse_ydata else None,
        "last_spo2": oxi.spo2_ydata[-1] if oxi.spo2_ydata else None,
        "pyqt": QtCore.PYQT_VERSION_STR,
        "qt": QtCore.QT_VERSION_STR,
        "pyqtgraph": pyqtgraph.__version__,
    }
    print(json.dumps(seen), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], float(sys.argv[2])))
