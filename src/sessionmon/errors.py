"""Errors that carry a message meant for the user (printed as one line, no traceback)."""

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` with control characters (ANSI escapes, newlines) shown escaped: ``\\x1b[31m``.

    For anything from a file or the user that is echoed to a terminal: a terminal would act on
    an escape sequence instead of showing it.
    """
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


class UserError(Exception):
    """A mistake the user can fix: bad arguments, an unreadable file, a locked database.

    The CLI prints ``sessionmon: <message>`` and exits with ``exit_code``.
    """

    exit_code = 2

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code
