"""Clean a JPEG without touching its pixels: keep the coding segments, drop everything else.

The entropy-coded picture is copied byte for byte (no generation loss, no decode). We
write fresh JFIF and Adobe headers (density and colour transform only), a minimal EXIF
block holding Orientation alone when the picture is not upright, and the neutral ICC
profile. Whatever follows the first end-of-image marker (MPO pictures, Samsung trailers,
motion-photo video, an appended ZIP) is dropped.

A bytearray handed over by ``sanitize(..., in_place=True)`` (``strip`` reads each file
into one) becomes the clean file itself: our headers take the place of the metadata in
front of the first coding segment and the coding segments close up behind them, so a
photo's megabytes are read once and written once, never copied in between.
"""

from __future__ import annotations

import re
import struct

from trip_companion.media import exif, icc, pixels
from trip_companion.media import model as m
from trip_companion.media.errors import UnsafeOutputError
from trip_companion.media.jpeg import (
    APP0,
    APP1,
    APP2,
    APP13,
    APP14,
    CODING,
    COM,
    ICC_TAG,
    SOS,
    XMP_EXT_TAG,
    XMP_TAG,
    Jpeg,
    Segment,
    first,
    icc_profile,
    orientation,
    parse,
    segment,
)

_ICC_CHUNK = 65519


def clean(data: bytes, limits: m.Limits) -> m.Draft:
    """Return the clean JPEG (coding segments as they were), not yet re-checked.

    :raises SanitizeError: truncated, corrupt, unsupported or oversized input.
    """
    jpeg = parse(data)
    limits.check_pixels(jpeg.width, jpeg.height)
    turn = orientation(jpeg, data)
    raw_profile = icc_profile(jpeg, data)
    profile = icc.scrub_report(raw_profile)
    found = m.Removed()
    found.merge(report(jpeg, data))
    found.merge(profile.report)
    if raw_profile is None and first(jpeg, data, APP2, ICC_TAG) is not None:
        found.add(m.COLOUR_PROFILE, "unreadable colour profile")
    head = b"".join([b"\xff\xd8", *header_segments(jpeg, data, turn, profile.data)])
    out, scans = _assemble(data, jpeg, head)
    width, height = pixels.displayed_size(jpeg.width, jpeg.height, turn)
    return m.Draft(out, "jpeg", width, height, found.as_dict(), turn=turn, profile=profile.data,
                   scans=scans)


def _jfif(payload: bytes) -> bytes:
    # Rebuilt from the density alone: a JFIF APP0 can also carry a thumbnail.
    version, units, xd, yd = (payload[5:7], payload[7], *struct.unpack(">HH", payload[8:12])) \
        if len(payload) >= 14 else (b"\x01\x01", 0, 1, 1)
    if units > 2 or not xd or not yd:
        units, xd, yd = 0, 1, 1
    return segment(APP0, b"JFIF\x00" + version + struct.pack(">BHHBB", units, xd, yd, 0, 0))


def _adobe(payload: bytes) -> bytes:
    # Keep only the colour transform flag, which CMYK/YCCK decoding depends on.
    transform = payload[11] if len(payload) >= 12 and payload[11] in (0, 1, 2) else 0
    return segment(APP14, b"Adobe" + struct.pack(">HHHB", 100, 0, 0, transform))


def header_segments(jpeg: Jpeg, data: bytes, turn: int, profile: bytes | None) -> list[bytes]:
    """Return the segments we write after SOI: rebuilt JFIF, Orientation, ICC, Adobe."""
    out = []
    jfif = first(jpeg, data, APP0, b"JFIF\x00")
    if jfif is not None:
        out.append(_jfif(jfif))
    if turn != 1:
        out.append(segment(APP1, exif.orientation_block(turn)))
    if profile:
        parts = [profile[i:i + _ICC_CHUNK] for i in range(0, len(profile), _ICC_CHUNK)]
        out += [segment(APP2, ICC_TAG + bytes((n, len(parts))) + part)
                for n, part in enumerate(parts, 1)]
    adobe = first(jpeg, data, APP14, b"Adobe")
    if adobe is not None:
        out.append(_adobe(adobe))
    return out


def _assemble(data: bytes | bytearray, jpeg: Jpeg,
              head: bytes) -> tuple[bytes | bytearray, dict[int, int]]:
    """Return ``head``, the coding segments as they were and EOI, and where each run lies.

    The runs (start -> end of the entropy-coded bytes after each scan header) are those
    ``parse`` searched, in bytes nobody else can change: the verifier may skip them.
    A bytearray is rearranged in place (see the module's docstring) when our headers fit
    where the file's own began; anything else is joined into new bytes.
    """
    kept = [seg for seg in jpeg.segments if seg.marker in CODING]
    runs, pos = {}, len(head)
    for seg in kept:
        if seg.marker == SOS:
            runs[pos + 2 + int.from_bytes(data[seg.start + 2:seg.start + 4], "big")] = \
                pos + seg.end - seg.start
        pos += seg.end - seg.start
    if isinstance(data, bytearray) and kept[0].start >= len(head):
        return _in_place(data, kept, head), runs
    view = memoryview(data)
    return b"".join([head, *(view[seg.start:seg.end] for seg in kept), b"\xff\xd9"]), runs


def _in_place(data: bytearray, kept: list[Segment], head: bytes) -> bytearray:
    start = kept[0].start - len(head)
    data[start:kept[0].start] = head
    pos = kept[0].start
    for seg in kept:  # all but a file with junk between its segments are already closed up
        if seg.start != pos:
            data[pos:pos + seg.end - seg.start] = data[seg.start:seg.end]  # (a copy: may overlap)
        pos += seg.end - seg.start
    data[pos:pos + 2] = b"\xff\xd9"  # over the file's own end marker, or what followed a scan
    del data[pos + 2:]  # first: cutting the end moves nothing while the front is still there
    del data[:start]  # CPython moves a bytearray's start here, not its bytes
    return data


def check_clean(data: bytes, turn: int, profile: bytes | None,
                scans: dict[int, int] | None = None) -> Jpeg:
    """Re-read a JPEG we wrote and raise if anything beyond the allowed minimum is in it.

    ``scans``: entropy-coded runs copied from an already walked input (``Draft.scans``);
    the walk skips them, checking that each ends at a marker.

    :raises UnsafeOutputError: metadata, trailing bytes or an unexpected segment.
    """
    jpeg = parse(data, known_scans=scans)
    if jpeg.end != len(data):
        raise UnsafeOutputError(f"{len(data) - jpeg.end} bytes after the end marker")
    expected = header_segments(jpeg, data, turn, profile)
    found = [data[s.start:s.end] for s in jpeg.segments if s.marker not in CODING]
    if found != expected:
        raise UnsafeOutputError(f"unexpected segments {[f[:2].hex() for f in found]}")
    if profile is not None and not icc.is_clean(profile):
        raise UnsafeOutputError("colour profile is not neutral")
    return jpeg


def report(jpeg: Jpeg, data: bytes) -> dict[str, list[str]]:
    """Return what the JPEG carries besides its picture, by category."""
    found = m.Removed()
    for seg in jpeg.segments:
        if seg.marker not in CODING:
            _report_segment(found, seg.marker, seg.payload(data))
    if jpeg.end < len(data):
        found.add(*_describe_trailer(data[jpeg.end:]))
    return found.as_dict()


def _report_segment(found: m.Removed, marker: int, payload: bytes) -> None:
    if marker == APP1 and payload.startswith(exif.EXIF_PREFIX):
        found.merge(exif.report(payload))
    elif marker == APP1 and payload.startswith((XMP_TAG, XMP_EXT_TAG)):
        found.add(m.XMP, "XMP packet")
    elif marker == APP13:
        found.add(m.IPTC, "IPTC/Photoshop block")
    elif marker == APP2 and payload.startswith(b"MPF\x00"):
        found.add(m.EXTRA_IMAGES, "multi-picture index (MPF)")
    elif marker == APP0 and payload.startswith(b"JFXX"):
        found.add(m.THUMBNAILS, "JFIF extension thumbnail")
    elif marker == APP0 and payload.startswith(b"JFIF") and any(payload[12:14]):
        found.add(m.THUMBNAILS, "JFIF thumbnail")
    elif marker == COM:
        found.add(m.COMMENTS, "JPEG comment")
    elif marker not in (APP0, APP14) and not (marker == APP2 and payload.startswith(ICC_TAG)):
        name = re.sub(rb"[^A-Za-z0-9 _.-]", b"", payload.split(b"\x00", 1)[0][:16]).decode()
        found.add(m.VENDOR_DATA, f"APP{marker - APP0} {name}".strip()
                  if APP0 <= marker <= 0xEF else f"segment 0x{marker:02X}")


def _describe_trailer(tail: bytes) -> tuple[str, str]:
    kinds = [name for name, hit in (
        ("more pictures", b"\xff\xd8\xff" in tail[:4096]),
        ("video", b"ftyp" in tail), ("Samsung trailer", b"SEFT" in tail[-16:]),
        ("ZIP archive", b"PK\x03\x04" in tail)) if hit]
    note = f" ({', '.join(kinds)})" if kinds else ""
    return m.TRAILING_DATA, f"{len(tail)} bytes after the picture{note}"
