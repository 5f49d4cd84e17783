"""Fixtures for the publisher tests: an encrypted credential store, photos, fakes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests.publish.fakes.facebook_api import PAGE_ID, TOKEN, FakeFacebook
from tests.publish.fakes.mastodon_api import FakeMastodon
from tests.publish.fakes.x_api import FakeX
from trip_companion.publish.credentials import FileCredentialStore


@pytest.fixture
def secret_key() -> bytes:
    return Fernet.generate_key()


@pytest.fixture
def store(tmp_path: Path, secret_key: bytes) -> FileCredentialStore:
    return FileCredentialStore(tmp_path / "credentials", secret_key)


@pytest.fixture
def x_store(store: FileCredentialStore, fake_x: FakeX) -> FileCredentialStore:
    """X connected: a valid token pair (the user id is learnt on first use)."""
    tokens = fake_x.issue_tokens()
    store.save("x", {"client_id": fake_x.client_id, "access_token": tokens["access_token"],
                     "refresh_token": tokens["refresh_token"],
                     "expires_at": datetime.now(UTC).timestamp() + 7200})
    return store


@pytest.fixture
def fake_mastodon() -> Iterator[FakeMastodon]:
    with FakeMastodon() as fake:
        yield fake


@pytest.fixture
def mastodon_store(store: FileCredentialStore, fake_mastodon: FakeMastodon,
                   ) -> FileCredentialStore:
    store.save("mastodon", {"base_url": fake_mastodon.url, "token": fake_mastodon.token})
    return store


@pytest.fixture
def fake_facebook() -> Iterator[FakeFacebook]:
    with FakeFacebook() as fake:
        yield fake


@pytest.fixture
def facebook_store(store: FileCredentialStore) -> FileCredentialStore:
    store.save("facebook", {"page_id": PAGE_ID, "page_token": TOKEN})
    return store

