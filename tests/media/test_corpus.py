"""Every photo in the shared corpus comes out with no identifying residue, upright.

The corpus lives beside the repository (``../shared/corpus``; present in CI). Clean
copies and network renders go to two folders, and residue.py judges each folder in one
batch run, both runs in parallel. Nothing here knows a corpus file by name.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from PIL import Image

from tests.media import helpers as h
from trip_companion.media import CleanImage, render, sanitize

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif", ".avif"}
FILES = sorted(p for p in h.CORPUS.glob("*") if p.suffix.lower() in PHOTO_SUFFIXES) \
    if h.CORPUS.is_dir() else []
IDS = [p.stem for p in FILES]
NETWORK = {"max_side": 2000, "max_bytes": 1_000_000}  # Bluesky's limits, the tightest
skip_without_corpus = pytest.mark.skipif(
    not FILES, reason=f"shared photo corpus not found at {h.CORPUS.resolve()} (present in CI)")
HAVE_ORACLE = h.RESIDUE.is_file() and h.EXIFTOOL is not None
skip_without_residue = pytest.mark.skipif(
    not HAVE_ORACLE, reason="residue.py (../shared/tools) or exiftool not present")


@dataclass
class CorpusRun:
    """Clean copies and renders of the corpus, with residue.py's verdicts on both."""

    clean: dict[str, CleanImage]
    renders: dict[str, bytes]
    original: dict[str, h.Fingerprint]  # each original as displayed
    original_srgb: dict[str, h.Fingerprint]  # ... and colour-managed to sRGB
    clean_residue: dict[str, dict]
    render_residue: dict[str, dict]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> CorpusRun:
    root = tmp_path_factory.mktemp("corpus")
    clean_dir, render_dir = root / "clean", root / "render"
    clean_dir.mkdir()
    render_dir.mkdir()
    clean, renders = {}, {}
    for path in FILES:
        clean[path.stem] = sanitize(path.read_bytes())
        renders[path.stem] = render(clean[path.stem], **NETWORK)
        (clean_dir / f"{path.stem}.{clean[path.stem].extension}").write_bytes(
            clean[path.stem].data)
        (render_dir / f"{path.stem}.jpg").write_bytes(renders[path.stem])
    runs = [h.residue_batch([folder], reference=h.CORPUS) for folder in (clean_dir, render_dir)] \
        if HAVE_ORACLE else []
    original, original_srgb = {}, {}
    for path in FILES:  # decoded once each, while the oracle runs
        shown = h.displayed(path)
        original[path.stem] = h.fingerprint(shown)
        original_srgb[path.stem] = h.fingerprint(h.in_srgb(shown))
    verdicts = [h.residue_results(run) for run in runs] or [{}, {}]
    return CorpusRun(clean, renders, original, original_srgb, *verdicts)


@skip_without_corpus
@skip_without_residue
@pytest.mark.parametrize("stem", IDS)
def test_clean_copy_has_no_identifying_residue(corpus, stem):
    entry = corpus.clean_residue[stem]
    assert entry["identifying"] == {}, entry["identifying"]
    assert entry["error"] is None


@skip_without_corpus
@skip_without_residue
@pytest.mark.parametrize("stem", IDS)
def test_clean_copy_displays_upright(corpus, stem):
    entry = corpus.clean_residue[stem]
    assert entry["upright"] is True, entry.get("orientation_detail")
    kept_tag = _orientation_tag(corpus.clean[stem].data) != 1
    assert entry["pixels_upright"] is not kept_tag  # only a tagged lossless JPEG relies on EXIF


@skip_without_corpus
@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_clean_copy_matches_the_original_as_displayed(corpus, path):
    clean = corpus.clean[path.stem]
    assert h.same_picture(h.displayed(clean.data), corpus.original[path.stem])
    with Image.open(io.BytesIO(clean.data)) as image:
        assert image.size in ((clean.width, clean.height), (clean.height, clean.width))


@skip_without_corpus
@skip_without_residue
@pytest.mark.parametrize("stem", IDS)
def test_render_is_clean_and_upright_in_its_pixels(corpus, stem):
    entry = corpus.render_residue[stem]
    assert entry["identifying"] == {} and entry["error"] is None
    assert entry["upright"] is True and entry["pixels_upright"] is True


@skip_without_corpus
@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_render_fits_the_network_and_has_no_exif(corpus, path):
    data = corpus.renders[path.stem]
    assert len(data) <= NETWORK["max_bytes"]
    assert b"Exif\x00\x00" not in data and b"ICC_PROFILE" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG" and max(image.size) <= NETWORK["max_side"]
        assert dict(image.getexif()) == {}
        assert h.same_picture(image, corpus.original_srgb[path.stem])


def _orientation_tag(data: bytes) -> int:
    with Image.open(io.BytesIO(data)) as image:
        return image.getexif().get(0x0112, 1)

