"""The one entry point for an uploaded photo: check, clean, re-check, or refuse."""

from __future__ import annotations

import importlib
import struct
import zlib
from collections.abc import Callable

from PIL import Image

from trip_companion.media import model as m
from trip_companion.media.errors import (
    CorruptImageError,
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


def sanitize(data: bytes | bytearray, *, limits: m.Limits = m.DEFAULT_LIMITS,
             in_place: bool = False) -> m.CleanImage:
    """Return a verified clean copy of an uploaded photo, or raise; never a partial result.

    ``in_place=True`` hands over a bytearray (``strip`` reads each file into one): a JPEG
    is then cleaned inside it rather than copied (see ``jpeg_clean``), and the caller
    must not use it again. Otherwise ``data`` is taken as immutable bytes.

    :raises SanitizeError: a subclass naming why (empty, too large, unsupported,
        truncated, corrupt, too many pixels, or a clean copy that failed its re-read).
    """
    if not (in_place and isinstance(data, bytearray)):
        data = bytes(data)  # (no copy for bytes)
    limits.check_bytes(len(data))
    fmt = sniff(bytes(data[:_SNIFF_BYTES]))
    if fmt != "jpeg":
        data = bytes(data)  # the other cleaners decode, and want immutable bytes
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
