"""Clean a PNG by keeping only the chunks a decoder needs, in their order.

Text (tEXt/zTXt/iTXt: comments, XMP, ImageMagick "Raw profile" EXIF/IPTC), eXIf, tIME,
animation and private chunks go; the compressed pixels are copied unchanged. An
orientation held in eXIf or in XMP (``tiff:Orientation``) is baked into the pixels,
because browsers ignore both: that case alone is decoded and re-encoded.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from trip_companion.media import exif, icc, pixels
from trip_companion.media import model as m
from trip_companion.media.errors import (
    CorruptImageError,
    TruncatedImageError,
    UnsafeOutputError,
)

SIGNATURE = b"\x89PNG\r\n\x1a\n"
KEEP = frozenset({b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND", b"gAMA", b"cHRM", b"sRGB",
                  b"sBIT", b"pHYs", b"cICP"})
_TEXT = (b"tEXt", b"zTXt", b"iTXt")
_MAX_TEXT = 4 * 1024 * 1024  # enough for any real EXIF/XMP/ICC; more is a bomb


@dataclass
class Chunk:
    """One chunk: ``data[start:end]`` holds length, type, body and CRC."""

    kind: bytes
    start: int
    end: int

    def body(self, data: bytes) -> bytes:
        """Return the chunk's content, without length, type and CRC."""
        return data[self.start + 8:self.end - 4]


def parse(data: bytes) -> tuple[list[Chunk], int]:
    """Return the chunks up to IEND and the offset just after it.

    :raises TruncatedImageError: a chunk runs past the end, or there is no IEND.
    :raises CorruptImageError: a bad chunk type, a CRC mismatch or no IHDR first.
    """
    chunks, pos = [], len(SIGNATURE)
    while True:
        if pos + 12 > len(data):
            raise TruncatedImageError("no IEND chunk")
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        end = pos + 12 + length
        if end > len(data):
            raise TruncatedImageError(f"{kind!r} chunk runs past the end of the file")
        if not kind.isalpha():
            raise CorruptImageError(f"bad chunk type {kind!r}")
        if kind in KEEP and zlib.crc32(data[pos + 4:end - 4]) != int.from_bytes(
                data[end - 4:end], "big"):
            raise CorruptImageError(f"{kind.decode()} chunk fails its checksum")
        chunks.append(Chunk(kind, pos, end))
        pos = end
        if kind == b"IEND":
            break
    if chunks[0].kind != b"IHDR" or chunks[0].end - chunks[0].start != 25:
        raise CorruptImageError("IHDR is not the first chunk")
    return chunks, pos


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _text(chunk: Chunk, data: bytes) -> tuple[bytes, bytes]:
    """Return (keyword, text) of a text chunk, decompressing at most ``_MAX_TEXT`` bytes."""
    body = chunk.body(data)
    key, _, rest = body.partition(b"\x00")
    if chunk.kind == b"zTXt":
        return key, _inflate(rest[1:])
    if chunk.kind == b"iTXt":
        compressed, rest = rest[:1] == b"\x01", rest[2:]
        rest = rest.split(b"\x00", 2)[-1]  # skip language tag and translated keyword
        return key, _inflate(rest) if compressed else rest
    return key, rest


def _inflate(raw: bytes) -> bytes:
    try:
        return zlib.decompressobj().decompress(raw, _MAX_TEXT)
    except zlib.error:
        return b""


def orientation(chunks: list[Chunk], data: bytes) -> int:
    """Return the orientation Pillow applies: eXIf, else a "Raw profile type exif", else XMP."""
    block = next((c.body(data) for c in chunks if c.kind == b"eXIf"), None)
    xmp = None
    for chunk in (c for c in chunks if c.kind in _TEXT):
        key, text = _text(chunk, data)
        if key == b"Raw profile type exif" and block is None:
            block = _raw_profile(text)
        elif key == b"XML:com.adobe.xmp" and xmp is None:
            xmp = text
    return exif.displayed_orientation(block, xmp)


def _raw_profile(text: bytes) -> bytes | None:
    try:
        return bytes.fromhex("".join(text.decode("latin-1").split("\n")[3:]))
    except ValueError:
        return None


def _profile(chunks: list[Chunk], data: bytes) -> bytes | None:
    chunk = next((c for c in chunks if c.kind == b"iCCP"), None)
    if chunk is None:
        return None
    return _inflate(chunk.body(data).partition(b"\x00")[2][1:]) or None


def size(chunks: list[Chunk], data: bytes) -> tuple[int, int]:
    """Return (width, height) from IHDR."""
    return struct.unpack(">II", chunks[0].body(data)[:8])


def clean(data: bytes, limits: m.Limits) -> m.Draft:
    """Return the clean PNG, not yet re-checked.

    :raises SanitizeError: truncated, corrupt or oversized input.
    """
    chunks, end = parse(data)
    width, height = size(chunks, data)
    limits.check_pixels(width, height)
    profile = icc.scrub_report(_profile(chunks, data))
    found = m.Removed()
    found.merge(report(chunks, data, end))
    found.merge(profile.report)
    out = b"".join([SIGNATURE, *_kept(chunks, data, profile.data)])
    turn = orientation(chunks, data)
    image = pixels.open_as(out, "png")
    image.load()  # the only full check that IDAT is complete; it decodes our own output
    if turn != 1:
        transparency = image.info.get("transparency")
        image = pixels.upright(image, turn)
        out = pixels.encode_png(image, profile.data, transparency)
    w, h = pixels.displayed_size(width, height, turn)
    return m.Draft(out, "png", w, h, found.as_dict(), profile=profile.data)


def _kept(chunks: list[Chunk], data: bytes, profile: bytes | None) -> list[bytes]:
    out = []
    for chunk in chunks:
        if chunk.kind in KEEP:
            out.append(data[chunk.start:chunk.end])
        elif chunk.kind == b"iCCP" and profile:
            out.append(_chunk(b"iCCP", b"ICC profile\x00\x00" + zlib.compress(profile)))
    return out


def report(chunks: list[Chunk], data: bytes, end: int) -> dict[str, list[str]]:
    """Return what the PNG carries besides its picture, by category."""
    found = m.Removed()
    for chunk in chunks:
        if chunk.kind in _TEXT:
            _report_text(found, *_text(chunk, data))
        elif chunk.kind == b"eXIf":
            found.merge(exif.report(chunk.body(data)))
        elif chunk.kind == b"tIME":
            found.add(m.TIMESTAMPS, "PNG modification time")
        elif chunk.kind in (b"acTL", b"fcTL", b"fdAT"):
            found.add(m.EXTRA_IMAGES, "animation frames")
        elif chunk.kind not in KEEP and chunk.kind != b"iCCP":
            found.add(m.VENDOR_DATA, f"{chunk.kind.decode()} chunk")
    if end < len(data):
        found.add(m.TRAILING_DATA, f"{len(data) - end} bytes after the picture")
    return found.as_dict()


def _report_text(found: m.Removed, key: bytes, text: bytes) -> None:
    if key == b"XML:com.adobe.xmp":
        found.add(m.XMP, "XMP packet")
    elif key == b"Raw profile type exif":
        found.merge(exif.report(_raw_profile(text) or b""))
    elif key.startswith(b"Raw profile type"):
        found.add(m.IPTC, "raw IPTC/Photoshop/XMP profile text")
    else:
        found.add(m.PNG_TEXT, "text chunk")


def check_clean(data: bytes, profile: bytes | None) -> None:
    """Re-read a PNG we wrote and raise if anything but pixels and colour info is in it.

    :raises UnsafeOutputError: a chunk outside the allowed set, or bytes after IEND.
    """
    chunks, end = parse(data)
    if end != len(data):
        raise UnsafeOutputError(f"{len(data) - end} bytes after IEND")
    extra = {c.kind for c in chunks} - KEEP - {b"iCCP"}
    if extra:
        raise UnsafeOutputError(f"chunks {sorted(extra)} left in the output")
    if _profile(chunks, data) != profile or (profile and not icc.is_clean(profile)):
        raise UnsafeOutputError("colour profile is not the neutral one we wrote")
