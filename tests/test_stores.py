"""The database-backed credential and feed stores honour the adapters' contracts.

Credential updates are serialised across threads and processes (an X refresh token is
spent once), on SQLite and on PostgreSQL; credentials are sealed at rest.
"""

from __future__ import annotations

import multiprocessing
import threading

import pytest
from cryptography.fernet import Fernet

from trip_companion import db
from trip_companion.models import Connection, School
from trip_companion.publish.base import Image
from trip_companion.publish.credentials import CredentialsUnreadable
from trip_companion.publish.feed import FeedEntry
from trip_companion.runtime import Runtime
from trip_companion.stores import DbCredentialStore, DbFeedStore

KEY = Fernet.generate_key()


def bump(store: DbCredentialStore, times: int) -> None:
    for _ in range(times):
        store.update("x", lambda current: {"n": (current or {"n": 0})["n"] + 1,
                                           "refresh_token": "secret-refresh"})


def _process_bump(url: str, school_id: int, key: bytes, times: int) -> None:
    engine = db.make_engine(url)
    bump(DbCredentialStore(engine, school_id, key), times)
    engine.dispose()


def school_id(url: str) -> int:
    engine = db.make_engine(url)
    with db.make_sessionmaker(engine)() as s:
        school = School(name="S", slug="s")
        s.add(school)
        s.commit()
        found = school.id
    engine.dispose()
    return found


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'stores.sqlite3'}"
    else:
        url = request.getfixturevalue("pg_url")
    db.upgrade(url)
    return url


def test_updates_are_serialised_across_threads_and_processes(url):
    sid = school_id(url)
    engine = db.make_engine(url)
    store = DbCredentialStore(engine, sid, KEY)
    threads = [threading.Thread(target=bump, args=(store, 10)) for _ in range(3)]
    context = multiprocessing.get_context("spawn")
    procs = [context.Process(target=_process_bump, args=(url, sid, KEY, 10)) for _ in range(2)]
    for worker in (*threads, *procs):
        worker.start()
    for worker in (*threads, *procs):
        worker.join(120)
    assert all(p.exitcode == 0 for p in procs)
    assert store.load("x")["n"] == 50  # no update lost, none applied twice
    with engine.connect() as conn:
        sealed = conn.scalar(Connection.__table__.select().with_only_columns(
            Connection.sealed))
    assert b"secret-refresh" not in sealed  # sealed at rest
    engine.dispose()


def test_a_failing_update_writes_nothing(url):
    engine = db.make_engine(url)
    store = DbCredentialStore(engine, school_id(url), KEY)
    store.save("bluesky", {"identifier": "school.example"})

    def broken(current):
        raise RuntimeError("refresh failed")

    with pytest.raises(RuntimeError):
        store.update("bluesky", broken)
    assert store.load("bluesky") == {"identifier": "school.example"}
    engine.dispose()


def test_the_wrong_key_fails_clearly(tmp_path):
    url = f"sqlite:///{tmp_path / 'k.sqlite3'}"
    db.upgrade(url)
    engine = db.make_engine(url)
    sid = school_id(url)
    DbCredentialStore(engine, sid, KEY).save("x", {"access_token": "t"})
    with pytest.raises(CredentialsUnreadable, match="reconnect"):
        DbCredentialStore(engine, sid, Fernet.generate_key()).load("x")
    engine.dispose()


def test_feed_store_is_idempotent_per_key(tmp_path):
    from datetime import UTC, datetime

    url = f"sqlite:///{tmp_path / 'f.sqlite3'}"
    db.upgrade(url)
    runtime = Runtime({"DATABASE_URL": url, "DATA_DIR": str(tmp_path), "STORAGE": "local"})
    store = DbFeedStore(runtime.engine, school_id(url), runtime.store)
    entry = FeedEntry("tc1p1", "Hello", (Image(b"\xff\xd8jpeg", "alt", 1, 1),),
                      datetime(2026, 11, 23, 9, tzinfo=UTC))
    first = store.add(entry)
    again = store.add(FeedEntry("tc1p1", "Changed", (), entry.published_at))
    assert first.text == again.text == "Hello" and again.images[0].alt == "alt"
    store.remove("tc1p1")
    store.remove("tc1p1")  # removing twice is fine
    assert store.get("tc1p1") is None
    assert not runtime.store.exists("feed/1/tc1p1/0.jpg")
    runtime.close()
