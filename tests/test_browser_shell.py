"""In the real Chromium, on a phone-sized screen: sign in, see today's trip, go offline."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import ARTIFACTS, browser_login
from trip_companion.models import Role

pytestmark = pytest.mark.browser


def test_teacher_sees_trip_and_shell_opens_offline(page, context, live_server):
    browser_login(page, live_server.url, Role.STAFF, live_server.app)
    expect(page.locator("h1")).to_contain_text("Hello, Ms Amara Okafor")
    trip = page.locator("article.event", has_text="Year 6 residential")
    expect(trip).to_be_visible()
    take = trip.get_by_role("link", name="Take photos")
    expect(take).to_be_visible()
    box = take.bounding_box()
    assert box["height"] >= 60 and box["width"] >= 300  # one large, obvious action
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.reload()  # the page is now in the worker's cache
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "home-phone.png"))

    context.set_offline(True)
    response = page.reload()
    assert response.from_service_worker
    expect(page.locator("h1")).to_contain_text("Hello, Ms Amara Okafor")
    expect(page.locator("[data-connection]")).to_contain_text("No signal")
    page.goto(live_server.url + "/events/999")  # never visited: the offline page answers
    expect(page.locator("h1")).to_have_text("No signal")
    context.set_offline(False)


def test_no_console_errors_or_csp_violations(page, live_server):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    browser_login(page, live_server.url, Role.HEADTEACHER, live_server.app)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.reload()
    assert page.evaluate("typeof htmx") == "object"
    assert errors == []


def test_htmx_boosted_navigation_keeps_csrf(page, live_server):
    browser_login(page, live_server.url, Role.STAFF, live_server.app)
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("h1")).to_have_text("Sign in")
    expect(page.locator(".flash")).to_have_text("You are signed out.")


def test_chromium_says_the_app_is_installable(playwright, live_server, tmp_path):
    """Chromium's own installability check (DevTools' Manifest panel), in a real profile."""
    from tests.conftest import CHROMIUM, CHROMIUM_ARGS

    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(live_server.url + "/login")
        # (wait_for_function would eval a string, which our CSP forbids in this profile)
        assert page.evaluate("navigator.serviceWorker.ready.then(r => Boolean(r.active))")
        cdp = context.new_cdp_session(page)
        assert cdp.send("Page.getInstallabilityErrors") == {"installabilityErrors": []}
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["errors"] == []
        assert "share_target" in manifest["data"]
    finally:
        context.close()
