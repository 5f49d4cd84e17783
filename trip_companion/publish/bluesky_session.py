"""A persisted Bluesky session: log in once with the app password, then refresh.

createSession is limited to 30 per 5 minutes and 300 a day per account, so a login
per post would lock the school out on a busy trip day. The session lives in the
CredentialStore next to the app password and is renewed under its lock, so
several workers never log in or refresh at the same time.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import httpx

from trip_companion.publish.credentials import Credentials, CredentialStore
from trip_companion.publish.errors import ConnectionBroken
from trip_companion.publish.http import broken_message, check, json_or_empty, send

NETWORK = "bluesky"
NAME = "Bluesky"
EXPIRY_MARGIN_SECONDS = 60
_SESSION_FIELDS = ("accessJwt", "refreshJwt", "did", "handle")
_EXPIRED_ERRORS = {"ExpiredToken", "InvalidToken"}

Session = dict[str, str]


def error_detail(response: httpx.Response) -> str:
    """The XRPC error body, ``{"error": Name, "message": …}``, as one phrase."""
    body = json_or_empty(response)
    return ": ".join(str(body[k]) for k in ("error", "message") if body.get(k)) or (
        f"HTTP {response.status_code}")


def token_expired(response: httpx.Response) -> bool:
    """True when the access token was refused as expired or stale (refresh and retry)."""
    error = json_or_empty(response).get("error")
    return response.status_code in (400, 401) and error in _EXPIRED_ERRORS


def jwt_expires_at(token: str) -> float | None:
    """Read ``exp`` from a JWT without verifying it (the PDS verifies; we only plan)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return float(claims["exp"])
    except (IndexError, KeyError, TypeError, ValueError):
        return None


class BlueskySession:
    """Hands out a valid access token, creating or refreshing the session as needed."""

    def __init__(self, store: CredentialStore, client: httpx.Client,
                 clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._client = client
        self._clock = clock

    def current(self) -> Session:
        """Return the stored session if its access token is still good, else a new one."""
        session = self._credentials().get("session")
        if session and not self._expired(session["accessJwt"]):
            return session
        return self.renew(session["accessJwt"] if session else None)

    def renew(self, stale: str | None) -> Session:
        """Replace the session whose access token was ``stale``, unless already replaced."""
        def rotate(current: Credentials | None) -> Credentials:
            current = self._require(current)
            session = current.get("session")
            if session and session["accessJwt"] != stale and not self._expired(
                    session["accessJwt"]):
                return current  # another worker renewed it while we waited for the lock
            fresh = (self._refresh(session) if session else None) or self._create(current)
            return {**current, "session": fresh}
        return self._store.update(NETWORK, rotate)["session"]

    def _refresh(self, session: Session) -> Session | None:
        response = send(self._client, "POST", "/xrpc/com.atproto.server.refreshSession",
                        name=NAME, headers={"Authorization": f"Bearer {session['refreshJwt']}"})
        if response.status_code in (400, 401):
            return None  # refresh token dead or revoked: log in again with the app password
        return _session(check(response, name=NAME, detail=error_detail).json())

    def _create(self, credentials: Credentials) -> Session:
        body = {"identifier": credentials["identifier"],
                "password": credentials["app_password"]}
        response = send(self._client, "POST", "/xrpc/com.atproto.server.createSession",
                        name=NAME, json=body)
        if response.status_code == 401:
            why = ("the app password was refused; create a new one in Bluesky under "
                   "Settings → Privacy and security → App passwords")
            raise ConnectionBroken(broken_message(NAME, why))
        data = check(response, name=NAME, detail=error_detail).json()
        if data.get("active") is False:
            why = f"the account is {data.get('status', 'not active')}"
            raise ConnectionBroken(broken_message(NAME, why))
        return _session(data)

    def _credentials(self) -> Credentials:
        return self._require(self._store.load(NETWORK))

    @staticmethod
    def _require(credentials: Credentials | None) -> Credentials:
        if not credentials or "app_password" not in credentials:
            raise ConnectionBroken(broken_message(NAME, "no account is connected"))
        return credentials

    def _expired(self, token: str) -> bool:
        expires_at = jwt_expires_at(token)
        return expires_at is not None and expires_at - self._clock() < EXPIRY_MARGIN_SECONDS


def _session(data: dict[str, Any]) -> Session:
    return {k: str(data[k]) for k in _SESSION_FIELDS if k in data}
