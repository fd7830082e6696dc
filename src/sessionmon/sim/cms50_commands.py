"""The host commands a simulated CMS50 "V7.0" oximeter obeys, as a real unit does.

A real CMS50D+/E/F speaks only when spoken to: it starts its real-time stream at the host's
start command (``7D 81 A1 ...``), stops it at the stop command (``A2``, answered with a type
``0x0C`` packet), takes the keep-alive (``AF``) silently and answers any other command with the
"unknown command" packet (type ``0x0B``) (``shared/reference/devices.md``). Hosts that greet the
device before starting the stream wait for those replies and for the line to fall silent, so a
device that streams from power-on never lets them finish their greeting.

The replies' data bytes are not documented; the simulator sends 9-byte packets (type, high
byte ``0x80``, the command byte, six ``0x80``) so that a reader framing on type bytes sees whole
packets.
"""

from __future__ import annotations

from sessionmon.devices.protocols.cms50_v7 import CMD_KEEP_ALIVE, CMD_START, CMD_STOP

COMMAND_LEN = 9
STOPPED = 0x0C
UNKNOWN_COMMAND = 0x0B
_SYNC = 0x7D


def reply(kind: int, cmd: int) -> bytes:
    """Return the device's 9-byte reply packet of type ``kind`` to command byte ``cmd``."""
    return bytes((kind, 0x80, cmd | 0x80, *([0x80] * 6)))


class Cms50V7Commands:
    """The stream state of one simulated V7 oximeter, moved by the host's commands.

    The stream is off until the host sends the start command. Bytes that are not a whole
    ``7D 81 CMD P1..P6`` command are kept until one completes or dropped (line noise).
    """

    def __init__(self) -> None:
        self.streaming = False
        self.commands_seen: list[int] = []
        self._pending = bytearray()

    def feed(self, data: bytes) -> bytes:
        """Take host bytes; return the device's replies to the commands they complete."""
        self._pending += data
        out = bytearray()
        while True:
            start = self._pending.find(_SYNC)
            if start < 0:
                self._pending.clear()
                break
            del self._pending[:start]
            if len(self._pending) < COMMAND_LEN:
                break
            cmd = self._pending[2] & 0x7F | (self._pending[1] & 1) << 7
            del self._pending[:COMMAND_LEN]
            self.commands_seen.append(cmd)
            out += self._obey(cmd)
        return bytes(out)

    def _obey(self, cmd: int) -> bytes:
        if cmd == CMD_START:
            self.streaming = True
            return b""
        if cmd == CMD_STOP:
            self.streaming = False
            return reply(STOPPED, cmd)
        if cmd == CMD_KEEP_ALIVE:
            return b""
        return reply(UNKNOWN_COMMAND, cmd)
