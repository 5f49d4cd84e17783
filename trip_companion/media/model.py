"""The values the sanitizer takes and gives: limits, the clean image, the removal report."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from trip_companion.media.errors import EmptyFileError, FileTooLargeError, TooManyPixelsError

# What a removal is about, in the order the report lists them. Teachers and the
# headteacher's audit view read these, so they name the privacy risk, not the tag.
LOCATION = "location"
DEVICE = "device"
OWNER = "owner"
TIMESTAMPS = "timestamps"
SOFTWARE = "software"
DESCRIPTIONS = "descriptions"
COMMENTS = "comments"
CAMERA_SETTINGS = "camera_settings"
MAKER_NOTES = "maker_notes"
XMP = "xmp"
IPTC = "iptc"
PNG_TEXT = "png_text"
THUMBNAILS = "thumbnails"
EXTRA_IMAGES = "extra_images"
TRAILING_DATA = "trailing_data"
COLOUR_PROFILE = "colour_profile"
VENDOR_DATA = "vendor_data"
CATEGORIES = (LOCATION, DEVICE, OWNER, TIMESTAMPS, SOFTWARE, DESCRIPTIONS, COMMENTS,
              CAMERA_SETTINGS, MAKER_NOTES, XMP, IPTC, PNG_TEXT, THUMBNAILS, EXTRA_IMAGES,
              TRAILING_DATA, COLOUR_PROFILE, VENDOR_DATA)

FORMATS = {  # output format -> (MIME type, file extension)
    "jpeg": ("image/jpeg", "jpg"),
    "png": ("image/png", "png"),
    "webp": ("image/webp", "webp"),
}


@dataclass(frozen=True)
class Limits:
    """How much we agree to read: checked before any pixel is decoded.

    Pillow warns above its own ``Image.MAX_IMAGE_PIXELS`` (about 89 MP); raise that too
    if ``max_pixels`` is ever set higher.
    """

    max_bytes: int = 30_000_000  # a 12 MP phone JPEG is 3-6 MB; 30 MB leaves room for RAW-ish
    max_pixels: int = 50_000_000  # 50 MP: above every phone sensor in ordinary mode
    jpeg_quality: int = 90  # only for re-encodes (HEIC/AVIF, rotated PNG/WebP)
    webp_quality: int = 90

    def check_bytes(self, size: int) -> None:
        """Refuse an empty file, or one larger than allowed, before reading any further.

        :raises EmptyFileError: zero bytes.
        :raises FileTooLargeError: over ``max_bytes`` (a video, an edited export).
        """
        if not size:
            raise EmptyFileError("zero bytes")
        if size > self.max_bytes:
            raise FileTooLargeError(
                f"{size} bytes, limit {self.max_bytes}",
                message=(f"This file is too large to post ({size / 1e6:.0f} MB; the limit is "
                         f"{self.max_bytes / 1e6:.0f} MB). Share the photo itself, not a video "
                         "or an edited export."))

    def check_pixels(self, width: int, height: int) -> None:
        """Refuse a picture with more pixels than allowed, before it is decoded.

        :raises TooManyPixelsError: a decompression bomb or an outsized picture.
        """
        if width * height > self.max_pixels:
            raise TooManyPixelsError(
                f"{width}x{height} pixels, limit {self.max_pixels}",
                message=(f"This picture is too big to post ({width * height / 1e6:.0f} megapixels;"
                         f" the limit is {self.max_pixels / 1e6:.0f}). Take an ordinary photo "
                         "with the camera app."))


DEFAULT_LIMITS = Limits()


class Removed:
    """Collect what was taken out, by category, for the report."""

    def __init__(self) -> None:
        self._found: dict[str, dict[str, None]] = {}  # details as an ordered set

    def add(self, category: str, detail: str) -> None:
        """Record one removal (duplicates are kept once)."""
        self._found.setdefault(category, {})[detail] = None

    def merge(self, found: dict[str, list[str]]) -> None:
        """Record every removal of another report."""
        for category, details in found.items():
            for detail in details:
                self.add(category, detail)

    def as_dict(self) -> dict[str, list[str]]:
        """Return the report in category order, JSON-ready."""
        order = {name: i for i, name in enumerate(CATEGORIES)}
        keys = sorted(self._found, key=lambda k: (order.get(k, len(order)), k))
        return {k: list(self._found[k]) for k in keys}


@dataclass
class Draft:
    """A cleaned picture before its independent re-read: what the verifier must expect."""

    data: bytes = field(repr=False)
    format: str
    width: int  # as displayed
    height: int
    removed: dict[str, list[str]]
    turn: int = 1  # EXIF orientation kept as metadata (lossless JPEG only)
    profile: bytes | None = None  # the neutral ICC profile written, if any
    # Entropy-coded runs (start -> end in ``data``) copied from an input whose walk
    # searched them: the verifier skips them and checks only that a marker ends each.
    scans: dict[int, int] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class CleanImage:
    """A verified clean copy: the only bytes of a photo the app keeps."""

    data: bytes = field(repr=False)  # a bytearray when cleaned in place (``strip``)
    format: str  # "jpeg", "png" or "webp"
    width: int  # as displayed, after orientation
    height: int
    removed: dict[str, list[str]] = field(default_factory=dict)

    @cached_property
    def sha256(self) -> str:
        """Hex SHA-256 of the clean bytes (computed on first use: the CLI often needs none)."""
        import hashlib

        return hashlib.sha256(self.data).hexdigest()

    @property
    def mime(self) -> str:
        """The MIME type to serve and upload the clean copy with."""
        return FORMATS[self.format][0]

    @property
    def extension(self) -> str:
        """The file extension for the clean copy, without a dot."""
        return FORMATS[self.format][1]

    def summary(self, *, with_sha256: bool = True) -> dict[str, Any]:
        """Return everything but the bytes, JSON-ready (for logs, the audit and the CLI).

        ``with_sha256=False`` leaves the hash out, which saves reading the bytes again.
        """
        found = {"format": self.format, "mime": self.mime, "extension": self.extension,
                 "width": self.width, "height": self.height, "bytes": len(self.data),
                 "removed": self.removed}
        return {**found, "sha256": self.sha256} if with_sha256 else found
