"""``strip FILE... --out DIR``: clean copies under their own names, one report line each."""

from __future__ import annotations

import io
import json
import os

import pillow_heif
import pytest
from PIL import Image

from tests.media import helpers as h
from tests.media.helpers import invoke_strip as _invoke


@pytest.fixture
def photos(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "IMG_0001.JPG").write_bytes(
        h.encode(h.stored_for(6, h.picture()), "JPEG", exif=h.exif_block(6).tobytes()))
    heic = io.BytesIO()
    pillow_heif.from_pillow(h.picture()).save(heic, exif=h.exif_block().tobytes())
    (folder / "IMG_0002.HEIC").write_bytes(heic.getvalue())
    (folder / "screenshot.png").write_bytes(h.encode(h.picture(), "PNG",
                                                     exif=h.exif_block().tobytes()))
    (folder / "sticker.gif").write_bytes(h.encode(h.picture(), "GIF"))
    (folder / "cut.jpg").write_bytes(h.encode(h.picture(), "JPEG")[:700])
    return folder


def test_good_files_are_written_and_bad_ones_reported(photos, tmp_path):
    out = tmp_path / "out"
    result = _invoke(*map(str, sorted(photos.iterdir())), "--out", str(out), "-j", "1")
    assert result.exit_code == 1
    assert sorted(p.name for p in out.iterdir()) == ["IMG_0001.jpg", "IMG_0002.jpg",
                                                     "screenshot.png"]
    lines = result.output.splitlines()
    assert len(lines) == 5
    assert sum(line.startswith("ok ") for line in lines) == 3
    assert any("sticker.gif" in line and "can't be posted" in line for line in lines)
    assert any("cut.jpg" in line and "cut off" in line for line in lines)
    for path in out.iterdir():
        assert b"SECRET" not in path.read_bytes()


def test_json_lines_carry_the_report(photos, tmp_path):
    out = tmp_path / "out"
    result = _invoke(str(photos / "IMG_0001.JPG"), str(photos / "sticker.gif"), "--out",
                     str(out), "--json")
    rows = [json.loads(line) for line in result.output.splitlines()]
    good, bad = rows
    assert good["ok"] and good["format"] == "jpeg" and (good["width"], good["height"]) == (160, 120)
    assert {"location", "device", "owner"} <= set(good["removed"])
    assert len(good["sha256"]) == 64 and good["output"].endswith("IMG_0001.jpg")
    assert bad == {"file": str(photos / "sticker.gif"), "ok": False, "error": "unsupported",
                   "message": bad["message"], "detail": bad["detail"]}


def test_all_good_exits_zero(photos, tmp_path):
    result = _invoke(str(photos / "screenshot.png"), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0
    with Image.open(tmp_path / "out" / "screenshot.png") as image:
        assert "exif" not in image.info


def test_same_names_do_not_overwrite_each_other(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "photo.jpg").write_bytes(h.encode(h.picture(), "JPEG"))
    (b / "photo.jpg").write_bytes(h.encode(h.picture((80, 60)), "JPEG"))
    (b / "photo.png").write_bytes(h.encode(h.picture((40, 30)), "PNG"))
    result = _invoke(str(a / "photo.jpg"), str(b / "photo.jpg"), str(b / "photo.png"),
                     "--out", str(tmp_path / "out"))
    assert result.exit_code == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "photo-1.jpg", "photo-2.jpg", "photo-3.png"]


def test_never_overwrites_the_original(tmp_path, write_path):
    source = tmp_path / "photo.jpg"
    original = h.encode(h.picture(), "JPEG", exif=h.exif_block().tobytes())
    source.write_bytes(original)
    result = _invoke(str(source), "--out", str(tmp_path))
    assert result.exit_code == 1 and "overwrite" in result.output
    assert source.read_bytes() == original


def test_parallel_run_reports_in_input_order(tmp_path):
    files = []
    for n in range(12):
        files.append(tmp_path / f"p{n:02}.png")
        files[-1].write_bytes(h.encode(h.picture((40 + n, 30)), "PNG"))
    result = _invoke(*map(str, files), "--out", str(tmp_path / "out"), "--jobs", "2")
    assert result.exit_code == 0
    assert [line.split()[1] for line in result.output.splitlines()] == list(map(str, files))


def test_out_and_files_are_required(tmp_path, capsys):
    assert _invoke("--out", str(tmp_path)).exit_code == 2
    assert _invoke(str(tmp_path / "missing.jpg"), "--out", str(tmp_path)).exit_code == 2
    assert "does not exist" in capsys.readouterr().err
    assert _invoke(str(tmp_path), "--out", str(tmp_path / "o")).exit_code == 2
    assert "is a folder" in capsys.readouterr().err
    photo = tmp_path / "p.jpg"
    photo.write_bytes(h.encode(h.picture(), "JPEG"))
    assert _invoke(str(photo)).exit_code == 2
    for jobs in ("0", "two", "-1"):
        assert _invoke(str(photo), "--out", str(tmp_path / "o"), "-j", jobs).exit_code == 2
    assert not (tmp_path / "o").exists()


def test_an_unexpected_error_on_one_file_spares_the_others(photos, tmp_path, monkeypatch):
    from trip_companion.media import cli

    real = cli.sanitize

    def flaky(data, **options):
        if data[:4] == b"\x89PNG":  # data is the file as read
            raise RuntimeError("bug")
        return real(data, **options)

    monkeypatch.setattr(cli, "sanitize", flaky)
    out = tmp_path / "out"
    result = _invoke(str(photos / "screenshot.png"), str(photos / "IMG_0001.JPG"), "--out",
                     str(out), "-j", "1")
    assert result.exit_code == 1 and "internal_error" in result.output
    assert [p.name for p in out.iterdir()] == ["IMG_0001.jpg"]


def test_copies_are_written_whole_readable_and_without_temp_files(tmp_path, monkeypatch,
                                                                  write_path):
    """Each copy through ``files.write_whole`` (tested there): whole, or not at all."""
    from trip_companion.media import files

    source = tmp_path / "photo.jpg"
    out = tmp_path / "out"
    out.mkdir()
    (out / "photo.jpg").write_bytes(b"yesterday's copy")  # replaced whole
    previous = files.os.umask(0o022)
    try:
        for size in ((64, 48), (80, 60)):  # over an old copy, then over the copy just made
            picture = h.picture(size)
            source.write_bytes(h.encode(picture, "JPEG", exif=h.exif_block().tobytes()))
            assert _invoke(str(source), "--out", str(out), "-j", "1").exit_code == 0
            with Image.open(out / "photo.jpg") as copy:
                assert copy.size == size and "exif" not in copy.info
            assert (out / "photo.jpg").stat().st_mode & 0o777 == 0o644  # as cp gives
            assert [p.name for p in out.iterdir()] == ["photo.jpg"]
    finally:
        files.os.umask(previous)

    def full_disk(fd, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "write", full_disk)
    result = _invoke(str(source), "--out", str(tmp_path / "out2"), "-j", "1")
    assert result.exit_code == 1 and "No space left" in result.output
    assert "[io_error]" in result.output
    assert list((tmp_path / "out2").iterdir()) == []


def test_strip_starts_without_what_a_folder_of_jpegs_does_not_need():
    import subprocess
    import sys

    code = ("import sys, trip_companion.media.cli; "
            "print(sorted(m for m in ('trip_companion.media.derivatives', 'PIL.ImageCms', "
            "'pillow_heif', 'concurrent.futures.process', 'flask', 'click', 'pickle', "
            "'trip_companion.media.heif', 'trip_companion.media.png', "
            "'trip_companion.media.webp') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert loaded == "[]"
    from trip_companion.media import render
    from trip_companion.media.derivatives import render as same

    assert render is same


def test_only_a_large_batch_starts_workers(photos, tmp_path, monkeypatch):
    from trip_companion.media import cli

    seen = []
    real = cli._run
    monkeypatch.setattr(cli, "_run", lambda jobs, workers: seen.append(workers) or real(jobs, 1))
    monkeypatch.setattr(cli.os, "cpu_count", lambda: 4)
    files = [str(photos / "IMG_0001.JPG"), str(photos / "screenshot.png")]
    _invoke(*files, "--out", str(tmp_path / "a"))
    monkeypatch.setattr(cli, "_POOL_MIN_BYTES", 1000)
    _invoke(*files, "--out", str(tmp_path / "b"))
    _invoke(*files, "--out", str(tmp_path / "c"), "-j", "3")
    assert seen == [1, 4, 3]


def _jpegs(folder, count):
    folder.mkdir()
    files = []
    for n in range(count):
        files.append(folder / f"p{n:02}.jpg")
        files[-1].write_bytes(h.encode(h.picture((40 + n, 30)), "JPEG",
                                       exif=h.exif_block(1 + n % 8).tobytes()))
    return files


def test_a_large_batch_is_shared_with_forked_workers(tmp_path, monkeypatch):
    from trip_companion.media import cli

    real = cli.strip_one
    monkeypatch.setattr(cli, "strip_one", lambda job: {**real(job), "pid": cli.os.getpid()})
    files = _jpegs(tmp_path / "in", 9)
    out = tmp_path / "out"
    out.mkdir()
    folder = cli.os.open(out, cli.os.O_RDONLY | cli.os.O_DIRECTORY)
    try:
        reports = list(cli._run(cli._jobs(tuple(files), out, folder, False), 3))
    finally:
        cli.os.close(folder)
    assert [r["file"] for r in reports] == list(map(str, files))
    assert all(r["ok"] for r in reports) and len({r["pid"] for r in reports}) == 3
    assert sorted(p.name for p in out.iterdir()) == [f.name for f in files]
    for path in out.iterdir():
        assert b"SECRET" not in path.read_bytes()


def test_a_worker_that_dies_loses_only_the_files_it_had_not_reported(tmp_path, monkeypatch):
    import signal

    from trip_companion.media import cli

    parent, real = cli.os.getpid(), cli.strip_one

    def dies_on_p04(job):
        if job[0].endswith("/p04.jpg") and cli.os.getpid() != parent:
            cli.os.kill(cli.os.getpid(), signal.SIGKILL)
        return real(job)

    monkeypatch.setattr(cli, "strip_one", dies_on_p04)
    files = _jpegs(tmp_path / "in", 9)
    out = tmp_path / "out"
    # p00 is cleaned first; then p01 p03 p05 p07 here and p02 p04 p06 p08 in the child.
    result = _invoke(*map(str, files), "--out", str(out), "-j", "2")
    lines = result.output.splitlines()
    assert result.exit_code == 1 and len(lines) == 9
    failed = [line.split()[1].rstrip(":") for line in lines if line.startswith("FAIL")]
    assert [f.rsplit("/", 1)[1] for f in failed] == ["p04.jpg", "p06.jpg", "p08.jpg"]
    assert "stopped before it was done" in result.output
    assert sorted(p.name for p in out.iterdir()) == [
        f"p{n:02}.jpg" for n in (0, 1, 2, 3, 5, 7)]


def test_a_fifo_and_a_device_are_read_too(tmp_path):
    import os
    import threading

    fifo = tmp_path / "from-phone.jpg"
    os.mkfifo(fifo)
    photo = h.encode(h.picture(), "JPEG", exif=h.exif_block(6).tobytes())
    writer = threading.Thread(target=fifo.write_bytes, args=(photo,))
    writer.start()
    result = _invoke(str(fifo), "--out", str(tmp_path / "out"), "-j", "1")
    writer.join()
    assert result.exit_code == 0, result.output
    assert b"SECRET" not in (tmp_path / "out" / "from-phone.jpg").read_bytes()
    empty = _invoke("/dev/null", "--out", str(tmp_path / "out"), "-j", "1")
    assert empty.exit_code == 1 and "[empty]" in empty.output


def test_a_huge_file_is_refused_without_being_read(tmp_path, monkeypatch):
    """A 4 GB video (sparse here) is measured and refused: no buffer is made for it."""
    from trip_companion.media import cli

    def no_room(size):
        raise AssertionError(f"a buffer of {size} bytes was asked for")

    monkeypatch.setattr(cli, "_room", no_room)
    video = tmp_path / "VID_0001.jpg"
    with video.open("wb") as file:
        file.write(b"\xff\xd8\xff\xe0")
        file.truncate(4 * 1024**3)
    result = _invoke(str(video), "--out", str(tmp_path / "out"), "-j", "1")
    assert result.exit_code == 1 and "[too_large]" in result.output
    assert not (tmp_path / "out" / "VID_0001.jpg").exists()


def test_photos_may_follow_out_and_a_file_is_no_folder(photos, tmp_path, capsys):
    out = tmp_path / "o"
    result = _invoke(str(photos / "IMG_0001.JPG"), "--out", f"{out}/", str(photos / "cut.jpg"),
                     "--json", "-j", "1")
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert result.exit_code == 1 and [row["ok"] for row in rows] == [True, False]
    assert rows[0]["output"] == str(out / "IMG_0001.jpg")  # one form of each path
    assert _invoke(str(photos / "IMG_0001.JPG"), "--out", str(photos / "cut.jpg")).exit_code == 2
    assert "it must be a folder" in capsys.readouterr().err


def test_no_copy_lands_on_an_original_or_on_another_copy(tmp_path):
    """``a.jpg`` and ``a.png`` are both "a": numbered, they must skip the ``a-1`` there."""
    import hashlib

    photo = h.encode(h.picture(), "JPEG", exif=h.exif_block().tobytes())
    for name in ("a-1.jpg", "a.jpg"):
        (tmp_path / name).write_bytes(photo)
    (tmp_path / "a.png").write_bytes(h.encode(h.picture(), "PNG"))
    original = hashlib.sha256((tmp_path / "a-1.jpg").read_bytes()).hexdigest()
    result = _invoke(*(str(tmp_path / n) for n in ("a-1.jpg", "a.jpg", "a.png")), "--out",
                     str(tmp_path), "-j", "1")
    assert "would_overwrite" in result.output  # a-1.jpg's own copy would be itself
    assert hashlib.sha256((tmp_path / "a-1.jpg").read_bytes()).hexdigest() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-1.jpg", "a-2.jpg", "a-3.png",
                                                         "a.jpg", "a.png"]


def test_a_reader_that_stops_early_gets_no_traceback(tmp_path):
    import subprocess
    import sys

    files = _jpegs(tmp_path / "in", 12)
    code = ("import sys, trip_companion; sys.argv = ['trip-companion', 'strip', "
            "*sys.argv[1:]]; trip_companion.main()")
    run = subprocess.Popen([sys.executable, "-c", code, *map(str, files), "--out",
                            str(tmp_path / "out"), "-j", "1"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    run.stdout.close()  # like ``| head -0``: nobody reads, so strip stops, as cp -v would
    with run.stderr:
        stderr = run.stderr.read().decode()
    assert run.wait() == 1 and "Traceback" not in stderr, stderr
    written = list((tmp_path / "out").iterdir())
    assert written and not [p for p in written if p.name.startswith(".")]
    for path in written:  # what was written is whole
        assert Image.open(path).verify() is None


class _Trickle:
    """A file that hands out a few bytes per read, as a slow disk or a pipe may."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def readinto(self, view) -> int:
        n = min(len(view), 7, len(self.data) - self.pos)
        view[:n] = self.data[self.pos:self.pos + n]
        self.pos += n
        return n

    def read(self, limit: int) -> bytes:
        rest = self.data[self.pos:self.pos + limit]
        self.pos += len(rest)
        return rest


def test_a_file_is_read_whole_whatever_happened_since_it_was_measured(monkeypatch):
    """Short reads are resumed; what was not read is cut off (the buffer is not zeroed);
    what was added since is read too."""
    from trip_companion.media import cli

    monkeypatch.setattr(cli, "_room", lambda size: bytearray(b"\xaa" * size))
    photo = bytes(range(256)) * 3
    assert cli._read(_Trickle(photo), len(photo)) == photo
    assert cli._read(_Trickle(photo[:100]), len(photo)) == photo[:100]  # it shrank
    assert cli._read(_Trickle(photo), 100) == photo  # it grew
    assert cli._read(_Trickle(photo), 0) == photo  # a pipe: no size
    assert type(cli._read(_Trickle(photo), 10)) is bytearray


def test_trip_companion_strip_runs_without_flask(photos, tmp_path):
    """``trip-companion strip`` is the sanitizer alone: Flask and click are never imported,
    and the process ends as soon as the copies are written, with the right status."""
    import subprocess
    import sys

    def run(*args):
        code = ("import sys, trip_companion; sys.argv = ['trip-companion', 'strip', "
                "*sys.argv[1:]]; trip_companion.main()")
        return subprocess.run([sys.executable, "-X", "importtime", "-c", code, *args],
                              capture_output=True, text=True, check=False)

    out = tmp_path / "out"
    good = run(str(photos / "IMG_0001.JPG"), "--out", str(out))
    assert good.returncode == 0, good.stderr
    assert good.stdout.startswith("ok ") and good.stdout.count("\n") == 1
    loaded = [line.rsplit("|", 1)[-1].strip() for line in good.stderr.splitlines()]
    assert "PIL.JpegImagePlugin" in loaded and "trip_companion.media.jpeg" in loaded
    assert not {"flask", "click", "trip_companion.cli"} & set(loaded)
    assert [p.name for p in out.iterdir()] == ["IMG_0001.jpg"]
    bad = run(str(photos / "sticker.gif"), str(photos / "cut.jpg"), "--out", str(out), "--json")
    assert bad.returncode == 1 and len(bad.stdout.splitlines()) == 2
    usage = run("--help")
    assert usage.returncode == 0 and "usage: trip-companion strip" in usage.stdout


def test_flasks_command_group_hands_strip_its_arguments(photos, tmp_path):
    from click.testing import CliRunner

    from trip_companion.cli import strip_command

    out = tmp_path / "out"
    result = CliRunner().invoke(strip_command, [str(photos / "sticker.gif"),
                                                str(photos / "IMG_0001.JPG"), "--out", str(out),
                                                "--json", "-j", "1"])
    assert result.exit_code == 1
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [row["ok"] for row in rows] == [False, True]
    assert [p.name for p in out.iterdir()] == ["IMG_0001.jpg"]


def test_a_write_only_folder_takes_copies_as_it_would_from_cp(photos, tmp_path):
    """A drop box (-wx: copies go in, nobody can list it) needs no read permission."""
    import shutil
    import subprocess
    import sys

    from tests.prerequisites import missing

    out = tmp_path / "dropbox"
    out.mkdir()
    out.chmod(0o333)
    command = [sys.executable, "-m", "trip_companion.media.cli", str(photos / "IMG_0001.JPG"),
               "--out", str(out)]
    if os.geteuid() == 0:  # root passes every permission check: run without its capabilities
        if not shutil.which("setpriv"):
            missing("setpriv (util-linux) is needed to drop root's capabilities")
        command = ["setpriv", "--bounding-set=-all", "--inh-caps=-all", *command]
    try:
        run = subprocess.run(command, capture_output=True, text=True, check=False)
        assert run.returncode == 0, run.stdout + run.stderr
    finally:
        out.chmod(0o755)
    assert [p.name for p in out.iterdir()] == ["IMG_0001.jpg"]


def test_no_descriptor_is_left_open(photos, tmp_path):
    before = sorted(os.listdir("/proc/self/fd"))
    for _ in range(3):  # good files, bad files, a copy refused over its original
        _invoke(*map(str, sorted(photos.iterdir())), "--out", str(tmp_path / "out"), "-j", "1")
        _invoke(str(photos / "IMG_0001.JPG"), "--out", str(photos))
    assert sorted(os.listdir("/proc/self/fd")) == before
