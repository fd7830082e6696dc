"""Errors that carry a message meant for the user (printed as one line, no traceback)."""


class UserError(Exception):
    """A mistake the user can fix: bad arguments, an unreadable file, a locked database.

    The CLI prints ``sessionmon: <message>`` and exits with ``exit_code``.
    """

    exit_code = 2

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code
