"""Facebook Page publisher (Graph API): unpublished photos, then one feed post.

Graph has no idempotency. After an ambiguous failure of the feed call, or on any
attempt after the first, we read the Page's recent posts and match our message
before posting again. Errors are classified by Graph's ``error.code``, not only
by HTTP status, because Graph answers most failures with a plain 400.
"""

from __future__ import annotations

import time
from datetime import UTC, timedelta
from typing import Any, ClassVar

import httpx

from trip_companion.publish.base import Health, Image, Limits, OutgoingPost, Published
from trip_companion.publish.credentials import CredentialStore
from trip_companion.publish.errors import ConnectionBroken
from trip_companion.publish.facebook_errors import (
    NAME,
    DuplicatePost,
    is_missing,
    raise_for_error,
)
from trip_companion.publish.http import (
    LOOKBACK,
    HttpPublisher,
    SentButUnanswered,
    broken_message,
    find_quietly,
    make_client,
    reports_health,
    send,
)
from trip_companion.publish.text import check_post, words

DEFAULT_BASE_URL = "https://graph.facebook.com/v24.0"
LIMITS = Limits(max_images=4, max_image_bytes=9_999_999, max_chars=63_206,  # "< 10 MB"
                max_side=2048, max_alt_chars=1000)
EXPIRY_WARNING = timedelta(days=14)
ATTACHMENT_FIELDS = "attachments{target{id},subattachments{target{id}}}"


def photo_ids(item: dict[str, Any]) -> list[str]:
    """The photo ids of a Graph post read with ATTACHMENT_FIELDS (to delete them too)."""
    ids = []
    for attachment in item.get("attachments", {}).get("data", []):
        subs = attachment.get("subattachments", {}).get("data", []) or [attachment]
        ids += [str(sub["target"]["id"]) for sub in subs if "id" in sub.get("target", {})]
    return ids


class FacebookPublisher(HttpPublisher):
    """Publishes to the school's Facebook Page with a long-lived Page access token."""

    network: ClassVar[str] = "facebook"
    can_disable_replies: ClassVar[bool] = False
    replies_note: ClassVar[str] = (
        "Facebook cannot switch comments off for a Page post. People can comment; "
        "the school will not answer them (R7), and a moderator can hide comments.")

    def __init__(self, credentials: CredentialStore, *, base_url: str | None = None,
                 timeout: httpx.Timeout | float | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        stored = credentials.load(self.network) or {}
        self._page_id = str(stored.get("page_id", ""))
        self._token = stored.get("page_token")
        # Page tokens made from a long-lived user token never expire; others carry a date.
        self._expires_at: float | None = stored.get("expires_at")
        self._client = make_client(base_url or DEFAULT_BASE_URL, timeout, transport,
                                   {"Authorization": f"Bearer {self._token}"})

    def publish(self, post: OutgoingPost) -> Published:
        """Upload each photo unpublished with its alt text, then post them together."""
        check_post(post, LIMITS, NAME, "facebook")
        if post.attempt > 1 and (found := self._find(post)):
            return found
        uploaded = [self._upload(image) for image in post.images]
        body: dict[str, Any] = {"message": post.text, "published": True}
        if uploaded:
            body["attached_media"] = [{"media_fbid": pid} for pid in uploaded]
        try:
            post_id = str(self._graph("POST", f"/{self._page_id}/feed", json=body)["id"])
        except (SentButUnanswered, DuplicatePost):
            if found := find_quietly(self._find, post):
                return found
            raise
        return self._published(post_id, uploaded)

    def delete(self, remote: Published) -> None:
        """Delete the post and its photos; anything already gone counts as deleted."""
        for object_id in [remote.remote_id, *remote.extra.get("photo_ids", [])]:
            response = self._send("DELETE", f"/{object_id}")
            if not is_missing(response):
                raise_for_error(response)

    @reports_health
    def health(self) -> Health:
        """Read the Page with the stored token."""
        page = self._graph("GET", f"/{self._page_id}", params={"fields": "id,name"})
        if self._expires_at and self._expires_at - time.time() < EXPIRY_WARNING.total_seconds():
            return Health("expiring", "The Facebook connection expires within two weeks; "
                          "the headteacher should reconnect the Page in Trip Companion's "
                          "settings (that gives a token that does not expire).")
        return Health("ok", f"Connected to the Facebook Page {page.get('name')}.")

    def limits(self) -> Limits:
        """Facebook's limits for Page photo posts."""
        return LIMITS

    def _upload(self, image: Image) -> str:
        files = {"source": ("photo.jpg", image.data, "image/jpeg")}
        data = {"published": "false", "alt_text_custom": image.alt}
        return str(self._graph("POST", f"/{self._page_id}/photos", files=files, data=data)["id"])

    def _find(self, post: OutgoingPost) -> Published | None:
        """Our post among the Page's posts since the first attempt, if it is there."""
        since = int((post.created_at - LOOKBACK).astimezone(UTC).timestamp())
        params = {"fields": f"id,message,created_time,{ATTACHMENT_FIELDS}", "since": since,
                  "limit": 25}
        posts = self._graph("GET", f"/{self._page_id}/published_posts", params=params)
        for item in posts.get("data", []):
            if words(item.get("message", "")) == words(post.text):
                return self._published(str(item["id"]), photo_ids(item))
        return None

    def _published(self, post_id: str, photos: list[str]) -> Published:
        return Published(self.network, post_id, f"https://www.facebook.com/{post_id}",
                         {"photo_ids": photos})

    def _graph(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        return raise_for_error(self._send(method, url, **kwargs)).json()

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        if not (self._token and self._page_id):
            raise ConnectionBroken(broken_message(NAME, "no Page is connected"))
        return send(self._client, method, url, name=NAME, **kwargs)

