"""``write_whole``: a file appears whole under its name, or nothing appears at all."""

from __future__ import annotations

import errno
import os
import signal
import stat

import pytest

from tests.prerequisites import missing
from trip_companion.media import files
from trip_companion.media.files import write_whole


def _full_disk(fd, data):
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.fixture
def folder(tmp_path):
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    yield fd
    os.close(fd)


def test_a_file_is_written_whole_and_replaced_whole(tmp_path, folder, monkeypatch, write_path):
    (tmp_path / f".part-{os.getpid()}-0").write_bytes(b"someone else's")  # a name in use
    monkeypatch.setattr(files, "_TEMP_NAMES", iter(range(5)))
    assert write_whole(folder, "a.jpg", b"first")
    assert write_whole(folder, "a.jpg", bytearray(b"second, longer"))  # over the first
    assert (tmp_path / "a.jpg").read_bytes() == b"second, longer"
    assert (tmp_path / f".part-{os.getpid()}-0").read_bytes() == b"someone else's"
    assert sorted(p.name for p in tmp_path.iterdir()) == [f".part-{os.getpid()}-0", "a.jpg"]


def test_the_mode_is_exact_when_given_and_follows_the_umask_when_not(tmp_path, folder,
                                                                     write_path):
    previous = os.umask(0o077)
    try:
        write_whole(folder, "private.jpg", b"x")
        write_whole(folder, "shared.jpg", b"x", mode=0o640)
        os.umask(0o022)
        write_whole(folder, "plain.jpg", b"x")
    finally:
        os.umask(previous)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
    assert modes == {"private.jpg": 0o600, "shared.jpg": 0o640, "plain.jpg": 0o644}


def test_the_file_to_keep_is_never_written_over(tmp_path, folder, write_path):
    original = tmp_path / "photo.jpg"
    original.write_bytes(b"the original")
    assert write_whole(folder, "photo.jpg", b"copy", keep=original.stat()) is False
    assert original.read_bytes() == b"the original"
    assert [p.name for p in tmp_path.iterdir()] == ["photo.jpg"]
    (tmp_path / "other.jpg").write_bytes(b"another photo's old copy")
    assert write_whole(folder, "other.jpg", b"copy", keep=original.stat()) is True
    assert (tmp_path / "other.jpg").read_bytes() == b"copy"


def test_durable_means_on_disk_before_it_has_a_name(tmp_path, folder, monkeypatch, write_path):
    named_when_flushed = []
    real_fsync = os.fsync

    def fsync(fd):
        named_when_flushed.append((tmp_path / "b.jpg").exists())
        real_fsync(fd)

    monkeypatch.setattr(files.os, "fsync", fsync)
    write_whole(folder, "a.jpg", b"x")
    assert named_when_flushed == []  # only when asked: strip, like cp, does not flush
    write_whole(folder, "b.jpg", b"x", durable=True)
    assert named_when_flushed == [False]
    assert (tmp_path / "b.jpg").read_bytes() == b"x"


def test_a_write_that_fails_leaves_what_was_there(tmp_path, folder, monkeypatch, write_path):
    write_whole(folder, "a.jpg", b"old")
    with monkeypatch.context() as patch:
        patch.setattr(files.os, "write", _full_disk)
        with pytest.raises(OSError, match="No space left"):
            write_whole(folder, "a.jpg", b"new")
        with pytest.raises(OSError, match="No space left"):
            write_whole(folder, "b.jpg", b"new")

    def broken_replace(*args, **kwargs):
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(files.os, "replace", broken_replace)
    with pytest.raises(OSError, match="I/O error"):
        write_whole(folder, "a.jpg", b"new")
    assert [p.name for p in tmp_path.iterdir()] == ["a.jpg"]
    assert (tmp_path / "a.jpg").read_bytes() == b"old"


def test_a_write_cut_short_by_a_kill_leaves_nothing_behind(tmp_path, folder):
    """SIGKILL halfway through: no part of the photo under any name.

    This is why files are unnamed until whole: a dot-named temporary file would stay.
    """
    if not files._UNNAMED:
        missing("this kernel has no O_TMPFILE, or /proc is not mounted")
    real_write = os.write
    pid = os.fork()
    if pid == 0:  # the child writes half, then is killed
        try:
            def half_then_killed(fd, data):
                real_write(fd, bytes(data[: len(data) // 2]))
                os.kill(os.getpid(), signal.SIGKILL)

            files.os.write = half_then_killed
            write_whole(folder, "photo.jpg", b"x" * 100_000, durable=True)
        finally:
            os._exit(3)  # not reached when the kill comes
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    assert list(tmp_path.iterdir()) == []


def test_without_unnamed_files_the_rename_takes_over(tmp_path, folder, monkeypatch):
    """A file system without O_TMPFILE (EOPNOTSUPP: FAT) is asked once, then renamed into."""
    monkeypatch.setattr(files, "_UNNAMED", True)
    real_open, tried = os.open, []

    def no_unnamed_files(path, flags, *args, **kwargs):
        if flags & os.O_TMPFILE == os.O_TMPFILE:
            tried.append(path)
            raise OSError(errno.EOPNOTSUPP, "Operation not supported")
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(files.os, "open", no_unnamed_files)
    for name in ("a.jpg", "b.jpg", "a.jpg"):
        assert write_whole(folder, name, name.encode())
    assert len(tried) == 1 and files._UNNAMED is False
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jpg", "b.jpg"]
    assert (tmp_path / "a.jpg").read_bytes() == b"a.jpg"


def test_other_errors_are_not_taken_for_a_missing_feature(folder, monkeypatch):
    """Permission denied is the caller's to report, not a reason to stop using O_TMPFILE."""
    monkeypatch.setattr(files, "_UNNAMED", True)

    def denied(path, flags, *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(files.os, "open", denied)
    with pytest.raises(PermissionError):
        write_whole(folder, "a.jpg", b"x")
    assert files._UNNAMED is True


def test_no_descriptor_is_left_open(tmp_path, folder, monkeypatch, write_path):
    before = sorted(os.listdir("/proc/self/fd"))
    write_whole(folder, "a.jpg", b"x", durable=True)
    write_whole(folder, "a.jpg", b"y", mode=0o600)
    assert not write_whole(folder, "a.jpg", b"z", keep=(tmp_path / "a.jpg").stat())

    monkeypatch.setattr(files.os, "write", _full_disk)
    for name in ("a.jpg", "b.jpg"):
        with pytest.raises(OSError):
            write_whole(folder, name, b"new")
    assert sorted(os.listdir("/proc/self/fd")) == before
