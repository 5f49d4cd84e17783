"""Publishing to the school's feed and social networks, as the school account.

Plain Python, no Flask and no database: the web app and the worker wire in a
``CredentialStore`` and a ``FeedStore`` and look adapters up by network name.
"""

from __future__ import annotations

from typing import Any

from trip_companion.publish.base import (
    Health,
    Image,
    Limits,
    OutgoingPost,
    Published,
    Publisher,
)
from trip_companion.publish.bluesky import BlueskyPublisher
from trip_companion.publish.credentials import CredentialStore
from trip_companion.publish.errors import (
    ConnectionBroken,
    PermanentFailure,
    PublishError,
    RetryLater,
)
from trip_companion.publish.facebook import FacebookPublisher
from trip_companion.publish.feed import FeedPublisher, FeedStore
from trip_companion.publish.mastodon import MastodonPublisher
from trip_companion.publish.x import XPublisher

#: Network name → adapter class. "feed" takes a FeedStore; the others a CredentialStore.
PUBLISHERS: dict[str, type[Any]] = {
    cls.network: cls
    for cls in (FeedPublisher, BlueskyPublisher, MastodonPublisher, XPublisher,
                FacebookPublisher)
}


def create_publisher(network: str, *, credentials: CredentialStore | None = None,
                     feed_store: FeedStore | None = None, **options: Any) -> Publisher:
    """Build the adapter for ``network``; ``options`` are base_url, timeout, transport…

    :raises KeyError: for a network we have no adapter for.
    """
    cls = PUBLISHERS[network]
    if cls is FeedPublisher:
        return FeedPublisher(_required(feed_store, "feed_store"), **options)
    return cls(_required(credentials, "credentials"), **options)


def _required(value: Any, name: str) -> Any:
    if value is None:
        msg = f"{name} is required for this network"
        raise ValueError(msg)
    return value


__all__ = [
    "PUBLISHERS",
    "BlueskyPublisher",
    "ConnectionBroken",
    "FacebookPublisher",
    "FeedPublisher",
    "Health",
    "Image",
    "Limits",
    "MastodonPublisher",
    "OutgoingPost",
    "PermanentFailure",
    "PublishError",
    "Published",
    "Publisher",
    "RetryLater",
    "XPublisher",
    "create_publisher",
]
