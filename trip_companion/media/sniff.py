"""Tell a file's format from its first bytes, never from its name or the browser's MIME type.

Phones and browsers mislabel files (a HEIC named .jpg, a screenshot named .jpeg), and a
hostile upload can claim anything, so the bytes decide.
"""

from __future__ import annotations

from trip_companion.media.errors import UnsupportedFormatError

_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"heif", b"mif1",
                b"msf1", b"mif2", b"MiHE", b"MiHA", b"MiHB", b"MiPr"}
_AVIF_BRANDS = {b"avif", b"avis"}
_VIDEO_BRANDS = {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"qt  ",
                 b"M4V ", b"M4A ", b"mp71", b"dash", b"3gp4", b"3gp5", b"3gp6", b"3g2a",
                 b"avc1", b"crx ", b"MSNV", b"XAVC"}
# Things people try to post, named so the refusal can say what they sent.
_OTHER = (
    (b"GIF87a", "GIF"), (b"GIF89a", "GIF"), (b"II*\x00", "TIFF or camera RAW"),
    (b"MM\x00*", "TIFF or camera RAW"), (b"BM", "BMP"), (b"%PDF", "PDF"),
    (b"PK\x03\x04", "ZIP/Office document"), (b"8BPS", "Photoshop"), (b"\x00\x00\x01\x00", "icon"),
    (b"\xff\x0a", "JPEG XL"), (b"\x00\x00\x00\x0cJXL ", "JPEG XL"),
    (b"\x00\x00\x00\x0cjP  ", "JPEG 2000"), (b"\x1aE\xdf\xa3", "WebM/MKV video"),
    (b"RIFF", "RIFF audio/video"), (b"ID3", "audio"), (b"OggS", "Ogg"),
)


def sniff(data: bytes) -> str:
    """Return "jpeg", "png", "webp", "heif" or "avif".

    :raises UnsupportedFormatError: for anything else, naming the kind where we know it.
    """
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[4:8] == b"ftyp":
        return _iso_brand(data)
    raise _refuse(_name_other(data))


def _iso_brand(data: bytes) -> str:
    size = int.from_bytes(data[:4], "big")
    brands = {data[8:12]} | {data[i:i + 4] for i in range(16, min(size, 256), 4)}
    major = data[8:12]
    if major in _AVIF_BRANDS or (brands & _AVIF_BRANDS and not brands & (_HEIF_BRANDS - {b"mif1"})):
        return "avif"
    if major in _HEIF_BRANDS or (brands & _HEIF_BRANDS and major not in _VIDEO_BRANDS):
        return "heif"
    raise _refuse("video" if brands & _VIDEO_BRANDS else f"ISO media {major!r}")


def _refuse(kind: str) -> UnsupportedFormatError:
    named = "" if kind == "unknown" or kind.startswith("ISO") else f" ({kind})"
    return UnsupportedFormatError(
        f"not a photo format: {kind}",
        message=f"This file type{named} can't be posted. Send a photo: JPEG, HEIC, PNG or WebP.")


def _name_other(data: bytes) -> str:
    for magic, name in _OTHER:
        if data.startswith(magic):
            return name
    head = data[:256].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<?xml", b"<svg", b"<!doctype", b"<html")):
        return "SVG/XML/HTML"
    return "unknown"
