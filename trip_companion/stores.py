"""Database-backed stores the publishing adapters write through.

* ``DbCredentialStore``: each network's credentials for one school, sealed with the
  server's key (never rendered back, never sent to a phone), updated under a lock that
  holds across threads and processes: ``BEGIN IMMEDIATE`` on SQLite, ``SELECT … FOR
  UPDATE`` on PostgreSQL. An X refresh token is therefore used once, and the new one is
  committed before it is used.
* ``DbFeedStore``: the school's own feed (R18), images kept as clean derivatives.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from PIL import Image as PILImage
from sqlalchemy import Connection as SAConnection
from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from trip_companion.models import Connection, FeedEntry, School, utcnow
from trip_companion.publish.base import Image
from trip_companion.publish.credentials import Credentials, seal, unseal
from trip_companion.publish.feed import FeedEntry as Entry


class DbCredentialStore:
    """The CredentialStore contract of ``trip_companion.publish.credentials``, in the database."""

    def __init__(self, engine: Engine, school_id: int, key: bytes) -> None:
        self.engine, self.school_id, self.key = engine, school_id, key

    def load(self, network: str) -> Credentials | None:
        with self.engine.connect() as conn:
            sealed = conn.scalar(self._row(network))
        return unseal(sealed, self.key) if sealed else None

    def save(self, network: str, data: Credentials) -> None:
        self.update(network, lambda _current: data)

    def update(self, network: str,
               fn: Callable[[Credentials | None], Credentials]) -> Credentials:
        with self._locked() as conn:
            sealed = conn.scalar(self._row(network))
            current = unseal(sealed, self.key) if sealed else None
            result = fn(current)
            if result is not current:
                self._write(conn, network, result, exists=sealed is not None)
            return result

    def _row(self, network: str):
        return select(Connection.sealed).where(Connection.school_id == self.school_id,
                                               Connection.network == network)

    def _write(self, conn: SAConnection, network: str, data: Credentials,
               exists: bool) -> None:
        values = {"sealed": seal(data, self.key)}
        if exists:
            conn.execute(update(Connection).where(Connection.school_id == self.school_id,
                                                  Connection.network == network)
                         .values(**values))
        else:
            conn.execute(insert(Connection).values(school_id=self.school_id, network=network,
                                                   status="ok", message="",
                                                   connected_at=utcnow(), **values))

    @contextmanager
    def _locked(self) -> Iterator[SAConnection]:
        if self.engine.dialect.name == "sqlite":
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    conn.exec_driver_sql("ROLLBACK")
                    raise
                conn.exec_driver_sql("COMMIT")
        else:
            with self.engine.begin() as conn:
                conn.execute(select(School.id).where(School.id == self.school_id)
                             .with_for_update())
                yield conn


class DbFeedStore:
    """The FeedStore contract: one row per post key, images in the photo store."""

    def __init__(self, engine: Engine, school_id: int, store) -> None:
        self.engine, self.school_id, self.store = engine, school_id, store

    def add(self, entry: Entry) -> Entry:
        found = self.get(entry.key)
        if found is not None:
            return found
        images = []
        for i, image in enumerate(entry.images):
            key = f"feed/{self.school_id}/{entry.key}/{i}.jpg"
            self.store.put(key, image.data, "image/jpeg")
            images.append({"key": key, "alt": image.alt, "w": image.width, "h": image.height})
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(FeedEntry).values(
                    school_id=self.school_id, key=entry.key, text=entry.text,
                    images=json.dumps(images), published_at=entry.published_at))
        except IntegrityError:
            pass  # a concurrent retry stored it first: same key, same content
        return self.get(entry.key)

    def get(self, key: str) -> Entry | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(FeedEntry).where(FeedEntry.school_id == self.school_id,
                                                       FeedEntry.key == key)).first()
        if row is None:
            return None
        images = tuple(Image(self.store.get(i["key"]), i["alt"], i["w"], i["h"])
                       for i in json.loads(row.images))
        return Entry(row.key, row.text, images, row.published_at)

    def remove(self, key: str) -> None:
        with self.engine.begin() as conn:
            row = conn.execute(select(FeedEntry.images).where(
                FeedEntry.school_id == self.school_id, FeedEntry.key == key)).first()
            conn.execute(delete(FeedEntry).where(FeedEntry.school_id == self.school_id,
                                                 FeedEntry.key == key))
        for image in json.loads(row.images) if row else []:
            self.store.delete(image["key"])


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height from the header alone."""
    with PILImage.open(io.BytesIO(data)) as image:
        return image.size

