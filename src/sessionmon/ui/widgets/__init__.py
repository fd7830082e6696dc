"""Main-window widgets: each draws one part of a :class:`~sessionmon.ui.viewmodel.ConsoleView`."""
