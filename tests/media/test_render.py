"""Network derivatives: upright in the pixels, sRGB, no EXIF at all, within the limits."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.media import helpers as h
from trip_companion.media import (
    RenderError,
    TruncatedImageError,
    UnsupportedFormatError,
    render,
    sanitize,
)

BIG = h.picture((1600, 1200))


def _tagged_jpeg(turn: int, image: Image.Image = BIG, **params) -> bytes:
    return h.encode(h.stored_for(turn, image), "JPEG", quality=92,
                    exif=h.exif_block(turn).tobytes(), **params)


@pytest.mark.parametrize("turn", range(1, 9))
def test_orientation_is_baked_in_and_no_exif_is_left(turn):
    out = render(sanitize(_tagged_jpeg(turn)), max_side=800, max_bytes=1_000_000)
    with Image.open(io.BytesIO(out)) as image:
        assert dict(image.getexif()) == {}
        assert "exif" not in image.info and "icc_profile" not in image.info
        assert image.size == (800, 600)
        assert h.same_picture(image, BIG)


def test_raw_bytes_are_sanitized_first():
    out = render(_tagged_jpeg(6), max_side=400, max_bytes=200_000)
    assert b"SECRET" not in out
    with pytest.raises(TruncatedImageError):
        render(_tagged_jpeg(6)[:5000], max_side=400, max_bytes=200_000)
    with pytest.raises(UnsupportedFormatError):
        render(h.encode(BIG, "GIF"), max_side=400, max_bytes=200_000)


NOISE = h.encode(Image.effect_noise((800, 600), 60).convert("RGB"), "PNG")


@pytest.mark.parametrize("max_bytes", [1_000_000, 250_000, 170_000])
def test_quality_is_searched_to_fit_the_byte_limit(max_bytes):
    out = render(NOISE, max_side=800, max_bytes=max_bytes)
    assert len(out) <= max_bytes
    with Image.open(io.BytesIO(out)) as image:
        assert image.size == (800, 600)


def test_search_keeps_the_best_quality_that_fits():
    clean = sanitize(_tagged_jpeg(1))
    roomy = render(clean, max_side=1000, max_bytes=10_000_000)
    tight = render(clean, max_side=1000, max_bytes=len(roomy) * 2 // 3)
    assert len(tight) <= len(roomy) * 2 // 3
    assert len(tight) > len(roomy) // 3  # not simply the lowest quality


def test_shrinks_when_even_low_quality_does_not_fit():
    out = render(NOISE, max_side=800, max_bytes=40_000)  # q40 at 800 px is ~160 kB
    with Image.open(io.BytesIO(out)) as image:
        assert max(image.size) < 800
    assert len(out) <= 40_000


def test_impossible_limits_raise_render_error():
    with pytest.raises(RenderError):
        render(NOISE, max_side=800, max_bytes=300)


def test_limits_must_be_positive():
    with pytest.raises(ValueError, match="positive"):
        render(_tagged_jpeg(1), max_side=0, max_bytes=1000)


def test_small_pictures_are_not_enlarged():
    out = render(h.encode(h.picture((120, 90)), "PNG"), max_side=2000, max_bytes=1_000_000)
    with Image.open(io.BytesIO(out)) as image:
        assert image.size == (120, 90)


def test_transparency_is_laid_on_white():
    rgba = Image.new("RGBA", (64, 64), (255, 0, 0, 0))
    out = render(h.encode(rgba, "PNG"), max_side=64, max_bytes=100_000)
    with Image.open(io.BytesIO(out)) as image:
        assert image.mode == "RGB"
        assert all(v > 245 for v in image.getpixel((32, 32)))


def test_colours_are_converted_to_srgb():
    """A wide-gamut/odd profile is applied, not dropped: the pixels change, the look doesn't."""
    source = h.encode(Image.new("RGB", (64, 64), (120, 120, 120)), "JPEG", quality=95,
                      icc_profile=h.device_icc(gamma=1.8))
    out = render(source, max_side=64, max_bytes=100_000)
    with Image.open(io.BytesIO(out)) as image:
        assert "icc_profile" not in image.info
        grey = image.getpixel((32, 32))[0]
    expected = h.in_srgb(Image.open(io.BytesIO(source))).getpixel((32, 32))[0]
    assert abs(grey - expected) <= 2 and grey - 120 >= 10


def test_cmyk_becomes_rgb():
    out = render(h.encode(h.picture(mode="CMYK"), "JPEG"), max_side=200, max_bytes=100_000)
    with Image.open(io.BytesIO(out)) as image:
        assert image.mode == "RGB"
        assert h.same_picture(image, h.picture())


def test_heic_renders_upright():
    import pillow_heif

    buf = io.BytesIO()
    pillow_heif.from_pillow(h.stored_for(6, BIG)).save(buf, exif=h.exif_block(6).tobytes())
    out = render(buf.getvalue(), max_side=400, max_bytes=100_000)
    with Image.open(io.BytesIO(out)) as image:
        assert image.size == (400, 300) and h.same_picture(image, BIG)
