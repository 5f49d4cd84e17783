"""Compose in the real Chromium: live findings as you type, then post to the school feed."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from playwright.sync_api import expect

from tests.conftest import ARTIFACTS, browser_login, receive_photo, shared_path, wait_for_htmx
from tests.images import has_exif
from trip_companion.models import Role

pytestmark = pytest.mark.browser


def test_compose_check_fix_and_post_to_the_feed(page, live_server, app, tmp_path):
    photo_id = receive_photo(app, Role.STAFF, "composebrowser1")
    browser_login(page, live_server.url, Role.HEADTEACHER, app)
    trip = page.locator("article.event", has_text="Year 6 residential")
    trip.get_by_role("button", name="Write a post").click()
    expect(page.locator("h1")).to_have_text("Compose a post")
    wait_for_htmx(page, "#compose")

    page.fill("#caption", "Josh Smith was first to the top of the climbing wall!")
    finding = page.locator('.finding[data-rule="R2"]')
    expect(finding).to_contain_text("Josh Smith")
    expect(page.locator("#submit")).to_contain_text("Fix")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "compose-phone.png"), full_page=True)

    page.check(f"#photo-{photo_id}")
    page.fill(f"#alt-{photo_id}", "Pupils on a climbing wall, seen from behind")
    page.select_option(f"#faces-{photo_id}", "no")
    page.fill("#caption", "Year 6 all reached the top of the climbing wall today!")
    expect(finding).to_have_count(0)
    expect(page.locator("#submit")).to_have_text("Post now")  # the trip covers today
    page.click("#submit")
    expect(page.locator("#post-status")).to_have_text("Published")

    page.goto(f"{live_server.url}/schools/demo/feed")
    entry = page.locator("article.feed-entry").first
    expect(entry).to_contain_text("Year 6 all reached the top of the climbing wall today!")
    image = entry.locator("img")
    expect(image).to_have_attribute("alt", "Pupils on a climbing wall, seen from behind")
    page.screenshot(path=str(ARTIFACTS / "feed-phone.png"))

    data = page.request.get(live_server.url + image.get_attribute("src")).body()
    assert data[:2] == b"\xff\xd8" and not has_exif(data)
    saved = tmp_path / "feed.jpg"
    saved.write_bytes(data)
    tags = json.loads(subprocess.run(["exiftool", "-json", "-a", "-G1", str(saved)],
                                     capture_output=True, text=True, check=True).stdout)[0]
    assert not [k for k in tags if k.startswith(("GPS", "IFD0", "ExifIFD", "XMP"))], tags
    residue = shared_path("tools", "residue.py")
    result = subprocess.run([sys.executable, str(residue), str(saved)], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout

    atom = page.request.get(f"{live_server.url}/schools/demo/feed.atom")
    assert atom.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(atom.body())
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = root.findall("a:entry", ns)
    assert len(entries) == 1
    content = entries[0].find("a:content", ns).text
    assert "climbing wall today" in content
    assert 'alt="Pupils on a climbing wall, seen from behind"' in content
