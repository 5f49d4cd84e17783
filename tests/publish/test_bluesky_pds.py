"""BlueskyPublisher against a real PDS (@atproto/dev-env) on 127.0.0.1.

Skips when tests/publish/bluesky/setup.sh has not been run, except in CI or with
TRIP_COMPANION_REQUIRE_PDS=1, where it fails (see tests/publish/pds.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.publish import pds
from tests.publish.helpers import photos
from trip_companion.publish import ConnectionBroken, OutgoingPost, RetryLater
from trip_companion.publish.bluesky import (
    POST,
    POSTGATE,
    THREADGATE,
    BlueskyPublisher,
    record_key,
)
from trip_companion.publish.credentials import FileCredentialStore

pytestmark = pytest.mark.pds


class Recorder(httpx.BaseTransport):
    """Real HTTP that notes each XRPC method, and can lose chosen answers."""

    def __init__(self, lose: Callable[[httpx.Request], bool] = lambda r: False) -> None:
        self.inner = httpx.HTTPTransport()
        self.lose = lose
        self.methods: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.methods.append(request.url.path.removeprefix("/xrpc/"))
        response = self.inner.handle_request(request)
        if self.lose(request):  # the PDS acted, but the answer never reached us
            response.read()
            response.close()
            raise httpx.ReadTimeout("answer lost", request=request)
        return response

    def close(self) -> None:
        self.inner.close()


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    if reason := pds.missing():
        pds.skip_or_fail(reason)
    with pds.running_network(tmp_path_factory.mktemp("pds")) as creds:
        yield creds


@pytest.fixture
def bluesky_store(store: FileCredentialStore, network: dict[str, Any]) -> FileCredentialStore:
    store.save("bluesky", {"base_url": network["pds_url"], "identifier": network["handle"],
                           "app_password": network["app_password"]})
    return store


def get_record(network: dict[str, Any], collection: str, rkey: str) -> httpx.Response:
    return httpx.get(f"{network['pds_url']}/xrpc/com.atproto.repo.getRecord", params={
        "repo": network["did"], "collection": collection, "rkey": rkey})


def post(key: str, count: int = 4) -> OutgoingPost:
    return OutgoingPost(key=key, text=f"Year 6 at the outdoor centre #Residential ({key})",
                        images=photos(count), created_at=datetime.now(UTC))


def test_post_with_four_photos_alt_text_no_replies_and_no_quotes(bluesky_store: FileCredentialStore,
                                                       network: dict[str, Any]):
    with BlueskyPublisher(bluesky_store) as bluesky:
        published = bluesky.publish(post("pds-four"))
    rkey = record_key("pds-four")
    assert published.remote_id == f"at://{network['did']}/{POST}/{rkey}"
    record = get_record(network, POST, rkey).raise_for_status().json()["value"]
    images = record["embed"]["images"]
    assert [i["alt"] for i in images] == [p.alt for p in photos(4)]
    assert [(i["aspectRatio"]["width"], i["aspectRatio"]["height"]) for i in images] == [
        (p.width, p.height) for p in photos(4)]
    assert record["facets"][0]["features"][0]["tag"] == "Residential"
    gate = get_record(network, THREADGATE, rkey).raise_for_status().json()["value"]
    assert gate["allow"] == [] and gate["post"] == published.remote_id
    quotes = get_record(network, POSTGATE, rkey).raise_for_status().json()["value"]
    assert quotes["embeddingRules"] == [{"$type": f"{POSTGATE}#disableRule"}]
    assert quotes["post"] == published.remote_id


def test_a_retry_after_a_lost_answer_creates_one_record(bluesky_store: FileCredentialStore,
                                                        network: dict[str, Any]):
    def is_post_write(request: httpx.Request) -> bool:
        return (request.url.path.endswith("putRecord")
                and json.loads(request.content)["collection"] == POST)

    with BlueskyPublisher(bluesky_store, transport=Recorder(lose=is_post_write)) as bluesky, \
            pytest.raises(RetryLater):
        bluesky.publish(post("pds-retry"))
    with BlueskyPublisher(bluesky_store) as bluesky:
        first = bluesky.publish(post("pds-retry"))
        again = bluesky.publish(post("pds-retry"))
    assert first == again
    listed = httpx.get(f"{network['pds_url']}/xrpc/com.atproto.repo.listRecords", params={
        "repo": network["did"], "collection": POST, "limit": 100}).json()["records"]
    assert [r["uri"] for r in listed].count(first.remote_id) == 1
    assert sum("pds-retry" in r["value"]["text"] for r in listed) == 1


def test_delete_removes_the_post_and_its_gates(bluesky_store: FileCredentialStore,
                                               network: dict[str, Any]):
    with BlueskyPublisher(bluesky_store) as bluesky:
        published = bluesky.publish(post("pds-delete", count=1))
        bluesky.delete(published)
        bluesky.delete(published)  # already gone: still fine
    for collection in (POST, THREADGATE, POSTGATE):
        response = get_record(network, collection, record_key("pds-delete"))
        assert response.json()["error"] == "RecordNotFound"


def test_the_session_is_persisted_and_reused(bluesky_store: FileCredentialStore):
    recorder = Recorder()
    with BlueskyPublisher(bluesky_store, transport=recorder) as bluesky:
        for n in range(3):
            bluesky.publish(post(f"pds-session-{n}", count=1))
    stored = bluesky_store.load("bluesky")["session"]
    restarted = Recorder()  # a new worker process: same store, new client
    with BlueskyPublisher(bluesky_store, transport=restarted) as bluesky:
        bluesky.publish(post("pds-session-3", count=1))
        assert bluesky.health().state == "ok"
    assert recorder.methods.count("com.atproto.server.createSession") == 1
    assert "com.atproto.server.createSession" not in restarted.methods
    assert bluesky_store.load("bluesky")["session"] == stored


def test_a_wrong_app_password_breaks_the_connection(store: FileCredentialStore,
                                                    network: dict[str, Any], tmp_path: Path):
    store.save("bluesky", {"base_url": network["pds_url"], "identifier": network["handle"],
                           "app_password": "xxxx-xxxx-xxxx-xxxx"})
    with BlueskyPublisher(store) as bluesky, pytest.raises(ConnectionBroken):
        bluesky.publish(post("pds-wrong-password", count=1))
