"""What the web app and the worker both need, built once from the configuration."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from trip_companion import db
from trip_companion.media.storage import store_from_config
from trip_companion.publish import create_publisher
from trip_companion.publish.credentials import load_or_create_key
from trip_companion.stores import DbCredentialStore, DbFeedStore


class Runtime:
    """Engine, sessions, photo store, secret key and publishers for one configuration."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config
        self.engine: Engine = db.make_engine(config["DATABASE_URL"])
        self.sessions: sessionmaker[Session] = db.make_sessionmaker(self.engine)

    @cached_property
    def store(self):
        return store_from_config(self.config)

    @cached_property
    def publish_options(self) -> dict:
        """Per-network adapter options, e.g. {"x": {"base_url": ...}}; JSON in the env."""
        options = self.config.get("PUBLISH_OPTIONS") or {}
        return json.loads(options) if isinstance(options, str) else dict(options)

    @cached_property
    def credential_key(self) -> bytes:
        return load_or_create_key(Path(self.config["DATA_DIR"]))

    def credentials(self, school_id: int) -> DbCredentialStore:
        return DbCredentialStore(self.engine, school_id, self.credential_key)

    def feed_store(self, school_id: int) -> DbFeedStore:
        return DbFeedStore(self.engine, school_id, self.store)

    def publisher(self, school_id: int, network: str):
        """The adapter for one school's network; endpoints overridable for tests."""
        options = dict(self.publish_options.get(network, {}))
        if network == "feed":
            return create_publisher("feed", feed_store=self.feed_store(school_id), **options)
        return create_publisher(network, credentials=self.credentials(school_id), **options)

    def close(self) -> None:
        self.engine.dispose()
