"""axe-core (WCAG 2.1 AA and best practice) on every main screen, as each role sees it."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.conftest import browser_login, receive_photo, wait_for_htmx
from trip_companion.models import Role

pytestmark = pytest.mark.browser
RULES = {"runOnly": ["wcag2a", "wcag2aa", "wcag21aa", "best-practice"]}


def check(page, url):
    page.goto(url)
    results = Axe().run(page, options=RULES)
    assert results.violations_count == 0, f"{url}\n{results.generate_report()}"


def test_headteacher_screens(page, live_server, app):
    receive_photo(app, Role.STAFF, "a11yphoto01")
    browser_login(page, live_server.url, Role.HEADTEACHER, app)
    for path in ("/", "/devices", "/inspection", "/audit", "/esafety/", "/reports/term",
                 "/settings/", "/posts", "/schools/demo/feed", "/device/waiting"):
        check(page, live_server.url + path)
    page.goto(live_server.url + "/")
    page.locator("article.event", has_text="Year 6").get_by_role(
        "button", name="Write a post").click()
    wait_for_htmx(page, "#compose")
    page.fill("#caption", "Well done Josh Smith!")
    page.wait_for_selector('.finding[data-rule="R2"]')
    results = Axe().run(page, options=RULES)
    assert results.violations_count == 0, results.generate_report()


def test_teacher_and_signed_out_screens(page, live_server, app):
    check(page, live_server.url + "/login")
    check(page, live_server.url + "/offline")
    browser_login(page, live_server.url, Role.STAFF, app)
    check(page, live_server.url + "/")
