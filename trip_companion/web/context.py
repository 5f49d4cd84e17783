"""Per-request database session and the helpers every view shares."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import (
    Flask,
    Request,
    Response,
    abort,
    current_app,
    g,
    render_template,
    request,
)
from flask_login import current_user
from sqlalchemy.orm import Session

from trip_companion.runtime import Runtime
from trip_companion.worker import Queue

# sha384 of static/vendor/htmx/htmx-2.0.11.min.js, checked by tests/test_shell.py.
HTMX_INTEGRITY = "sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg"


class MemoryRequest(Request):
    """Keep uploaded files in memory: original photo bytes must never touch the disk.

    Werkzeug spools uploads over 500 KB to a temporary file; MAX_CONTENT_LENGTH bounds
    what we hold instead.
    """

    def _get_file_stream(self, total_content_length, content_type, filename=None,
                         content_length=None):
        return io.BytesIO()


def init_app(app: Flask) -> None:
    app.request_class = MemoryRequest
    runtime = Runtime(app.config)
    app.extensions["trip_companion.runtime"] = runtime
    app.extensions["trip_companion.engine"] = runtime.engine
    app.extensions["trip_companion.sessions"] = runtime.sessions
    app.extensions["trip_companion.queue"] = Queue(app.config, runtime)
    app.teardown_appcontext(close_db)
    app.jinja_env.globals["static_url"] = static_url
    app.jinja_env.globals["htmx_integrity"] = HTMX_INTEGRITY
    app.jinja_env.filters["local_time"] = local_time


def get_db() -> Session:
    """Return this request's session, opening it on first use."""
    if "db" not in g:
        g.db = current_app.extensions["trip_companion.sessions"]()
    return g.db


def runtime() -> Runtime:
    return current_app.extensions["trip_companion.runtime"]


def store():
    """The configured photo store (local disk or S3), built once per app."""
    return runtime().store


def enqueue_due() -> None:
    """Ask the queue to send whatever is due now (runs inline in immediate mode)."""
    current_app.extensions["trip_companion.queue"].kick()


def school_row(model, row_id: int):
    """The row of ``model`` with this id if it belongs to the user's school, else 404.

    Ids come from the client: this is the one place that checks they are ours.
    """
    row = get_db().get(model, row_id)
    if row is None or row.school_id != current_user.school_id:
        abort(404)
    return row


def close_db(_exc: BaseException | None = None) -> None:
    session = g.pop("db", None)
    if session is not None:
        session.close()


def wants_fragment() -> bool:
    """True when htmx asks for a partial: not for boosted links or history restores."""
    return (request.headers.get("HX-Request") == "true"
            and request.headers.get("HX-Boosted") != "true"
            and request.headers.get("HX-History-Restore-Request") != "true")


def render(page: str, fragment: str | None = None, status: int = 200, **context) -> Response:
    """Render the page, or only its fragment when htmx asks; caches keyed on HX-Request."""
    template = fragment if fragment and wants_fragment() else page
    response = current_app.make_response((render_template(template, **context), status))
    response.vary.add("HX-Request")
    return response


def static_url(filename: str) -> str:
    """URL of a static file with a content hash, so phones never run stale code."""
    from trip_companion.web.shell import asset_version

    return f"/static/{filename}?v={asset_version(filename)}"


def school_zone() -> ZoneInfo:
    """The signed-in user's school timezone (Europe/London before sign-in)."""
    if current_user and current_user.is_authenticated:
        return ZoneInfo(current_user.school.timezone)
    return ZoneInfo("Europe/London")


def local_time(value: datetime) -> str:
    """Show a stored UTC time in the school's own clock, e.g. "Sat 21 Nov, 16:30"."""
    return value.astimezone(school_zone()).strftime("%a %-d %b, %H:%M")
