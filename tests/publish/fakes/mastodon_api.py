"""A fake Mastodon server on 127.0.0.1: /api/v2/instance limits, async media
(202, then 206 while processing), Idempotency-Key on statuses (forgotten after an
hour: ``forget_idempotency_keys``), statuses as HTML the way Mastodon renders them,
the account's own statuses, ``{"error": …}`` bodies and X-RateLimit-* headers,
written from docs.joinmastodon.org."""

from __future__ import annotations

import html
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import regex
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from tests.publish.fakes.server import FakeServer, json_response

TOKEN = "masto-token"


class FakeMastodon(FakeServer):
    """The Mastodon API subset Trip Companion uses, with introspection."""

    rules = (
        Rule("/api/v2/instance", methods=["GET"], endpoint="instance"),
        Rule("/api/v1/accounts/verify_credentials", methods=["GET"], endpoint="verify"),
        Rule("/api/v2/media", methods=["POST"], endpoint="media_upload"),
        Rule("/api/v1/media/<media_id>", methods=["GET"], endpoint="media_get"),
        Rule("/api/v1/statuses", methods=["POST"], endpoint="create_status"),
        Rule("/api/v1/statuses/<status_id>", methods=["DELETE"], endpoint="delete_status"),
        Rule("/api/v1/accounts/<account_id>/statuses", methods=["GET"],
             endpoint="account_statuses"),
    )

    def __init__(self, max_characters: int = 500, image_size_limit: int = 16_777_216,
                 processing_polls: int = 0) -> None:
        super().__init__()
        self.max_characters = max_characters
        self.image_size_limit = image_size_limit
        self.processing_polls = processing_polls  # 206 answers before media is ready
        self.token = TOKEN
        self.media: dict[str, dict[str, Any]] = {}
        self.statuses: dict[str, dict[str, Any]] = {}
        self.idempotency: dict[str, str] = {}
        self._ids = itertools.count(113_000_000_000_000_001)

    def forget_idempotency_keys(self) -> None:
        """What an hour does on a real server: a repeated key creates a new status."""
        with self.lock:
            self.idempotency.clear()

    @property
    def posts(self) -> list[dict[str, Any]]:
        """Statuses that exist now, oldest first."""
        with self.lock:
            return [s for s in self.statuses.values() if not s["deleted"]]

    def on_instance(self, request: Request) -> Response:
        return self._ok({"domain": "fake.example", "configuration": {
            "statuses": {"max_characters": self.max_characters,
                         "max_media_attachments": 4, "characters_reserved_per_url": 23},
            "media_attachments": {"image_size_limit": self.image_size_limit,
                                  "image_matrix_limit": 33_177_600,
                                  "description_limit": 1500,
                                  "supported_mime_types": ["image/jpeg", "image/png"]}}})

    def on_verify(self, request: Request) -> Response:
        return self._deny(request) or self._ok(
            {"id": "1", "username": "riverside", "acct": "riverside"})

    def on_media_upload(self, request: Request) -> Response:
        if (denied := self._deny(request)) is not None:
            return denied
        upload = request.files.get("file")
        if upload is None or not (upload.mimetype or "").startswith("image/"):
            return json_response({"error": "Validation failed: File content type is "
                                  "invalid"}, 422)
        data = upload.read()
        if len(data) > self.image_size_limit:
            return json_response({"error": "Validation failed: File file size must be "
                                  f"less than {self.image_size_limit} Bytes"}, 422)
        media_id = str(next(self._ids))
        item = {"id": media_id, "type": "image", "description": request.form.get("description"),
                "size": len(data), "polls_left": self.processing_polls}
        with self.lock:
            self.media[media_id] = item
        return self._ok(self._media_json(item), 202 if item["polls_left"] else 200)

    def on_media_get(self, request: Request, media_id: str) -> Response:
        if (denied := self._deny(request)) is not None:
            return denied
        with self.lock:
            item = self.media.get(media_id)
            if item is None:
                return json_response({"error": "Record not found"}, 404)
            if item["polls_left"]:
                item["polls_left"] -= 1
                return self._ok(self._media_json(item), 206)
        return self._ok(self._media_json(item))

    def on_create_status(self, request: Request) -> Response:
        if (denied := self._deny(request)) is not None:
            return denied
        body = request.get_json(silent=True) or request.form.to_dict()
        key = request.headers.get("Idempotency-Key")
        with self.lock:
            if key and key in self.idempotency:
                return self._ok(self.statuses[self.idempotency[key]])
            if (error := self._invalid(body)) is not None:
                return json_response({"error": error}, 422)
            status_id = str(next(self._ids))
            self.statuses[status_id] = {
                "id": status_id, "content": render(body["status"]), "source": body["status"],
                "created_at": datetime.now(UTC).isoformat(timespec="milliseconds")
                .replace("+00:00", "Z"), "deleted": False,
                "url": f"https://fake.example/@riverside/{status_id}",
                "visibility": body.get("visibility"),
                "media_attachments": [self._media_json(self.media[m])
                                      for m in body.get("media_ids", [])]}
            if key:
                self.idempotency[key] = status_id
            return self._ok(self.statuses[status_id])

    def on_delete_status(self, request: Request, status_id: str) -> Response:
        if (denied := self._deny(request)) is not None:
            return denied
        with self.lock:
            status = self.statuses.get(status_id)
            if status is None or status["deleted"]:
                return json_response({"error": "Record not found"}, 404)
            status["deleted"] = True
            status["media_deleted"] = request.args.get("delete_media") == "true"
        return self._ok(status)

    def on_account_statuses(self, request: Request, account_id: str) -> Response:
        if (denied := self._deny(request)) is not None:
            return denied
        if account_id != "1":
            return json_response({"error": "Record not found"}, 404)
        limit = min(int(request.args.get("limit", 20)), 40)
        with self.lock:
            newest = [s for s in reversed(self.statuses.values()) if not s["deleted"]]
        return self._ok(newest[:limit])

    def _invalid(self, body: dict[str, Any]) -> str | None:
        media_ids = body.get("media_ids", [])
        if len(regex.findall(r"\X", body.get("status", ""))) > self.max_characters:
            return f"Validation failed: Text character limit of {self.max_characters} exceeded"
        if len(media_ids) > 4:
            return "Validation failed: Media attachments: too many"
        if any(m not in self.media or self.media[m]["polls_left"] for m in media_ids):
            return "Cannot attach files that have not finished processing. Try again in a moment!"
        return None

    def _media_json(self, item: dict[str, Any]) -> dict[str, Any]:
        ready = not item["polls_left"]
        return {"id": item["id"], "type": "image", "description": item["description"],
                "url": f"https://fake.example/media/{item['id']}.jpg" if ready else None,
                "preview_url": f"https://fake.example/media/{item['id']}_small.jpg"}

    def _deny(self, request: Request) -> Response | None:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return json_response({"error": "The access token is invalid"}, 401)
        return None

    def _ok(self, body: Any, status: int = 200) -> Response:
        reset = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
        return json_response(body, status, {"X-RateLimit-Limit": "300",
                                             "X-RateLimit-Remaining": "299",
                                             "X-RateLimit-Reset": reset})


_URL = regex.compile(r"https?://[^\s<]+[^\s<.,;:!?)]")
_TAG = regex.compile(r"(?<![\w#])#(\p{L}[\p{L}\p{N}_]*)")


def render(text: str) -> str:
    """A status's ``content`` as Mastodon writes it: <p> per paragraph, <br /> per line,
    links cut into hidden and shortened spans, hashtags as links."""
    return "".join(f"<p>{_render_lines(part)}</p>" for part in text.split("\n\n"))


def _render_lines(part: str) -> str:
    pieces, last = [], 0
    for match in regex.finditer(f"{_URL.pattern}|{_TAG.pattern}", part):
        pieces += [html.escape(part[last:match.start()], quote=False), _link(match.group())]
        last = match.end()
    pieces.append(html.escape(part[last:], quote=False))
    return "".join(pieces).replace("\n", "<br />")


def _link(found: str) -> str:
    if found.startswith("#"):
        return (f'<a href="https://fake.example/tags/{found[1:].lower()}" class="mention '
                f'hashtag" rel="tag">#<span>{html.escape(found[1:])}</span></a>')
    scheme, rest = found.split("//", 1)
    shown, hidden = rest[:30], rest[30:]
    return (f'<a href="{html.escape(found)}" target="_blank" rel="nofollow noopener" '
            f'translate="no"><span class="invisible">{scheme}//</span><span class="'
            f'{"ellipsis" if hidden else ""}">{html.escape(shown)}</span><span class='
            f'"invisible">{html.escape(hidden)}</span></a>')
