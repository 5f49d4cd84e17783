"""``strip FILE... --out DIR``: clean photos from the command line, one report line each.

Registered in the app's ``trip-companion`` group; also runs alone as
``python -m trip_companion.media.cli``. A file that fails is reported and skipped (no
output, no temp file left); the others are still written; the exit status is 1 if
any failed. A large batch is cleaned in parallel, one process per CPU; a small one in
this process, since starting the workers costs more than they save there.

A folder of JPEGs is bound by memory traffic, not by Python: each file is read once,
searched once for where its scans end (in C, see ``jpeg``), joined once into its clean
copy and written once. So the workers are forked (the imports are already paid), this
process cleans a share itself, and freed buffers are kept for the next file.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from trip_companion.media.errors import SanitizeError
from trip_companion.media.pipeline import sanitize

_Job = tuple[Path, Path, str, bool]  # input, output folder, output stem, with sha256
# Below this much input a worker pool loses: starting it costs ~30 ms, and one process
# cleans JPEG at roughly 0.5-1 GB/s (bench/strip.py).
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
    if jobs > 1:
        _reuse_freed_memory()
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
    yield from _in_parallel(jobs, min(workers, len(jobs)))


def _in_parallel(jobs: list[_Job], workers: int) -> Iterator[dict[str, Any]]:
    """Deal the files out round-robin; forked workers take every share but this process's.

    Reports come back in input order. If a worker dies (killed, out of memory), its
    files are reported as failed; the copies this process and the others made stand.
    """
    import multiprocessing  # only folders pay for these
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    shares = [jobs[n::workers] for n in range(workers)]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers - 1, mp_context=context) as pool:
        others = [pool.submit(_strip_all, share) for share in shares[1:]]
        results = [_strip_all(shares[0])]
        for share, future in zip(shares[1:], others, strict=True):
            try:
                results.append(future.result())
            except BrokenProcessPool:
                results.append([_failure(job[0], "internal_error", "The worker cleaning "
                                         "this file stopped; run strip on it again.")
                                for job in share])
    for n in range(len(jobs)):
        yield results[n % workers][n // workers]


def _strip_all(jobs: list[_Job]) -> list[dict[str, Any]]:
    return [strip_one(job) for job in jobs]


def _reuse_freed_memory() -> None:
    """Ask glibc to keep freed buffers for the next photo rather than unmap them.

    By default each buffer over 128 KB is mapped fresh from the kernel and unmapped when
    freed, so every photo's bytes are page-faulted in again: about a tenth of the time a
    folder of JPEGs takes. Up to 32 MB (the largest photo we accept) now comes from the
    heap and stays there. Where there is no glibc ``mallopt`` this does nothing.
    """
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(_M_MMAP_THRESHOLD, 32 << 20)
    mallopt(_M_TRIM_THRESHOLD, 256 << 20)


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # from glibc's malloc.h


def strip_one(job: _Job) -> dict[str, Any]:
    """Clean one file and write its copy; return the report (never raises for bad input)."""
    source, out_dir, stem, with_hash = job
    try:
        clean = sanitize(source.read_bytes())
        target = out_dir / f"{stem}.{clean.extension}"
        if target.exists() and target.samefile(source):
            return _failure(source, "would_overwrite", "Refusing to overwrite the original.")
        _write(target, clean.data)
    except SanitizeError as exc:
        return {"file": str(source), "ok": False, **exc.as_dict()}
    except OSError as exc:
        return _failure(source, "io_error", f"Could not read or write: {exc.strerror or exc}")
    except Exception as exc:  # a bug on one file must not lose the others' clean copies
        return _failure(source, "internal_error", f"Unexpected error: {exc!r}")
    summary = clean.summary() if with_hash else {
        "format": clean.format, "width": clean.width, "height": clean.height,
        "bytes": len(clean.data), "removed": clean.removed}
    return {"file": str(source), "ok": True, "output": str(target), **summary}


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
