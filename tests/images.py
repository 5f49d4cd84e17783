"""Photos the tests make themselves: real JPEGs carrying GPS and camera metadata."""

from __future__ import annotations

import io
import random

from PIL import Image

GPS_IFD = 0x8825


def gps_jpeg(size=(640, 480), colour=(30, 120, 200), orientation: int = 1,
             noise: bool = False) -> bytes:
    """A JPEG with Make/Model, a date, an orientation and a GPS position in its EXIF.

    ``noise`` fills it with random pixels, which JPEG can't compress: a large file.
    """
    if noise:
        image = Image.frombytes("RGB", size, random.Random(7).randbytes(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, colour)
    for x in range(0, size[0], 40):  # some detail, so it's a photo and not a flat colour
        image.paste((255, 255, 255), (x, 0, x + 8, size[1]))
    exif = Image.Exif()
    exif[0x010F] = "Apple"
    exif[0x0110] = "iPhone 15 Pro"
    exif[0x0132] = "2026:11:22 10:31:00"
    exif[0x0112] = orientation
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: (54.0, 27.0, 33.0), 3: "W", 4: (3.0, 1.0, 47.0)})
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85, exif=exif.tobytes())
    return buffer.getvalue()


def has_exif(data: bytes) -> bool:
    """Walk the JPEG markers up to the scan: is there an EXIF APP1 segment?"""
    i = 2
    while i + 4 <= len(data):
        marker = data[i + 1]
        if marker == 0xDA:
            return False
        if marker == 0xE1 and data[i + 4:i + 10] == b"Exif\0\0":
            return True
        i += 2 + int.from_bytes(data[i + 2:i + 4], "big")
    return False
