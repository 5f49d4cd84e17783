"""The one entry point for an uploaded photo: check, clean, re-check, or refuse."""

from __future__ import annotations

import importlib
import mmap
import struct
import zlib
from collections.abc import Callable

from PIL import Image

from trip_companion.media import model as m
from trip_companion.media.errors import (
    CorruptImageError,
    EmptyFileError,
    FileTooLargeError,
    SanitizeError,
    TooManyPixelsError,
    TruncatedImageError,
)
from trip_companion.media.sniff import sniff
from trip_companion.media.verify import verify

# Sniffed format -> (module, cleaner). Each returns a Draft that ``verify`` then re-reads.
# Imported on first use: a folder of JPEGs never loads the PNG, WebP or HEIF code.
CLEANERS: dict[str, tuple[str, str]] = {
    "jpeg": ("jpeg_clean", "clean"),
    "png": ("png", "clean"),
    "webp": ("webp", "clean"),
    "heif": ("heif", "clean_heif"),
    "avif": ("heif", "clean_avif"),
}
_SNIFF_BYTES = 512  # more than ``sniff`` looks at
_DECODER_ERRORS = (OSError, ValueError, SyntaxError, EOFError, struct.error, zlib.error,
                   IndexError, KeyError, TypeError)


def sanitize(data: bytes | mmap.mmap, *, limits: m.Limits = m.DEFAULT_LIMITS) -> m.CleanImage:
    """Return a verified clean copy of an uploaded photo, or raise; never a partial result.

    ``data`` may also be a file mapped read-only into memory (``strip`` maps each file
    rather than copying it in). Another program could change a mapped file while we
    read it; that is safe because every check that matters runs on the clean copy's
    own bytes (its scans are searched as they are copied, see ``jpeg.copy_scan``).

    :raises SanitizeError: a subclass naming why (empty, too large, unsupported,
        truncated, corrupt, too many pixels, or a clean copy that failed its re-read).
    """
    mapped = isinstance(data, mmap.mmap)
    if not mapped:
        data = bytes(data)
    if not len(data):
        raise EmptyFileError("zero bytes")
    if len(data) > limits.max_bytes:
        raise FileTooLargeError(
            f"{len(data)} bytes, limit {limits.max_bytes}",
            message=(f"This file is too large to post ({len(data) / 1e6:.0f} MB; the limit is "
                     f"{limits.max_bytes / 1e6:.0f} MB). Share the photo itself, not a video "
                     "or an edited export."))
    fmt = sniff(data[:_SNIFF_BYTES])
    if mapped and fmt != "jpeg":
        data = data[:]  # only the JPEG walk reads a mapped file in place
    draft = _clean(fmt, data, limits)
    verify(draft)
    return m.CleanImage(draft.data, draft.format, draft.width, draft.height, draft.removed)


def _clean(fmt: str, data: bytes, limits: m.Limits) -> m.Draft:
    try:
        return cleaner(fmt)(data, limits)
    except SanitizeError:
        raise
    except Image.DecompressionBombError as exc:
        raise TooManyPixelsError(str(exc)) from exc
    except _DECODER_ERRORS as exc:
        if "truncated" in str(exc).lower():
            raise TruncatedImageError(str(exc)) from exc
        raise CorruptImageError(f"{type(exc).__name__}: {exc}") from exc


def cleaner(fmt: str) -> Callable[[bytes, m.Limits], m.Draft]:
    """Return the cleaner for a sniffed format, importing its module the first time."""
    module, name = CLEANERS[fmt]
    return getattr(importlib.import_module(f"trip_companion.media.{module}"), name)
