"""Mastodon publisher: bearer token, media with descriptions, Idempotency-Key.

The status call carries ``Idempotency-Key: post.key``; Mastodon remembers it for
an hour and answers a repeat with the status it already created. A retry may come
later than that (the first answer lost, then the server down for an hour), so on any
attempt after the first we read the account's recent statuses and match ours (text,
photo descriptions, time) before posting again. Media uploads have no such key, but
an unattached upload is harmless and expires by itself.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import datetime
from html.parser import HTMLParser
from typing import Any, ClassVar

import httpx

from trip_companion.publish.base import Health, Image, Limits, OutgoingPost, Published
from trip_companion.publish.credentials import CredentialStore
from trip_companion.publish.errors import (
    ConnectionBroken,
    PublishError,
    RetryLater,
)
from trip_companion.publish.http import (
    LOOKBACK,
    HttpPublisher,
    broken_message,
    check,
    json_or_empty,
    make_client,
    reports_health,
    send,
)
from trip_companion.publish.text import check_post, words

NAME = "Mastodon"
# Used until /api/v2/instance answers: the defaults of older servers, the stricter.
FALLBACK_LIMITS = Limits(max_images=4, max_image_bytes=10 * 1024 * 1024, max_chars=500,
                         max_side=3840, max_alt_chars=1500)
PROCESSING_WAIT_SECONDS = 60.0
_PROCESSING = (202, 206)


def error_detail(response: httpx.Response) -> str:
    """Mastodon's error body is ``{"error": "…"}``."""
    return str(json_or_empty(response).get("error") or f"HTTP {response.status_code}")


class MastodonPublisher(HttpPublisher):
    """Publishes as the school's Mastodon account."""

    network: ClassVar[str] = "mastodon"
    can_disable_replies: ClassVar[bool] = False
    replies_note: ClassVar[str] = (
        "Mastodon cannot switch replies off. People can reply to this post; "
        "the school account will not answer them (R7).")

    def __init__(self, credentials: CredentialStore, *, base_url: str | None = None,
                 timeout: httpx.Timeout | float | None = None,
                 transport: httpx.BaseTransport | None = None,
                 poll_interval: float = 1.0, sleep: Callable[[float], None] = time.sleep,
                 ) -> None:
        stored = credentials.load(self.network) or {}
        self._connected = bool(stored.get("token"))
        headers = {"Authorization": f"Bearer {stored.get('token')}"}
        self._client = make_client(base_url or stored.get("base_url", "http://invalid"),
                                   timeout, transport, headers)
        self._poll_interval, self._sleep = poll_interval, sleep
        self._limits: Limits | None = None

    def publish(self, post: OutgoingPost) -> Published:
        """Upload each photo with its description, then post with the Idempotency-Key."""
        check_post(post, self.limits(), NAME, "mastodon")
        if post.attempt > 1 and (found := self._find(post)):
            return found  # an earlier attempt got through; its key may have expired
        media_ids = [self._upload(image) for image in post.images]
        body = {"status": post.text, "media_ids": media_ids, "visibility": "public",
                "language": post.language}
        status = self._json("POST", "/api/v1/statuses", json=body,
                            headers={"Idempotency-Key": post.key})
        return Published(self.network, str(status["id"]), status.get("url"))

    def delete(self, remote: Published) -> None:
        """Delete the status and its media; a status already gone counts as deleted."""
        response = self._send("DELETE", f"/api/v1/statuses/{remote.remote_id}",
                              params={"delete_media": "true"})
        if response.status_code != 404:
            check(response, name=NAME, detail=error_detail)

    @reports_health
    def health(self) -> Health:
        """Verify the token by asking who it belongs to."""
        account = self._json("GET", "/api/v1/accounts/verify_credentials")
        return Health("ok", f"Connected to Mastodon as @{account.get('acct')}.")

    def limits(self) -> Limits:
        """The server's limits from /api/v2/instance, read once; the defaults if it won't say."""
        if self._limits is None:
            try:
                self._limits = _limits(self._json("GET", "/api/v2/instance"))
            except PublishError:
                return FALLBACK_LIMITS  # publish() still fails with the real reason
        return self._limits

    def _find(self, post: OutgoingPost) -> Published | None:
        """Our status among the account's recent ones since the first attempt, if any."""
        since = post.created_at - LOOKBACK
        account = self._json("GET", "/api/v1/accounts/verify_credentials")
        statuses = self._json("GET", f"/api/v1/accounts/{account['id']}/statuses",
                              params={"limit": 40, "exclude_replies": "true",
                                      "exclude_reblogs": "true"})
        alts = [image.alt for image in post.images]
        for status in statuses:
            if (datetime.fromisoformat(status["created_at"]) >= since
                    and words(plain_text(status.get("content", ""))) == words(post.text)
                    and [m.get("description") for m in status.get("media_attachments", [])]
                    == alts):
                return Published(self.network, str(status["id"]), status.get("url"))
        return None

    def _upload(self, image: Image) -> str:
        files = {"file": ("photo.jpg", image.data, "image/jpeg")}
        response = self._send("POST", "/api/v2/media", files=files,
                              data={"description": image.alt})
        media = check(response, name=NAME, detail=error_detail).json()
        deadline = time.monotonic() + PROCESSING_WAIT_SECONDS
        while response.status_code in _PROCESSING:
            if time.monotonic() > deadline:
                raise RetryLater(PROCESSING_WAIT_SECONDS,
                                 "Mastodon is still processing a photo; trying again soon.")
            self._sleep(self._poll_interval)
            response = self._send("GET", f"/api/v1/media/{media['id']}")
            check(response, name=NAME, detail=error_detail)
        return str(media["id"])

    def _json(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        return check(self._send(method, url, **kwargs), name=NAME, detail=error_detail).json()

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        if not self._connected:
            raise ConnectionBroken(broken_message(NAME, "no account is connected"))
        return send(self._client, method, url, name=NAME, **kwargs)


def _limits(instance: dict[str, Any]) -> Limits:
    config = instance.get("configuration", {})
    statuses, media = config.get("statuses", {}), config.get("media_attachments", {})
    fallback = FALLBACK_LIMITS
    matrix = media.get("image_matrix_limit")
    return Limits(
        max_images=int(statuses.get("max_media_attachments", fallback.max_images)),
        max_image_bytes=int(media.get("image_size_limit", fallback.max_image_bytes)),
        max_chars=int(statuses.get("max_characters", fallback.max_chars)),
        max_side=min(4096, math.isqrt(int(matrix))) if matrix else fallback.max_side,
        max_alt_chars=int(media.get("description_limit", fallback.max_alt_chars)))


def plain_text(content: str) -> str:
    """The text of a status's HTML: paragraphs and lines as we wrote them, links whole."""
    parser = _TextOf()
    parser.feed(content)
    parser.close()
    return "".join(parser.parts)


class _TextOf(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p" and self.parts:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)  # a link's hidden and shortened spans add up to it whole


