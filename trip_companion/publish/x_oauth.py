"""OAuth 2.0 for X: PKCE sign-in, and refresh tokens that work exactly once.

X rotates the refresh token on every refresh; using an old one breaks the chain and
the headteacher has to sign in again. So a refresh happens only inside
``CredentialStore.update`` (one refresher at a time across processes), only if the
stored token is still the one that failed, and the new pair is persisted by
``update`` before anyone uses it.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from trip_companion.publish.credentials import Credentials, CredentialStore
from trip_companion.publish.errors import ConnectionBroken
from trip_companion.publish.http import broken_message, check, json_or_empty, send

NETWORK = "x"
NAME = "X"
AUTHORIZE_URL = "https://x.com/i/oauth2/authorize"
TOKEN_PATH = "/2/oauth2/token"  # noqa: S105 (a URL path, not a secret)
SCOPES = ("tweet.read", "tweet.write", "users.read", "media.write", "offline.access")
EXPIRY_MARGIN_SECONDS = 120


@dataclass(frozen=True)
class AuthorizationRequest:
    """Send the browser to ``url``; keep ``state`` and ``code_verifier`` in the session."""

    url: str
    state: str
    code_verifier: str


def code_challenge(code_verifier: str) -> str:
    """The S256 PKCE challenge: unpadded base64url of the verifier's SHA-256."""
    digest = hashlib.sha256(code_verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorization_request(client_id: str, redirect_uri: str, *,
                          scopes: tuple[str, ...] = SCOPES,
                          authorize_url: str = AUTHORIZE_URL) -> AuthorizationRequest:
    """Build the authorize URL with a fresh state and code verifier."""
    state, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(64)
    query = urlencode({"response_type": "code", "client_id": client_id,
                       "redirect_uri": redirect_uri, "scope": " ".join(scopes),
                       "state": state, "code_challenge": code_challenge(verifier),
                       "code_challenge_method": "S256"})
    return AuthorizationRequest(f"{authorize_url}?{query}", state, verifier)


def exchange_code(client: httpx.Client, *, code: str, code_verifier: str, client_id: str,
                  redirect_uri: str, client_secret: str | None = None,
                  clock: Callable[[], float] = time.time) -> Credentials:
    """Trade the callback's code for tokens; save the result with ``CredentialStore.save``."""
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
            "code_verifier": code_verifier, "client_id": client_id}
    base = {"client_id": client_id, **({"client_secret": client_secret} if client_secret else {})}
    return {**base, **_token_call(client, data, base, clock)}


def refresh_tokens(client: httpx.Client, credentials: Credentials,
                   clock: Callable[[], float] = time.time) -> Credentials:
    """Spend the stored refresh token once and return the credentials with the new pair."""
    if not credentials.get("refresh_token"):
        raise ConnectionBroken(broken_message(NAME, "the sign-in has expired"))
    data = {"grant_type": "refresh_token", "refresh_token": credentials["refresh_token"],
            "client_id": credentials["client_id"]}
    return {**credentials, **_token_call(client, data, credentials, clock)}


def _token_call(client: httpx.Client, data: dict[str, str], credentials: Credentials,
                clock: Callable[[], float]) -> dict[str, Any]:
    auth = None
    if secret := credentials.get("client_secret"):
        auth = httpx.BasicAuth(credentials["client_id"], secret)  # confidential client
    response = send(client, "POST", TOKEN_PATH, name=NAME, data=data, auth=auth)
    if response.status_code in (400, 401):
        raise ConnectionBroken(broken_message(NAME, _oauth_detail(response)))
    body = check(response, name=NAME, detail=_oauth_detail).json()
    return {"access_token": body["access_token"], "expires_at": clock() + body["expires_in"],
            "refresh_token": body.get("refresh_token"), "scope": body.get("scope", "")}


def _oauth_detail(response: httpx.Response) -> str:
    body = json_or_empty(response)
    return str(body.get("error_description") or body.get("error")
               or f"HTTP {response.status_code}")


class XTokens:
    """Hands out a valid access token, refreshing it at most once per expiry."""

    def __init__(self, store: CredentialStore, client: httpx.Client,
                 clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._client = client
        self._clock = clock

    def current(self) -> str:
        """The stored access token if it is not about to expire, else a refreshed one."""
        credentials = self.credentials()
        if not self._expiring(credentials):
            return credentials["access_token"]
        return self.renew(credentials["access_token"])

    def renew(self, stale: str) -> str:
        """Refresh unless another worker already replaced ``stale`` while we waited."""
        def rotate(current: Credentials | None) -> Credentials:
            current = self._require(current)
            if current["access_token"] != stale and not self._expiring(current):
                return current
            return refresh_tokens(self._client, current, self._clock)
        return self._store.update(NETWORK, rotate)["access_token"]

    def credentials(self) -> Credentials:
        """The stored credentials; ConnectionBroken if X was never connected."""
        return self._require(self._store.load(NETWORK))

    def _expiring(self, credentials: Credentials) -> bool:
        return credentials.get("expires_at", 0) - self._clock() < EXPIRY_MARGIN_SECONDS

    @staticmethod
    def _require(credentials: Credentials | None) -> Credentials:
        if not credentials or not credentials.get("access_token"):
            raise ConnectionBroken(broken_message(NAME, "no account is connected"))
        return credentials
