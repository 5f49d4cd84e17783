"""Write a file whole or not at all: as an unnamed file, named once it is complete.

The photo store and ``strip`` both write this way. A write cut short (a full disk, the
process killed) leaves nothing under any name: no half photo for a reader, and no
orphaned part of a child's photo that nobody will ever find to delete, as a named
temporary file would be. One instant remains: an unnamed file cannot be renamed over
an existing one, so a replacement is linked in under a dot-name first and then renamed
over it, and a kill between those two calls leaves that whole copy under its dot-name.
Where the file system has no unnamed files (``O_TMPFILE``: FAT, some network file
systems), a dot-named temporary file is written and renamed into place.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
from collections.abc import Callable
from typing import TypeVar

_T = TypeVar("_T")
# Unnamed files are named through /proc; both are Linux's.
_UNNAMED = hasattr(os, "O_TMPFILE") and os.path.isdir("/proc/self/fd")
_TEMP_NAMES = itertools.count()


def write_whole(folder: int, name: str, data: bytes, *, mode: int | None = None,
                durable: bool = False, keep: os.stat_result | None = None) -> bool:
    """Give ``folder`` (an open descriptor) ``data`` under ``name``, replacing what is there.

    ``mode`` sets the permissions exactly; without it they are 0o644 less the umask, as
    ``cp`` gives. ``durable`` flushes the file to disk before it is named (the photo
    store tells the phone it may delete its copy only after that; the folder is the
    caller's to flush). Returns False, having written nothing, where ``name`` is the
    file ``keep`` (the photo being cleaned, which a copy must never overwrite).
    """
    global _UNNAMED
    if _UNNAMED:
        try:
            fd = os.open(".", os.O_TMPFILE | os.O_WRONLY | os.O_CLOEXEC, 0o644, dir_fd=folder)
        except OSError as exc:
            if exc.errno not in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
                raise
            _UNNAMED = False
        else:
            try:
                _fill(fd, data, mode, durable)
                return _name(fd, folder, name, keep)
            finally:
                os.close(fd)
    if keep and _is_same_file(keep, folder, name):
        return False
    tmp, fd = _at_temporary_name(folder, lambda tmp: os.open(
        tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644, dir_fd=folder))
    try:
        _fill(fd, data, mode, durable)
    except BaseException:
        _unlink(folder, tmp)
        raise
    finally:
        os.close(fd)
    _rename(folder, tmp, name)
    return True


def _fill(fd: int, data: bytes, mode: int | None, durable: bool) -> None:
    view, written = memoryview(data), 0
    while written < len(view):
        written += os.write(fd, view[written:])
    if mode is not None:
        os.fchmod(fd, mode)
    if durable:
        os.fsync(fd)


def _name(fd: int, folder: int, name: str, keep: os.stat_result | None) -> bool:
    """Link the unnamed file in as ``name``; a file already there is replaced whole."""
    unnamed = f"/proc/self/fd/{fd}"
    try:
        os.link(unnamed, name, dst_dir_fd=folder)  # with a folder, linkat: follows /proc
        return True
    except FileExistsError:
        if keep and _is_same_file(keep, folder, name):
            return False
    tmp, _ = _at_temporary_name(folder, lambda tmp: os.link(unnamed, tmp, dst_dir_fd=folder))
    _rename(folder, tmp, name)
    return True


def _is_same_file(keep: os.stat_result, folder: int, name: str) -> bool:
    try:
        there = os.stat(name, dir_fd=folder)
    except FileNotFoundError:
        return False
    return (keep.st_dev, keep.st_ino) == (there.st_dev, there.st_ino)


def _at_temporary_name(folder: int, make: Callable[[str], _T]) -> tuple[str, _T]:
    """Make a file at a dot-name of our own in ``folder``, passing over names in use."""
    while True:
        tmp = f".part-{os.getpid()}-{next(_TEMP_NAMES)}"
        try:
            return tmp, make(tmp)
        except FileExistsError:
            continue


def _rename(folder: int, tmp: str, name: str) -> None:
    try:
        os.replace(tmp, name, src_dir_fd=folder, dst_dir_fd=folder)
    except BaseException:
        _unlink(folder, tmp)
        raise


def _unlink(folder: int, name: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(name, dir_fd=folder)
