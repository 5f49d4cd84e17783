"""Credentials at rest: the key file, sealing, and updates serialised across processes."""

from __future__ import annotations

import multiprocessing
import stat
import threading
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from trip_companion.publish.credentials import (
    KEY_FILE_ENV,
    CredentialsUnreadable,
    FileCredentialStore,
    load_or_create_key,
    seal,
    unseal,
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_key_file_is_created_once_with_mode_0600(tmp_path: Path):
    key = load_or_create_key(tmp_path, environ={})
    assert mode(tmp_path / "secret.key") == 0o600
    assert load_or_create_key(tmp_path, environ={}) == key
    Fernet(key)  # a usable key


def test_key_file_named_in_the_environment_wins(tmp_path: Path):
    named = tmp_path / "elsewhere.key"
    named.write_bytes(Fernet.generate_key() + b"\n")
    key = load_or_create_key(tmp_path / "data", environ={KEY_FILE_ENV: str(named)})
    assert key == named.read_bytes().strip()
    assert not (tmp_path / "data" / "secret.key").exists()


def test_a_garbled_key_file_fails_clearly(tmp_path: Path):
    (tmp_path / "secret.key").write_text("not a key")
    with pytest.raises(CredentialsUnreadable, match="does not hold a valid secret key"):
        load_or_create_key(tmp_path, environ={})


def test_seal_round_trips_and_hides_the_secret(secret_key: bytes):
    sealed = seal({"app_password": "abcd-efgh-ijkl-mnop"}, secret_key)
    assert b"abcd-efgh" not in sealed
    assert unseal(sealed, secret_key) == {"app_password": "abcd-efgh-ijkl-mnop"}


def test_the_wrong_key_fails_clearly(secret_key: bytes):
    sealed = seal({"token": "t"}, secret_key)
    with pytest.raises(CredentialsUnreadable, match="cannot be decrypted"):
        unseal(sealed, Fernet.generate_key())


def test_store_files_are_encrypted_and_private(store: FileCredentialStore):
    store.save("mastodon", {"token": "secret-token-value"})
    path = store.directory / "mastodon.cred"
    assert b"secret-token-value" not in path.read_bytes()
    assert mode(path) == 0o600 and mode(store.directory) == 0o700
    assert store.load("mastodon") == {"token": "secret-token-value"}
    assert store.load("x") is None


def test_update_that_raises_writes_nothing(store: FileCredentialStore):
    store.save("x", {"n": 1})

    def fail(current: dict | None) -> dict:
        raise RuntimeError("refresh failed")

    with pytest.raises(RuntimeError):
        store.update("x", fail)
    assert store.load("x") == {"n": 1}


def test_network_names_cannot_escape_the_directory(store: FileCredentialStore):
    with pytest.raises(ValueError, match="invalid network name"):
        store.save("../etc", {})


def slow_add_one(current: dict | None) -> dict:
    value = (current or {"n": 0})["n"]
    time.sleep(0.01)  # widen the read-modify-write window
    return {"n": value + 1}


def add_one(directory: str, key: bytes, rounds: int) -> None:
    """Increment a counter ``rounds`` times; lost updates would show in the total."""
    store = FileCredentialStore(Path(directory), key)
    for _ in range(rounds):
        store.update("counter", slow_add_one)


def test_update_serialises_threads(store: FileCredentialStore):
    threads = [threading.Thread(target=lambda: [store.update("counter", slow_add_one)
                                                for _ in range(5)]) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.load("counter") == {"n": 20}


def test_update_serialises_processes(store: FileCredentialStore, secret_key: bytes):
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=add_one, args=(str(store.directory), secret_key, 25))
                 for _ in range(3)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    assert store.load("counter") == {"n": 75}
