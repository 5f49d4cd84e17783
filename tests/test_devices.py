"""R13: a new device waits for the headteacher's passcode; revoking ends its sessions."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from tests.conftest import EMAILS, Auth, approve_pending, build_app, csrf_from
from tests.smtp import MailServer
from trip_companion import audit, devices
from trip_companion.models import AuditEntry, Device, DeviceStatus, Role, User, utcnow


@pytest.fixture
def mail():
    with MailServer() as server:
        yield server


@pytest.fixture
def mail_app(tmp_path, demo_template, mail):
    app = build_app(tmp_path / "m", demo_template, SMTP_HOST="127.0.0.1", SMTP_PORT=mail.port,
                    MAIL_FROM="trips@demo.school", SERVER_NAME="localhost")
    yield app
    app.extensions["trip_companion.engine"].dispose()


def teacher_device(session) -> Device:
    user = session.query(User).filter_by(email=EMAILS[Role.STAFF]).one()
    return session.query(Device).filter_by(user_id=user.id).order_by(Device.id.desc()).first()


def test_new_device_waits_and_the_headteacher_is_emailed(mail_app, mail):
    auth = Auth(mail_app.test_client())
    auth.login(Role.STAFF, approve=False)
    home = auth.client.get("/")
    assert home.status_code == 302 and home.location.endswith("/device/waiting")
    waiting = auth.client.get("/device/waiting").get_data(as_text=True)
    assert "Waiting for the headteacher" in waiting and "Chrome" not in waiting  # test client UA
    api = auth.post("/api/devices/inventory", json={"items": []})
    assert api.status_code == 403 and "waiting" in api.get_json()["error"]
    assert len(mail.messages) == 1
    message = mail.messages[0]
    assert EMAILS[Role.HEADTEACHER] in message["To"] and EMAILS[Role.OFFICE] in message["To"]
    assert "Ms Amara Okafor" in message["Subject"]
    assert "http://localhost/devices" in message.get_content()


def test_headteacher_approves_and_passcode_works_once(app, session):
    teacher = Auth(app.test_client())
    teacher.login(Role.STAFF, approve=False)
    head = Auth(app.test_client())
    head.login(Role.HEADTEACHER)
    device = teacher_device(session)
    listing = head.client.get("/devices").get_data(as_text=True)
    assert f'id="device-{device.id}"' in listing and "Pending" in listing
    shown = head.post(f"/devices/{device.id}/approve", data={"csrf_token": head.token})
    code = shown.get_data(as_text=True).split('id="passcode" aria-label="Passcode">')[1][:6]
    assert code.isdigit()
    ok = teacher.client.post("/device/passcode", data={"passcode": code,
                                                       "csrf_token": teacher.token})
    assert ok.status_code == 302 and teacher.client.get("/").status_code == 200
    session.expire_all()
    assert teacher_device(session).status == DeviceStatus.TRUSTED
    assert teacher_device(session).expires_at > utcnow() + timedelta(weeks=10)
    again = devices.DeviceError
    with pytest.raises(again):
        devices.enter_passcode(session, teacher_device(session), code)


def test_passcode_brute_force_is_stopped(app, session):
    teacher = Auth(app.test_client())
    teacher.login(Role.STAFF, approve=False)
    code = approve_pending(app, EMAILS[Role.STAFF])
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    answers = [teacher.client.post("/device/passcode",
                                   data={"passcode": wrong, "csrf_token": teacher.token})
               for _ in range(5)]
    assert all(a.status_code == 400 for a in answers)
    assert "Too many wrong passcodes" in answers[-1].get_data(as_text=True)
    right = teacher.client.post("/device/passcode",
                                data={"passcode": code, "csrf_token": teacher.token})
    assert right.status_code == 400  # even the right code is refused now
    session.expire_all()
    assert teacher_device(session).status == DeviceStatus.PENDING
    failures = session.query(AuditEntry).filter_by(action="device.passcode_failed").count()
    assert failures == 6
    # asking again lets the headteacher issue a new code
    teacher.client.post("/device/ask-again", data={"csrf_token": teacher.token})
    fresh = approve_pending(app, EMAILS[Role.STAFF])
    ok = teacher.client.post("/device/passcode", data={"passcode": fresh,
                                                       "csrf_token": teacher.token})
    assert ok.status_code == 302


def test_expired_passcode_fails(session, app):
    Auth(app.test_client()).login(Role.STAFF, approve=False)
    device = teacher_device(session)
    head = session.query(User).filter_by(role=Role.HEADTEACHER).first()
    then = utcnow() - timedelta(minutes=11)
    code = devices.approve(session, device, head, now=then)
    with pytest.raises(devices.DeviceError, match="expired"):
        devices.enter_passcode(session, device, code)
    assert device.status == DeviceStatus.PENDING


def test_revoking_ends_the_devices_session_at_once(app, session):
    teacher = Auth(app.test_client())
    teacher.login(Role.STAFF)
    assert teacher.client.get("/").status_code == 200
    head = Auth(app.test_client())
    head.login(Role.HEADTEACHER)
    device = teacher_device(session)
    assert head.post(f"/devices/{device.id}/revoke").status_code == 302
    refused = teacher.post("/api/devices/inventory", json={"items": []})
    assert refused.status_code == 401
    assert teacher.client.get("/").status_code == 302  # signed out
    session.expire_all()
    assert teacher_device(session).status == DeviceStatus.REVOKED


def test_expired_device_goes_back_to_the_waiting_room(app, session):
    teacher = Auth(app.test_client())
    teacher.login(Role.STAFF)
    device = teacher_device(session)
    device.expires_at = utcnow() - timedelta(days=1)
    session.commit()
    response = teacher.client.get("/")
    assert response.status_code == 302 and response.location.endswith("/device/waiting")


def test_first_headteacher_device_is_trusted_then_others_wait(tmp_path, demo_template):
    app = build_app(tmp_path / "h", demo_template)
    first = Auth(app.test_client())
    first.login(Role.HEADTEACHER, approve=False)
    assert first.client.get("/").status_code == 200
    second = Auth(app.test_client())
    second.login(Role.HEADTEACHER, approve=False)
    assert second.client.get("/").status_code == 302


def test_device_acts_are_in_the_audit_trail(app, session):
    Auth(app.test_client()).login(Role.STAFF)
    actions = [e.action for e in session.query(AuditEntry).order_by(AuditEntry.seq)]
    for expected in ("auth.login", "device.requested", "device.trusted"):
        assert expected in actions
    school_id = session.query(User).first().school_id
    assert audit.verify(session, school_id).ok


def test_waiting_device_can_rename_itself(app, session):
    teacher = Auth(app.test_client())
    teacher.login(Role.STAFF, approve=False)
    teacher.client.post("/device/name", data={"name": "Amara's school iPhone",
                                              "csrf_token": teacher.token})
    session.expire_all()
    assert teacher_device(session).name == "Amara's school iPhone"
    page = teacher.client.get("/device/waiting").get_data(as_text=True)
    assert csrf_from(page)


def test_a_changing_address_does_not_sign_the_teacher_out(app):
    teacher = Auth(app.test_client())
    teacher.login(Role.STAFF)
    moved = teacher.client.get("/", environ_base={"REMOTE_ADDR": "10.20.30.40"})
    assert moved.status_code == 200  # 3G to Wi-Fi on the trip


def test_public_feed_is_open_to_a_waiting_device(app):
    teacher = Auth(app.test_client())
    teacher.login(Role.STAFF, approve=False)
    assert teacher.client.get("/schools/demo/feed").status_code == 200
    assert teacher.client.get("/").status_code == 302


def test_revoking_the_only_head_device_does_not_reopen_the_bootstrap(app, session, runner):
    head = Auth(app.test_client())
    head.login(Role.HEADTEACHER, approve=False)  # the school's first: trusted at once
    first = session.query(Device).one()
    assert head.post(f"/devices/{first.id}/revoke").status_code == 302
    thief = Auth(app.test_client())
    thief.login(Role.HEADTEACHER, approve=False)  # the password, on a new device
    assert thief.client.get("/").status_code == 302  # waits like everyone else
    assert thief.client.get("/settings/").status_code == 302
    result = runner.invoke(args=["devices", "trust", "--email", EMAILS[Role.HEADTEACHER]])
    assert result.exit_code == 0, result.output
    assert thief.client.get("/").status_code == 200  # the operator trusted it at the console
    assert session.query(AuditEntry).filter_by(action="device.trusted_by_operator").count() == 1


def test_parallel_wrong_passcodes_get_five_tries_in_all(app, session, monkeypatch):
    import threading

    from tests.conftest import LiveServer

    teacher = Auth(app.test_client())
    teacher.login(Role.STAFF, approve=False)
    code = approve_pending(app, EMAILS[Role.STAFF])
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    cookies = {c.key: c.value for c in teacher.client._cookies.values()}
    import httpx

    compared = []
    real_verify = devices._verify_code
    monkeypatch.setattr(devices, "_verify_code",
                        lambda *args: compared.append(1) or real_verify(*args))
    with LiveServer(app) as server:
        def guess():
            with httpx.Client(base_url=server.url, cookies=cookies) as client:
                client.post("/device/passcode", data={"passcode": wrong,
                                                      "csrf_token": teacher.token})

        threads = [threading.Thread(target=guess) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert len(compared) == 5  # only five guesses were ever compared with the code
    session.expire_all()
    assert teacher_device(session).passcode_attempts == 5


def test_signing_out_ends_a_copied_session_too(app):
    teacher = Auth(app.test_client())
    teacher.login(Role.STAFF)
    stolen = {c.key: c.value for c in teacher.client._cookies.values()}
    assert teacher.post("/logout").status_code == 302
    copy = app.test_client()
    for name, value in stolen.items():
        copy.set_cookie(name, value)
    assert copy.get("/posts").status_code == 302  # back to sign in


def test_every_way_a_device_is_trusted_uses_the_schools_lifetime(tmp_path, demo_template):
    """A school that trusts devices for four weeks, not a term: the first headteacher's
    device, a passcode, a renewal and the operator's ``devices trust`` all use its four."""
    from trip_companion import profile
    from trip_companion.models import School

    app = build_app(tmp_path / "l", demo_template)
    sessions = app.extensions["trip_companion.sessions"]
    with sessions() as db:
        school = db.query(School).one()
        head = db.query(User).filter_by(email=EMAILS[Role.HEADTEACHER]).one()
        four = dataclasses.replace(profile.load(db, school), device_lifetime_weeks=4)
        profile.save(db, school, four, head)
        db.commit()
    four_weeks = timedelta(weeks=4)

    def expires_in(email: str) -> timedelta:
        with sessions() as db:
            user = db.query(User).filter_by(email=email).one()
            device = db.query(Device).filter_by(user_id=user.id).order_by(Device.id.desc()).first()
            return device.expires_at - utcnow()

    head = Auth(app.test_client())
    head.login(Role.HEADTEACHER, approve=False)  # the first: trusted at once
    assert timedelta(weeks=4) - timedelta(minutes=5) < expires_in(EMAILS[Role.HEADTEACHER]) \
        <= four_weeks
    staff = Auth(app.test_client())
    staff.login(Role.STAFF)  # approved with a passcode (tests.conftest.approve_pending)
    assert expires_in(EMAILS[Role.STAFF]) <= four_weeks
    with sessions() as db:
        device = db.query(Device).filter_by(status=DeviceStatus.TRUSTED).order_by(
            Device.id.desc()).first()
        devices.renew(db, device, utcnow() + timedelta(weeks=1))
        assert device.expires_at - utcnow() <= timedelta(weeks=5)
        device.status = DeviceStatus.PENDING
        devices.trust(db, device)
        assert device.expires_at - utcnow() <= four_weeks
        db.rollback()
