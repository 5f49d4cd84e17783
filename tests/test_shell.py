"""The installable shell: manifest, icons, service worker, vendored htmx, headers."""

from __future__ import annotations

import base64
import hashlib
import json
import zlib
from pathlib import Path

from PIL import Image

from trip_companion.models import Role
from trip_companion.web.context import HTMX_INTEGRITY

ROOT = Path(__file__).resolve().parent.parent


def test_htmx_is_vendored_with_licence_and_matching_integrity():
    vendor = ROOT / "static" / "vendor" / "htmx"
    digest = hashlib.sha384((vendor / "htmx-2.0.11.min.js").read_bytes()).digest()
    assert "sha384-" + base64.b64encode(digest).decode() == HTMX_INTEGRITY
    assert "Zero-Clause BSD" in (vendor / "LICENSE").read_text()


def test_manifest_has_real_icons(client):
    manifest = json.loads(client.get("/manifest.webmanifest").data)
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    for icon in manifest["icons"]:
        size = int(icon["sizes"].split("x")[0])
        response = client.get(icon["src"])
        data = response.data
        response.close()
        with Image.open(__import__("io").BytesIO(data)) as im:
            assert im.size == (size, size)


def test_service_worker_is_served_from_root_with_shell_list(client):
    response = client.get("/sw.js")
    assert response.headers["Service-Worker-Allowed"] == "/"
    body = response.get_data(as_text=True)
    assert "__SHELL__" not in body and "__VERSION__" not in body
    assert "/offline" in body and "htmx-2.0.11.min.js?v=" in body


def test_strict_csp_and_no_inline_script_or_style(auth):
    auth.login(Role.STAFF)
    response = auth.client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    html = response.get_data(as_text=True)
    assert "<script>" not in html and "<style" not in html and " style=" not in html
    assert " onclick=" not in html


def test_templates_have_no_inline_script_or_style():
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        assert "<script>" not in text and "<style" not in text and 'style="' not in text, path


def test_fragment_for_htmx_and_page_otherwise(auth):
    auth.login(Role.STAFF)
    full = auth.client.get("/nowhere")
    assert full.status_code == 404 and "<html" in full.get_data(as_text=True)
    partial = auth.client.get("/nowhere", headers={"HX-Request": "true"})
    assert partial.status_code == 404 and "<html" not in partial.get_data(as_text=True)
    assert "HX-Request" in partial.headers["Vary"]


def test_dashboard_for_headteacher(auth):
    auth.login(Role.HEADTEACHER)
    html = auth.client.get("/").get_data(as_text=True)
    for area in ("Devices", "Inspection", "Posts", "Settings"):
        assert area in html


def test_assets_are_gzipped_but_pages_are_not(auth):
    css = auth.client.get("/static/css/app.css",
                          headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    original = (ROOT / "static" / "css" / "app.css").read_bytes()
    try:
        body, encoding = css.data, css.headers.get("Content-Encoding")
    finally:
        css.close()
    assert encoding in ("gzip", "deflate")
    assert zlib.decompress(body, zlib.MAX_WBITS | 32) == original  # gzip or zlib framing
    assert len(body) < len(original) / 2
    auth.login(Role.STAFF)
    page = auth.client.get("/", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in page.headers  # HTML carries the CSRF token (BREACH)
