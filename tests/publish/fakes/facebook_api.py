"""A fake Graph API (one Facebook Page) on 127.0.0.1: unpublished photos with
``alt_text_custom``, a feed post with ``attached_media``, Graph error bodies with
codes and subcodes, and the X-App-Usage header, written from the Graph docs."""

from __future__ import annotations

import itertools
import json
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from tests.publish.fakes.server import FakeServer, json_response

VERSION = "v24.0"
PAGE_ID = "100200300400500"
TOKEN = "fb-page-token"


def graph_error(code: int, message: str, subcode: int | None = None) -> dict[str, Any]:
    """A Graph error body."""
    error = {"message": message, "type": "OAuthException", "code": code,
             "fbtrace_id": secrets.token_urlsafe(8)}
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


class FakeFacebook(FakeServer):
    """The Graph API subset Trip Companion uses, for one Page."""

    rules = (
        Rule(f"/{VERSION}/<page_id>/photos", methods=["POST"], endpoint="photos"),
        Rule(f"/{VERSION}/<page_id>/feed", methods=["POST"], endpoint="feed"),
        Rule(f"/{VERSION}/<page_id>/published_posts", methods=["GET"], endpoint="posts"),
        Rule(f"/{VERSION}/<page_id>/posts", methods=["GET"], endpoint="posts"),
        Rule(f"/{VERSION}/<object_id>", methods=["GET"], endpoint="page"),
        Rule(f"/{VERSION}/<object_id>", methods=["DELETE"], endpoint="delete_object"),
    )

    def __init__(self) -> None:
        super().__init__()
        self.token: str | None = TOKEN
        self.photos: dict[str, dict[str, Any]] = {}
        self.page_posts: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(900_000_000_000_001)

    @property
    def graph_url(self) -> str:
        """The base URL the publisher is given (the fake's root plus the version)."""
        return f"{self.url}/{VERSION}"

    @property
    def posts(self) -> list[dict[str, Any]]:
        """Page posts that exist now, oldest first."""
        with self.lock:
            return [p for p in self.page_posts.values() if not p["deleted"]]

    def on_photos(self, request: Request, page_id: str) -> Response:
        if (denied := self._deny(request, page_id)) is not None:
            return denied
        source = request.files.get("source")
        if source is None:
            return self._error(graph_error(100, "(#100) source or url is required"))
        photo_id = str(next(self._ids))
        with self.lock:
            self.photos[photo_id] = {
                "id": photo_id, "alt": request.form.get("alt_text_custom"),
                "published": request.form.get("published", "true") != "false",
                "size": len(source.read()), "attached_to": None, "deleted": False}
        return self._ok({"id": photo_id})

    def on_feed(self, request: Request, page_id: str) -> Response:
        if (denied := self._deny(request, page_id)) is not None:
            return denied
        body = request.get_json(silent=True) or request.form.to_dict()
        attached = body.get("attached_media", [])
        attached = json.loads(attached) if isinstance(attached, str) else attached
        ids = [item["media_fbid"] for item in attached]
        with self.lock:
            if any(p["message"] == body.get("message") for p in self.posts):
                return self._error(graph_error(506, "(#506) Duplicate status message"))
            if any(self.photos.get(i, {}).get("attached_to") for i in ids):
                return self._error(graph_error(1366051, "These photos were already posted."))
            if any(i not in self.photos for i in ids):
                return self._error(graph_error(100, "(#100) Invalid media_fbid"))
            post_id = f"{page_id}_{next(self._ids)}"
            for i in ids:
                self.photos[i]["attached_to"] = post_id
            self.page_posts[post_id] = {"id": post_id, "message": body.get("message"),
                                        "photo_ids": ids, "created": time.time(),
                                        "deleted": False}
        return self._ok({"id": post_id})

    def on_posts(self, request: Request, page_id: str) -> Response:
        if (denied := self._deny(request, page_id)) is not None:
            return denied
        since = float(request.args.get("since", 0))
        limit = int(request.args.get("limit", 25))
        found = [p for p in reversed(self.posts) if p["created"] >= since][:limit]
        return self._ok({"data": [self._post_json(p) for p in found], "paging": {}})

    def on_page(self, request: Request, object_id: str) -> Response:
        return self._deny(request, object_id) or self._ok(
            {"id": PAGE_ID, "name": "Riverside Primary School"})

    def on_delete_object(self, request: Request, object_id: str) -> Response:
        if (denied := self._deny(request, PAGE_ID)) is not None:
            return denied
        with self.lock:
            target = self.page_posts.get(object_id) or self.photos.get(object_id)
            if target is None or target["deleted"]:
                return self._error(graph_error(
                    100, f"Unsupported delete request. Object with ID '{object_id}' does "
                    "not exist, cannot be loaded due to missing permissions, or does not "
                    "support this operation.", 33))
            target["deleted"] = True
        return self._ok({"success": True})

    def _post_json(self, post: dict[str, Any]) -> dict[str, Any]:
        created = datetime.fromtimestamp(post["created"], UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")
        subs = [{"type": "photo", "target": {"id": i}} for i in post["photo_ids"]]
        result = {"id": post["id"], "message": post["message"], "created_time": created}
        if subs:
            result["attachments"] = {"data": [{"type": "album",
                                               "subattachments": {"data": subs}}]}
        return result

    def _deny(self, request: Request, page_id: str) -> Response | None:
        token = (request.headers.get("Authorization", "").removeprefix("Bearer ")
                 or request.values.get("access_token"))
        if self.token is None or token != self.token:
            return self._error(graph_error(
                190, "Error validating access token: The session has been invalidated "
                "because the user changed their password or Facebook has changed the "
                "session for security reasons.", 460))
        if page_id != PAGE_ID:
            return self._error(graph_error(100, f"(#100) Unknown page {page_id}"))
        return None

    def _error(self, body: dict[str, Any], status: int = 400) -> Response:
        return json_response(body, status, self._usage())

    def _ok(self, body: Any) -> Response:
        return json_response(body, 200, self._usage())

    @staticmethod
    def _usage() -> dict[str, str]:
        return {"X-App-Usage": json.dumps({"call_count": 1, "total_cputime": 1,
                                           "total_time": 1})}
