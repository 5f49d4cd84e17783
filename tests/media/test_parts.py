"""The sanitizer's parts on their own: sniffing, EXIF reading, ICC scrubbing, JPEG walking."""

from __future__ import annotations

import io
import json
import struct

import pytest
from PIL import Image, ImageCms

from tests.media import helpers as h
from trip_companion.media import (
    CleanImage,
    CorruptImageError,
    TruncatedImageError,
    UnsafeOutputError,
    UnsupportedFormatError,
    exif,
    icc,
    jpeg,
    jpeg_clean,
    model,
    pipeline,
    sanitize,
    sniff,
    verify,
)


@pytest.mark.parametrize(("head", "expected"), [
    (b"\xff\xd8\xff\xe0", "jpeg"), (b"\x89PNG\r\n\x1a\n", "png"),
    (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"),
    (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "heif"),
    (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic", "heif"),
    (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", "avif"),
])
def test_sniff_reads_the_bytes(head, expected):
    assert sniff.sniff(head + bytes(32)) == expected


@pytest.mark.parametrize(("head", "named"), [
    (b"GIF89a", "GIF"), (b"II*\x00", "TIFF"), (b"%PDF-1.7", "PDF"), (b"<svg ", "SVG"),
    (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom", "video"), (b"", "unknown"),
])
def test_sniff_names_what_it_refuses(head, named):
    with pytest.raises(UnsupportedFormatError, match="can't be posted") as raised:
        sniff.sniff(head + bytes(32) if head else b"")
    assert named in raised.value.detail


def test_exif_report_sorts_tags_into_categories():
    block = h.exif_block(6).tobytes()  # Pillow's bytes start with "Exif\0\0"
    assert exif.orientation(block) == 6
    report = exif.report(block)
    assert report["location"] == ["GPS position"]
    assert set(report) == {"location", "device", "owner", "timestamps", "software"}


@pytest.mark.parametrize("junk", [b"", b"Exif\x00\x00", b"MM\x00*\x00\x00\x00\x08\xff\xff",
                                  b"II*\x00\xff\xff\xff\x7f", b"garbage" * 10])
def test_exif_reader_survives_garbage(junk):
    assert exif.orientation(junk) is None
    assert isinstance(exif.report(junk), dict)


def test_exif_reader_stops_on_ifd_loops():
    loop = b"MM\x00*\x00\x00\x00\x08" + struct.pack(">HHHII", 1, 0x8769, 4, 1, 8) + \
        b"\x00\x00\x00\x08"
    assert "0" in exif.parse(loop)


def test_orientation_block_is_minimal_and_readable():
    block = exif.orientation_block(8)
    assert len(block) == 32
    image = Image.new("RGB", (4, 2))
    with Image.open(io.BytesIO(h.encode(image, "JPEG", exif=block))) as reread:
        assert dict(reread.getexif()) == {0x0112: 8}


def test_xmp_orientation_is_the_fallback_as_in_pillow():
    xmp = h.xmp_packet(turn=3)
    assert exif.displayed_orientation(None, xmp) == 3
    assert exif.displayed_orientation(h.exif_block(1).tobytes(), xmp) == 1
    assert exif.displayed_orientation(None, None) == 1


def test_icc_scrub_keeps_colours_and_drops_identity():
    original = h.device_icc("SECRETX")
    clean, removed = icc.scrub(original)
    assert b"SECRETX" not in clean and b"SAMS" not in clean
    assert {"device maker/model", "creator", "description", "dmnd tag", "dmdd tag"} <= set(removed)
    assert icc.is_clean(clean) and not icc.is_clean(original)
    srgb = ImageCms.createProfile("sRGB")
    sample = Image.radial_gradient("L").convert("RGB")
    via = [ImageCms.profileToProfile(sample, ImageCms.ImageCmsProfile(io.BytesIO(p)), srgb)
           for p in (original, clean)]
    assert via[0].tobytes() == via[1].tobytes()


def test_icc_scrub_keeps_standard_names():
    standard = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    clean, _ = icc.scrub(standard)
    assert ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(clean))).strip() \
        in {"sRGB built-in", "sRGB"}


@pytest.mark.parametrize("junk", [b"", b"x" * 200, h.device_icc()[:150]])
def test_unusable_icc_profile_is_dropped(junk):
    assert icc.scrub(junk)[0] is None


def test_jpeg_walker_finds_the_frame_and_the_end():
    data = h.encode(h.picture((33, 17)), "JPEG", progressive=True) + b"TRAILER"
    parsed = jpeg.parse(data)
    assert (parsed.width, parsed.height, parsed.components) == (33, 17, 3)
    assert data[parsed.end:] == b"TRAILER"


def test_jpeg_walker_refuses_what_browsers_cannot_show():
    data = bytearray(h.encode(h.picture(), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 1] = 0xC3  # lossless JPEG
    with pytest.raises(UnsupportedFormatError):
        jpeg.parse(bytes(data))


def test_jpeg_walker_refuses_twelve_bit_samples():
    data = bytearray(h.encode(h.picture(), "JPEG"))
    data[data.index(b"\xff\xc0") + 4] = 12
    with pytest.raises(UnsupportedFormatError, match="can't be posted"):
        sanitize(bytes(data))


def test_jpeg_without_scan_is_corrupt():
    data = h.encode(h.picture(), "JPEG")
    sos = data.index(b"\xff\xda")
    with pytest.raises((CorruptImageError, TruncatedImageError)):
        sanitize(data[:sos] + b"\xff\xd9")


def test_clean_image_is_json_ready():
    clean = sanitize(h.encode(h.picture(), "JPEG", exif=h.exif_block().tobytes()))
    assert isinstance(clean, CleanImage)
    assert (clean.mime, clean.extension) == ("image/jpeg", "jpg")
    summary = json.loads(json.dumps(clean.summary()))
    assert summary["sha256"] == clean.sha256 and summary["bytes"] == len(clean.data)
    assert json.loads(json.dumps(clean.removed)) == clean.removed


def test_verifier_fails_closed_on_leftovers():
    """The last check does not trust the cleaners: feed it dirty bytes directly."""
    dirty = h.encode(h.picture(), "JPEG", exif=h.exif_block().tobytes())
    with pytest.raises(UnsafeOutputError):
        verify.verify(model.Draft(dirty, "jpeg", 160, 120, {}))
    clean = sanitize(dirty).data
    with pytest.raises(UnsafeOutputError):
        verify.verify(model.Draft(clean + b"ZIP", "jpeg", 160, 120, {}))
    with pytest.raises(UnsafeOutputError):
        verify.verify(model.Draft(clean, "jpeg", 160, 120, {}, turn=6))
    png = h.encode(h.picture(), "PNG", pnginfo=_text_info())
    with pytest.raises(UnsafeOutputError):
        verify.verify(model.Draft(png, "png", 160, 120, {}))
    verify.verify(model.Draft(clean, "jpeg", 160, 120, {}))


def test_a_failing_verification_means_no_result(monkeypatch):
    real = jpeg_clean.clean

    def leave_a_comment(data, limits):
        draft = real(data, limits)
        draft.data = draft.data[:2] + jpeg.segment(jpeg.COM, b"left behind") + draft.data[2:]
        return draft

    monkeypatch.setattr(jpeg_clean, "clean", leave_a_comment)
    assert pipeline.cleaner("jpeg") is leave_a_comment
    with pytest.raises(UnsafeOutputError):
        sanitize(h.encode(h.picture(), "JPEG"))


def _text_info():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "someone")
    return info
