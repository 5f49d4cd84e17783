"""``strip FILE... --out DIR``: clean photos from the command line, one report line each.

Registered in the app's ``trip-companion`` group; also runs alone as
``python -m trip_companion.media.cli``. A file that fails is reported and skipped (no
output, no temp file left); the others are still written; the exit status is 1 if
any failed. A large batch is cleaned in parallel, one process per CPU; a small one in
this process, since starting the workers costs more than they save there.

A folder of JPEGs is bound by memory traffic, not by Python, so each photo's bytes are
moved as few times as the checks allow: the file is mapped, not read in; its scans are
searched (in C, see ``jpeg``) once in the file and once in the clean copy as it is
joined, while still in the CPU cache; the copy is written once. Workers are forked after
the imports and the first file, so they start with everything loaded, and this process
cleans a share itself.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import mmap
import os
import pickle
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import click

from trip_companion.media.errors import SanitizeError
from trip_companion.media.model import DEFAULT_LIMITS
from trip_companion.media.pipeline import sanitize

# MAP_POPULATE maps the whole file at once: one call instead of a page fault per 4 KB.
# Not for a file over the size limit (a video): that is refused without being read.
_MAP_FLAGS = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
_Job = tuple[Path, Path, str, bool]  # input, output folder, output stem, with sha256
# Below this much input parallel work loses: forking costs a few ms, and one process
# cleans JPEG at roughly 1-2 GB/s (bench/strip.py).
_POOL_MIN_BYTES = 32_000_000


@click.command("strip")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the clean copies (created if missing).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option("--jobs", "-j", type=click.IntRange(1), default=None,
              help="Worker processes (default: one per CPU for a large batch).")
def strip(files: tuple[Path, ...], out_dir: Path, as_json: bool, jobs: int | None) -> None:
    """Write metadata-free copies of FILE... into --out under their own names.

    The extension follows the clean format (a HEIC becomes .jpg). Exit status 1 if
    any file could not be cleaned.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    failed = 0
    if jobs is None:
        jobs = (os.cpu_count() or 1) if _input_bytes(files) >= _POOL_MIN_BYTES else 1
    for result in _run(_jobs(files, out_dir, as_json), jobs):
        click.echo(json.dumps(result, ensure_ascii=False) if as_json else _line(result))
        failed += not result["ok"]
    if failed:
        raise click.exceptions.Exit(1)


def _input_bytes(files: tuple[Path, ...]) -> int:
    total = 0
    for path in files:
        with contextlib.suppress(OSError):  # reported when the file is read
            total += path.stat().st_size
        if total >= _POOL_MIN_BYTES:
            break
    return total


def _jobs(files: tuple[Path, ...], out_dir: Path, with_hash: bool) -> list[_Job]:
    """Name each output after its input; repeated names get -1, -2… so none overwrite."""
    repeats = Counter(f.stem for f in files)
    seen: Counter[str] = Counter()
    jobs = []
    for path in files:
        seen[path.stem] += 1
        stem = f"{path.stem}-{seen[path.stem]}" if repeats[path.stem] > 1 else path.stem
        jobs.append((path, out_dir, stem, with_hash))
    return jobs


def _run(jobs: list[_Job], workers: int) -> Iterator[dict[str, Any]]:
    if workers < 2 or len(jobs) < 4:
        yield from map(strip_one, jobs)
        return
    yield strip_one(jobs[0])  # loads the decoders and lcms once, before the fork
    yield from _in_parallel(jobs[1:], min(workers, len(jobs) - 1))


def _in_parallel(jobs: list[_Job], workers: int) -> Iterator[dict[str, Any]]:
    """Deal the files out round-robin; forked children take every share but this one's.

    Reports come back in input order. If a child dies (killed, out of memory), the files
    it had not reported are failures; the copies everyone made before that stand.
    """
    shares = [jobs[n::workers] for n in range(workers)]
    children = [_fork(share) for share in shares[1:]]
    results = [[strip_one(job) for job in shares[0]]]
    results += [_collect(child, share) for child, share in zip(children, shares[1:], strict=True)]
    for n in range(len(jobs)):
        yield results[n % workers][n // workers]


def _fork(share: list[_Job]) -> tuple[int, IO[bytes]]:
    """Start a child that cleans ``share``, logging each report to a temporary file.

    A file, not a pipe: a pipe fills up while this process is busy with its own share,
    and the child would stop and wait for it.
    """
    import tempfile

    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by _collect
    pid = os.fork()
    if pid == 0:  # the child: never returns, never runs the parent's exit handlers
        status = 1
        try:
            for job in share:
                pickle.dump(strip_one(job), log)
                log.flush()
            status = 0
        finally:
            os._exit(status)
    return pid, log


def _collect(child: tuple[int, IO[bytes]], share: list[_Job]) -> list[dict[str, Any]]:
    """Wait for a child and read its reports; the files it never reported are failures."""
    pid, log = child
    os.waitpid(pid, 0)
    reports = []
    with log, contextlib.suppress(EOFError, pickle.UnpicklingError):
        log.seek(0)
        while len(reports) < len(share):
            reports.append(pickle.load(log))  # noqa: S301 - written by our own child
    return reports + [_failure(job[0], "internal_error", "The process cleaning this file "
                               "stopped before it was done; run strip on it again.")
                      for job in share[len(reports):]]


def strip_one(job: _Job) -> dict[str, Any]:
    """Clean one file and write its copy; return the report (never raises for bad input)."""
    source, out_dir, stem, with_hash = job
    try:
        with open(source, "rb") as file:
            info = os.fstat(file.fileno())
            with _mapped(file, info.st_size) as data:
                clean = sanitize(data)
        target = out_dir / f"{stem}.{clean.extension}"
        if _is_same_file(info, target):
            return _failure(source, "would_overwrite", "Refusing to overwrite the original.")
        _write(target, clean.data)
    except SanitizeError as exc:
        return {"file": str(source), "ok": False, **exc.as_dict()}
    except OSError as exc:
        return _failure(source, "io_error", f"Could not read or write: {exc.strerror or exc}")
    except Exception as exc:  # a bug on one file must not lose the others' clean copies
        return _failure(source, "internal_error", f"Unexpected error: {exc!r}")
    return {"file": str(source), "ok": True, "output": str(target),
            **clean.summary(with_sha256=with_hash)}


def _is_same_file(source: os.stat_result, target: Path) -> bool:
    try:
        there = target.stat()
    except FileNotFoundError:
        return False
    return (source.st_dev, source.st_ino) == (there.st_dev, there.st_ino)


@contextlib.contextmanager
def _mapped(file: Any, size: int) -> Iterator[bytes | mmap.mmap]:
    """Map a regular file read-only (no copy into our memory); read anything else.

    If another program truncates a file while it is mapped, touching the lost pages
    kills this process (SIGBUS), as it would ripgrep: a folder tool's trade. Nothing
    half-written is left under a photo's name, and ``sanitize`` checks the clean copy's
    own bytes, so a file changed under us can't slip anything through.
    """
    try:
        flags = _MAP_FLAGS if size <= DEFAULT_LIMITS.max_bytes else mmap.MAP_SHARED
        view = mmap.mmap(file.fileno(), 0, flags=flags, prot=mmap.PROT_READ)
    except (OSError, ValueError):  # empty, a pipe or a device: nothing to gain
        view = None
    if view is None:
        yield file.read()
        return
    try:
        yield view
    finally:
        with contextlib.suppress(BufferError):  # a traceback may still hold a slice of it
            view.close()


def _failure(source: Path, code: str, message: str) -> dict[str, Any]:
    return {"file": str(source), "ok": False, "error": code, "message": message, "detail": ""}


_TEMP_NAMES = itertools.count()


def _write(target: Path, data: bytes) -> None:
    """Write through a temporary file in the same folder, then rename: no half copies."""
    while True:
        tmp = target.parent / f".strip-{os.getpid()}-{next(_TEMP_NAMES)}"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
            break
        except FileExistsError:
            continue
    try:
        try:
            view, written = memoryview(data), 0
            while written < len(view):
                written += os.write(fd, view[written:])
            os.fchmod(fd, 0o644)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _line(result: dict[str, Any]) -> str:
    if not result["ok"]:
        return f"FAIL {result['file']}: {result['message']} [{result['error']}]"
    removed = ", ".join(result["removed"]) or "nothing"
    return (f"ok   {result['file']} -> {Path(result['output']).name}  {result['format']} "
            f"{result['width']}x{result['height']}  {result['bytes'] / 1e6:.2f} MB  "
            f"removed: {removed}")


if __name__ == "__main__":
    strip()
