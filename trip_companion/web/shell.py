"""The installable app shell: manifest, service worker, offline page."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from flask import Blueprint, Response, current_app

from trip_companion.web.access import public
from trip_companion.web.context import render

bp = Blueprint("shell", __name__)

HTMX = "vendor/htmx/htmx-2.0.11.min.js"
# Everything the shell needs to open with no network at all.
SHELL_ASSETS = ("css/app.css", "css/capture.css", "js/app.js", HTMX, "icons/icon-192.png",
                "icons/icon-512.png")
# Photos taken with the phone's own camera can be shared into the app (gallery photos).
SHARE_TARGET = {"action": "/share-target", "method": "POST", "enctype": "multipart/form-data",
                "params": {"files": [{"name": "photos", "accept": ["image/*"]}]}}


@cache
def _digest(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def asset_version(filename: str) -> str:
    """Short content hash of a static file (cached per process; files don't change live)."""
    return _digest(str(Path(current_app.static_folder) / filename))


@bp.get("/manifest.webmanifest")
@public
def manifest():
    from trip_companion.web.context import static_url

    icons = [{"src": static_url(f"icons/icon-{size}.png"),
              "sizes": f"{size}x{size}", "type": "image/png", "purpose": purpose}
             for size, purpose in ((192, "any"), (512, "any"), (512, "maskable"))]
    body = {
        "name": "Trip Companion", "short_name": "Trip Photos", "id": "/", "start_url": "/",
        "scope": "/", "display": "standalone", "orientation": "portrait",
        "background_color": "#ffffff", "theme_color": "#1d4e89",
        "description": "Take trip photos and post them safely through the school's account.",
        "icons": icons, "share_target": SHARE_TARGET,
    }
    return Response(json.dumps(body), mimetype="application/manifest+json")


@bp.get("/sw.js")
@public
def service_worker():
    """Serve the worker from the root so its scope is the whole app, with the shell list."""
    source = (Path(current_app.static_folder) / "js" / "sw.js").read_text()
    from trip_companion.web.context import static_url

    shell = ["/offline", *(static_url(a) for a in SHELL_ASSETS)]
    version = hashlib.sha256((source + "".join(shell)).encode()).hexdigest()[:12]
    body = source.replace('"__VERSION__"', json.dumps(version)).replace(
        "__SHELL__", json.dumps(shell))
    response = Response(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/offline")
@public
def offline():
    return render("offline.html")
