"""X's single-use refresh tokens under concurrent workers: threads and processes.

Every worker starts with an expired access token at the same moment (a barrier),
and the fake's token endpoint is slowed so the refreshes would overlap if they
were not serialised. Each refresh token must be spent exactly once and every
worker must still publish.
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.publish.fakes.x_api import FakeX
from tests.publish.workers import publish_to_x
from trip_companion.publish import ConnectionBroken
from trip_companion.publish.credentials import FileCredentialStore
from trip_companion.publish.x_oauth import refresh_tokens

WORKERS = 4


@pytest.fixture
def expired(x_store: FileCredentialStore, fake_x: FakeX) -> FileCredentialStore:
    """The stored access token has expired; the token endpoint answers slowly."""
    x_store.save("x", {**x_store.load("x"), "expires_at": time.time() - 1})
    fake_x.slow("token", 0.3, after=False, times=WORKERS)
    return x_store


def assert_one_refresh(fake_x: FakeX, store: FileCredentialStore, outcomes: list) -> None:
    assert [status for status, _ in outcomes] == ["ok"] * len(outcomes), outcomes
    assert len(fake_x.refresh_tokens_used) == 1
    assert len(set(fake_x.refresh_tokens_used)) == len(fake_x.refresh_tokens_used)
    assert store.load("x")["refresh_token"] in fake_x.live_refresh_tokens
    assert len(fake_x.posts) == len(outcomes)


def test_threads_refresh_once_and_all_publish(expired: FileCredentialStore, fake_x: FakeX,
                                              secret_key: bytes):
    barrier, results = threading.Barrier(WORKERS), queue.Queue()
    threads = [threading.Thread(target=publish_to_x, args=(
        str(expired.directory), secret_key, fake_x.url, f"Thread worker {n} post",
        barrier, results)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert_one_refresh(fake_x, expired, [results.get_nowait() for _ in threads])


def test_processes_refresh_once_and_all_publish(expired: FileCredentialStore, fake_x: FakeX,
                                                secret_key: bytes):
    context = multiprocessing.get_context("spawn")  # no fork of a threaded test process
    barrier, results = context.Barrier(2), context.Queue()
    processes = [context.Process(target=publish_to_x, args=(
        str(expired.directory), secret_key, fake_x.url, f"Process worker {n} post",
        barrier, results)) for n in range(2)]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0
    assert_one_refresh(fake_x, expired, outcomes)


def test_the_fake_really_refuses_a_spent_refresh_token(x_store: FileCredentialStore,
                                                      fake_x: FakeX, tmp_path: Path):
    """The control: without the lock, the second refresh with the same token fails."""
    credentials = x_store.load("x")
    with httpx.Client(base_url=fake_x.url) as client:
        refresh_tokens(client, credentials)
        with pytest.raises(ConnectionBroken):
            refresh_tokens(client, credentials)
