"""A fake X API v2 on 127.0.0.1: OAuth 2.0 PKCE with single-use refresh tokens,
media upload and alt text, posts with reply settings, Problem-JSON errors and
x-rate-limit-* headers, written from docs.x.com (openapi.json v2.167)."""

from __future__ import annotations

import base64
import hashlib
import html
import itertools
import secrets
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from tests.publish.fakes.server import FakeServer, json_response

REPLY_SETTINGS = {"following", "mentionedUsers", "subscribers", "verified"}
USER = {"id": "1500000000000000001", "name": "Riverside Primary", "username": "riversideps"}


def problem(status: int, title: str, detail: str, **extra: Any) -> Response:
    """An X Problem-JSON error."""
    return json_response({"title": title, "detail": detail, "type": "about:blank",
                          "status": status, **extra}, status)


class FakeX(FakeServer):
    """The X API subset Trip Companion uses, with introspection for assertions."""

    rules = (
        Rule("/2/oauth2/token", methods=["POST"], endpoint="token"),
        Rule("/2/media/upload", methods=["POST"], endpoint="media_upload"),
        Rule("/2/media/metadata", methods=["POST"], endpoint="media_metadata"),
        Rule("/2/tweets", methods=["POST"], endpoint="create_tweet"),
        Rule("/2/tweets/<tweet_id>", methods=["DELETE"], endpoint="delete_tweet"),
        Rule("/2/users/me", methods=["GET"], endpoint="users_me"),
        Rule("/2/users/<user_id>/tweets", methods=["GET"], endpoint="user_tweets"),
    )

    def __init__(self, client_id: str = "tc-client") -> None:
        super().__init__()
        self.client_id = client_id
        self.access_tokens: dict[str, float] = {}
        self.live_refresh_tokens: set[str] = set()
        self.refresh_tokens_used: list[str] = []
        self.codes: dict[str, dict[str, str]] = {}
        self.media: dict[str, dict[str, Any]] = {}
        self.tweets: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1_860_000_000_000_000_001)

    # -- set-up and introspection -------------------------------------------------
    def issue_tokens(self, expires_in: float = 7200) -> dict[str, Any]:
        """A fresh token pair, as the token endpoint would hand out."""
        access, refresh = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        with self.lock:
            self.access_tokens[access] = time.time() + expires_in
            self.live_refresh_tokens.add(refresh)
        return {"token_type": "bearer", "access_token": access, "refresh_token": refresh,
                "expires_in": expires_in, "scope": "tweet.read tweet.write users.read "
                "media.write offline.access"}

    def approve(self, authorize_url: str) -> str:
        """Play the user pressing "Authorize": returns the code sent to the callback."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
        assert query["code_challenge_method"] == "S256"
        assert "offline.access" in query["scope"].split()
        code = secrets.token_urlsafe(12)
        self.codes[code] = query
        return code

    def revoke_all(self) -> None:
        """The school revoked the app: every token stops working."""
        with self.lock:
            self.access_tokens.clear()
            self.live_refresh_tokens.clear()

    @property
    def posts(self) -> list[dict[str, Any]]:
        """Posts that exist now, oldest first."""
        with self.lock:
            return [t for t in self.tweets.values() if not t["deleted"]]

    # -- endpoints ----------------------------------------------------------------
    def on_token(self, request: Request) -> Response:
        form = request.form
        if form.get("client_id") != self.client_id:
            return json_response({"error": "invalid_client"}, 401)
        if form.get("grant_type") == "authorization_code":
            return self._exchange(form)
        with self.lock:
            token = form.get("refresh_token", "")
            self.refresh_tokens_used.append(token)
            if token not in self.live_refresh_tokens:
                return json_response({"error": "invalid_request", "error_description":
                                      "Value passed for the token was invalid."}, 400)
            self.live_refresh_tokens.discard(token)  # single use
            return json_response(self.issue_tokens())

    def _exchange(self, form: Any) -> Response:
        query = self.codes.pop(form.get("code", ""), None)
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if (query is None or challenge.rstrip(b"=").decode() != query["code_challenge"]
                or form.get("redirect_uri") != query["redirect_uri"]):
            return json_response({"error": "invalid_request", "error_description":
                                  "Value passed for the authorization code was invalid."}, 400)
        return json_response(self.issue_tokens())

    def on_media_upload(self, request: Request) -> Response:
        if (denied := self._deny(request)) is not None:
            return denied
        upload = request.files.get("media")
        if upload is None or request.form.get("media_category") != "tweet_image":
            return problem(400, "Invalid Request", "media and media_category are required")
        data = upload.read()
        if len(data) > 5 * 1024 * 1024:
            return problem(400, "Invalid Request", "Image file size must be <= 5242880 bytes")
        media_id = str(next(self._ids))
        with self.lock:
            self.media[media_id] = {"size": len(data), "alt": None, "sha": _sha(data)}
        return self._ok({"data": {"id": media_id, "media_key": f"3_{media_id}",
                                  "size": len(data), "expires_after_secs": 86400}})

    def on_media_metadata(self, request: Request) -> Response:
        if (denied := self._deny(request)) is not None:
            return denied
        body = request.get_json()
        alt = body.get("metadata", {}).get("alt_text", {}).get("text")
        if body.get("id") not in self.media or alt is None or len(alt) > 1000:
            return problem(400, "Invalid Request", "unknown media id or bad alt_text")
        with self.lock:
            self.media[body["id"]]["alt"] = alt
        return self._ok({"data": {"id": body["id"], "associated_metadata": body["metadata"]}})

    def on_create_tweet(self, request: Request) -> Response:
        if (denied := self._deny(request)) is not None:
            return denied
        body = request.get_json()
        media_ids = body.get("media", {}).get("media_ids", [])
        if (not body.get("text") or len(body["text"]) > 280 or len(media_ids) > 4
                or body.get("reply_settings", "mentionedUsers") not in REPLY_SETTINGS
                or any(m not in self.media for m in media_ids)):
            return problem(400, "Invalid Request",
                           "One or more parameters to your request was invalid.")
        with self.lock:
            if any(t["text"] == body["text"] for t in self.posts):
                return problem(403, "Forbidden", "You are not allowed to create a Tweet "
                               "with duplicate content.")
            tweet_id = str(next(self._ids))
            self.tweets[tweet_id] = {"id": tweet_id, "text": body["text"], "deleted": False,
                                     "media_ids": media_ids, "created_at": time.time(),
                                     "reply_settings": body.get("reply_settings")}
        return self._ok({"data": {"id": tweet_id, "text": _as_x_shows(self.tweets[tweet_id])}},
                        201)

    def on_delete_tweet(self, request: Request, tweet_id: str) -> Response:
        if (denied := self._deny(request)) is not None:
            return denied
        with self.lock:
            tweet = self.tweets.get(tweet_id)
            if tweet is None or tweet["deleted"]:
                return problem(404, "Not Found Error", f"Could not find tweet {tweet_id}")
            tweet["deleted"] = True
        return self._ok({"data": {"deleted": True}})

    def on_users_me(self, request: Request) -> Response:
        return self._deny(request) or self._ok({"data": USER})

    def on_user_tweets(self, request: Request, user_id: str) -> Response:
        if (denied := self._deny(request)) is not None:
            return denied
        since = request.args.get("start_time")
        start = datetime.fromisoformat(since).timestamp() if since else 0
        found = [t for t in reversed(self.posts) if t["created_at"] >= start]
        found = found[: int(request.args.get("max_results", 10))]
        data = [{"id": t["id"], "text": _as_x_shows(t), "created_at": _iso(t["created_at"])}
                for t in found]
        return self._ok({"data": data, "meta": {"result_count": len(data)}} if data
                        else {"meta": {"result_count": 0}})

    # -- helpers ------------------------------------------------------------------
    def _deny(self, request: Request) -> Response | None:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        with self.lock:
            if self.access_tokens.get(token, 0) < time.time():
                return problem(401, "Unauthorized", "Unauthorized")
        return None

    def _ok(self, body: Any, status: int = 200) -> Response:
        reset = str(int(time.time()) + 900)
        return json_response(body, status, {"x-rate-limit-limit": "100",
                                             "x-rate-limit-remaining": "99",
                                             "x-rate-limit-reset": reset})


def _as_x_shows(tweet: dict[str, Any]) -> str:
    """X escapes &<> in text and appends a t.co link for attached media."""
    link = f" https://t.co/{tweet['id'][-10:]}" if tweet["media_ids"] else ""
    return html.escape(tweet["text"], quote=False) + link


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()

