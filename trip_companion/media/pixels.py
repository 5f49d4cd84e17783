"""Decode, turn upright and re-encode: the path for pictures whose pixels must change.

Used where copying the coded picture is impossible or wrong: HEIC/AVIF (browsers and
networks want JPEG), PNG and WebP whose orientation lives only in metadata (bake it in),
and the network derivatives from ``render``. Every encode starts from an empty ``info``
so Pillow cannot carry a comment, EXIF or XMP across.
"""

from __future__ import annotations

import io

from PIL import Image

_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_90,
}
WHITE = (255, 255, 255)


def open_as(data: bytes, fmt: str) -> Image.Image:
    """Open ``data`` with the one Pillow plugin for ``fmt``: never let Pillow guess."""
    return Image.open(io.BytesIO(data), formats=[fmt.upper()])


def upright(image: Image.Image, turn: int) -> Image.Image:
    """Return the picture as a viewer shows it for EXIF orientation ``turn``."""
    method = _TRANSPOSE.get(turn)
    return image.transpose(method) if method is not None else image


def displayed_size(width: int, height: int, turn: int) -> tuple[int, int]:
    """Return the size as displayed: orientations 5-8 swap width and height."""
    return (height, width) if turn in (5, 6, 7, 8) else (width, height)


def for_jpeg(image: Image.Image) -> Image.Image:
    """Return a JPEG-encodable copy: transparency laid on white, deep greys scaled to 8 bits."""
    if image.mode in ("RGB", "L", "CMYK"):
        return image
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        return image.convert("I").point(lambda v: v / 256).convert("L")
    has_alpha = "A" in image.getbands() or "transparency" in image.info
    if not has_alpha:
        return image.convert("RGB")
    rgba = image.convert("RGBA")
    flat = Image.new("RGB", rgba.size, WHITE)
    flat.paste(rgba, mask=rgba.getchannel("A"))
    return flat


def encode_jpeg(image: Image.Image, quality: int, icc: bytes | None = None, *,
                optimize: bool = False) -> bytes:
    """Return ``image`` as a JPEG with no metadata but, optionally, a colour profile."""
    image = for_jpeg(image)
    image.info = {}
    extra = {"icc_profile": icc} if icc else {}
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=quality, optimize=optimize, **extra)
    return buf.getvalue()


def encode_png(image: Image.Image, icc: bytes | None, transparency: object = None) -> bytes:
    """Return ``image`` as a PNG carrying only pixels, transparency and a colour profile."""
    image.info = {}
    extra: dict[str, object] = {"icc_profile": icc} if icc else {}
    if transparency is not None:
        extra["transparency"] = transparency
    buf = io.BytesIO()
    image.save(buf, "PNG", compress_level=6, **extra)
    return buf.getvalue()


def encode_webp(image: Image.Image, quality: int, lossless: bool, icc: bytes | None) -> bytes:
    """Return ``image`` as a still WebP carrying only pixels and a colour profile."""
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() or "transparency" in image.info
                              else "RGB")
    image.info = {}
    extra = {"icc_profile": icc} if icc else {}
    buf = io.BytesIO()
    image.save(buf, "WEBP", quality=quality, lossless=lossless, method=4, exact=False, **extra)
    return buf.getvalue()
