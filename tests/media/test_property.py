"""Property: whatever metadata is written, and wherever, none of it survives sanitize."""

from __future__ import annotations

import io
import string

import pillow_heif
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, PngImagePlugin

from tests.media import helpers as h
from trip_companion.media import sanitize

# Tokens start with "Q" and are long enough never to occur by chance in coded pixels.
TOKEN = st.text(string.ascii_letters + string.digits, min_size=8, max_size=24).map("Q".__add__)
IFD0_TEXT = [0x010F, 0x0110, 0x0131, 0x013B, 0x8298, 0x010E, 0x013C, 0x010D, 0x0132]
EXIF_TEXT = [0xA431, 0xA434, 0xA430, 0xA420, 0x9003, 0xA433, 0xA435]
EXIF_NUMBERS = [0x829A, 0x829D, 0x8827, 0x920A, 0xA405, 0x9207, 0xA402]
RESIDUE = h.load_residue()  # the acceptance oracle's classifier, where present


@st.composite
def exif_data(draw, secrets: list[str], turn: int) -> Image.Exif:
    """Random text and numbers in random IFD0/EXIF tags, a random GPS fix, the orientation."""
    exif = Image.Exif()
    for tag in draw(st.sets(st.sampled_from(IFD0_TEXT), min_size=1, max_size=5)):
        secrets.append(draw(TOKEN))
        exif[tag] = secrets[-1]
    sub = exif.get_ifd(0x8769)
    for tag in draw(st.sets(st.sampled_from(EXIF_TEXT), max_size=4)):
        secrets.append(draw(TOKEN))
        sub[tag] = secrets[-1]
    for tag in draw(st.sets(st.sampled_from(EXIF_NUMBERS), max_size=4)):
        sub[tag] = draw(st.integers(0, 65535))
    if draw(st.booleans()):
        secrets.append(draw(TOKEN))
        sub[0x9286] = b"ASCII\x00\x00\x00" + secrets[-1].encode()
    if draw(st.booleans()):
        lat, lon = draw(st.floats(0, 89)), draw(st.floats(0, 179))
        exif.get_ifd(0x8825).update({1: draw(st.sampled_from("NS")), 2: (int(lat), 30.0, 1.5),
                                     3: draw(st.sampled_from("EW")), 4: (int(lon), 7.0, 2.5),
                                     6: draw(st.floats(0, 4000))})
    if turn != 1 or draw(st.booleans()):
        exif[0x0112] = turn
    return exif


@st.composite
def dirty_pictures(draw) -> tuple[str, bytes, list[str]]:
    """A picture in a random format and orientation with random metadata in random places."""
    fmt = draw(st.sampled_from(["JPEG", "PNG", "WEBP", "HEIF"]))
    turn = draw(st.integers(1, 8))
    secrets: list[str] = []
    size = (draw(st.integers(24, 96)), draw(st.integers(24, 96)))
    stored = h.stored_for(turn, h.picture(size))
    params = {"exif": draw(exif_data(secrets, turn)).tobytes()}
    if draw(st.booleans()):
        secrets.append(draw(TOKEN))
        params["xmp"] = h.xmp_packet(secrets[-1])
    if fmt == "JPEG" and draw(st.booleans()):
        secrets.append(draw(TOKEN))
        params["comment"] = secrets[-1]
    if fmt == "PNG":
        params["pnginfo"] = draw(_png_text(secrets, params.pop("xmp", None)))
    if fmt == "HEIF":
        buf = io.BytesIO()
        pillow_heif.from_pillow(stored).save(buf, quality=70, **params)
        return fmt, buf.getvalue(), secrets
    return fmt, h.encode(stored, fmt, **params), secrets


@st.composite
def _png_text(draw, secrets: list[str], xmp: bytes | None) -> PngImagePlugin.PngInfo:
    info = PngImagePlugin.PngInfo()
    if xmp is not None:
        info.add_itxt("XML:com.adobe.xmp", xmp.decode(), zip=draw(st.booleans()))
    for _ in range(draw(st.integers(0, 3))):
        key, value = draw(TOKEN), draw(TOKEN)
        secrets += [key, value]
        kind = draw(st.sampled_from(["tEXt", "zTXt", "iTXt"]))
        if kind == "iTXt":
            info.add_itxt(key, value, zip=draw(st.booleans()))
        else:
            info.add_text(key, value, zip=kind == "zTXt")
    return info


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("property")


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(dirty_pictures())
def test_random_metadata_never_survives(exiftool_session, scratch, case):
    _, data, secrets = case
    clean = sanitize(data)
    assert [s for s in secrets if s.encode() in clean.data] == []
    path = scratch / f"clean.{clean.extension}"
    path.write_bytes(clean.data)
    tags = exiftool_session.tags(path)
    assert h.leftovers(tags, tuple(secrets)) == []
    if RESIDUE is not None:
        assert RESIDUE.check_tags(str(path), tags)[0] == {}
    assert h.same_picture(h.displayed(clean.data), h.displayed(data))
