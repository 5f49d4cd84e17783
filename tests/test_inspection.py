"""R10/R11 inspection, R15 e-safety record, exports and the governors' report."""

from __future__ import annotations

import csv
import io

import pytest

from tests.conftest import Auth
from tests.images import gps_jpeg
from tests.test_capture_api import trip, upload
from trip_companion.models import AuditEntry, Incident, Photo, Role


@pytest.fixture
def head(app):
    auth = Auth(app.test_client())
    auth.login(Role.HEADTEACHER)
    return auth


@pytest.fixture
def teacher(app):
    auth = Auth(app.test_client())
    auth.login(Role.STAFF)
    return auth


def confirm(teacher, receipt, device_id):
    return teacher.post(f"/api/photos/{receipt['photo_id']}/device-deleted",
                        json={"device_id": device_id, "sha256": receipt["received_sha256"]})


def test_unconfirmed_photo_is_outstanding_until_the_device_confirms(head, teacher, session):
    receipt = upload(teacher, trip(session).id, gps_jpeg()).get_json()
    page = head.client.get("/inspection").get_data(as_text=True)
    assert f'data-photo-id="{receipt["photo_id"]}"' in page
    assert "Not confirmed removed: 1" in page
    device_id = session.get(Photo, receipt["photo_id"]).device_id
    assert confirm(teacher, receipt, device_id).status_code == 200
    page = head.client.get("/inspection").get_data(as_text=True)
    assert f'data-photo-id="{receipt["photo_id"]}"' not in page
    assert "Not confirmed removed" not in page


def test_inspection_filters_and_csv(head, teacher, session):
    receipt = upload(teacher, trip(session).id, gps_jpeg()).get_json()
    other = session.query(__import__("trip_companion").models.Event).filter(
        ~__import__("trip_companion").models.Event.title.like("Year 6%")).first()
    filtered = head.client.get(f"/inspection?event={other.id}").get_data(as_text=True)
    assert f'data-photo-id="{receipt["photo_id"]}"' not in filtered
    exported = head.client.get("/inspection.csv")
    assert exported.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert len(rows) == 1 and rows[0]["uploaded"] == "1" and rows[0]["outstanding"] == "1"


def test_device_timeline_and_inventory_request(head, teacher, session):
    receipt = upload(teacher, trip(session).id, gps_jpeg()).get_json()
    device_id = session.get(Photo, receipt["photo_id"]).device_id
    teacher.post("/api/devices/inventory",
                 json={"items": [{"id": "queued-on-phone", "sha256": "b" * 64,
                                  "state": "waiting"}]})
    page = head.client.get(f"/inspection/devices/{device_id}").get_data(as_text=True)
    assert "queued-on-phone" in page and "photo.received" in page and "device.inventory" in page
    head.post(f"/devices/{device_id}/request-inventory")
    page = head.client.get(f"/inspection/devices/{device_id}").get_data(as_text=True)
    assert "waiting for the device to open the app" in page


def test_esafety_incident_record_actions_and_close(head, session):
    response = head.post("/esafety/", data={"kind": "reply", "summary": "Rude reply to our post",
                                            "copy_text": "a rude reply", "copy_author": "@troll"})
    assert response.status_code == 303
    incident = session.query(Incident).one()
    assert incident.copy_text == "a rude reply"
    head.post(f"/esafety/{incident.id}/actions", data={"action": "blocked"})
    head.post(f"/esafety/{incident.id}/close", data={"outcome": "Account blocked, reported."})
    session.expire_all()
    page = head.client.get(f"/esafety/{incident.id}").get_data(as_text=True)
    assert "Account blocked" in page and "Account blocked, reported." in page
    actions = {e.action for e in session.query(AuditEntry)}
    assert {"esafety.recorded", "esafety.action", "esafety.closed"} <= actions


def test_esafety_requires_a_summary(head, session):
    response = head.post("/esafety/", data={"kind": "reply", "summary": " "})
    assert response.status_code == 400 and session.query(Incident).count() == 0


def test_audit_view_and_csv_for_the_headteacher(head, session):
    page = head.client.get("/audit").get_data(as_text=True)
    assert "chain intact" in page and "auth.login" in page
    exported = head.client.get("/audit.csv").get_data(as_text=True)
    assert exported.startswith("seq,at,action")


def test_senior_leader_reads_non_security_entries_only_when_allowed(app, session):
    leader = Auth(app.test_client())
    leader.login(Role.SENIOR_LEADER)
    assert leader.client.get("/audit").status_code == 403
    from trip_companion import profile
    from trip_companion.models import School, User

    school = session.query(School).one()
    head = session.query(User).filter_by(role=Role.HEADTEACHER).one()
    profile.save(session, school, profile.Settings(leaders_read_audit=True), head)
    session.commit()
    page = leader.client.get("/audit").get_data(as_text=True)
    assert "auth.login" not in page  # security entries stay hidden


def test_term_report_prints(head):
    page = head.client.get("/reports/term").get_data(as_text=True)
    assert "Social media report for governors" in page and "Devices" in page


def test_dashboard_reminds_followers_and_pending_devices(app, head):
    Auth(app.test_client()).login(Role.STAFF, approve=False)
    page = head.client.get("/").get_data(as_text=True)
    assert "waiting for approval" in page and "followers" in page
    head.post("/reminders/followers-reviewed")
    page = head.client.get("/").get_data(as_text=True)
    assert "Review the account" not in page


def test_requested_inventory_is_flagged_to_the_device_until_it_reports(head, teacher,
                                                                        session):
    receipt = upload(teacher, trip(session).id, gps_jpeg()).get_json()
    device_id = session.get(Photo, receipt["photo_id"]).device_id
    assert 'name="inventory-requested"' not in teacher.client.get("/").get_data(as_text=True)
    head.post(f"/devices/{device_id}/request-inventory")
    assert 'name="inventory-requested"' in teacher.client.get("/").get_data(as_text=True)
    teacher.post("/api/devices/inventory", json={"items": []})
    assert 'name="inventory-requested"' not in teacher.client.get("/").get_data(as_text=True)


def test_a_closed_incident_stays_as_written(head, session):
    head.post("/esafety/", data={"kind": "report", "summary": "A parent reported a photo"})
    incident = session.query(Incident).one()
    head.post(f"/esafety/{incident.id}/close", data={"outcome": "Photo removed."})
    head.post(f"/esafety/{incident.id}/actions", data={"action": "escalated"})
    head.post(f"/esafety/{incident.id}/close", data={"outcome": "Rewritten later"})
    session.expire_all()
    incident = session.get(Incident, incident.id)
    assert incident.outcome == "Photo removed." and "escalated" not in incident.actions
