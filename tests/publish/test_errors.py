"""How long to wait, from every rate-limit header the networks send."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from trip_companion.publish import ConnectionBroken, PermanentFailure, RetryLater
from trip_companion.publish.errors import DEFAULT_RETRY_SECONDS, retry_after

NOW = 1_800_000_000.0
ISO_IN_90S = datetime.fromtimestamp(NOW + 90, UTC).isoformat()
HTTP_DATE_IN_60S = "Fri, 15 Jan 2027 08:01:00 GMT"


@pytest.mark.parametrize(("headers", "seconds"), [
    ({}, DEFAULT_RETRY_SECONDS),
    ({"Retry-After": "30"}, 30),
    ({"x-rate-limit-reset": str(int(NOW) + 100)}, 100),  # X: Unix time
    ({"ratelimit-reset": str(int(NOW) + 40)}, 40),  # Bluesky: Unix time
    ({"RateLimit-Reset": "20"}, 20),  # IETF draft: delta seconds
    ({"X-RateLimit-Reset": ISO_IN_90S}, 90),  # Mastodon: ISO 8601
    ({"X-App-Usage": json.dumps({"call_count": 100, "total_time": 12})}, 900),
    ({"X-App-Usage": json.dumps({"call_count": 20, "total_time": 12})}, DEFAULT_RETRY_SECONDS),
    ({"X-Business-Use-Case-Usage": json.dumps(
        {"123": [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 5}]})},
     300),
    ({"Retry-After": "30", "x-rate-limit-reset": str(int(NOW) + 100)}, 100),  # the longest
    ({"x-rate-limit-reset": str(int(NOW) - 5)}, 1.0),  # already reset: go soon
    ({"Retry-After": "soon"}, DEFAULT_RETRY_SECONDS),
    ({"Retry-After": str(10 ** 9)}, 24 * 3600),  # capped at a day
])
def test_retry_after_reads_each_networks_header(headers: dict[str, str], seconds: float):
    assert retry_after(headers, now=lambda: NOW) == pytest.approx(seconds)


def test_retry_after_accepts_an_http_date():
    now = datetime(2027, 1, 15, 8, 0, 0, tzinfo=UTC).timestamp()
    assert retry_after({"Retry-After": HTTP_DATE_IN_60S}, now=lambda: now) == 60


def test_connection_broken_is_a_permanent_failure_and_retry_later_is_not():
    assert issubclass(ConnectionBroken, PermanentFailure)
    assert not issubclass(RetryLater, PermanentFailure)
    error = RetryLater(12.5, "wait")
    assert (error.retry_after_seconds, error.message, str(error)) == (12.5, "wait", "wait")
