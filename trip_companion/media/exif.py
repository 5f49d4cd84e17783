"""Read just enough of an EXIF block to report it and to keep its orientation.

We never copy any part of an EXIF block: we list its tags (for the removal report),
read the Orientation, and write a fresh block holding Orientation alone. A small reader
of our own, bounded by the block's length, is safer on hostile input than a full parser.
"""

from __future__ import annotations

import re
import struct

from trip_companion.media import model as m

EXIF_PREFIX = b"Exif\x00\x00"
ORIENTATION = 0x0112
_POINTERS = {0x8769: "exif", 0x8825: "gps", 0xA005: "interop"}
_MAX_IFDS = 16

# tag -> (category, readable name); every tag not listed (and not structural) is a setting.
_TAGS = {
    0x010F: (m.DEVICE, "Make"), 0x0110: (m.DEVICE, "Model"),
    0xA431: (m.DEVICE, "BodySerialNumber"), 0xA432: (m.DEVICE, "LensSpecification"),
    0xA433: (m.DEVICE, "LensMake"), 0xA434: (m.DEVICE, "LensModel"),
    0xA435: (m.DEVICE, "LensSerialNumber"), 0xC614: (m.DEVICE, "UniqueCameraModel"),
    0xC615: (m.DEVICE, "LocalizedCameraModel"), 0xA420: (m.DEVICE, "ImageUniqueID"),
    0x013B: (m.OWNER, "Artist"), 0x8298: (m.OWNER, "Copyright"),
    0xA430: (m.OWNER, "CameraOwnerName"),
    0x0132: (m.TIMESTAMPS, "DateTime"), 0x9003: (m.TIMESTAMPS, "DateTimeOriginal"),
    0x9004: (m.TIMESTAMPS, "DateTimeDigitized"), 0x9010: (m.TIMESTAMPS, "OffsetTime"),
    0x9011: (m.TIMESTAMPS, "OffsetTimeOriginal"), 0x9012: (m.TIMESTAMPS, "OffsetTimeDigitized"),
    0x9290: (m.TIMESTAMPS, "SubSecTime"), 0x9291: (m.TIMESTAMPS, "SubSecTimeOriginal"),
    0x9292: (m.TIMESTAMPS, "SubSecTimeDigitized"), 0x882A: (m.TIMESTAMPS, "TimeZoneOffset"),
    0x0131: (m.SOFTWARE, "Software"), 0x000B: (m.SOFTWARE, "ProcessingSoftware"),
    0x013C: (m.SOFTWARE, "HostComputer"),
    0x010E: (m.DESCRIPTIONS, "ImageDescription"), 0x010D: (m.DESCRIPTIONS, "DocumentName"),
    0x9286: (m.DESCRIPTIONS, "UserComment"), 0x9C9B: (m.DESCRIPTIONS, "XPTitle"),
    0x9C9C: (m.DESCRIPTIONS, "XPComment"), 0x9C9D: (m.DESCRIPTIONS, "XPAuthor"),
    0x9C9E: (m.DESCRIPTIONS, "XPKeywords"), 0x9C9F: (m.DESCRIPTIONS, "XPSubject"),
    0x927C: (m.MAKER_NOTES, "MakerNote"), 0xC4A5: (m.VENDOR_DATA, "PrintIM"),
    0x02BC: (m.XMP, "XMP in EXIF"), 0x83BB: (m.IPTC, "IPTC in EXIF"),
    0x8649: (m.IPTC, "Photoshop data in EXIF"), 0x8773: (m.COLOUR_PROFILE, "ICC in EXIF"),
}
# Needed to decode or display, or pointers: never reported as removed "data".
_STRUCTURAL = {ORIENTATION, 0x011A, 0x011B, 0x0128, 0x0213, 0xA001, 0x9000, 0xA000, 0x9101,
               0xA002, 0xA003, *_POINTERS}
_GPS_POSITION = {0x0001, 0x0002, 0x0003, 0x0004}
_XMP_ORIENTATION = re.compile(rb'tiff:Orientation(?:="|>)([0-9])')

Ifds = dict[str, dict[int, tuple[int, int, bytes]]]


def parse(block: bytes) -> Ifds:
    """Return the IFDs of an EXIF block: name -> tag -> (type, count, raw 4-byte value).

    :raises ValueError: when the block is not a TIFF structure at all.
    """
    tiff, order, first = _header(block)
    ifds: Ifds = {}
    queue = [("0", first)]
    seen: set[int] = set()
    while queue and len(ifds) < _MAX_IFDS:
        name, offset = queue.pop()
        if offset in seen or not 8 <= offset < len(tiff) or name in ifds:
            continue
        seen.add(offset)
        ifds[name], next_offset = _read_ifd(tiff, offset, order)
        queue += [(_POINTERS[t], _as_int(v, order)) for t, v in ifds[name].items()
                  if t in _POINTERS]
        if name == "0" and next_offset:
            queue.append(("1", next_offset))
    return ifds


def _header(block: bytes) -> tuple[bytes, str, int]:
    """Return the TIFF structure, its byte order and where its first IFD is."""
    tiff = block[len(EXIF_PREFIX):] if block.startswith(EXIF_PREFIX) else block
    order = {b"II": "<", b"MM": ">"}.get(tiff[:2])
    if order is None or len(tiff) < 8 or struct.unpack(order + "H", tiff[2:4])[0] != 42:
        msg = "not a TIFF/EXIF structure"
        raise ValueError(msg)
    return tiff, order, struct.unpack(order + "I", tiff[4:8])[0]


def _read_ifd(tiff: bytes, offset: int, order: str) -> tuple[dict, int]:
    count = struct.unpack(order + "H", tiff[offset:offset + 2])[0]
    pos = offset + 2
    whole = min(count, (len(tiff) - pos) // 12)  # a cut-off IFD: report what is there
    entries = {tag: (kind, n, raw) for tag, kind, n, raw
               in struct.iter_unpack(order + "HHI4s", tiff[pos:pos + 12 * whole])}
    if whole < count:
        return entries, 0
    following = tiff[pos + 12 * count:pos + 12 * count + 4]
    return entries, struct.unpack(order + "I", following)[0] if len(following) == 4 else 0


def _as_int(entry: tuple[int, int, bytes], order: str) -> int:
    kind, _, raw = entry
    if kind == 3:  # SHORT
        return struct.unpack(order + "H", raw[:2])[0]
    if kind == 1:  # BYTE
        return raw[0]
    return struct.unpack(order + "I", raw)[0]


def orientation(block: bytes) -> int | None:
    """Return the Orientation in IFD0 (None if absent or unreadable), as Pillow reads it."""
    try:  # IFD0 alone: the camera's other IFDs can hold hundreds of tags
        tiff, order, first = _header(block)
        if not 8 <= first < len(tiff):
            return None
        entry = _read_ifd(tiff, first, order)[0].get(ORIENTATION)
        return None if entry is None else _as_int(entry, order)
    except (ValueError, struct.error, IndexError):
        return None


def xmp_orientation(xmp: bytes | str) -> int | None:
    """Return ``tiff:Orientation`` from an XMP packet, the fallback Pillow also uses."""
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8", "replace")
    found = _XMP_ORIENTATION.search(xmp)
    return int(found[1]) if found else None


def displayed_orientation(exif_block: bytes | None, xmp: bytes | str | None) -> int:
    """Return how a viewer turns the picture: EXIF first, then XMP, else 1 (as Pillow)."""
    value = orientation(exif_block) if exif_block else None
    if value is None and xmp:
        value = xmp_orientation(xmp)
    return value if value in range(1, 9) else 1


def report(block: bytes) -> dict[str, list[str]]:
    """Return what an EXIF block carries, by category, for the removal report."""
    found = m.Removed()
    try:
        ifds = parse(block)
    except (ValueError, struct.error, IndexError):
        found.add(m.CAMERA_SETTINGS, "unreadable EXIF block")
        return found.as_dict()
    gps = ifds.pop("gps", {})
    if gps:
        found.add(m.LOCATION, "GPS position" if gps.keys() & _GPS_POSITION
                  else "GPS block without a position")
    if ifds.pop("1", None) is not None:
        found.add(m.THUMBNAILS, "EXIF thumbnail")
    settings = 0
    for name, entries in ifds.items():
        for tag in entries:
            if tag in _TAGS:
                found.add(*_TAGS[tag])
            elif tag not in _STRUCTURAL and name != "interop":
                settings += 1
    if settings:
        found.add(m.CAMERA_SETTINGS, f"{settings} EXIF camera tags")
    report = found.as_dict()
    return report or {m.CAMERA_SETTINGS: ["EXIF block with layout tags only"]}


def orientation_block(value: int) -> bytes:
    """Return a minimal EXIF payload (with the ``Exif`` prefix) holding Orientation alone."""
    ifd = struct.pack(">HHHIHH", 1, ORIENTATION, 3, 1, value, 0) + b"\x00\x00\x00\x00"
    return EXIF_PREFIX + b"MM\x00\x2a\x00\x00\x00\x08" + ifd
