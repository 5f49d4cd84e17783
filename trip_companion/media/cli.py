"""``strip FILE... --out DIR``: clean photos from the command line, one report line each.

``trip-companion strip`` runs ``main`` straight away, without starting Flask; so does
``python -m trip_companion.media.cli``. A file that fails is reported and skipped (no
output, no temp file left); the others are still written; the exit status is 1 if any
failed. A large batch is cleaned in parallel, one process per CPU; a small one in this
process, since starting the workers costs more than they save there.

A folder of JPEGs is bound by memory traffic and start-up, not by Python, so each photo's
bytes are moved as few times as the checks allow: the file is read once into a buffer of
our own, cleaned inside it (its scans searched in C, see ``jpeg``; nothing else can
change it meanwhile), and written once. (Mapping the file measured no faster: mapping and
unmapping it cost what reading it in does.) Workers are forked after the imports
and the first file, so they start with everything loaded, and this process cleans a share
itself. The arguments are read with ``argparse``, not click: click alone would add a
third to the start-up, which is most of a 200-photo run.
"""

from __future__ import annotations

import argparse
import contextlib
import marshal
import os
import sys
from collections import Counter
from collections.abc import Iterator
from typing import IO, Any, NoReturn

from trip_companion.media.errors import SanitizeError
from trip_companion.media.files import write_whole
from trip_companion.media.model import DEFAULT_LIMITS
from trip_companion.media.pipeline import sanitize

try:
    from trip_companion.media._scan import room as _room
except ImportError:  # built without a C compiler
    _room = bytearray
# input, output folder, the folder opened (a descriptor), output stem, with sha256.
# Strings, not Paths: a Path costs a few microseconds each time it is joined or turned
# back into a string, on every photo.
_Job = tuple[str, str, int, str, bool]
# The output folder is opened only to name files in it: O_PATH (Linux) needs no read
# permission, so a write-only drop-box folder works, as it does for cp.
_FOLDER = getattr(os, "O_PATH", os.O_RDONLY)
# Below this much input parallel work loses: forking costs a few ms, and one process
# cleans JPEG at roughly 1-2 GB/s (bench/strip.py).
_POOL_MIN_BYTES = 32_000_000


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    """Write metadata-free copies of FILE... into --out; return the exit status.

    The extension follows the clean format (a HEIC becomes .jpg). Exit status 1 if any
    file could not be cleaned, 2 for a usage error.
    """
    parser = _parser(prog)
    args = parser.parse_intermixed_args(argv)  # photos may come after --out too
    try:
        os.makedirs(args.out, exist_ok=True)
        folder = os.open(args.out, _FOLDER | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        hint = " (it must be a folder)" if isinstance(exc, FileExistsError | NotADirectoryError) \
            else ""
        parser.error(f"--out {args.out!r}: {exc.strerror or exc}{hint}")
    jobs = args.jobs
    if jobs is None:
        jobs = (os.cpu_count() or 1) if _input_bytes(args.files) >= _POOL_MIN_BYTES else 1
    failed = 0
    try:
        for result in _run(_jobs(args.files, args.out, folder, args.json), jobs):
            print(_json(result) if args.json else _line(result))
            failed += not result["ok"]
    finally:
        os.close(folder)
    return 1 if failed else 0


def run(argv: list[str] | None = None, prog: str | None = None) -> NoReturn:
    """Run ``main`` as the whole process, and end it without the interpreter's teardown.

    Unloading Pillow and the rest takes about 8 ms, a twentieth of a 200-photo run, and
    there is nothing left to tidy: every copy is written and closed, no exit handler of
    ours is pending, and standard output is flushed here.
    """
    try:
        status = main(argv, prog)
        sys.stdout.flush()
    except BrokenPipeError:  # ``strip … | head``: the reader has all it wanted
        status = 1
    os._exit(status)


def _parser(prog: str | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, description="Write metadata-free copies of FILE... into --out under their "
        "own names (the extension follows the clean format: a HEIC becomes .jpg). Exit "
        "status 1 if any file could not be cleaned.")
    parser.add_argument("files", nargs="+", type=_existing_file, metavar="FILE")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="Folder for the clean copies (created if missing).")
    parser.add_argument("--json", action="store_true", help="One JSON object per line.")
    parser.add_argument("--jobs", "-j", type=_positive, default=None,
                        help="Worker processes (default: one per CPU for a large batch).")
    return parser


def _existing_file(text: str) -> str:
    if not os.path.exists(text):
        raise argparse.ArgumentTypeError(f"{text!r} does not exist")
    if os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text!r} is a folder: give the photos in it")
    return text


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def _json(result: dict[str, Any]) -> str:
    import json  # only for --json: every import is start-up time

    return json.dumps(result, ensure_ascii=False)


def _input_bytes(files: list[str]) -> int:
    total = 0
    for path in files:
        with contextlib.suppress(OSError):  # reported when the file is read
            total += os.stat(path).st_size
        if total >= _POOL_MIN_BYTES:
            break
    return total


def _jobs(files: list[str], out_dir: str, folder: int, with_hash: bool) -> list[_Job]:
    """Name each output after its input; repeated names get -1, -2… so none overwrite.

    A number is skipped where an input already has that name (``a-1.jpg`` beside
    ``a.jpg`` and ``a.png``), so no copy lands on another's name, nor on an original.
    """
    stems = [os.path.splitext(os.path.basename(f))[0] for f in files]
    repeats, taken, numbers = Counter(stems), set(stems), Counter[str]()
    jobs = []
    for path, stem in zip(files, stems, strict=True):
        name = stem
        while repeats[stem] > 1 and name in taken:
            numbers[stem] += 1
            name = f"{stem}-{numbers[stem]}"
        taken.add(name)
        jobs.append((os.path.normpath(path), os.path.normpath(out_dir), folder, name, with_hash))
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
                marshal.dump(strip_one(job), log)  # plain dicts: no pickle needed
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
    with log, contextlib.suppress(EOFError, ValueError, TypeError):  # a report cut short
        log.seek(0)
        while len(reports) < len(share):
            reports.append(marshal.load(log))  # noqa: S302 - written by our own child
    return reports + [_failure(job[0], "internal_error", "The process cleaning this file "
                               "stopped before it was done; run strip on it again.")
                      for job in share[len(reports):]]


def strip_one(job: _Job) -> dict[str, Any]:
    """Clean one file and write its copy; return the report (never raises for bad input)."""
    source, out_dir, folder, stem, with_hash = job
    try:
        with open(source, "rb", buffering=0) as file:
            info = os.fstat(file.fileno())
            data = _read(file, info.st_size)
        clean = sanitize(data, in_place=True)
        name = f"{stem}.{clean.extension}"
        if not write_whole(folder, name, clean.data, keep=info):
            return _failure(source, "would_overwrite", "Refusing to overwrite the original.")
    except SanitizeError as exc:
        return {"file": source, "ok": False, **exc.as_dict()}
    except OSError as exc:
        return _failure(source, "io_error", f"Could not read or write: {exc.strerror or exc}")
    except Exception as exc:  # a bug on one file must not lose the others' clean copies
        return _failure(source, "internal_error", f"Unexpected error: {exc!r}")
    return {"file": source, "ok": True, "output": os.path.join(out_dir, name),
            **clean.summary(with_sha256=with_hash)}


def _read(file: Any, size: int) -> bytearray:
    """Read a whole file into a buffer of our own, which ``sanitize`` may then clean in.

    A file over the size limit (a video) is refused before a byte of it is read. The
    buffer is not zeroed first (``_scan.room``), so what was not read is cut off; a file
    that grew since ``fstat`` is read to its end; a pipe or a device (size 0 here) is
    read up to one byte past the limit, which ``sanitize`` then refuses.
    """
    if size:
        DEFAULT_LIMITS.check_bytes(size)
    buffer, got = _room(size), 0
    with memoryview(buffer) as view:
        while got < size:
            n = file.readinto(view[got:])
            if not n:
                break
            got += n
    del buffer[got:]
    # On to the end (it grew since, or it is a pipe), in small reads: read(n) allocates
    # n bytes before it reads any.
    while got <= DEFAULT_LIMITS.max_bytes:
        more = file.read(min(65536, DEFAULT_LIMITS.max_bytes + 1 - got))
        if not more:
            break
        buffer += more
        got += len(more)
    return buffer


def _failure(source: str, code: str, message: str) -> dict[str, Any]:
    return {"file": source, "ok": False, "error": code, "message": message, "detail": ""}


def _line(result: dict[str, Any]) -> str:
    if not result["ok"]:
        return f"FAIL {result['file']}: {result['message']} [{result['error']}]"
    removed = ", ".join(result["removed"]) or "nothing"
    return (f"ok   {result['file']} -> {os.path.basename(result['output'])}  {result['format']} "
            f"{result['width']}x{result['height']}  {result['bytes'] / 1e6:.2f} MB  "
            f"removed: {removed}")


if __name__ == "__main__":
    run()
