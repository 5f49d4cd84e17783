"""R10: the headteacher asks a device for a fresh inventory; it sends one when it next opens."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import browser_login
from trip_companion.models import Device, DeviceInventory, Role, User

pytestmark = pytest.mark.browser


def teacher_device(s) -> Device:
    teacher = s.query(User).filter_by(role=Role.STAFF).one()
    return s.query(Device).filter_by(user_id=teacher.id).order_by(Device.id.desc()).first()


def test_requested_inventory_arrives_when_the_app_opens(page, live_server, app):
    browser_login(page, live_server.url, Role.STAFF, app)
    expect(page.locator("h1")).to_contain_text("Hello")
    sessions = app.extensions["trip_companion.runtime"].sessions
    with sessions() as s:
        device = teacher_device(s)
        assert s.get(DeviceInventory, device.id) is None  # the home page alone sends none
        device.inventory_requested_at = device.created_at
        s.commit()
        device_id = device.id
    page.goto(live_server.url + "/")  # the app opens again, on the home screen

    def reported() -> bool:
        with sessions() as s:
            return (s.get(DeviceInventory, device_id) is not None
                    and s.get(Device, device_id).inventory_requested_at is None)

    for _ in range(100):
        if reported():
            break
        page.wait_for_timeout(100)
    assert reported()
