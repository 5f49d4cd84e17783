"""Clean a WebP by keeping only its picture chunks and a rebuilt header.

EXIF, XMP (including the non-standard ``XMP\\0`` chunk some iPhone exports carry) and
any unknown chunk go; the VP8/VP8L bitstream (and ALPH) are copied unchanged. Browsers
ignore WebP orientation metadata, so an orientation other than 1 is baked into the
pixels (re-encoded, lossless if the source was). An animation keeps its first frame.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from trip_companion.media import exif, icc, pixels
from trip_companion.media import model as m
from trip_companion.media.errors import (
    CorruptImageError,
    TruncatedImageError,
    UnsafeOutputError,
)

PICTURE = (b"VP8 ", b"VP8L")
ALLOWED = frozenset({b"VP8X", b"ICCP", b"ALPH", *PICTURE})
_ANIMATION = (b"ANIM", b"ANMF")
_ICC_FLAG, _ALPHA_FLAG = 0x20, 0x10


@dataclass
class Chunk:
    """One RIFF chunk: its body is ``data[start + 8:end]`` (padding excluded)."""

    fourcc: bytes
    start: int
    end: int

    def body(self, data: bytes) -> bytes:
        """Return the chunk's content."""
        return data[self.start + 8:self.end]


def parse(data: bytes) -> tuple[list[Chunk], int]:
    """Return the chunks and the offset where the RIFF container ends.

    :raises TruncatedImageError: the file is shorter than its RIFF header says.
    :raises CorruptImageError: a chunk does not fit inside the container.
    """
    if len(data) < 12:
        raise TruncatedImageError("no room for the RIFF header")
    riff_end = 8 + int.from_bytes(data[4:8], "little")
    if riff_end > len(data):
        raise TruncatedImageError(f"file is {riff_end - len(data)} bytes short of its RIFF size")
    chunks, pos = [], 12
    while pos + 8 <= riff_end:
        fourcc, size = data[pos:pos + 4], int.from_bytes(data[pos + 4:pos + 8], "little")
        if pos + 8 + size > riff_end:
            raise CorruptImageError(f"chunk {fourcc!r} does not fit in the file")
        chunks.append(Chunk(fourcc, pos, pos + 8 + size))
        pos += 8 + size + (size & 1)
    return chunks, riff_end


def _first(chunks: list[Chunk], data: bytes, *fourccs: bytes) -> bytes | None:
    return next((c.body(data) for c in chunks if c.fourcc in fourccs), None)


def size(chunks: list[Chunk], data: bytes) -> tuple[int, int]:
    """Return the largest (width, height) claimed by the header or the bitstream."""
    sizes = []
    canvas = _first(chunks, data, b"VP8X")
    if canvas is not None and len(canvas) >= 10:
        sizes.append((1 + int.from_bytes(canvas[4:7], "little"),
                      1 + int.from_bytes(canvas[7:10], "little")))
    lossy, lossless = _first(chunks, data, b"VP8 "), _first(chunks, data, b"VP8L")
    if lossy is not None and len(lossy) >= 10 and lossy[3:6] == b"\x9d\x01\x2a":
        w, h = struct.unpack("<HH", lossy[6:10])
        sizes.append((w & 0x3FFF, h & 0x3FFF))
    if lossless is not None and len(lossless) >= 5 and lossless[0] == 0x2F:
        bits = int.from_bytes(lossless[1:5], "little")
        sizes.append(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
    if not sizes:
        raise CorruptImageError("no picture header")
    return max(w for w, _ in sizes), max(h for _, h in sizes)


def _chunk(fourcc: bytes, body: bytes) -> bytes:
    return fourcc + struct.pack("<I", len(body)) + body + b"\x00" * (len(body) & 1)


def _rebuild(chunks: list[Chunk], data: bytes, profile: bytes | None) -> bytes:
    picture = [c for c in chunks if c.fourcc in PICTURE][:1]
    alpha = [c for c in chunks if c.fourcc == b"ALPH"][:1] if picture[0].fourcc == b"VP8 " else []
    lossless = _first(chunks, data, b"VP8L") or b""
    has_alpha = bool(alpha) or (len(lossless) >= 5 and lossless[4] & 0x10)
    body = []
    if profile or alpha:
        width, height = size(chunks, data)
        flags = (_ICC_FLAG if profile else 0) | (_ALPHA_FLAG if has_alpha else 0)
        body.append(_chunk(b"VP8X", bytes((flags, 0, 0, 0)) + (width - 1).to_bytes(3, "little")
                           + (height - 1).to_bytes(3, "little")))
    if profile:
        body.append(_chunk(b"ICCP", profile))
    body += [_chunk(c.fourcc, c.body(data)) for c in alpha + picture]
    riff = b"".join([b"WEBP", *body])
    return b"RIFF" + struct.pack("<I", len(riff)) + riff


def clean(data: bytes, limits: m.Limits) -> m.Draft:
    """Return the clean WebP, not yet re-checked.

    :raises SanitizeError: truncated, corrupt or oversized input.
    """
    chunks, riff_end = parse(data)
    if not any(c.fourcc in PICTURE for c in chunks) and not any(
            c.fourcc in _ANIMATION for c in chunks):
        raise CorruptImageError("no picture data")
    width, height = size(chunks, data)
    limits.check_pixels(width, height)
    turn = exif.displayed_orientation(_first(chunks, data, b"EXIF"), _first(chunks, data, b"XMP "))
    profile = icc.scrub_report(_first(chunks, data, b"ICCP"))
    found = m.Removed()
    found.merge(report(chunks, data, riff_end))
    found.merge(profile.report)
    animated = any(c.fourcc in _ANIMATION for c in chunks)
    out = data[:riff_end] if animated else _rebuild(chunks, data, profile.data)
    image = pixels.open_as(out, "webp")
    image.load()  # decodes the bitstream we keep: catches a cut-off or damaged picture
    if turn != 1 or animated:
        lossless = any(c.fourcc == b"VP8L" for c in chunks)
        out = pixels.encode_webp(pixels.upright(image, turn), limits.webp_quality, lossless,
                                 profile.data)
    w, h = pixels.displayed_size(image.width, image.height, turn)
    return m.Draft(out, "webp", w, h, found.as_dict(), profile=profile.data)


def report(chunks: list[Chunk], data: bytes, riff_end: int) -> dict[str, list[str]]:
    """Return what the WebP carries besides its picture, by category."""
    found = m.Removed()
    for chunk in chunks:
        if chunk.fourcc == b"EXIF":
            found.merge(exif.report(chunk.body(data)))
        elif chunk.fourcc.startswith(b"XMP"):
            found.add(m.XMP, "XMP packet" if chunk.fourcc == b"XMP " else "non-standard XMP chunk")
        elif chunk.fourcc in _ANIMATION:
            found.add(m.EXTRA_IMAGES, "animation frames")
        elif chunk.fourcc not in ALLOWED:
            name = re.sub(rb"[^A-Za-z0-9]", b"?", chunk.fourcc).decode()
            found.add(m.VENDOR_DATA, f"{name} chunk")
    if riff_end < len(data):
        found.add(m.TRAILING_DATA, f"{len(data) - riff_end} bytes after the picture")
    return found.as_dict()


def check_clean(data: bytes, profile: bytes | None) -> None:
    """Re-read a WebP we wrote and raise if anything but the picture and colour is in it.

    :raises UnsafeOutputError: an unexpected chunk or flag, or bytes after the container.
    """
    chunks, riff_end = parse(data)
    if riff_end != len(data):
        raise UnsafeOutputError(f"{len(data) - riff_end} bytes after the RIFF container")
    extra = {c.fourcc for c in chunks} - ALLOWED
    header = _first(chunks, data, b"VP8X")
    if extra or (header is not None and header[0] & ~(_ICC_FLAG | _ALPHA_FLAG)):
        raise UnsafeOutputError(f"chunks {sorted(extra)} or metadata flags left in the output")
    found = _first(chunks, data, b"ICCP")
    if found != profile or (profile and not icc.is_clean(profile)):
        raise UnsafeOutputError("colour profile is not the neutral one we wrote")
