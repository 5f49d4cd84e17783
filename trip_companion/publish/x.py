"""X (API v2) publisher: media upload, alt text, a post nobody else can reply to.

X has no idempotency key. When the create call fails ambiguously (timeout, 5xx,
"duplicate content") or this is not the first attempt, we read the account's own
recent posts and match our text before posting again, so a retry never doubles.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from datetime import UTC
from typing import Any, ClassVar

import httpx

from trip_companion.publish.base import Health, Image, Limits, OutgoingPost, Published
from trip_companion.publish.credentials import CredentialStore
from trip_companion.publish.http import (
    LOOKBACK,
    HttpPublisher,
    SentButUnanswered,
    check,
    find_quietly,
    json_or_empty,
    make_client,
    reports_health,
)
from trip_companion.publish.http import send as http_send
from trip_companion.publish.text import check_post, words
from trip_companion.publish.x_oauth import NAME, XTokens

DEFAULT_BASE_URL = "https://api.x.com"
LIMITS = Limits(max_images=4, max_image_bytes=5 * 1024 * 1024, max_chars=280,
                max_side=4096, max_alt_chars=1000)
# The most restrictive value X accepts: with no @mentions, only the author can reply.
REPLY_SETTINGS = "mentionedUsers"
_TCO = "https://t.co/"


def error_detail(response: httpx.Response) -> str:
    """X errors are Problem JSON (``detail``/``title``) or ``{"errors": [{"message"}]}``."""
    body = json_or_empty(response)
    errors = body.get("errors") or [{}]
    return str(body.get("detail") or body.get("title") or errors[0].get("message")
               or f"HTTP {response.status_code}")


def same_text(ours: str, theirs: str) -> bool:
    """Compare our text with X's copy, which escapes &<> and appends t.co media links."""
    kept = [w for w in html.unescape(theirs).split() if not w.startswith(_TCO)]
    return words(ours) == words(" ".join(kept))


class XPublisher(HttpPublisher):
    """Publishes as the school's X account with an OAuth 2.0 user token."""

    network: ClassVar[str] = "x"
    can_disable_replies: ClassVar[bool] = True
    replies_note: ClassVar[str] = "Only the school account can reply to its X posts."

    def __init__(self, credentials: CredentialStore, *, base_url: str | None = None,
                 timeout: httpx.Timeout | float | None = None,
                 transport: httpx.BaseTransport | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._store = credentials
        self._client = make_client(base_url or DEFAULT_BASE_URL, timeout, transport)
        self.tokens = XTokens(credentials, self._client, clock)

    def publish(self, post: OutgoingPost) -> Published:
        """Upload photos, set alt text, create the post; look first when retrying."""
        check_post(post, LIMITS, NAME, "x")
        if post.attempt > 1 and (found := self._find(post)):
            return found
        media_ids = [self._upload(image) for image in post.images]
        body: dict[str, Any] = {"text": post.text, "reply_settings": REPLY_SETTINGS}
        if media_ids:
            body["media"] = {"media_ids": media_ids}
        return self._create(post, body)

    def delete(self, remote: Published) -> None:
        """Delete the post; one that is already gone counts as deleted."""
        response = self._send("DELETE", f"/2/tweets/{remote.remote_id}")
        if response.status_code != 404:
            check(response, name=NAME, detail=error_detail)

    @reports_health
    def health(self) -> Health:
        """Check the token by asking who it belongs to."""
        user = self._json("GET", "/2/users/me")["data"]
        if not self.tokens.credentials().get("refresh_token"):
            return Health("expiring", "X was connected without offline access, so the "
                          "connection ends within two hours; the headteacher should "
                          "reconnect it.")
        return Health("ok", f"Connected to X as @{user.get('username')}.")

    def limits(self) -> Limits:
        """X's limits (weighted characters for text)."""
        return LIMITS

    def _create(self, post: OutgoingPost, body: dict[str, Any]) -> Published:
        try:
            response = self._send("POST", "/2/tweets", json=body)
            duplicate = response.status_code == 403 and "duplicate" in error_detail(
                response).lower()
            if duplicate and (found := find_quietly(self._find, post)):
                return found  # an earlier attempt got through after all
            data = check(response, name=NAME, detail=error_detail).json()["data"]
        except SentButUnanswered:
            if found := find_quietly(self._find, post):
                return found
            raise
        return self._published(data["id"])

    def _find(self, post: OutgoingPost) -> Published | None:
        """Our post among the account's own posts since the first attempt, if any."""
        since = (post.created_at - LOOKBACK).astimezone(UTC)
        params = {"max_results": 20, "exclude": "retweets,replies",
                  "tweet.fields": "created_at",
                  "start_time": since.strftime("%Y-%m-%dT%H:%M:%SZ")}
        tweets = self._json("GET", f"/2/users/{self._user_id()}/tweets", params=params)
        for tweet in tweets.get("data", []):
            if same_text(post.text, tweet["text"]):
                return self._published(tweet["id"])
        return None

    def _user_id(self) -> str:
        if user_id := self.tokens.credentials().get("user_id"):
            return str(user_id)
        user_id = str(self._json("GET", "/2/users/me")["data"]["id"])
        self._store.update(self.network, lambda current: {**(current or {}),
                                                          "user_id": user_id})
        return user_id

    def _upload(self, image: Image) -> str:
        files = {"media": ("photo.jpg", image.data, "image/jpeg")}
        data = {"media_category": "tweet_image", "media_type": "image/jpeg"}
        media_id = str(self._json("POST", "/2/media/upload", files=files, data=data)
                       ["data"]["id"])
        self._json("POST", "/2/media/metadata", json={
            "id": media_id, "metadata": {"alt_text": {"text": image.alt}}})
        return media_id

    def _published(self, tweet_id: str) -> Published:
        return Published(self.network, tweet_id, f"https://x.com/i/web/status/{tweet_id}")

    def _json(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        return check(self._send(method, url, **kwargs), name=NAME, detail=error_detail).json()

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Call with the access token; on 401 refresh once (if still stale) and call again."""
        token = self.tokens.current()
        response = self._call(method, url, token, kwargs)
        if response.status_code == 401:
            response = self._call(method, url, self.tokens.renew(token), kwargs)
        return response

    def _call(self, method: str, url: str, token: str,
              kwargs: dict[str, Any]) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"}
        return http_send(self._client, method, url, name=NAME, headers=headers, **kwargs)

