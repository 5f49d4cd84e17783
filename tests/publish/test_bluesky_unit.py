"""Bluesky logic that needs no PDS: record keys, facets, and the session's edge cases.

The happy path runs against a real PDS in test_bluesky_pds.py; the dev PDS has rate
limits off and fresh tokens, so 429s and expired tokens are simulated here.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable

import httpx
import pytest
import regex
from hypothesis import given
from hypothesis import strategies as st

from tests.publish.helpers import outgoing
from trip_companion.publish import ConnectionBroken, OutgoingPost, PermanentFailure, RetryLater
from trip_companion.publish.bluesky import BlueskyPublisher, facets, record_key
from trip_companion.publish.credentials import FileCredentialStore

TID = regex.compile(r"[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}")


def jwt(exp: float) -> str:
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()
    return f"{part({'alg': 'ES256K'})}.{part({'exp': int(exp)})}.c2ln"


def session(exp: float, refresh: str = "refresh-1") -> dict[str, str]:
    return {"accessJwt": jwt(exp), "refreshJwt": refresh, "did": "did:plc:school",
            "handle": "school.test"}


def publisher(store: FileCredentialStore, handler: Callable[[httpx.Request], httpx.Response],
              ) -> BlueskyPublisher:
    return BlueskyPublisher(store, base_url="http://pds.invalid",
                            transport=httpx.MockTransport(handler))


@pytest.fixture
def connected(store: FileCredentialStore) -> FileCredentialStore:
    store.save("bluesky", {"identifier": "school.test", "app_password": "aaaa-bbbb-cccc-dddd"})
    return store


@given(st.text(min_size=1, max_size=80))
def test_record_key_is_a_tid_that_depends_only_on_the_post_key(key: str):
    assert TID.fullmatch(record_key(key))
    assert record_key(key) == record_key(key)
    assert record_key(key) != record_key(key + "x")


def test_facets_use_utf8_byte_offsets():
    text = "Rafts 🚣 today #Year5 see https://school.test/trip"
    found = facets(text)
    encoded = text.encode()
    spans = [encoded[f["index"]["byteStart"]:f["index"]["byteEnd"]].decode() for f in found]
    assert spans == ["#Year5", "https://school.test/trip"]
    assert found[0]["features"] == [{"$type": "app.bsky.richtext.facet#tag", "tag": "Year5"}]


def test_a_link_stops_before_the_punctuation_that_ends_its_sentence():
    text = ("Photos at https://school.test/trip. Or (https://school.test/a?b=1), "
            "“https://x.test/”! See https://en.wikipedia.org/wiki/Lindisfarne_(island).")
    encoded = text.encode()
    found = facets(text)
    spans = [encoded[f["index"]["byteStart"]:f["index"]["byteEnd"]].decode() for f in found]
    assert spans == ["https://school.test/trip", "https://school.test/a?b=1", "https://x.test/",
                     "https://en.wikipedia.org/wiki/Lindisfarne_(island)"]
    assert [f["features"][0]["uri"] for f in found] == spans


def test_expired_token_is_refreshed_and_the_call_repeated(connected: FileCredentialStore):
    connected.update("bluesky", lambda c: {**c, "session": session(time.time() + 3600)})
    fresh, calls = session(time.time() + 7200, "refresh-2"), []

    def pds(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path.rsplit(".", 1)[-1])
        if request.url.path.endswith("refreshSession"):
            return httpx.Response(200, json=fresh)
        if request.headers["Authorization"] == f"Bearer {fresh['accessJwt']}":
            return httpx.Response(200, json={"handle": "school.test"})
        return httpx.Response(400, json={"error": "ExpiredToken", "message": "Token expired"})

    with publisher(connected, pds) as bluesky:
        assert bluesky.health().state == "ok"
    assert calls == ["getSession", "refreshSession", "getSession"]
    assert connected.load("bluesky")["session"]["refreshJwt"] == "refresh-2"


def test_session_near_expiry_is_refreshed_before_use(connected: FileCredentialStore):
    connected.update("bluesky", lambda c: {**c, "session": session(time.time() + 5)})
    calls: list[str] = []

    def pds(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path.rsplit(".", 1)[-1])
        if request.url.path.endswith("refreshSession"):
            return httpx.Response(200, json=session(time.time() + 7200, "refresh-2"))
        return httpx.Response(200, json={"handle": "school.test"})

    with publisher(connected, pds) as bluesky:
        bluesky.health()
    assert calls == ["refreshSession", "getSession"]


def test_rate_limit_waits_until_ratelimit_reset(connected: FileCredentialStore):
    reset = int(time.time()) + 240

    def pds(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("createSession"):
            return httpx.Response(200, json=session(time.time() + 7200))
        return httpx.Response(429, json={"error": "RateLimitExceeded", "message": "Slow down"},
                              headers={"ratelimit-reset": str(reset), "ratelimit-remaining": "0"})

    with publisher(connected, pds) as bluesky, pytest.raises(RetryLater) as caught:
        bluesky.publish(outgoing())
    assert 237 <= caught.value.retry_after_seconds <= 240


def test_a_revoked_app_password_breaks_the_connection(connected: FileCredentialStore):
    def pds(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": "AuthenticationRequired",
                                         "message": "Invalid identifier or password"})

    with publisher(connected, pds) as bluesky, pytest.raises(ConnectionBroken,
                                                             match="App passwords"):
        bluesky.publish(outgoing())


@pytest.mark.parametrize("text", ["a" * 301, "👨‍👩‍👧‍👦" * 300 + "x"])
def test_text_over_300_graphemes_or_3000_bytes_is_refused(connected: FileCredentialStore,
                                                          text: str):
    def pds(request: httpx.Request) -> httpx.Response:
        raise AssertionError("nothing should be sent")

    with publisher(connected, pds) as bluesky, pytest.raises(PermanentFailure,
                                                             match="too long for Bluesky"):
        bluesky.publish(OutgoingPost(key="k", text=text))


def test_not_connected_is_a_broken_connection(store: FileCredentialStore):
    with publisher(store, lambda r: httpx.Response(500)) as bluesky:
        assert bluesky.health().state == "broken"
