"""Photo sanitizer: the only way a photo's bytes enter Trip Companion.

``sanitize(data)`` returns a ``CleanImage`` holding nothing but the picture, or raises a
``SanitizeError`` subclass whose message a teacher can act on. ``render(clean, ...)``
makes the JPEG a network receives. No Flask here: these are functions over bytes.

Decisions, and why:

* **Sniff, never trust names.** The first bytes choose the cleaner (JPEG, PNG, WebP,
  HEIC/HEIF, AVIF); GIF, TIFF/RAW, BMP, SVG, PDF, ZIP and video are refused as
  "this file type can't be posted". AVIF is supported (Pillow decodes it; it becomes
  a JPEG like HEIC) because phones are starting to produce it.
* **Limits before pixels.** Byte size is checked first (default 30 MB), then the pixel
  count from the header (frame header, IHDR, VP8X/VP8/VP8L, HEIF ``ispe``; default
  50 MP), before any decode: decompression bombs never reach a decoder.
* **JPEG is cleaned losslessly.** We copy the coding segments (DQT, DHT, SOF, SOS and
  the entropy-coded scans) byte for byte and write fresh JFIF/Adobe headers, so there
  is no generation loss and no decode. Everything else goes: APPn (EXIF, XMP, IPTC,
  MPF, FlashPix, vendor segments), COM, and all bytes after the first end-of-image
  marker (MPO pictures, Samsung trailers, motion-photo video, appended ZIPs).
  Validation is the marker walk that decoding would need anyway: segment lengths in
  bounds, table segments exactly full, one baseline/progressive frame header, a scan,
  and an end-of-image marker (a cut-off upload has none). PNG and WebP are cleaned the
  same way, chunk by chunk with the compressed pixels copied (then decoded once, as
  the check that they are whole), unless an orientation must be baked in.
* **Orientation.** Copying the scans means we cannot turn the pixels, so a clean JPEG
  keeps one piece of metadata: a minimal EXIF block holding Orientation alone, and only
  when the picture is not already upright (orientation 2-8). Every other output is
  upright in its pixels with no orientation tag: HEIC/AVIF (decoded anyway), PNG and
  WebP whose orientation sits in eXIf/EXIF or XMP ``tiff:Orientation`` (browsers ignore
  those), and every ``render`` derivative (no EXIF at all). Orientation is read the
  way Pillow's ``exif_transpose`` reads it: EXIF first, then XMP.
* **Colour.** The ICC profile is rebuilt from its colorimetric tags with a neutral
  header and description (see ``icc``), so Display P3 or a CMYK press profile keeps
  its colours without naming a device, maker or copyright holder. ``render`` converts
  to sRGB and embeds no profile.
* **Fail closed.** Each clean copy is re-read from its bytes (format walker, raw scan
  for EXIF/XMP/IPTC signatures, Pillow's own parse); anything beyond the allowed minimum
  raises ``UnsafeOutputError`` and nothing is returned (see ``verify``).

Modules: ``pipeline`` (sanitize), ``sniff``, ``jpeg``/``jpeg_clean``, ``png``, ``webp``,
``heif`` (HEIC and AVIF), ``exif``, ``icc``, ``pixels`` (decode/encode), ``verify``,
``derivatives`` (render), ``storage`` (LocalStore/S3Store), ``cli`` (``strip``).
"""

from typing import TYPE_CHECKING, Any

from trip_companion.media.errors import (
    CorruptImageError,
    EmptyFileError,
    FileTooLargeError,
    RenderError,
    SanitizeError,
    TooManyPixelsError,
    TruncatedImageError,
    UnsafeOutputError,
    UnsupportedFormatError,
)
from trip_companion.media.model import DEFAULT_LIMITS, CleanImage, Limits
from trip_companion.media.pipeline import sanitize

if TYPE_CHECKING:
    from trip_companion.media.derivatives import render


def __getattr__(name: str) -> Any:
    # ``render`` (resampling, lcms) is imported on first use, so ``strip`` starts faster.
    if name == "render":
        from trip_companion.media.derivatives import render

        globals()["render"] = render
        return render
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "DEFAULT_LIMITS",
    "CleanImage",
    "CorruptImageError",
    "EmptyFileError",
    "FileTooLargeError",
    "Limits",
    "RenderError",
    "SanitizeError",
    "TooManyPixelsError",
    "TruncatedImageError",
    "UnsafeOutputError",
    "UnsupportedFormatError",
    "render",
    "sanitize",
]
