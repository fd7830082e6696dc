"""Which protocol a byte stream looks like: every registered parser tried on the same bytes.

``decode`` and the device setup's connection test use this when the chosen protocol decodes
nothing (or mostly errors) from bytes that did arrive: the usual cause is the wrong driver
chosen for the device, or a device set to another output format. A protocol *fits* a stream
when its parser decodes at least :data:`MIN_FRAMES` frames and its checksum errors plus
resyncs stay within :data:`MAX_NOISE_RATIO` of the frames decoded.
"""

from __future__ import annotations

from dataclasses import dataclass

from sessionmon.devices.protocols import PROTOCOLS

#: Frames a parser must decode for its protocol to fit a stream.
MIN_FRAMES = 2

#: Largest share of checksum errors and resyncs (per frame decoded) for a clean fit.
MAX_NOISE_RATIO = 0.05

#: Bytes of a stream kept to try the other parsers on (a few seconds of the fastest protocol).
SAMPLE_BYTES = 16384


@dataclass(frozen=True, slots=True)
class ProtocolFit:
    """What one protocol's parser made of a byte stream."""

    name: str
    frames: int
    checksum_errors: int
    resyncs: int

    @property
    def noise(self) -> int:
        """Checksum errors plus resyncs."""
        return self.checksum_errors + self.resyncs

    @property
    def fits(self) -> bool:
        """Whether the stream decodes cleanly as this protocol."""
        return self.frames >= MIN_FRAMES and self.noise <= self.frames * MAX_NOISE_RATIO


def stats_fit(name: str, stats: object) -> ProtocolFit:
    """Return the fit of protocol ``name`` from its parser's :class:`ParserStats`."""
    return ProtocolFit(
        name,
        int(getattr(stats, "frames", 0)),
        int(getattr(stats, "checksum_errors", 0)),
        int(getattr(stats, "resyncs", 0)),
    )


def try_protocol(name: str, data: bytes) -> ProtocolFit:
    """Feed ``data`` to a fresh parser of protocol ``name`` and return what it made of it."""
    parser = PROTOCOLS[name].make_parser()
    try:
        if hasattr(parser, "feed_replies"):
            parser.feed_replies(data)
        else:
            parser.feed(data)
    except Exception:  # a parser bug on foreign bytes means "does not fit", never a crash
        return ProtocolFit(name, 0, 1, 0)
    return stats_fit(name, parser.stats)


def best_fits(data: bytes, exclude: str | None = None) -> list[ProtocolFit]:
    """Return the protocols ``data`` fits cleanly, best first (most frames, least noise)."""
    fits = [try_protocol(name, data) for name in PROTOCOLS if name != exclude]
    clean = [f for f in fits if f.fits]
    return sorted(clean, key=lambda f: (f.noise / f.frames, -f.frames, f.name))


def wrong_protocol(fit: ProtocolFit, bytes_in: int, sample: bytes) -> str | None:
    """Say, in one line, that the bytes do not look like ``fit.name`` (``None`` if they do).

    Bytes that arrived do not look like the chosen protocol when its parser decoded no frame,
    more errors and resyncs than frames, or does not fit while another protocol does. The
    line says which protocol they look like, if any.
    """
    if bytes_in <= 0 or fit.fits:
        return None
    others = best_fits(sample, exclude=fit.name)
    if fit.frames > 0 and fit.noise <= fit.frames and not others:
        return None  # a noisy line, not another protocol
    errors = f"{fit.checksum_errors} checksum error{'s' * (fit.checksum_errors != 1)}"
    text = (
        f"the stream does not look like {fit.name} ({fit.frames} frames decoded, {errors}, "
        f"{fit.resyncs} resyncs in {bytes_in} bytes)"
    )
    if others:
        best = others[0]
        also = [o.name for o in others[1:] if o.frames >= best.frames * 0.9]
        alternatives = " or ".join([best.name, *also])
        return f"{text}; it looks like {alternatives} ({best.frames} frames decoded cleanly)"
    return f"{text}; it does not look like any supported protocol either (check the baud rate)"
