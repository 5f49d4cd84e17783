"""R13 end to end in the real Chromium: a teacher's phone and the headteacher's desktop."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import ARTIFACTS, EMAILS, PASSWORD, LiveServer, build_app
from tests.images import gps_jpeg
from tests.smtp import MailServer
from trip_companion.models import Event, Photo, Role

pytestmark = pytest.mark.browser
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


def sign_in(page, url, role):
    page.goto(f"{url}/login")
    page.fill("#email", EMAILS[role])
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")


def test_new_phone_waits_is_approved_by_passcode_then_revoked(browser, tmp_path,
                                                               demo_template):
    with MailServer() as mail:
        app = build_app(tmp_path / "d", demo_template, SMTP_HOST="127.0.0.1",
                        SMTP_PORT=mail.port)
        with LiveServer(app) as server:
            phone_ctx = browser.new_context(viewport={"width": 390, "height": 844},
                                            is_mobile=True, has_touch=True)
            desk_ctx = browser.new_context(**DESKTOP)
            phone, desk = phone_ctx.new_page(), desk_ctx.new_page()

            sign_in(phone, server.url, Role.STAFF)
            expect(phone.locator("h1")).to_have_text("Waiting for the headteacher")
            assert len(mail.messages) == 1 and "Ms Amara Okafor" in mail.messages[0]["Subject"]
            link = re.search(r"http://\S+/devices", mail.messages[0].get_content()).group(0)

            sign_in(desk, server.url, Role.HEADTEACHER)
            expect(desk.get_by_role("heading", name="Dashboard")).to_be_visible()
            expect(desk.locator(".reminder-device")).to_contain_text("waiting for approval")
            desk.goto(link)
            pending = desk.locator("article.device-pending")
            expect(pending).to_contain_text("Ms Amara Okafor")
            pending.get_by_role("button", name="Approve and show passcode").click()
            code = desk.locator("#passcode").inner_text().strip()
            assert re.fullmatch(r"\d{6}", code)
            ARTIFACTS.mkdir(exist_ok=True)
            desk.screenshot(path=str(ARTIFACTS / "passcode-desktop.png"))

            phone.fill("#passcode", code)
            phone.get_by_role("button", name="Approve this device").click()
            expect(phone.locator(".flash")).to_contain_text("approved")

            token = phone.locator('meta[name="csrf-token"]').get_attribute("content")
            with app.extensions["trip_companion.runtime"].sessions() as s:
                event_id = s.query(Event).filter(Event.title.like("Year 6%")).one().id
            upload = phone.request.post(
                f"{server.url}/api/photos",
                headers={"X-CSRFToken": token, "Idempotency-Key": "approvedphone1"},
                multipart={"event_id": str(event_id),
                           "photo": {"name": "p.jpg", "mimeType": "image/jpeg",
                                     "buffer": gps_jpeg()}})
            assert upload.status == 201, upload.text()
            with app.extensions["trip_companion.runtime"].sessions() as s:
                assert s.query(Photo).count() == 1

            desk.goto(f"{server.url}/devices")
            trusted = desk.locator("article.device-trusted", has_text="Ms Amara Okafor")
            trusted.get_by_role("button", name="Revoke").click()
            expect(desk.locator(".flash")).to_contain_text("can no longer be used")

            refused = phone.request.post(f"{server.url}/api/devices/inventory",
                                         headers={"X-CSRFToken": token}, data={"items": []})
            assert refused.status == 401
            phone.goto(f"{server.url}/")
            expect(phone.locator("h1")).to_have_text("Sign in")
            phone_ctx.close()
            desk_ctx.close()
