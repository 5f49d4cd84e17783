"""The one interface every network adapter implements, and the values it trades in.

Adapters are plain Python (no Flask, no database): the worker that owns the
publish-attempt row calls them, persists what they return, and translates the
errors in :mod:`trip_companion.publish.errors` into retries, alerts or messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal, NamedTuple, Protocol


class Image(NamedTuple):
    """One photo, already stripped and rendered to the network's limits by the caller."""

    data: bytes  # JPEG bytes, no metadata
    alt: str
    width: int
    height: int


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class OutgoingPost:
    """What to publish.

    ``key`` is our stable post id: every retry of the same post must reuse it, because
    it is what makes a retry a no-op (Bluesky record key, Mastodon Idempotency-Key,
    the feed's primary key). ``created_at`` should come from the publish-attempt row
    too, so that a retry builds the identical record and X/Facebook know how far back
    to look for an earlier attempt. ``attempt`` counts calls for this key (1 = first);
    networks without idempotency look for an existing post before creating it again
    whenever ``attempt > 1``.
    """

    key: str
    text: str
    images: tuple[Image, ...] = ()
    created_at: datetime = field(default_factory=_now)
    attempt: int = 1
    language: str = "en"

    def __post_init__(self) -> None:
        # Accept plain (bytes, alt, width, height) tuples from the caller.
        object.__setattr__(self, "images", tuple(Image(*image) for image in self.images))


@dataclass(frozen=True)
class Published:
    """Where a post landed; persist it (``extra`` is JSON-serialisable) to delete later."""

    network: str
    remote_id: str
    url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


HealthState = Literal["ok", "expiring", "broken", "unreachable"]


@dataclass(frozen=True)
class Health:
    """Connection state plus a sentence the headteacher can act on.

    ``unreachable`` means the network could not be asked just now (timeout, outage):
    not the school's fault, nothing to reconnect.
    """

    state: HealthState
    message: str


@dataclass(frozen=True)
class Limits:
    """What the caller must render to before calling ``publish``.

    ``max_chars`` is counted the network's way: graphemes for Bluesky and Mastodon,
    weighted characters for X (see :mod:`trip_companion.publish.text`).
    """

    max_images: int
    max_image_bytes: int
    max_chars: int
    max_side: int
    max_alt_chars: int = 1000


class Publisher(Protocol):
    """Publish and delete posts on one network as the school's account."""

    network: ClassVar[str]
    #: False where the network cannot switch replies off (R7); then show replies_note.
    can_disable_replies: ClassVar[bool]
    replies_note: ClassVar[str]

    def publish(self, post: OutgoingPost) -> Published:
        """Publish ``post``; calling again with the same ``post.key`` must not duplicate it.

        :raises RetryLater: nothing is known to be wrong; call again later.
        :raises PermanentFailure: retrying will not help; show ``message`` to the teacher.
        :raises ConnectionBroken: credentials revoked; alert the headteacher.
        """
        ...

    def delete(self, remote: Published) -> None:
        """Remove a published post; deleting one that is already gone succeeds."""
        ...

    def health(self) -> Health:
        """Check the stored connection without posting anything."""
        ...

    def limits(self) -> Limits:
        """Return the limits the caller must render images and text to."""
        ...

    def close(self) -> None:
        """Release connections (adapters are also context managers)."""
        ...
