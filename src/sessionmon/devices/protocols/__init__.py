"""Protocol parsers and wire encoders of every supported device, and their registry.

``PROTOCOLS`` maps the CLI name of each protocol to its :class:`ProtocolSpec`: default port
settings from the reference, a parser factory, a wire encoder for the simulator, the nominal
pleth rate and the role. Iterate it to run something over every protocol::

    for name, spec in PROTOCOLS.items():
        parser = spec.make_parser()
        readings = parser.feed(data)      # list of Reading | Condition
        parser.stats                      # ParserStats(frames, checksum_errors, resyncs, ...)

Parsers are pure and incremental (no I/O, no clock); see :mod:`.base` for the counting rules
and :mod:`.ascii_lines` for how device clocks are kept.
"""

from __future__ import annotations

from sessionmon.devices.protocols import (
    cms50_legacy,
    cms50_v7,
    intellivue_monitor,
    intellivue_stream,
    masimo_ascii,
    nonin_ascii,
    nonin_df2,
    nonin_df7,
    nonin_df8,
    suntech,
)
from sessionmon.devices.protocols.base import (
    FrameParser,
    OximeterEncoder,
    Parser,
    PortSettings,
    ProtocolSpec,
)
from sessionmon.devices.source import DeviceRole
from sessionmon.errors import UserError

_OX = DeviceRole.OXIMETER
_NONIN_PORT = PortSettings(baud=9600)

PROTOCOLS: dict[str, ProtocolSpec] = {
    spec.name: spec
    for spec in (
        ProtocolSpec(
            name="cms50-legacy",
            description="Contec CMS50D+ legacy 5-byte live stream (older firmware)",
            role=_OX,
            port_settings=PortSettings(baud=19200, parity="N"),
            alternative_settings=(PortSettings(baud=19200, parity="O", xonxoff=True),),
            parser_factory=cms50_legacy.Cms50LegacyParser,
            encoder_factory=cms50_legacy.Cms50LegacyEncoder,
            pleth_rate_hz=60.0,
            pleth_max=127,
            frame_rate_hz=60.0,
            numerics_every_default=60,
            flag_hold_frames=3,  # a flag flickering at 60 frames/s is one condition
        ),
        ProtocolSpec(
            name="cms50-v7",
            description="Contec CMS50D+ v4.6+/CMS50E/CMS50F 9-byte 'V7.0' protocol",
            role=_OX,
            port_settings=PortSettings(baud=115200),
            parser_factory=cms50_v7.Cms50V7Parser,
            encoder_factory=cms50_v7.Cms50V7Encoder,
            pleth_rate_hz=60.0,
            pleth_max=127,
            frame_rate_hz=60.0,
            numerics_every_default=60,
            flag_hold_frames=3,  # a flag flickering at 60 frames/s is one condition
            start_command=cms50_v7.start_stream(),
            stop_command=cms50_v7.stop_stream(),
            keepalive_command=cms50_v7.keep_alive(),
            keepalive_s=5.0,
        ),
        ProtocolSpec(
            name="nonin-df2",
            description="Nonin data format #2 (5-byte frames, 8-bit pleth, 75/s)",
            role=_OX,
            port_settings=_NONIN_PORT,
            parser_factory=nonin_df2.NoninDf2Parser,
            encoder_factory=nonin_df2.NoninDf2Encoder,
            pleth_rate_hz=75.0,
            pleth_max=255,
            frame_rate_hz=75.0,
            numerics_every_default=3,  # packets
            flag_hold_frames=25,
        ),
        ProtocolSpec(
            name="nonin-df7",
            description="Nonin data format #7 (5-byte frames, 16-bit pleth, 75/s)",
            role=_OX,
            port_settings=_NONIN_PORT,
            parser_factory=nonin_df7.NoninDf7Parser,
            encoder_factory=nonin_df7.NoninDf7Encoder,
            pleth_rate_hz=75.0,
            pleth_max=65535,
            frame_rate_hz=75.0,
            numerics_every_default=3,  # packets
            flag_hold_frames=25,
        ),
        ProtocolSpec(
            name="nonin-df8",
            description="Nonin data format #8 (4-byte frames, 1/s, no pleth)",
            role=_OX,
            port_settings=_NONIN_PORT,
            parser_factory=nonin_df8.NoninDf8Parser,
            encoder_factory=nonin_df8.NoninDf8Encoder,
        ),
        ProtocolSpec(
            name="nonin-ascii",
            description="Nonin handheld ASCII lines 'HH:MM:SS SPO2=XXX HR=YYY'",
            role=_OX,
            port_settings=_NONIN_PORT,
            parser_factory=nonin_ascii.NoninAsciiParser,
            encoder_factory=nonin_ascii.NoninAsciiEncoder,
        ),
        ProtocolSpec(
            name="masimo-ascii",
            description="Masimo Rad-8/Radical-7/Rad-97 serial ASCII 1 (by KEY= token)",
            role=_OX,
            port_settings=PortSettings(baud=9600),
            parser_factory=masimo_ascii.MasimoAsciiParser,
            encoder_factory=masimo_ascii.MasimoAsciiEncoder,
        ),
        ProtocolSpec(
            name="suntech",
            description="SunTech Advantage OEM NIBP module (command/response)",
            role=DeviceRole.NIBP,
            port_settings=PortSettings(baud=9600),
            parser_factory=suntech.SuntechReplyParser,
            encoder_factory=suntech.SuntechModuleEmulator,
            frame_rate_hz=0.0,  # answers commands only: see suntech.start_adult() & co
        ),
        ProtocolSpec(
            name="intellivue",
            description="Philips IntelliVue MP/MX/X2/X3 Data Export (MIB/RS232 or udp:HOST)",
            role=_OX,
            port_settings=PortSettings(baud=115200),
            parser_factory=intellivue_stream.IntelliVueStreamParser,
            encoder_factory=intellivue_monitor.IntelliVueWireEncoder,
            pleth_rate_hz=125.0,
            pleth_max=4095,
            frame_rate_hz=0.0,  # answers polls only
            roles=(_OX, DeviceRole.NIBP, DeviceRole.RESPIRATION),
        ),
    )
}


def get_protocol(name: str) -> ProtocolSpec:
    """Return the spec of protocol ``name``.

    Raises
    ------
    UserError
        If there is no such protocol (the message lists the known ones).
    """
    try:
        return PROTOCOLS[name]
    except KeyError:
        known = ", ".join(PROTOCOLS)
        raise UserError(f"unknown device {name!r}; known: {known}") from None


__all__ = [
    "PROTOCOLS",
    "FrameParser",
    "OximeterEncoder",
    "Parser",
    "PortSettings",
    "ProtocolSpec",
    "get_protocol",
]
