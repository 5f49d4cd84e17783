"""Keep a photo's colours but not who made the colour profile, or for which device.

An ICC profile says how to turn pixel values into colours: an iPhone's Display P3, a
CMYK press profile. Converting the pixels to sRGB would lose gamut and force a lossy
re-encode of every JPEG, so instead we rebuild the profile from its colorimetric tags
only (white point, primaries, tone curves, lookup tables) with a neutral header:
device manufacturer/model, creator, CMM, platform, date and profile ID are zeroed,
the description becomes a standard colour-space name (or a generic one), the copyright
becomes "No copyright", and every other tag (dmnd/dmdd device text, Apple ``mmod``
display make/model, ``vcgt``, measurement and calibration text…) is dropped.
A profile we cannot parse is dropped (viewers then assume sRGB).
"""

from __future__ import annotations

import functools
import io
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from trip_companion.media import model as m

T = TypeVar("T")

_HEADER = 128
_MAX_TAGS = 100
_KEEP = frozenset({
    b"wtpt", b"bkpt", b"rXYZ", b"gXYZ", b"bXYZ", b"rTRC", b"gTRC", b"bTRC", b"kTRC",
    b"chad", b"chrm", b"cicp", b"gamt", b"A2B0", b"A2B1", b"A2B2", b"B2A0", b"B2A1",
    b"B2A2", b"D2B0", b"D2B1", b"D2B2", b"D2B3", b"B2D0", b"B2D1", b"B2D2", b"B2D3",
})
# Header fields zeroed, and how the report names them (None: zeroed but not worth a line).
_ZEROED = ((4, 8, None), (24, 36, "date"), (40, 48, None), (48, 56, "device maker/model"),
           (56, 64, None), (80, 84, "creator"), (84, 100, None))
_STANDARD_NAME = re.compile(
    r"(sRGB( IEC ?61966-2[.-]1)?|sRGB built-in|Display P3|DCI[- ]P3.*|Adobe RGB \(1998\)|"
    r"ProPhoto RGB|ROMM RGB.*|ColorMatch RGB|Apple RGB|eciRGB v2|Generic (RGB|Gray|CMYK) Profile|"
    r"(ITU-R )?(BT\.|Rec\. ?)(709|2020|2100).*|Gray Gamma [0-9.]+|Dot Gain [0-9]+%|"
    r"U\.S\. (Web|Sheetfed) (Coated|Uncoated).*|(Coated|Uncoated) FOGRA\d+.*|"
    r"Japan Color \d+.*|ISO Coated.*|PSO .*|GRACoL.*|Linear (RGB|Gray).*)")
_GENERIC = {b"RGB ": "RGB colour profile", b"GRAY": "Gray colour profile",
            b"CMYK": "CMYK colour profile"}


@dataclass(frozen=True)
class Scrubbed:
    """A neutral profile (or None) and the report of what its rebuild removed."""

    data: bytes | None
    report: dict[str, list[str]]


def scrub_report(profile: bytes | None) -> Scrubbed:
    """Scrub ``profile`` if there is one, reporting under ``colour_profile``."""
    if not profile:
        return Scrubbed(None, {})
    clean, removed = scrub(profile)
    return Scrubbed(clean, {m.COLOUR_PROFILE: list(removed)} if removed else {})


def _remembered(function: Callable[[bytes], T]) -> Callable[[bytes], T]:
    """Memoize a pure function of a profile's bytes, for small profiles only.

    Photos from one phone share one profile, so a folder pays for lcms once per distinct
    profile, not once per photo. Large profiles (CMYK press profiles, or a hostile 16 MB
    one) are not kept, so the cache stays under a few megabytes whatever is uploaded.
    """
    cached = functools.lru_cache(maxsize=32)(function)

    @functools.wraps(function)
    def remembered(profile: bytes) -> T:
        return cached(profile) if len(profile) <= _REMEMBER_BYTES else function(profile)

    return remembered


_REMEMBER_BYTES = 128 * 1024


@_remembered
def scrub(profile: bytes) -> tuple[bytes | None, tuple[str, ...]]:
    """Return a neutral copy of ``profile`` (None if unusable) and what was taken out."""
    try:
        tags, version = _read(profile)
    except (ValueError, struct.error):
        return None, ("unreadable colour profile",)
    name = _description(profile, tags)
    header = bytearray(profile[:_HEADER])
    removed = [what for start, end, what in _ZEROED if what and any(header[start:end])]
    for start, end, _ in _ZEROED:
        header[start:end] = bytes(end - start)
    header[100:128] = bytes(28)
    if name is None or not _STANDARD_NAME.fullmatch(name):
        removed.append("description")
        name = _GENERIC.get(bytes(header[16:20]), "colour profile")
    removed += [f"{sig.decode('latin-1').strip()} tag" for sig in tags
                if sig not in _KEEP | {b"desc", b"cprt"}]
    kept = {sig: span for sig, span in tags.items() if sig in _KEEP}
    clean = _build(header, profile, kept, _text_tag(name, version),
                   _copyright_tag(version))
    if not _loads(clean):
        return None, ("colour profile that could not be rebuilt",)
    return clean, tuple(removed)


def _read(profile: bytes) -> tuple[dict[bytes, tuple[int, int]], int]:
    if len(profile) < _HEADER + 4 or profile[36:40] != b"acsp":
        msg = "not an ICC profile"
        raise ValueError(msg)
    size = min(struct.unpack(">I", profile[:4])[0], len(profile))
    count = struct.unpack(">I", profile[_HEADER:_HEADER + 4])[0]
    if count > _MAX_TAGS or _HEADER + 4 + 12 * count > size:
        msg = "bad tag table"
        raise ValueError(msg)
    tags = {}
    for i in range(count):
        sig, offset, length = struct.unpack(">4sII", profile[132 + 12 * i:144 + 12 * i])
        if offset + length > size or length < 8:
            msg = "tag outside the profile"
            raise ValueError(msg)
        tags[sig] = (offset, length)
    return tags, profile[8]


def _description(profile: bytes, tags: dict[bytes, tuple[int, int]]) -> str | None:
    if b"desc" not in tags:
        return None
    offset, length = tags[b"desc"]
    data = profile[offset:offset + length]
    if data[:4] == b"desc" and len(data) >= 12:
        n = struct.unpack(">I", data[8:12])[0]
        return data[12:12 + n].split(b"\x00")[0].decode("latin-1")
    if data[:4] == b"mluc" and len(data) >= 28:
        n, start = struct.unpack(">II", data[20:28])
        return data[start:start + n].decode("utf-16-be", "replace")
    return None


def _text_tag(text: str, version: int) -> bytes:
    if version >= 4:
        return _mluc(text)
    ascii_text = text.encode("ascii", "replace") + b"\x00"
    return (b"desc" + bytes(4) + struct.pack(">I", len(ascii_text)) + ascii_text
            + bytes(4 + 4 + 2 + 1 + 67))


def _copyright_tag(version: int) -> bytes:
    text = "No copyright, use freely"
    return _mluc(text) if version >= 4 else b"text" + bytes(4) + text.encode() + b"\x00"


def _mluc(text: str) -> bytes:
    encoded = text.encode("utf-16-be")
    return b"mluc" + bytes(4) + struct.pack(">II2s2sII", 1, 12, b"en", b"US", len(encoded),
                                             28) + encoded


def _build(header: bytearray, profile: bytes, kept: dict[bytes, tuple[int, int]],
           desc: bytes, cprt: bytes) -> bytes:
    blobs: dict[tuple[int, int] | bytes, bytes] = {span: profile[span[0]:span[0] + span[1]]
                                                    for span in kept.values()}
    entries = [(sig, span) for sig, span in kept.items()] + [(b"desc", b"desc"), (b"cprt", b"cprt")]
    blobs[b"desc"], blobs[b"cprt"] = desc, cprt
    body, where = bytearray(), {}
    start = _HEADER + 4 + 12 * len(entries)
    for key, blob in blobs.items():
        where[key] = start + len(body)
        body += blob + bytes(-len(blob) % 4)
    table = b"".join(struct.pack(">4sII", sig, where[key], len(blobs[key]))
                     for sig, key in entries)
    out = header + struct.pack(">I", len(entries)) + table + body
    out[0:4] = struct.pack(">I", len(out))
    return bytes(out)


def _loads(profile: bytes) -> bool:
    from PIL import ImageCms  # lcms is loaded only for pictures that carry a profile

    try:
        ImageCms.ImageCmsProfile(io.BytesIO(profile))
    except (OSError, ImageCms.PyCMSError, TypeError, ValueError):
        return False
    return True


@_remembered
def is_clean(profile: bytes) -> bool:
    """Tell whether ``profile`` is one of ours: neutral header, known tags, lcms loads it."""
    try:
        tags, _ = _read(profile)
    except (ValueError, struct.error):
        return False
    neutral = not any(any(profile[s:e]) for s, e, _ in _ZEROED) and not any(profile[100:128])
    name = _description(profile, tags) or ""
    known = bool(_STANDARD_NAME.fullmatch(name)) or name in {*_GENERIC.values(), "colour profile"}
    return neutral and known and set(tags) <= _KEEP | {b"desc", b"cprt"} and _loads(profile)
