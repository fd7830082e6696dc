"""The treatment course: one patient across sessions, outcome measures and whether it works."""
