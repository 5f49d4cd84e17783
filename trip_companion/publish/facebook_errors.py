"""Graph API errors → publish errors.

Graph reports failures as ``{"error": {"message", "type", "code", "error_subcode",
"fbtrace_id"}}``, usually with HTTP 400 whatever went wrong, so the code decides.
Codes from developers.facebook.com/docs/graph-api/guides/error-handling.
"""

from __future__ import annotations

from typing import Any

import httpx

from trip_companion.publish.errors import (
    ConnectionBroken,
    PermanentFailure,
    RetryLater,
    retry_after,
)
from trip_companion.publish.http import (
    OUTAGE_RETRY_SECONDS,
    SentButUnanswered,
    broken_message,
    json_or_empty,
)

NAME = "Facebook"
TOKEN_BROKEN = {190}
THROTTLED = {4, 17, 32, 613, 80001, 1390008}
TRANSIENT = {1, 2}
DUPLICATE = {506, 1366051}
THROTTLE_RETRY_SECONDS = 15 * 60.0
# Code 190 subcodes, told in words a headteacher can act on.
_WHY_BROKEN = {
    458: "the Trip Companion app was removed from the Facebook account",
    460: "the Facebook password was changed",
    463: "the sign-in expired",
    467: "the sign-in is no longer valid",
}


class DuplicatePost(PermanentFailure):
    """Facebook says this was already posted: an earlier attempt may have succeeded."""


def graph_error(response: httpx.Response) -> dict[str, Any]:
    """The ``error`` object of a Graph response, or {}."""
    error = json_or_empty(response).get("error")
    return error if isinstance(error, dict) else {}


def is_missing(response: httpx.Response) -> bool:
    """True when the object does not exist (already deleted)."""
    error = graph_error(response)
    return response.status_code == 404 or (
        error.get("code") == 100 and error.get("error_subcode") == 33)


def raise_for_error(response: httpx.Response) -> httpx.Response:
    """Return a successful response, or raise the publish error its code calls for."""
    error = graph_error(response)
    if response.is_success and not error:
        return response
    code, message = error.get("code"), str(error.get("message") or response.reason_phrase)
    if code in TOKEN_BROKEN or response.status_code == 401:
        why = _WHY_BROKEN.get(error.get("error_subcode"), message)
        raise ConnectionBroken(broken_message(NAME, why))
    if code == 10 or (isinstance(code, int) and 200 <= code <= 299):
        why = f"it is no longer allowed to post on the Page ({message})"
        raise ConnectionBroken(broken_message(NAME, why))
    if code in THROTTLED or response.status_code == 429:
        wait = retry_after(response.headers, THROTTLE_RETRY_SECONDS)
        raise RetryLater(wait, f"Facebook asked us to slow down ({message}); the post "
                               "will go out automatically when it allows.")
    if code in TRANSIENT or response.status_code >= 500:
        raise SentButUnanswered(retry_after(response.headers, OUTAGE_RETRY_SECONDS),
                                f"Facebook is having problems ({message}); trying again "
                                "automatically.")
    if code in DUPLICATE:
        raise DuplicatePost(f"Facebook says this was already posted ({message}).")
    raise PermanentFailure(f"Facebook refused the post: {message}")
