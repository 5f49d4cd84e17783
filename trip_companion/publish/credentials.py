"""The school's social-account credentials, encrypted at rest and updated under a lock.

Credentials never leave the server (R12). Some of them rotate: an X refresh token
works once, a Bluesky session is renewed every two hours. Several worker processes
may need a fresh token at the same moment, so every rotation goes through
``CredentialStore.update``, which serialises them across processes.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from cryptography.fernet import Fernet, InvalidToken

KEY_FILE_ENV = "TRIP_COMPANION_SECRET_KEY_FILE"
KEY_FILE_NAME = "secret.key"
_NETWORK_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")

Credentials = dict[str, Any]


class CredentialsUnreadable(ValueError):
    """The key cannot open the stored credentials, or the key itself is unusable."""


class CredentialStore(Protocol):
    """Where each network's credentials live, as one JSON-able dict per network.

    Locking contract (what a DB-backed store must also honour):

    * ``update(network, fn)`` takes an exclusive lock on ``network`` that excludes
      every other ``update`` and ``save`` of the same network in every thread and
      process (e.g. ``SELECT … FOR UPDATE`` in one transaction on PostgreSQL,
      ``BEGIN IMMEDIATE`` on SQLite). Inside the lock it re-reads the stored value,
      calls ``fn(current)`` once (``current`` is None when nothing is stored),
      durably stores the dict ``fn`` returns (committed), then releases the lock and
      returns that dict. ``fn`` may do network I/O (a token refresh) for up to the
      adapter's timeout, so the lock must tolerate being held for ~30 s.
    * If ``fn`` raises, nothing is written and the exception propagates unchanged.
    * If ``fn`` returns ``current`` itself (``is``), writing may be skipped.
    * ``load`` takes no lock and may return a value that is about to be replaced;
      adapters therefore compare against the re-read value inside ``update``.
    """

    def load(self, network: str) -> Credentials | None:
        """Return the stored credentials, or None if the network is not connected."""
        ...

    def save(self, network: str, data: Credentials) -> None:
        """Replace the credentials (connect or reconnect), under the same lock."""
        ...

    def update(self, network: str,
               fn: Callable[[Credentials | None], Credentials]) -> Credentials:
        """Run ``fn`` on the current value under the lock; persist and return its result."""
        ...


def load_or_create_key(data_dir: Path, environ: Mapping[str, str] | None = None) -> bytes:
    """Return the Fernet key: from the file named in the environment, or ``data_dir``.

    On first run the key is created in ``data_dir/secret.key`` with mode 0600; racing
    processes all end up with the one key that won (written aside, then hard-linked).
    """
    environ = os.environ if environ is None else environ
    if named := environ.get(KEY_FILE_ENV):
        return _checked_key(Path(named).read_bytes().strip(), named)
    path = Path(data_dir) / KEY_FILE_NAME
    if not path.exists():
        _create_key_file(path)
    return _checked_key(path.read_bytes().strip(), str(path))


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(Fernet.generate_key())
            out.flush()
            os.fsync(out.fileno())
        os.link(tmp, path)  # fails if another process got there first: use theirs
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)


def _checked_key(key: bytes, where: str) -> bytes:
    try:
        Fernet(key)
    except ValueError as exc:
        msg = f"{where} does not hold a valid secret key (32 url-safe base64 bytes)"
        raise CredentialsUnreadable(msg) from exc
    return key


def seal(data: Credentials, key: bytes) -> bytes:
    """Encrypt and authenticate a credentials dict."""
    return Fernet(key).encrypt(json.dumps(data, sort_keys=True).encode())


def unseal(token: bytes, key: bytes) -> Credentials:
    """Decrypt what ``seal`` produced; a wrong key or tampering fails loudly."""
    try:
        return json.loads(Fernet(key).decrypt(token))
    except InvalidToken as exc:
        msg = ("The stored social-media credentials cannot be decrypted with this "
               "server's secret key. Was the key file replaced? Restore it, or ask the "
               "headteacher to reconnect the accounts.")
        raise CredentialsUnreadable(msg) from exc


class FileCredentialStore:
    """A CredentialStore in a directory: one encrypted 0600 file per network.

    ``flock`` on a per-network lock file excludes other processes and, because every
    call opens the lock file anew, other threads of this process too.
    """

    def __init__(self, directory: Path, key: bytes) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._key = _checked_key(key, "the key given")

    def load(self, network: str) -> Credentials | None:
        """Return the stored credentials, or None."""
        try:
            return unseal(self._path(network, ".cred").read_bytes(), self._key)
        except FileNotFoundError:
            return None

    def save(self, network: str, data: Credentials) -> None:
        """Replace the credentials under the lock."""
        with self._locked(network):
            self._write(network, data)

    def update(self, network: str,
               fn: Callable[[Credentials | None], Credentials]) -> Credentials:
        """Re-read, apply ``fn`` and persist, all under the lock."""
        with self._locked(network):
            current = self.load(network)
            result = fn(current)
            if result is not current:
                self._write(network, result)
            return result

    def _path(self, network: str, suffix: str) -> Path:
        if not _NETWORK_NAME.fullmatch(network):
            msg = f"invalid network name {network!r}"
            raise ValueError(msg)
        return self.directory / f"{network}{suffix}"

    @contextmanager
    def _locked(self, network: str) -> Iterator[None]:
        fd = os.open(self._path(network, ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the flock

    def _write(self, network: str, data: Credentials) -> None:
        final = self._path(network, ".cred")
        tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(seal(data, self._key))
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, final)
        dir_fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
