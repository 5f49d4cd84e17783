"""Re-read a cleaned picture from its bytes alone and refuse it if anything is left.

This is the fail-closed step: whatever the cleaners did, the bytes we are about to
return are parsed again by the format's structure walker (only allowed segments or
chunks, nothing after the end), scanned raw for metadata payloads (the signatures the
acceptance oracle scans for), and opened by Pillow, an independent parser, whose view
of size and metadata must agree.

For JPEG the raw scan skips the entropy-coded scan data: the walk has just proved it
holds no marker but restarts, so no segment can hide there, and scanning megabytes of
coded pixels for text would triple the cost of the lossless path. PNG and WebP are
scanned whole (they are decoded anyway, so the scan is noise in their cost).

The JPEG walk itself does not search those runs again either when the cleaner says
where it put them (``Draft.scans``): the cleaner's own walk searched them, in bytes that
nothing else can change (immutable bytes, or a buffer handed over to it) and that it then
kept as they were. Everything else is re-read, and each run must end exactly where a
marker begins; a map that does not line up is not used (the run is searched) or fails.
This halves the cost of a large JPEG.
"""

from __future__ import annotations

import io

from PIL import Image

from trip_companion.media import jpeg, jpeg_clean, pixels
from trip_companion.media import model as m
from trip_companion.media.errors import SanitizeError, UnsafeOutputError

# Signatures of EXIF, XMP and Photoshop/IPTC payloads, wherever they might hide.
_FORBIDDEN = (b"<x:xmpmeta", b"<rdf:RDF", b"http://ns.adobe.com/xap/1.0/",
              b"Photoshop 3.0\x00", b"8BIM\x04\x04")
_EXIF = b"Exif\x00\x00"
# What Pillow may report in ``info`` for a clean file of each format.
_PILLOW_INFO = {
    "jpeg": {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi", "exif",
             "icc_profile", "adobe", "adobe_transform", "progressive", "progression"},
    "png": {"icc_profile", "dpi", "aspect", "gamma", "srgb", "chromaticity", "transparency",
            "interlace"},
    "webp": {"icc_profile", "loop", "background", "duration", "timestamp"},
}
_ORIENTATION = 0x0112


def verify(draft: m.Draft) -> None:
    """Raise unless ``draft.data`` holds only pixels plus the allowed minimum.

    :raises UnsafeOutputError: anything else is found, or the bytes do not re-read.
    """
    try:
        _raw_scan(draft, _structure(draft))
        _pillow_view(draft)
    except UnsafeOutputError:
        raise
    except (SanitizeError, OSError, ValueError, SyntaxError, EOFError) as exc:
        raise UnsafeOutputError(f"clean copy does not re-read: {exc!r}") from exc


def _structure(draft: m.Draft) -> bytes:
    """Walk the output; return the bytes a raw scan must cover."""
    if draft.turn != 1 and draft.format != "jpeg":
        raise UnsafeOutputError("only JPEG may keep an orientation tag")
    if draft.format == "jpeg":
        parsed = jpeg_clean.check_clean(draft.data, draft.turn, draft.profile, draft.scans)
        return jpeg.outside_scans(parsed, draft.data)
    if draft.format == "png":
        from trip_companion.media import png  # (not loaded for a folder of JPEGs)

        png.check_clean(draft.data, draft.profile)
    elif draft.format == "webp":
        from trip_companion.media import webp

        webp.check_clean(draft.data, draft.profile)
    else:
        raise UnsafeOutputError(f"unknown output format {draft.format!r}")
    return draft.data


def _raw_scan(draft: m.Draft, data: bytes) -> None:
    for signature in _FORBIDDEN:
        if signature in data:
            raise UnsafeOutputError(f"raw metadata signature {signature!r} in the output")
    allowed = 1 if draft.turn != 1 else 0
    if data.count(_EXIF) > allowed:
        raise UnsafeOutputError("an EXIF payload beyond the orientation block")


def _pillow_view(draft: m.Draft) -> None:
    with _open(draft) as image:
        shown = pixels.displayed_size(image.width, image.height, draft.turn)
        if shown != (draft.width, draft.height):
            raise UnsafeOutputError(f"Pillow sees {image.size}, not {draft.width}x{draft.height}")
        extra = set(image.info) - _PILLOW_INFO[draft.format]
        if extra:
            raise UnsafeOutputError(f"Pillow still finds {sorted(extra)}")
        tags = dict(image.getexif())
        expected = {_ORIENTATION: draft.turn} if draft.turn != 1 else {}
        if tags != expected:
            raise UnsafeOutputError(f"Pillow reads EXIF tags {sorted(tags)}")
        if getattr(image, "applist", None) and draft.format == "jpeg":
            names = {(marker, payload[:4]) for marker, payload in image.applist}
            allowed = {("APP0", b"JFIF"), ("APP1", b"Exif"), ("APP2", b"ICC_"), ("APP14", b"Adob")}
            if names - allowed:
                raise UnsafeOutputError(f"Pillow still finds segments {sorted(names - allowed)}")


def _open(draft: m.Draft) -> Image.Image:
    if draft.format == "jpeg":  # straight to the plugin: no need to load all the others
        from PIL.JpegImagePlugin import JpegImageFile

        # Pillow's JPEG parse stops at the first scan header, so that is all it is given
        # (no copy of the megabytes after it).
        head = memoryview(draft.data)[:min(draft.scans)] if draft.scans else draft.data
        return JpegImageFile(io.BytesIO(head))
    return Image.open(io.BytesIO(draft.data), formats=[draft.format.upper()])
