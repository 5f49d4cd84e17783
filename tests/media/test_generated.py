"""Pictures we dirty ourselves, in every format and hiding place, come out clean and upright."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageChops

from tests.media import helpers as h
from tests.media.generated import STEMS
from tests.prerequisites import missing
from trip_companion.media import jpeg

OUTPUT_FORMAT = {"png": "png", "webp": "webp"}  # by name prefix; everything else is JPEG


def test_every_generated_picture_was_made(judged):
    assert sorted(judged.dirty) == sorted(STEMS)


@pytest.mark.parametrize("stem", STEMS)
def test_dirty_input_really_carries_what_we_test_for(judged, stem):
    """Guard against a vacuous pass: each input leaks before cleaning."""
    item = judged.dirty[stem]
    raw = item.path.read_bytes()
    leaks = h.leftovers(judged.dirty_tags[stem], item.secrets)
    assert leaks or any(s.encode() in raw for s in item.secrets)


@pytest.mark.parametrize("stem", STEMS)
def test_exiftool_finds_nothing_but_structure(judged, stem):
    assert h.leftovers(judged.tags[stem], judged.dirty[stem].secrets) == []


@pytest.mark.parametrize("stem", STEMS)
def test_no_secret_survives_in_the_bytes(judged, stem):
    data = judged.clean[stem].data
    assert [s for s in judged.dirty[stem].secrets if s.encode() in data] == []


@pytest.mark.parametrize("stem", STEMS)
def test_residue_oracle_agrees(judged, stem):
    if judged.residue is None:
        missing("residue.py (../shared/tools) not present")
    entry = judged.residue[stem]
    assert entry["identifying"] == {}
    assert entry["error"] is None
    assert entry["upright"] is True


@pytest.mark.parametrize("stem", STEMS)
def test_displays_upright(judged, stem):
    item = judged.dirty[stem]
    clean = h.displayed(judged.clean[stem].data)
    assert h.same_picture(clean, h.displayed(item.path))
    assert h.same_picture(clean, h.picture())
    assert (judged.clean[stem].width, judged.clean[stem].height) == clean.size


@pytest.mark.parametrize("stem", STEMS)
def test_only_lossless_jpeg_keeps_an_orientation_tag(judged, stem):
    clean = judged.clean[stem]
    with Image.open(io.BytesIO(clean.data)) as image:
        tags = dict(image.getexif())
    lossless_jpeg = stem.startswith("jpeg")
    turn = judged.dirty[stem].turn
    assert tags == ({0x0112: turn} if lossless_jpeg and turn != 1 else {})


@pytest.mark.parametrize("stem", STEMS)
def test_output_format_follows_the_input(judged, stem):
    assert judged.clean[stem].format == OUTPUT_FORMAT.get(stem.split("_")[0], "jpeg")


@pytest.mark.parametrize("stem", STEMS)
def test_report_names_what_was_removed(judged, stem):
    report = judged.clean[stem].removed
    assert judged.dirty[stem].expect <= set(report), report


@pytest.mark.parametrize("stem", [s for s in STEMS if s.startswith("jpeg")])
def test_jpeg_pixels_are_untouched(judged, stem):
    """The lossless path: decoding the clean copy gives exactly the original's pixels."""
    with Image.open(judged.dirty[stem].path) as before, Image.open(
            io.BytesIO(judged.clean[stem].data)) as after:
        assert before.mode == after.mode
        assert ImageChops.difference(before.convert("RGB"), after.convert("RGB")).getbbox() is None


def test_cmyk_jpeg_stays_cmyk_with_its_adobe_marker(judged):
    data = judged.clean["jpeg_cmyk"].data
    with Image.open(io.BytesIO(data)) as image:
        assert image.mode == "CMYK"
        assert "adobe" in image.info


def test_progressive_jpeg_stays_progressive(judged):
    with Image.open(io.BytesIO(judged.clean["jpeg_progressive"].data)) as image:
        assert image.info.get("progressive")


def test_mpo_keeps_only_the_first_picture(judged):
    data = judged.clean["jpeg_mpo"].data
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        assert getattr(image, "n_frames", 1) == 1
    assert data.count(b"\xff\xd8") == 1
    assert jpeg.parse(data).end == len(data)


@pytest.mark.parametrize("stem", ["jpeg_motion_photo", "jpeg_polyglot_zip", "jpeg_mpo"])
def test_nothing_follows_the_end_of_image(judged, stem):
    data = judged.clean[stem].data
    assert data.endswith(b"\xff\xd9")
    assert jpeg.parse(data).end == len(data)
    assert b"ftyp" not in data and b"PK\x03\x04" not in data


def test_polyglot_is_no_longer_a_zip(judged):
    import zipfile

    assert zipfile.is_zipfile(judged.dirty["jpeg_polyglot_zip"].path)
    assert not zipfile.is_zipfile(io.BytesIO(judged.clean["jpeg_polyglot_zip"].data))


def test_device_colour_profile_is_neutral_but_kept(judged):
    tags = judged.tags["jpeg_device_icc"]
    description = [v for k, v in tags.items() if k.endswith("ProfileDescription")]
    assert description == ["RGB colour profile"]
    assert not any("SECRETIC" in str(v) or "SAMS" in str(v) for v in tags.values())
    with Image.open(io.BytesIO(judged.clean["jpeg_device_icc"].data)) as image:
        assert image.info.get("icc_profile")


def test_heic_becomes_jpeg_without_container_leftovers(judged):
    data = judged.clean["heic_orientation_6"].data
    assert data[:3] == b"\xff\xd8\xff"
    assert b"ftyp" not in data and b"Exif" not in data
