"""The school's own feed: the embedded default publisher (R18).

Posts go to a ``FeedStore`` that the web app reads for the feed page and the Atom
feed. Nothing leaves the server, so there are no credentials, rate limits or
retries: publishing is just an idempotent insert keyed by the post key.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Protocol

from trip_companion.policy.length import LIMITS as TEXT_LIMITS
from trip_companion.publish.base import Health, Image, Limits, OutgoingPost, Published
from trip_companion.publish.text import check_post

# The text limit is the one the policy check applies at compose time, and the description
# limit what compose keeps (1,500): the feed takes whatever compose let through.
FEED_LIMITS = Limits(max_images=4, max_image_bytes=2_000_000, max_chars=TEXT_LIMITS["feed"],
                     max_side=2048, max_alt_chars=1500)



@dataclass(frozen=True)
class FeedEntry:
    """One post on the school's feed."""

    key: str
    text: str
    images: tuple[Image, ...]
    published_at: datetime


class FeedStore(Protocol):
    """Storage behind the feed page. ``add`` must be atomic per key (a unique key)."""

    def add(self, entry: FeedEntry) -> FeedEntry:
        """Store ``entry`` unless an entry with its key exists; return the stored one."""
        ...

    def get(self, key: str) -> FeedEntry | None:
        """Return the entry with this key, or None."""
        ...

    def remove(self, key: str) -> None:
        """Remove the entry with this key; removing a missing key is not an error."""
        ...


class InMemoryFeedStore:
    """A FeedStore in a dict, for tests and demos."""

    def __init__(self) -> None:
        self.entries: dict[str, FeedEntry] = {}
        self._lock = threading.Lock()

    def add(self, entry: FeedEntry) -> FeedEntry:
        """Store ``entry`` unless its key exists; return the stored one."""
        with self._lock:
            return self.entries.setdefault(entry.key, entry)

    def get(self, key: str) -> FeedEntry | None:
        """Return the entry with this key, or None."""
        return self.entries.get(key)

    def remove(self, key: str) -> None:
        """Remove the entry if present."""
        with self._lock:
            self.entries.pop(key, None)


class FeedPublisher:
    """Publishes to the school's own feed page and Atom feed."""

    network: ClassVar[str] = "feed"
    can_disable_replies: ClassVar[bool] = True
    replies_note: ClassVar[str] = "The school's own feed has no replies."

    def __init__(self, store: FeedStore,
                 entry_url: Callable[[str], str] = lambda key: f"/feed#post-{key}") -> None:
        self.store = store
        self.entry_url = entry_url

    def publish(self, post: OutgoingPost) -> Published:
        """Add the post to the feed; a second call with the same key changes nothing."""
        check_post(post, FEED_LIMITS, "the school feed", "feed")
        entry = self.store.add(FeedEntry(post.key, post.text, tuple(post.images),
                                         post.created_at))
        return Published(self.network, entry.key, self.entry_url(entry.key))

    def delete(self, remote: Published) -> None:
        """Remove the post from the feed."""
        self.store.remove(remote.remote_id)

    def health(self) -> Health:
        """The feed lives on this server, so it is always connected."""
        return Health("ok", "The school's own feed is part of Trip Companion.")

    def limits(self) -> Limits:
        """Return the feed's limits."""
        return FEED_LIMITS

    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self) -> FeedPublisher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
