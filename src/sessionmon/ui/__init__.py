"""The console (PySide6 + pyqtgraph). Shows state and emits intent; the core does the work."""
