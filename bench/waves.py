"""CPU of the live waveforms alone: the SpO2 tile (pleth) and the etCO2 tile (capnogram).

Each tile is shown by itself offscreen and fed frames as the console feeds it, then Qt paints
what the frame invalidated; the GUI thread's CPU time (``time.thread_time``) per frame is
printed, median of ``--runs`` runs of ``--frames`` frames each:

- **1x**: 25 frames a second, the oximeter drained about 13 times a second (75 Hz pleth: about
  6 new samples every other frame, none in between; the capnogram 25 Hz: 2 new samples every
  other frame);
- **60x**: 6 simulated seconds of samples every other frame (an acquisition tick every 100 ms):
  450 pleth samples (the whole window) or 150 CO2 samples (half of it).

The views carry the stream's sample count where the code has it (``Spo2View.pleth_received``),
so the same script measures the code before the sweep widget too (with ``PYTHONPATH`` set to it).

Usage: ``QT_QPA_PLATFORM=offscreen python bench/waves.py [--runs 5] [--frames 500]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np

from sessionmon.ui.app import application
from sessionmon.ui.viewmodel import NumericView, RespirationView, Spo2View
from sessionmon.ui.widgets.respiration_tiles import Etco2Tile
from sessionmon.ui.widgets.spo2_tile import Spo2Tile

PLETH_HZ, CO2_HZ = 75.0, 25.0
PLETH_WINDOW, CO2_WINDOW = 450, 300  # 6 s and 12 s, as the console's adapter gives them
STREAM_S = 4000.0
_t = np.arange(int(STREAM_S * PLETH_HZ)) / PLETH_HZ
PLETH = (64 + 40 * np.sin(2 * np.pi * 1.2 * _t)).astype(np.float32)
_c = np.arange(int(STREAM_S * CO2_HZ)) / CO2_HZ
CO2 = np.where((_c % 4.0) < 2.0, 38.0, 0.5).astype(np.float32)


def spo2_view(received: int, counted: bool) -> Spo2View:
    """The SpO2 tile's view after ``received`` pleth samples."""
    extra = {"pleth_received": received} if counted else {}
    window = PLETH[received - PLETH_WINDOW : received]
    return Spo2View(NumericView("SpO2", "97", "%"), signal_quality=0.9, pleth=window, **extra)


def co2_view(received: int, counted: bool) -> RespirationView:
    """The etCO2 tile's view after ``received`` CO2 samples."""
    extra = {"co2_received": received} if counted else {}
    return RespirationView(
        etco2=NumericView("etCO2", "38", "mmHg"),
        co2=CO2[received - CO2_WINDOW : received],
        co2_rate_hz=CO2_HZ,
        **extra,
    )


def run(app, tile, show, view, window: int, per_batch: int, frames: int) -> float:
    """Microseconds of GUI-thread CPU per frame: ``per_batch`` new samples every other frame."""
    received = window
    show(tile, view(received))
    app.processEvents()
    started = time.thread_time()
    for frame in range(frames):
        if frame % 2 == 0:
            received += per_batch
        show(tile, view(received))
        app.processEvents()
    return 1e6 * (time.thread_time() - started) / frames


def main() -> None:
    """Print the per-frame CPU of both tiles at 1x and 60x."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--frames", type=int, default=500)
    args = parser.parse_args()
    app = application()
    pleth_counted = any(f.name == "pleth_received" for f in dataclasses.fields(Spo2View))
    co2_counted = any(f.name == "co2_received" for f in dataclasses.fields(RespirationView))
    spo2, etco2 = Spo2Tile(), Etco2Tile()
    for tile in (spo2, etco2):
        tile.resize(480, 200)
        tile.show()
    app.processEvents()
    cases = [
        ("pleth 1x", spo2, Spo2Tile.set_spo2, PLETH_WINDOW, 6, pleth_counted, spo2_view),
        ("pleth 60x", spo2, Spo2Tile.set_spo2, PLETH_WINDOW, 450, pleth_counted, spo2_view),
        ("capnogram 1x", etco2, Etco2Tile.set_co2, CO2_WINDOW, 2, co2_counted, co2_view),
        ("capnogram 60x", etco2, Etco2Tile.set_co2, CO2_WINDOW, 150, co2_counted, co2_view),
    ]
    print(f"live waveform tiles, 480x200 offscreen, {args.frames} frames a run")
    for name, tile, show, window, batch, counted, make in cases:
        figures = [
            run(app, tile, show, lambda r, m=make, c=counted: m(r, c), window, batch, args.frames)
            for _ in range(args.runs)
        ]
        print(
            f"  {name}: GUI-thread CPU per frame median {statistics.median(figures):.0f} us"
            f" (runs: {', '.join(f'{f:.0f}' for f in figures)}; {args.runs} runs)"
        )


if __name__ == "__main__":
    main()
