"""The lossless JPEG path's two short cuts: runs the verifier skips, and cleaning in place.

``jpeg_clean`` tells the verifier where the entropy-coded runs it kept lie in its output
(``Draft.scans``); the re-read walks everything else and checks that each run ends
exactly at a marker. These tests make sure the short cut sees the same structure as the
full walk and still refuses anything that is not ours; and that a file cleaned inside its
own buffer (``strip``) comes out byte for byte as one cleaned into new bytes.
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.media import helpers as h
from trip_companion.media import (
    DEFAULT_LIMITS,
    CorruptImageError,
    SanitizeError,
    UnsafeOutputError,
    jpeg,
    jpeg_clean,
    sanitize,
    verify,
)


def _draft(progressive: bool = False, turn: int | None = 6):
    data = h.encode(h.picture((97, 41)), "JPEG", progressive=progressive,
                    exif=h.exif_block(turn).tobytes(), restart_marker_blocks=2)
    return jpeg_clean.clean(data + b"TRAILER", DEFAULT_LIMITS)


@pytest.mark.parametrize("progressive", [False, True])
def test_the_short_cut_sees_what_the_full_walk_sees(progressive):
    draft = _draft(progressive)
    full = jpeg.parse(draft.data)
    quick = jpeg.parse(draft.data, known_scans=draft.scans)
    assert quick == full and quick.end == len(draft.data)
    runs = [s for s in full.segments if s.marker == jpeg.SOS]
    assert len(draft.scans) == len(runs) > (1 if progressive else 0)
    assert sorted(draft.scans.values()) == [s.end for s in runs]
    verify.verify(draft)


def test_a_run_that_does_not_end_at_a_marker_is_refused():
    draft = _draft()
    start, stop = next(iter(draft.scans.items()))
    for wrong in (stop - 1, stop + 1, start - 1, len(draft.data), len(draft.data) + 10):
        bad = dataclasses.replace(draft, scans={start: wrong})
        with pytest.raises(UnsafeOutputError):
            verify.verify(bad)
        with pytest.raises(CorruptImageError):
            jpeg.parse(draft.data, known_scans={start: wrong})


def test_segments_after_a_skipped_run_are_still_found():
    draft = _draft()
    stop = max(draft.scans.values())  # the last run ends at EOI in a baseline file
    smuggled = draft.data[:stop] + jpeg.segment(jpeg.APP1, b"http://ns.adobe.com/xap/1.0/\x00"
                                                b"SECRET") + draft.data[stop:]
    with pytest.raises(UnsafeOutputError):
        verify.verify(dataclasses.replace(draft, data=smuggled))
    with pytest.raises(UnsafeOutputError):
        verify.verify(dataclasses.replace(draft, data=draft.data + b"ZIP"))


def test_runs_that_no_longer_line_up_fall_back_to_the_full_search():
    """Bytes inserted before the scans shift them: the map no longer applies, nothing skips."""
    draft = _draft()
    shifted = draft.data[:2] + jpeg.segment(jpeg.COM, b"SECRET") + draft.data[2:]
    runs = [s.start + 2 + int.from_bytes(shifted[s.start + 2:s.start + 4], "big")
            for s in jpeg.parse(shifted).segments if s.marker == jpeg.SOS]
    assert runs and not set(runs) & set(draft.scans)
    with pytest.raises(UnsafeOutputError) as caught:
        verify.verify(dataclasses.replace(draft, data=shifted))
    assert "unexpected segments" in caught.value.detail


def test_a_marker_hidden_in_a_scan_is_caught_by_the_input_walk():
    """What the short cut relies on: the cleaner's own walk ends a scan at any marker."""
    data = h.encode(h.picture((97, 41)), "JPEG")
    sos = data.index(b"\xff\xda")
    run = sos + 2 + int.from_bytes(data[sos + 2:sos + 4], "big")
    hidden = data[:run + 8] + jpeg.segment(jpeg.COM, b"SECRET") + data[run + 8:]
    assert jpeg._segment_end(hidden, jpeg.SOS, sos + 2) == run + 8


def test_drafts_without_runs_are_walked_in_full():
    draft = _draft()
    verify.verify(dataclasses.replace(draft, scans=None))
    verify.verify(dataclasses.replace(draft, scans={}))


def _dirty(progressive: bool = False) -> bytes:
    return h.encode(h.picture((97, 41)), "JPEG", progressive=progressive,
                    exif=h.exif_block(6).tobytes(), restart_marker_blocks=2) + b"TRAILER"


@pytest.mark.parametrize("progressive", [False, True])
def test_a_buffer_handed_over_is_cleaned_in_place_to_the_same_bytes(progressive):
    data = _dirty(progressive)
    given = bytearray(data)
    clean = sanitize(given, in_place=True)
    assert clean.data is given  # no copy of the megabytes
    assert clean == sanitize(data) and bytes(clean.data) == sanitize(data).data
    kept = bytearray(data)
    assert sanitize(kept) == sanitize(data) and kept == data  # not handed over: untouched


def test_in_place_closes_up_segments_after_metadata_or_junk_between_them():
    data = _dirty()
    sof = data.index(b"\xff\xc0")
    moved = data[:sof] + jpeg.segment(jpeg.COM, b"between tables") + b"JUNK" + data[sof:]
    clean = sanitize(bytearray(moved), in_place=True)
    assert clean.data == sanitize(data).data and clean.removed["comments"] == ["JPEG comment"]
    assert clean == sanitize(moved)


def test_headers_that_do_not_fit_where_the_files_began_are_joined_instead():
    """No metadata before the first table, a colour profile after it: our ICC segment
    needs more room than the file's own front gives, so the clean file is joined."""
    profile = h.encode(h.picture((97, 41)), "JPEG", icc_profile=h.device_icc("SECRETIC"))
    icc = next(s for s in jpeg.parse(profile).segments if s.marker == jpeg.APP2)
    bare = h.encode(h.picture((97, 41)), "JPEG")
    table = next(s for s in jpeg.parse(bare).segments if s.marker == jpeg.DQT)
    late = (b"\xff\xd8" + bare[table.start:table.end] + profile[icc.start:icc.end]
            + bare[table.end:])
    given = bytearray(late)
    clean = sanitize(given, in_place=True)
    assert clean.data is not given and clean.data[:2] == b"\xff\xd8"
    assert clean == sanitize(late) and jpeg.ICC_TAG in clean.data


_EXTRA = st.sampled_from([
    jpeg.segment(jpeg.COM, b"SECRET"), jpeg.segment(jpeg.APP1, b"Exif\x00\x00MM\x00*SECRET"),
    jpeg.segment(jpeg.APP13, b"Photoshop 3.0\x00SECRET"), b"JUNK", b"\xff\xff",  # fill
    jpeg.segment(0xE9, b"vendor SECRET" * 40),
])


@settings(max_examples=60, deadline=None)
@given(st.booleans(), st.sampled_from([1, 3, 6, 8]),
       st.lists(st.tuples(st.integers(0, 30), _EXTRA), max_size=4))
def test_cleaning_in_place_makes_the_same_file_as_joining(progressive, turn, extras):
    """Whatever lies between the segments (metadata, junk, fill), wherever it lies."""
    data = h.encode(h.picture((61, 37)), "JPEG", progressive=progressive,
                    exif=h.exif_block(turn).tobytes())
    bounds = [s.start for s in jpeg.parse(data).segments if s.marker != jpeg.SOS]
    cuts = sorted(((bounds[at % len(bounds)], extra) for at, extra in extras), reverse=True)
    for cut, extra in cuts:  # from the end, so that each cut is still between segments
        data = data[:cut] + extra + data[cut:]
    try:
        expected = sanitize(data)
    except SanitizeError as exc:
        with pytest.raises(type(exc)):
            sanitize(bytearray(data), in_place=True)
        return
    given = bytearray(data)
    clean = sanitize(given, in_place=True)
    assert clean == expected and b"SECRET" not in clean.data
    assert clean.data is given  # EXIF and JFIF in front always leave our headers room
