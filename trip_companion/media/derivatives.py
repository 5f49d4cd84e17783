"""Make the JPEG a network receives: upright, sRGB, no metadata, within its size limits.

Networks strip or mishandle EXIF orientation and colour profiles differently, so a
derivative carries neither: the orientation is baked into the pixels and the colours
are converted to sRGB, the colour space every network and browser assumes.
"""

from __future__ import annotations

import io

from PIL import Image, ImageCms

from trip_companion.media import model as m
from trip_companion.media import pixels
from trip_companion.media.errors import RenderError
from trip_companion.media.pipeline import sanitize
from trip_companion.media.verify import verify

_QUALITY = (40, 90)  # never worse than 40: below that, shrink the picture instead
_SHRINK = 0.75
_MIN_SIDE = 320
_ORIENTATION = 0x0112
_SRGB: list[ImageCms.ImageCmsProfile] = []


def render(clean: m.CleanImage | bytes, *, max_side: int, max_bytes: int) -> bytes:
    """Return a verified JPEG of at most ``max_side`` pixels a side and ``max_bytes`` bytes.

    Raw bytes are sanitized first, so every derivative comes from a clean copy.

    :raises SanitizeError: from ``sanitize`` for raw bytes.
    :raises RenderError: the limits cannot be met even at ``_MIN_SIDE`` pixels.
    """
    if max_side < 1 or max_bytes < 1:
        msg = f"max_side and max_bytes must be positive, not {max_side} and {max_bytes}"
        raise ValueError(msg)
    if not isinstance(clean, m.CleanImage):
        clean = sanitize(clean)
    image = _upright_srgb(clean, max_side)
    side = max_side
    while True:
        fitted = _fit(image, side)
        out = _best_quality(fitted, max_bytes)
        if out is not None:
            break
        side = int(side * _SHRINK)
        if side < min(_MIN_SIDE, max_side):
            raise RenderError(f"cannot fit {max_bytes} bytes")
    verify(m.Draft(out, "jpeg", fitted.width, fitted.height, {}))
    return out


def _upright_srgb(clean: m.CleanImage, max_side: int) -> Image.Image:
    image = pixels.open_as(clean.data, clean.format)
    if clean.format == "jpeg" and max(image.size) > max_side:
        # DCT scaling: decode at 1/2, 1/4 or 1/8 size when that is still big enough.
        scale = max_side / max(image.size)
        image.draft(None, (max(1, int(image.width * scale)), max(1, int(image.height * scale))))
    image.load()
    profile = image.info.get("icc_profile")
    turn = image.getexif().get(_ORIENTATION, 1)
    image = pixels.upright(pixels.for_jpeg(image), turn)
    return _to_srgb(image, profile)


def _to_srgb(image: Image.Image, profile: bytes | None) -> Image.Image:
    if profile:
        if not _SRGB:
            _SRGB.append(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")))
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            converted = ImageCms.profileToProfile(image, source, _SRGB[0], outputMode="RGB")
        except ImageCms.PyCMSError:
            converted = None  # profile and pixels disagree: fall back to a plain conversion
        if converted is not None:
            return converted
    return image if image.mode in ("RGB", "L") else image.convert("RGB")


def _fit(image: Image.Image, side: int) -> Image.Image:
    if max(image.size) <= side:
        return image
    scale = side / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _best_quality(image: Image.Image, max_bytes: int) -> bytes | None:
    """Binary-search the highest JPEG quality whose file fits ``max_bytes``."""
    low, high = _QUALITY
    best = pixels.encode_jpeg(image, high, optimize=True)
    if len(best) <= max_bytes:
        return best
    best, high = None, high - 1
    while low <= high:
        quality = (low + high) // 2
        out = pixels.encode_jpeg(image, quality, optimize=True)
        if len(out) <= max_bytes:
            best, low = out, quality + 1
        else:
            high = quality - 1
    return best
