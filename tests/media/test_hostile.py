"""Hostile and broken uploads: each is refused with its own error, and nothing is written."""

from __future__ import annotations

import io
import struct
import zlib

import pillow_heif
import pytest

from tests.media import helpers as h
from tests.media.helpers import invoke_strip
from trip_companion.media import (
    CorruptImageError,
    EmptyFileError,
    FileTooLargeError,
    Limits,
    SanitizeError,
    TooManyPixelsError,
    TruncatedImageError,
    UnsupportedFormatError,
    sanitize,
)

JPEG = h.encode(h.picture(), "JPEG", exif=h.exif_block().tobytes())
PNG = h.encode(h.picture(), "PNG")
WEBP = h.encode(h.picture(), "WEBP", exif=h.exif_block().tobytes())


def _heic() -> bytes:
    buf = io.BytesIO()
    pillow_heif.from_pillow(h.picture()).save(buf, quality=60)
    return buf.getvalue()


HEIC = _heic()


def _jpeg_claiming(width: int, height: int) -> bytes:
    sof = JPEG.index(b"\xff\xc0")
    return JPEG[:sof + 5] + struct.pack(">HH", height, width) + JPEG[sof + 9:]


def _png_claiming(width: int, height: int) -> bytes:
    ihdr = struct.pack(">II", width, height) + PNG[24:29]
    return PNG[:8] + h.png_chunk(b"IHDR", ihdr) + PNG[33:]


def _webp_claiming(width: int, height: int) -> bytes:
    body = bytearray(WEBP[20:30])
    body[4:7], body[7:10] = (width - 1).to_bytes(3, "little"), (height - 1).to_bytes(3, "little")
    assert WEBP[12:16] == b"VP8X"
    return WEBP[:20] + bytes(body) + WEBP[30:]


def _bad_png_crc() -> bytes:
    idat = PNG.index(b"IDAT")
    return PNG[:idat + 10] + bytes([PNG[idat + 10] ^ 0xFF]) + PNG[idat + 11:]


def _bad_dqt() -> bytes:
    dqt = JPEG.index(b"\xff\xdb")
    length = int.from_bytes(JPEG[dqt + 2:dqt + 4], "big")
    return JPEG[:dqt + 2] + struct.pack(">H", length + 5) + JPEG[dqt + 4:dqt + 2 + length] + \
        b"HIDE!" + JPEG[dqt + 2 + length:]


def _garbage_webp() -> bytes:
    body = b"VP8 " + struct.pack("<I", 64) + b"\x00" * 64
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


CASES = {
    "empty": (b"", EmptyFileError),
    "jpeg cut in half": (JPEG[:len(JPEG) // 2], TruncatedImageError),
    "jpeg cut in its headers": (JPEG[:30], TruncatedImageError),
    "jpeg without end marker": (JPEG[:-2], TruncatedImageError),
    "png cut in half": (PNG[:len(PNG) // 2], TruncatedImageError),
    "png without IEND": (PNG[:-12], TruncatedImageError),
    "webp cut in half": (WEBP[:len(WEBP) // 2], TruncatedImageError),
    "heic cut in half": (HEIC[:len(HEIC) // 2], TruncatedImageError),
    "jpeg table with hidden bytes": (_bad_dqt(), CorruptImageError),
    "png with a damaged IDAT": (_bad_png_crc(), CorruptImageError),
    "webp with garbage picture data": (_garbage_webp(), CorruptImageError),
    "jpeg claiming 20000x20000": (_jpeg_claiming(20000, 20000), TooManyPixelsError),
    "png claiming 30000x30000": (_png_claiming(30000, 30000), TooManyPixelsError),
    "webp claiming 16000x16000": (_webp_claiming(16000, 16000), TooManyPixelsError),
    "gif": (h.encode(h.picture(), "GIF"), UnsupportedFormatError),
    "tiff": (h.encode(h.picture(), "TIFF"), UnsupportedFormatError),
    "bmp": (h.encode(h.picture(), "BMP"), UnsupportedFormatError),
    "pdf": (h.encode(h.picture(), "PDF"), UnsupportedFormatError),
    "svg": (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
            UnsupportedFormatError),
    "mp4 video": (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(64),
                  UnsupportedFormatError),
    "zip": (b"PK\x03\x04" + bytes(60), UnsupportedFormatError),
    "text": (b"hello, this is not a photo", UnsupportedFormatError),
}


@pytest.mark.parametrize(("data", "error"), CASES.values(), ids=CASES.keys())
def test_refused_with_its_own_error(data, error):
    with pytest.raises(error) as raised:
        sanitize(data)
    assert isinstance(raised.value, SanitizeError) and isinstance(raised.value, ValueError)
    assert raised.value.message and str(raised.value) == raised.value.message


@pytest.mark.parametrize(("data", "error"), CASES.values(), ids=CASES.keys())
def test_cli_writes_nothing_for_a_refused_file(tmp_path, data, error):
    source = tmp_path / "upload.jpg"
    source.write_bytes(data)
    out = tmp_path / "out"
    result = invoke_strip(str(source), "--out", str(out), "--json", "-j", "1")
    assert result.exit_code == 1
    assert error.code in result.output
    assert list(out.iterdir()) == []


def test_teacher_message_for_a_cut_off_upload():
    with pytest.raises(TruncatedImageError, match="upload was cut off"):
        sanitize(JPEG[:-100])


@pytest.mark.parametrize("data", [_png_claiming(30000, 30000), _webp_claiming(16000, 16000)],
                         ids=["png", "webp"])
def test_bomb_is_refused_before_any_decoder_runs(monkeypatch, data):
    def no_decoding(*args, **kwargs):
        raise AssertionError("a decoder was reached")

    monkeypatch.setattr("trip_companion.media.pixels.open_as", no_decoding)
    with pytest.raises(TooManyPixelsError):
        sanitize(data)


def test_heic_pixel_limit_is_checked_before_decoding(monkeypatch):
    def no_decoding(self):
        raise AssertionError("HEIC was decoded")

    monkeypatch.setattr(pillow_heif.HeifImage, "to_pillow", no_decoding)
    with pytest.raises(TooManyPixelsError):
        sanitize(HEIC, limits=Limits(max_pixels=1000))


def test_pixel_limit_is_configurable():
    assert sanitize(JPEG).width == 160
    with pytest.raises(TooManyPixelsError, match="megapixels"):
        sanitize(JPEG, limits=Limits(max_pixels=160 * 120 - 1))


def test_byte_limit_is_checked_before_anything_else():
    with pytest.raises(FileTooLargeError):
        sanitize(b"GIF89a" + bytes(30_000_001))
    with pytest.raises(FileTooLargeError, match="MB"):
        sanitize(JPEG, limits=Limits(max_bytes=len(JPEG) - 1))
    assert sanitize(JPEG, limits=Limits(max_bytes=len(JPEG))).format == "jpeg"


def test_name_does_not_matter_only_bytes(tmp_path):
    source = tmp_path / "holiday.jpg"
    source.write_bytes(PNG)
    result = invoke_strip(str(source), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["holiday.png"]


def test_junk_between_jpeg_segments_is_dropped_not_copied():
    dqt = JPEG.index(b"\xff\xdb")
    dirty = JPEG[:dqt] + b"JUNKJUNK" + JPEG[dqt:]
    assert b"JUNK" not in sanitize(dirty).data


def test_compressed_text_bomb_in_png_is_harmless():
    bomb = zlib.compress(b"A" * 50_000_000, 9)
    body = b"Comment\x00\x00" + bomb
    data = PNG[:33] + h.png_chunk(b"zTXt", body) + PNG[33:]
    clean = sanitize(data)
    assert b"zTXt" not in clean.data and "png_text" in clean.removed
