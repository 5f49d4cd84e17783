"""Fixtures for the sanitizer tests: generated dirty pictures, cleaned once per session,
judged by one ExifTool run and one residue.py run for the whole folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.media import generated
from tests.media import helpers as h
from tests.prerequisites import missing
from trip_companion.media import CleanImage, sanitize


@pytest.fixture(scope="session")
def exiftool() -> str:
    """The ExifTool executable (the suite's independent metadata reader)."""
    if h.EXIFTOOL is None:
        missing("exiftool not installed (apt-get install libimage-exiftool-perl)")
    return h.EXIFTOOL


@pytest.fixture(scope="session")
def residue_available() -> bool:
    """Whether the shared acceptance oracle is present (it is in CI)."""
    return h.RESIDUE.is_file()


@dataclass
class Judged:
    """Generated dirty pictures, their clean copies and the judges' verdicts."""

    dirty: dict[str, generated.Dirty]
    clean: dict[str, CleanImage]
    clean_paths: dict[str, Path]
    tags: dict[str, dict]  # ExifTool's view of each clean copy
    dirty_tags: dict[str, dict]
    residue: dict[str, dict] | None  # residue.py entries (None where absent)


@pytest.fixture(scope="session")
def judged(tmp_path_factory: pytest.TempPathFactory, exiftool: str,
           residue_available: bool) -> Judged:
    """Make, clean and judge every generated picture once for the whole session."""
    root = tmp_path_factory.mktemp("generated")
    dirty = generated.build(root / "dirty")
    out = root / "clean"
    out.mkdir()
    clean, paths = {}, {}
    for stem, item in dirty.items():
        clean[stem] = sanitize(item.path.read_bytes())
        paths[stem] = out / f"{stem}.{clean[stem].extension}"
        paths[stem].write_bytes(clean[stem].data)
    proc = h.residue_batch([out], reference=root / "dirty") if residue_available else None
    tags = h.exiftool_json(list(paths.values()))
    dirty_tags = h.exiftool_json([d.path for d in dirty.values()])
    return Judged(dirty, clean, paths, tags, dirty_tags,
                  h.residue_results(proc) if proc else None)


@pytest.fixture(scope="session")
def exiftool_session(exiftool: str):
    """A stay-open ExifTool for tests that ask about many small files."""
    session = h.ExifToolSession()
    yield session
    session.close()


@pytest.fixture(params=["unnamed", "renamed"])
def write_path(request, monkeypatch) -> str:
    """Both ways ``files.write_whole`` works: an unnamed file named when whole (O_TMPFILE),
    or, where the file system has none, a dot-named file renamed."""
    from trip_companion.media import files

    if request.param == "unnamed" and not files._UNNAMED:
        missing("this kernel has no O_TMPFILE, or /proc is not mounted")
    monkeypatch.setattr(files, "_UNNAMED", request.param == "unnamed")
    return request.param
