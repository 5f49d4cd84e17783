"""HTTP plumbing shared by the adapters: clients with timeouts, and status → error.

Every adapter maps transport failures and HTTP statuses the same way, so the
worker's retry logic never needs to know which network it is talking to.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any, Self, TypeVar

import httpx

from trip_companion.publish.base import Health, OutgoingPost, Published
from trip_companion.publish.errors import (
    ConnectionBroken,
    PermanentFailure,
    RetryLater,
    retry_after,
)

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
# How far before a post's first attempt to look for it on a retry: clock skew between us
# and the network.
LOOKBACK = timedelta(minutes=5)
OUTAGE_RETRY_SECONDS = 30.0
USER_AGENT = "TripCompanion/0.1 (school trip publisher)"

_P = TypeVar("_P")
# Failures before a byte reached the server: a retry cannot duplicate anything.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class SentButUnanswered(RetryLater):
    """The request may have been acted on before the connection failed.

    Networks without idempotency look for the post before trying again.
    """


class HttpPublisher:
    """Owns one httpx client; close it, or use the publisher as a context manager."""

    _client: httpx.Client

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def make_client(base_url: str, timeout: httpx.Timeout | float | None,
                transport: httpx.BaseTransport | None,
                headers: Mapping[str, str] | None = None) -> httpx.Client:
    """Build a client for one network; ``transport`` lets tests record or mock calls."""
    return httpx.Client(base_url=base_url.rstrip("/"), transport=transport,
                        timeout=DEFAULT_TIMEOUT if timeout is None else timeout,
                        headers={"User-Agent": USER_AGENT, **(headers or {})})


def send(client: httpx.Client, method: str, url: str, *, name: str,
         **kwargs: Any) -> httpx.Response:
    """Send a request, turning transport failures into ``RetryLater``."""
    try:
        return client.request(method, url, **kwargs)
    except _NOT_SENT as exc:
        msg = f"Could not reach {name} ({type(exc).__name__}); trying again automatically."
        raise RetryLater(OUTAGE_RETRY_SECONDS, msg) from exc
    except httpx.TransportError as exc:
        msg = (f"{name} did not answer in time ({type(exc).__name__}); "
               "checking and trying again automatically.")
        raise SentButUnanswered(OUTAGE_RETRY_SECONDS, msg) from exc


def check(response: httpx.Response, *, name: str,
          detail: Callable[[httpx.Response], str]) -> httpx.Response:
    """Return a successful response; raise the matching publish error otherwise.

    ``detail`` extracts the network's own explanation from its error body.
    """
    status = response.status_code
    if response.is_success:
        return response
    why = detail(response)
    if status == 429:
        msg = (f"{name} asked us to slow down ({why}); the post will go out "
               "automatically when it allows.")
        raise RetryLater(retry_after(response.headers), msg)
    if status >= 500 or status == 408:
        msg = f"{name} is having problems ({status}: {why}); trying again automatically."
        raise SentButUnanswered(retry_after(response.headers, OUTAGE_RETRY_SECONDS), msg)
    if status == 401:
        raise ConnectionBroken(broken_message(name, why))
    msg = f"{name} refused the post: {why}"
    raise PermanentFailure(msg)


def broken_message(name: str, why: str) -> str:
    """The sentence the headteacher reads when a connection stops working."""
    return (f"{name} no longer accepts the school's connection ({why}). The headteacher "
            f"needs to reconnect the {name} account in Trip Companion's settings; "
            "posts wait until then.")


def json_or_empty(response: httpx.Response) -> dict[str, Any]:
    """Parse a JSON object body, or return {} for anything else (HTML error pages)."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def reports_health(ask: Callable[[_P], Health]) -> Callable[[_P], Health]:
    """Make a ``health`` method read an outage as unreachable and a refusal as broken."""

    @functools.wraps(ask)
    def health(publisher: _P) -> Health:
        try:
            return ask(publisher)
        except RetryLater as exc:
            return Health("unreachable", exc.message)
        except PermanentFailure as exc:
            return Health("broken", exc.message)

    return health


def find_quietly(find: Callable[[OutgoingPost], Published | None],
                 post: OutgoingPost) -> Published | None:
    """Look for a post that may have gone through; None when the network can't say now.

    The caller then fails with its own error, and the retry (attempt > 1) looks again.
    """
    try:
        return find(post)
    except RetryLater:
        return None
