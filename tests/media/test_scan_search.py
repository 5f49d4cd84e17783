"""The C loop (``_scan``) against the Python it replaces: the search for a scan's end.

The Python in ``jpeg`` is the reference: the native code must give the same answers on
any bytes, from any start, and refuse what it cannot use. In CI the extension must have
been built (a silent fallback would hide a broken build); elsewhere these tests are
skipped where no compiler was at hand.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.media import helpers as h
from trip_companion.media import DEFAULT_LIMITS, jpeg, jpeg_clean, sanitize

try:
    from trip_companion.media import _scan
except ImportError:  # pragma: no cover - depends on the install
    _scan = None

if _scan is None and os.environ.get("CI"):
    pytest.fail("trip_companion.media._scan was not built: `pip install -e .` needs gcc",
                pytrace=False)
native = pytest.mark.skipif(_scan is None, reason="the C helper was not built (no compiler)")

# Bytes that matter to the search, and a few that don't, so markers turn up often.
BYTE = st.sampled_from([0xFF, 0xFF, 0xFF, 0x00, 0xD0, 0xD7, 0xD8, 0xD9, 0xDA, 0xCF, 0xFE,
                        0x01, 0x41])


def reference(data: bytes, start: int) -> int:
    found = jpeg._SCAN_END.search(data, start)
    return -1 if found is None else found.start()


# Both loops: the one this CPU runs (AVX2 on ours) and the memchr one that runs elsewhere.
SEARCHES = ["scan_end", "scan_end_memchr"]


@st.composite
def bytes_and_start(draw) -> tuple[bytes, int]:
    """Short runs of the bytes that matter; longer ones, across several 32-byte AVX2
    steps, so a marker lands at every place in one; and any bytes at all."""
    data = draw(st.one_of(
        st.lists(BYTE, max_size=80).map(bytes),
        st.lists(st.sampled_from([0xFF, 0x00, 0x00, 0x41, 0xD3, 0xD9]), min_size=30,
                 max_size=300).map(bytes),
        st.binary(max_size=4096)))
    return data, draw(st.integers(0, len(data)))


@native
@pytest.mark.parametrize("search", SEARCHES)
@settings(max_examples=4000, deadline=None)
@given(bytes_and_start())
def test_native_search_matches_the_regex(search, case):
    data, start = case
    assert getattr(_scan, search)(data, start) == reference(data, start)


@native
@pytest.mark.parametrize("search", SEARCHES)
def test_every_place_a_marker_can_be_near_a_step_and_the_end(search):
    """A 0xFF00-stuffed run with one marker moved through every offset of 100 bytes,
    from every start, beside a restart marker and fill: the end of a step is where a
    0xFF and the byte after it fall into different steps."""
    for size in (33, 34, 64, 65, 66, 100):
        for at in range(size - 1):
            data = bytearray(b"\xff\x00" * (size // 2) + b"\xff" * (size % 2))
            data[at:at + 2] = b"\xff\xd9"
            if at >= 4:
                data[at - 4:at] = b"\xff\xd3\xff\xff"
            for start in range(size + 1):
                assert getattr(_scan, search)(bytes(data), start) == reference(
                    bytes(data), start), (size, at, start)


@native
def test_the_cpu_decides_which_loop_runs():
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        avx2 = any("avx2" in line.split() for line in info if line.startswith("flags"))
    expected = "avx2" if avx2 else "memchr"
    assert expected == _scan.SEARCH


@native
@pytest.mark.parametrize("search", SEARCHES)
@pytest.mark.parametrize(("data", "start", "expected"), [
    (b"", 0, -1),
    (b"\xff", 0, -1),                       # a lone 0xFF at the end is not a marker yet
    (b"\xff\xd9", 0, 0),
    (b"\xff\xd9", 1, -1),
    (b"\xff\xd9", 2, -1),
    (b"ab\xff\x00\xff\xd3\xff\xff\xd9", 0, 7),  # stuffing, a restart and fill are skipped
    (b"\xff\xe1" + b"\x00" * 100, 1, -1),
    (b"\xff\x00" * 40 + b"\xff", 0, -1),     # ends on a 0xFF with nothing after it
])
def test_edges(search, data, start, expected):
    assert getattr(_scan, search)(data, start) == expected == reference(data, start)


@native
def test_starts_outside_the_data_are_refused():
    for start in (-1, 3, 2**62):
        with pytest.raises((ValueError, OverflowError)):
            _scan.scan_end(b"\xff\xd9", start)
    with pytest.raises(TypeError):
        _scan.scan_end("text", 0)


@native
def test_an_empty_buffer_with_no_memory_behind_it():
    """The buffer protocol lets an empty buffer lend a NULL pointer (found by fuzzing)."""
    import ctypes

    assert _scan.scan_end((ctypes.c_char * 0).from_address(0), 0) == -1


@native
def test_any_contiguous_buffer_is_searched_in_place():
    data = b"xx\xff\x00\xff\xd9"
    for buffer in (data, bytearray(data), memoryview(data), memoryview(data)[1:]):
        assert _scan.scan_end(buffer, 0) == reference(bytes(buffer), 0)
    with pytest.raises((BufferError, TypeError, ValueError)):
        _scan.scan_end(memoryview(data)[::2], 0)


@native
def test_the_fallback_cleans_to_the_same_bytes(monkeypatch):
    data = h.encode(h.picture((97, 41)), "JPEG", progressive=True,
                    exif=h.exif_block(6).tobytes(), restart_marker_blocks=2)
    with_native = sanitize(data + b"TRAILER")
    monkeypatch.setattr(jpeg, "_native_scan_end", None)
    assert jpeg.scan_end(data, 2) == reference(data, 2)
    assert sanitize(data + b"TRAILER") == with_native
    assert jpeg_clean.clean(data, DEFAULT_LIMITS).data == with_native.data


@native
def test_room_is_a_bytearray_of_the_size_asked_for():
    for size in (0, 1, 70_000):
        buffer = _scan.room(size)
        assert type(buffer) is bytearray and len(buffer) == size
    with pytest.raises(ValueError):
        _scan.room(-1)
    with pytest.raises(TypeError):
        _scan.room("1")
