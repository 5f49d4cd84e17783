"""Clean HEIC/HEIF (iPhone, Samsung, Nokia…) and AVIF photos into JPEGs.

Browsers other than Safari and most networks cannot show HEIC, so the primary picture
is decoded and written as a JPEG holding pixels and a neutral colour profile only:
thumbnail items, depth maps, HDR gain maps, burst/extra pictures, EXIF and XMP items
are never read into the output. libheif applies the container's rotation and mirror
(``irot``/``imir``) while decoding, and pillow-heif neutralises the EXIF orientation
that would otherwise turn the picture twice, so the JPEG is upright with no tag at all.
AVIF (optional, through Pillow's own plugin) takes the same route; Pillow turns its
``irot``/``imir`` into an EXIF orientation, which we bake in. An ICC profile (iPhones
carry Display P3) is kept, scrubbed; colour given only as ``nclx`` code points is not
carried over, so such pictures are shown as sRGB (what most Android HEICs are anyway).
"""

from __future__ import annotations

import io

from PIL import Image

from trip_companion.media import exif, icc, pixels
from trip_companion.media import model as m
from trip_companion.media.errors import CorruptImageError, TruncatedImageError

_HEIF_ERRORS = (ValueError, EOFError, SyntaxError, RuntimeError, OSError)


def container_end(data: bytes) -> int:
    """Return where the top-level ISO boxes end (anything after is appended junk).

    :raises TruncatedImageError: a box runs past the end of the file.
    """
    pos = 0
    while pos + 8 <= len(data):
        size, kind, header = int.from_bytes(data[pos:pos + 4], "big"), data[pos + 4:pos + 8], 8
        if size == 1 and pos + 16 <= len(data):
            size, header = int.from_bytes(data[pos + 8:pos + 16], "big"), 16
        elif size == 0:
            size = len(data) - pos
        if size < header or not all(0x20 <= c < 0x7F for c in kind):
            break  # not a box: whatever was appended to the container
        if pos + size > len(data):
            raise TruncatedImageError(f"{kind!r} box runs past the end of the file")
        pos += size
    if pos == 0:
        raise CorruptImageError("no ISO media boxes")
    return pos


def clean_heif(data: bytes, limits: m.Limits) -> m.Draft:
    """Return the primary picture of a HEIC/HEIF file as a clean JPEG, not yet re-checked.

    :raises SanitizeError: truncated, corrupt or oversized input.
    """
    import pillow_heif  # only HEIC uploads pay for loading libheif

    end = container_end(data)
    try:
        heif = pillow_heif.open_heif(io.BytesIO(data[:end]), convert_hdr_to_8bit=True)
        primary = heif[heif.primary_index]
        width, height = primary.size
    except _HEIF_ERRORS as exc:
        raise _heif_error(exc) from exc
    limits.check_pixels(width, height)
    found = _heif_report(primary.info, len(heif), len(data) - end)
    profile = icc.scrub_report(primary.info.get("icc_profile"))
    found.merge(profile.report)
    try:
        picture = primary.to_pillow()
    except _HEIF_ERRORS as exc:
        raise _heif_error(exc) from exc
    out = pixels.encode_jpeg(picture, limits.jpeg_quality, profile.data)
    return m.Draft(out, "jpeg", picture.width, picture.height, found.as_dict(),
                   profile=profile.data)


def _heif_error(exc: Exception) -> Exception:
    text = str(exc)
    if any(word in text.lower() for word in ("end of data", "truncat", "unexpected end")):
        return TruncatedImageError(text)
    return CorruptImageError(text or type(exc).__name__)


def _heif_report(info: dict, pictures: int, trailing: int) -> m.Removed:
    found = m.Removed()
    if info.get("exif"):
        found.merge(exif.report(info["exif"]))
    if info.get("xmp"):
        found.add(m.XMP, "XMP item")
    if info.get("thumbnails"):
        found.add(m.THUMBNAILS, f"{len(info['thumbnails'])} HEIF thumbnail item(s)")
    if info.get("depth_images"):
        found.add(m.EXTRA_IMAGES, "depth map")
    if info.get("aux"):
        found.add(m.EXTRA_IMAGES, "auxiliary images (e.g. HDR gain map)")
    if pictures > 1:
        found.add(m.EXTRA_IMAGES, f"{pictures - 1} more picture(s)")
    if any(item.get("type") not in ("Exif", "mime") for item in info.get("metadata") or []):
        found.add(m.VENDOR_DATA, "HEIF metadata items")
    elif info.get("metadata"):
        found.add(m.XMP, "metadata item")
    if trailing:
        found.add(m.TRAILING_DATA, f"{trailing} bytes after the picture")
    return found


def clean_avif(data: bytes, limits: m.Limits) -> m.Draft:
    """Return an AVIF's first picture as a clean, upright JPEG, not yet re-checked.

    :raises SanitizeError: truncated, corrupt or oversized input.
    """
    end = container_end(data)
    image = pixels.open_as(data[:end], "avif")
    limits.check_pixels(image.width, image.height)
    found = m.Removed()
    if image.info.get("exif"):
        found.merge(exif.report(image.info["exif"]))
    if image.info.get("xmp"):
        found.add(m.XMP, "XMP item")
    if b"thmb" in data[:end]:
        found.add(m.THUMBNAILS, "AVIF thumbnail item")
    if end < len(data):
        found.add(m.TRAILING_DATA, f"{len(data) - end} bytes after the picture")
    turn = exif.displayed_orientation(image.info.get("exif"), image.info.get("xmp"))
    profile = icc.scrub_report(image.info.get("icc_profile"))
    found.merge(profile.report)
    image.load()
    picture: Image.Image = pixels.upright(image, turn)
    out = pixels.encode_jpeg(picture, limits.jpeg_quality, profile.data)
    return m.Draft(out, "jpeg", picture.width, picture.height, found.as_dict(),
                   profile=profile.data)
