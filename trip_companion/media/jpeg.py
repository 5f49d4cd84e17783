"""Walk a JPEG's marker structure: the validation the lossless path needs, and no decode.

The walk checks every segment length against the file, that table segments hold exactly
their tables, that there is one supported frame header and at least one scan, and that
an end-of-image marker ends the first picture: that is what tells a cut-off upload from
a whole one. The frame header gives the dimensions for the pixel limit before anything
is decoded. Each scan is skipped with one search for the next marker: ``_scan``, a short
loop in C (AVX2 where the CPU has it, else memchr), where it was built, else the same
search as a regex. The walk reads bytes that cannot change under it: ``bytes``, or a
bytearray the caller owns.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from trip_companion.media import exif
from trip_companion.media.errors import (
    CorruptImageError,
    TruncatedImageError,
    UnsupportedFormatError,
)

SOI, EOI, SOS, DQT, DHT, DRI, COM = 0xD8, 0xD9, 0xDA, 0xDB, 0xC4, 0xDD, 0xFE
APP0, APP1, APP2, APP13, APP14 = 0xE0, 0xE1, 0xE2, 0xED, 0xEE
FRAMES = {0xC0: "baseline", 0xC1: "extended", 0xC2: "progressive"}
_OTHER_FRAMES = {0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
CODING = {DQT, DHT, DRI, SOS, *FRAMES}  # segments the decoder needs; copied as they are
_STANDALONE = {0x01, *range(0xD0, 0xD8)}
_IN_SCAN = {0x00, 0xFF, *range(0xD0, 0xD8)}  # what may follow 0xFF inside a scan
# End of an entropy-coded scan: 0xFF followed by anything but stuffing (00), a restart
# marker (D0-D7) or more fill bytes.
_SCAN_END = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
try:
    from trip_companion.media._scan import scan_end as _native_scan_end
except ImportError:  # built without a C compiler: the regex gives the same answers
    _native_scan_end = None
ICC_TAG = b"ICC_PROFILE\x00"
XMP_TAG = b"http://ns.adobe.com/xap/1.0/\x00"
XMP_EXT_TAG = b"http://ns.adobe.com/xmp/extension/\x00"


@dataclass
class Segment:
    """One marker segment: ``data[start:end]`` is the whole of it, scan data included."""

    marker: int
    start: int
    end: int

    def payload(self, data: bytes) -> bytes:
        """Return the bytes after the length field (the scan header for SOS), as bytes."""
        return bytes(data[self.start + 4:self.end])  # (from a bytearray, not a bytearray)


@dataclass
class Jpeg:
    """The marker structure of the first picture in a JPEG file."""

    segments: list[Segment]
    end: int  # just after the first end-of-image marker
    width: int = 0
    height: int = 0
    components: int = 0
    frame: int = 0


def parse(data: bytes, *, known_scans: dict[int, int] | None = None) -> Jpeg:
    """Walk the markers of the first picture.

    ``known_scans`` maps the start of an entropy-coded run to its end, for a file whose
    scans were copied from a file this walk already checked (see ``verify``): such a run
    is skipped rather than searched, and its end must be a real marker.

    :raises TruncatedImageError: a segment runs past the end, or there is no end marker.
    :raises CorruptImageError: the structure makes no sense.
    :raises UnsupportedFormatError: a lossless, arithmetic or hierarchical JPEG.
    """
    if data[:2] != b"\xff\xd8":
        raise CorruptImageError("no start-of-image marker")
    segments, pos, size = [], 2, len(data)
    while True:
        pos = data.find(b"\xff", pos)  # bytes between segments are junk: skipped, never copied
        if pos < 0:
            raise TruncatedImageError("no end-of-image marker")
        while pos < size and data[pos] == 0xFF:
            pos += 1
        if pos >= size:
            raise TruncatedImageError("file ends inside a marker")
        marker, start = data[pos], pos - 1
        pos += 1
        if marker == EOI:
            return _frame(Jpeg(segments, pos), data)
        if marker in _STANDALONE:
            continue
        if marker == SOI:
            raise CorruptImageError("second start-of-image marker")
        pos = _segment_end(data, marker, pos, known_scans)
        segments.append(Segment(marker, start, pos))


def _segment_end(data: bytes, marker: int, pos: int,
                 known_scans: dict[int, int] | None = None) -> int:
    if pos + 2 > len(data):
        raise TruncatedImageError("file ends inside a segment header")
    end = pos + int.from_bytes(data[pos:pos + 2], "big")
    if end < pos + 2:
        raise CorruptImageError(f"segment 0x{marker:02X} has a bad length")
    if end > len(data):
        raise TruncatedImageError(f"segment 0x{marker:02X} runs past the end of the file")
    if marker in CODING:  # (an EXIF or XMP block is not even sliced: that would copy it)
        _check_table(data[pos + 2:end], marker)
    if marker != SOS:
        return end
    if known_scans and end in known_scans:
        return _known_scan_end(data, end, known_scans[end])
    found = scan_end(data, end)
    if found < 0:
        raise TruncatedImageError("the picture data stops before its end marker")
    return found


def scan_end(data: bytes, start: int) -> int:
    """Return where the marker that ends the scan starting at ``start`` begins, or -1."""
    if _native_scan_end is not None:
        return _native_scan_end(data, start)
    found = _SCAN_END.search(data, start)
    return -1 if found is None else found.start()


def _known_scan_end(data: bytes, start: int, stop: int) -> int:
    # The run itself was searched in the input; what must hold here is that it ends
    # exactly where a marker (not stuffing, a restart or fill) begins.
    if not start <= stop <= len(data) - 2 or data[stop] != 0xFF \
            or data[stop + 1] in _IN_SCAN:
        raise CorruptImageError("a copied scan does not end at a marker")
    return stop


def _check_table(body: bytes, marker: int) -> None:
    """Insist that coding segments hold exactly their tables: no room to smuggle bytes."""
    if marker == DQT:
        pos = 0
        while pos < len(body):
            pos += 1 + (128 if body[pos] >> 4 else 64)
    elif marker == DHT:
        pos = 0
        while pos + 17 <= len(body):
            pos += 17 + sum(body[pos + 1:pos + 17])
    elif marker == SOS:
        pos = 4 + 2 * body[0] if body else 1
    elif marker == DRI:
        pos = 2
    elif marker in FRAMES:
        pos = 6 + 3 * body[5] if len(body) >= 6 else -1
    else:
        return
    if pos != len(body):
        raise CorruptImageError(f"segment 0x{marker:02X} length does not match its tables")


def _frame(jpeg: Jpeg, data: bytes) -> Jpeg:
    frames = [s for s in jpeg.segments if s.marker in FRAMES or s.marker in _OTHER_FRAMES]
    if not frames:
        raise CorruptImageError("no frame header")
    if len(frames) > 1 or frames[0].marker in _OTHER_FRAMES:
        raise UnsupportedFormatError(f"JPEG coding 0x{frames[0].marker:02X} not shown by browsers")
    sof = frames[0].payload(data)
    if len(sof) < 6:
        raise CorruptImageError("frame header too short")
    precision, height, width, components = struct.unpack(">BHHB", sof[:6])
    if precision != 8:
        raise UnsupportedFormatError(f"{precision}-bit JPEG not shown by browsers")
    if not width or not height or components not in (1, 3, 4) or len(sof) < 6 + 3 * components:
        raise CorruptImageError(f"frame header {width}x{height}x{components} unusable")
    scans = [s for s in jpeg.segments if s.marker == SOS]
    if not scans or scans[0].start < frames[0].start:
        raise CorruptImageError("no picture data after the frame header")
    jpeg.width, jpeg.height, jpeg.components = width, height, components
    jpeg.frame = frames[0].marker
    return jpeg


def first(jpeg: Jpeg, data: bytes, marker: int, tag: bytes) -> bytes | None:
    """Return the payload of the first ``marker`` segment starting with ``tag``, if any."""
    for seg in jpeg.segments:
        if seg.marker == marker and data.startswith(tag, seg.start + 4, seg.end):
            return seg.payload(data)
    return None


def icc_profile(jpeg: Jpeg, data: bytes) -> bytes | None:
    """Reassemble the ICC profile from its APP2 chunks (None if absent or inconsistent)."""
    chunks = {}
    for seg in jpeg.segments:
        payload = seg.payload(data) if seg.marker == APP2 else b""
        if payload.startswith(ICC_TAG) and len(payload) > 14:
            chunks[payload[12]] = (payload[13], payload[14:])
    totals = {total for total, _ in chunks.values()}
    if not chunks or len(totals) != 1 or sorted(chunks) != list(range(1, totals.pop() + 1)):
        return None
    return b"".join(chunks[i][1] for i in sorted(chunks))


def orientation(jpeg: Jpeg, data: bytes) -> int:
    """Return the orientation a viewer applies: EXIF, else XMP, else 1."""
    return exif.displayed_orientation(first(jpeg, data, APP1, exif.EXIF_PREFIX),
                                      first(jpeg, data, APP1, XMP_TAG))


def segment(marker: int, payload: bytes) -> bytes:
    """Return a marker segment holding ``payload``."""
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


def outside_scans(jpeg: Jpeg, data: bytes) -> bytes:
    """Return every byte of the file except entropy-coded scan data."""
    parts, pos = [], 0
    for seg in (s for s in jpeg.segments if s.marker == SOS):
        header_end = seg.start + 2 + int.from_bytes(data[seg.start + 2:seg.start + 4], "big")
        parts.append(data[pos:header_end])
        pos = seg.end
    return b"".join([*parts, data[pos:]])
