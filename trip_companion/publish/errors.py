"""Publishing errors, and reading how long a network wants us to wait.

Three outcomes matter to the caller: try again later (and when), give up and tell
the teacher why, or stop using the connection and tell the headteacher.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime

DEFAULT_RETRY_SECONDS = 60.0
MAX_RETRY_SECONDS = 24 * 3600.0
# Facebook's X-App-Usage gives percentages, not a time: its window rolls over an hour.
FACEBOOK_USAGE_WAIT_SECONDS = 15 * 60.0


class PublishError(Exception):
    """Base class: ``message`` is written for a teacher or headteacher, not a developer."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RetryLater(PublishError):
    """Safe to call ``publish`` again with the same post after ``retry_after_seconds``."""

    def __init__(self, retry_after_seconds: float, message: str) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds

    def __repr__(self) -> str:
        return f"RetryLater({self.retry_after_seconds!r}, {self.message!r})"


class PermanentFailure(PublishError):
    """Retrying the same request will fail the same way."""


class ConnectionBroken(PermanentFailure):
    """The stored credentials no longer work: mark the connection broken, alert the head."""


def retry_after(headers: Mapping[str, str], default: float = DEFAULT_RETRY_SECONDS,
                now: Callable[[], float] = time.time) -> float:
    """Seconds to wait according to any rate-limit header the networks send.

    Takes the longest wait any header asks for, so obeying one never breaks another.
    """
    readers = (_retry_after_header, _epoch_header("x-rate-limit-reset"),
               _ratelimit_reset, _iso_header("x-ratelimit-reset"), _facebook_usage)
    lowered = {k.lower(): v for k, v in headers.items()}
    waits = [w for read in readers if (w := read(lowered, now())) is not None]
    return min(max([*waits, 1.0]) if waits else default, MAX_RETRY_SECONDS)


def _retry_after_header(headers: Mapping[str, str], now: float) -> float | None:
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        return parsedate_to_datetime(value).timestamp() - now
    except (TypeError, ValueError):
        return None


def _epoch_header(name: str) -> Callable[[Mapping[str, str], float], float | None]:
    def read(headers: Mapping[str, str], now: float) -> float | None:
        value = headers.get(name, "")
        return float(value) - now if value.isdigit() else None
    return read


def _ratelimit_reset(headers: Mapping[str, str], now: float) -> float | None:
    """Bluesky sends a Unix time; the IETF draft it borrows from says delta-seconds."""
    value = headers.get("ratelimit-reset", "")
    if not value.isdigit():
        return None
    seconds = float(value)
    return seconds - now if seconds > 1_000_000_000 else seconds


def _iso_header(name: str) -> Callable[[Mapping[str, str], float], float | None]:
    """Mastodon's X-RateLimit-Reset is an ISO 8601 time."""
    def read(headers: Mapping[str, str], now: float) -> float | None:
        try:
            return datetime.fromisoformat(headers[name]).timestamp() - now
        except (KeyError, ValueError):
            return None
    return read


def _facebook_usage(headers: Mapping[str, str], now: float) -> float | None:
    """Graph API usage headers: minutes to regain access, or percentages of quota used."""
    waits: list[float] = []
    for name in ("x-business-use-case-usage", "x-page-usage", "x-app-usage"):
        try:
            usage = json.loads(headers[name])
        except (KeyError, ValueError):
            continue
        entries = [e for v in usage.values() if isinstance(v, list) for e in v]
        for entry in entries or [usage]:
            if not isinstance(entry, dict):
                continue
            if minutes := entry.get("estimated_time_to_regain_access"):
                waits.append(float(minutes) * 60)
            elif any(_number(v) >= 100 for v in entry.values()):
                waits.append(FACEBOOK_USAGE_WAIT_SECONDS)
    return max(waits) if waits else None


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0
