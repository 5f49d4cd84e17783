"""Bluesky (AT Protocol) publisher over plain XRPC calls.

Retry safety comes from the record key: we derive it from ``post.key`` and write
with ``putRecord``, so a repeated publish lands on the same record instead of
creating a second post. A threadgate with ``allow: []`` and a postgate with the
``disableRule`` go under the same key first, so neither replies (R7) nor quote posts,
which would carry the pupils' photos onto strangers' threads, are open even for a moment.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx

from trip_companion.policy.text import trim_url
from trip_companion.publish.base import Health, Image, Limits, OutgoingPost, Published
from trip_companion.publish.bluesky_session import (
    NAME,
    BlueskySession,
    error_detail,
    token_expired,
)
from trip_companion.publish.credentials import CredentialStore
from trip_companion.publish.errors import PermanentFailure
from trip_companion.publish.http import (
    HttpPublisher,
    check,
    json_or_empty,
    make_client,
    reports_health,
    send,
)
from trip_companion.publish.text import HASHTAG, URL, check_post, utf8_length

POST = "app.bsky.feed.post"
THREADGATE = "app.bsky.feed.threadgate"
POSTGATE = "app.bsky.feed.postgate"
DEFAULT_BASE_URL = "https://bsky.social"
# The lexicon allows 2,000,000 bytes now, but older PDS and AppView versions enforce
# 1,000,000: render to that and every server accepts it.
LIMITS = Limits(max_images=4, max_image_bytes=1_000_000, max_chars=300, max_side=2000,
                max_alt_chars=2000)
MAX_TEXT_BYTES = 3000
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


def record_key(post_key: str) -> str:
    """A TID-shaped record key that depends on ``post_key`` alone (13 chars, top bit 0)."""
    digest = hashlib.sha256(f"trip-companion:{post_key}".encode()).digest()
    number = int.from_bytes(digest[:8], "big") & ((1 << 63) - 1)
    return "".join(_TID_ALPHABET[(number >> (5 * i)) & 31] for i in reversed(range(13)))


def facets(text: str) -> list[dict[str, Any]]:
    """Rich-text facets (UTF-8 byte ranges) that make links and hashtags work.

    A link stops before the punctuation that ends its sentence ("…/trip." links to
    ".../trip"), as the policy check reads it.
    """
    links = [trim_url(text, m.span()) for m in URL.finditer(text)]
    found = [(start, end, {"$type": "app.bsky.richtext.facet#link", "uri": text[start:end]})
             for start, end in links if end > start]
    found += [(m.start(), m.end(), {"$type": "app.bsky.richtext.facet#tag", "tag": m.group(1)})
              for m in HASHTAG.finditer(text)]
    return [{"index": {"byteStart": utf8_length(text[:start]),
                       "byteEnd": utf8_length(text[:end])}, "features": [feature]}
            for start, end, feature in sorted(found, key=lambda found: found[0])]


class BlueskyPublisher(HttpPublisher):
    """Publishes as the school's Bluesky account with a persisted app-password session."""

    network: ClassVar[str] = "bluesky"
    can_disable_replies: ClassVar[bool] = True
    replies_note: ClassVar[str] = ("Replies and quote posts are switched off for every "
                                   "Bluesky post.")

    def __init__(self, credentials: CredentialStore, *, base_url: str | None = None,
                 timeout: httpx.Timeout | float | None = None,
                 transport: httpx.BaseTransport | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        stored = credentials.load(self.network) or {}
        self._client = make_client(base_url or stored.get("base_url", DEFAULT_BASE_URL),
                                   timeout, transport)
        self.session = BlueskySession(credentials, self._client, clock)

    def publish(self, post: OutgoingPost) -> Published:
        """Write the gates, then the post, all under the key derived from post.key."""
        check_post(post, LIMITS, NAME, "bluesky")
        if utf8_length(post.text) > MAX_TEXT_BYTES:
            raise PermanentFailure("The text is too long for Bluesky; shorten it.")
        did, rkey = self.session.current()["did"], record_key(post.key)
        created, uri = _timestamp(post.created_at), f"at://{did}/{POST}/{rkey}"
        self._put(did, THREADGATE, rkey, {"$type": THREADGATE, "createdAt": created,
                                          "post": uri, "allow": []})
        self._put(did, POSTGATE, rkey, {"$type": POSTGATE, "createdAt": created, "post": uri,
                                        "embeddingRules": [{"$type": f"{POSTGATE}#disableRule"}]})
        written = self._get(did, POST, rkey) or self._put(
            did, POST, rkey, self._post_record(post, created))
        return Published(self.network, written["uri"],
                         f"https://bsky.app/profile/{did}/post/{rkey}",
                         {"did": did, "rkey": rkey, "cid": written["cid"]})

    def delete(self, remote: Published) -> None:
        """Delete the post and its gates; every call succeeds if already gone."""
        did, rkey = remote.extra["did"], remote.extra["rkey"]
        for collection in (POST, THREADGATE, POSTGATE):
            self._xrpc("POST", "com.atproto.repo.deleteRecord",
                       json={"repo": did, "collection": collection, "rkey": rkey})

    @reports_health
    def health(self) -> Health:
        """Ask the PDS who we are with the stored session."""
        handle = self._xrpc("GET", "com.atproto.server.getSession").get("handle")
        return Health("ok", f"Connected to Bluesky as @{handle}.")

    def limits(self) -> Limits:
        """Bluesky's fixed limits (graphemes for text)."""
        return LIMITS

    def _post_record(self, post: OutgoingPost, created: str) -> dict[str, Any]:
        record: dict[str, Any] = {"$type": POST, "text": post.text, "createdAt": created,
                                  "langs": [post.language]}
        if found := facets(post.text):
            record["facets"] = found
        if post.images:
            record["embed"] = {"$type": "app.bsky.embed.images",
                               "images": [self._embed(image) for image in post.images]}
        return record

    def _embed(self, image: Image) -> dict[str, Any]:
        blob = self._xrpc("POST", "com.atproto.repo.uploadBlob", content=image.data,
                          headers={"Content-Type": "image/jpeg"})["blob"]
        return {"image": blob, "alt": image.alt,
                "aspectRatio": {"width": image.width, "height": image.height}}

    def _put(self, did: str, collection: str, rkey: str,
             record: dict[str, Any]) -> dict[str, Any]:
        return self._xrpc("POST", "com.atproto.repo.putRecord", json={
            "repo": did, "collection": collection, "rkey": rkey, "record": record})

    def _get(self, did: str, collection: str, rkey: str) -> dict[str, Any] | None:
        params = {"repo": did, "collection": collection, "rkey": rkey}
        response = self._send("GET", "com.atproto.repo.getRecord", params=params)
        if response.status_code == 400 and json_or_empty(response).get(
                "error") == "RecordNotFound":
            return None
        return check(response, name=NAME, detail=error_detail).json()

    def _xrpc(self, method: str, nsid: str, **kwargs: Any) -> dict[str, Any]:
        response = self._send(method, nsid, **kwargs)
        return check(response, name=NAME, detail=error_detail).json()

    def _send(self, method: str, nsid: str, **kwargs: Any) -> httpx.Response:
        """Call with the session's token; on ExpiredToken renew once and call again."""
        session = self.session.current()
        response = self._call(method, nsid, session, kwargs)
        if token_expired(response):
            response = self._call(method, nsid, self.session.renew(session["accessJwt"]),
                                  kwargs)
        return response

    def _call(self, method: str, nsid: str, session: dict[str, str],
              kwargs: dict[str, Any]) -> httpx.Response:
        headers = {**kwargs.get("headers", {}), "Authorization": f"Bearer {session['accessJwt']}"}
        return send(self._client, method, f"/xrpc/{nsid}", name=NAME,
                    **{**kwargs, "headers": headers})


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
