"""Settings: the policy profile and the network connections (R12: sealed, never shown)."""

from __future__ import annotations

import pytest

from tests.conftest import Auth
from tests.publish.fakes.mastodon_api import FakeMastodon
from trip_companion import profile
from trip_companion.models import AuditEntry, Connection, Role, School


@pytest.fixture
def head(app):
    auth = Auth(app.test_client())
    auth.login(Role.HEADTEACHER)
    return auth


def test_profile_defaults_are_the_strictest(session):
    settings = profile.load(session, session.query(School).one())
    assert settings.names_mode == "never" and settings.staff_need_approval
    assert settings.networks == ("feed",) and settings.window_start == "08:00"


def test_headteacher_edits_the_profile_and_it_is_audited(head, session):
    response = head.post("/settings/profile", data={
        "window_start": "08:30", "window_end": "17:30", "names_mode": "initials",
        "staff_need_approval": "on", "network-feed": "on", "network-mastodon": "on",
        "term_dates": "2026-09-03 to 2026-12-18\n", "vocabulary": "Kingswood\nAbernant",
        "retention_days": "14", "device_lifetime_weeks": "12"})
    assert response.status_code == 303
    settings = profile.load(session, session.query(School).one())
    assert settings.names_mode == "initials" and settings.window_start == "08:30"
    assert settings.networks == ("feed", "mastodon")
    assert settings.term_dates == (("2026-09-03", "2026-12-18"),)
    assert settings.vocabulary == ("Kingswood", "Abernant") and settings.retention_days == 14
    entry = session.query(AuditEntry).filter_by(action="settings.changed").one()
    assert "names_mode" in entry.details and entry.security


def test_a_bad_profile_is_refused_with_a_reason(head, session):
    response = head.post("/settings/profile", data={"window_start": "18:00",
                                                    "window_end": "08:00"})
    assert response.status_code == 400 and "Not saved" in response.get_data(as_text=True)
    assert profile.load(session, session.query(School).one()).window_start == "08:00"


def test_connecting_mastodon_seals_the_token_and_never_shows_it(app, head, session):
    with FakeMastodon() as fake:
        response = head.post("/settings/connections/mastodon",
                             data={"base_url": fake.url, "token": fake.token})
        assert response.status_code == 303
        conn = session.query(Connection).filter_by(network="mastodon").one()
        assert conn.status == "ok", conn.message
        assert fake.token.encode() not in conn.sealed
        page = head.client.get("/settings/").get_data(as_text=True)
        assert fake.token not in page and "Mastodon: ok" in page
        runtime = app.extensions["trip_companion.runtime"]
        assert runtime.credentials(conn.school_id).load("mastodon")["token"] == fake.token
        head.post("/settings/connections/mastodon", data={"base_url": fake.url,
                                                          "token": fake.token})
    actions = [e.action for e in session.query(AuditEntry).order_by(AuditEntry.seq)]
    assert "credentials.connected" in actions and "credentials.rotated" in actions


def test_staff_and_office_cannot_open_settings(app):
    for role in (Role.STAFF, Role.OFFICE, Role.SENIOR_LEADER):
        auth = Auth(app.test_client())
        auth.login(role)
        assert auth.client.get("/settings/").status_code == 403


def test_x_is_connected_by_oauth_with_pkce(tmp_path, demo_template):
    from urllib.parse import parse_qs, urlsplit

    from tests.conftest import build_app
    from tests.publish.fakes.x_api import FakeX

    with FakeX() as fake:
        app = build_app(tmp_path / "x", demo_template,
                        PUBLISH_OPTIONS={"x": {"base_url": fake.url}},
                        X_AUTHORIZE_URL=f"{fake.url}/i/oauth2/authorize")
        head = Auth(app.test_client())
        head.login(Role.HEADTEACHER)
        start = head.post("/settings/connections/x/start", data={"client_id": fake.client_id})
        assert start.status_code == 302 and start.location.startswith(fake.url)
        code = fake.approve(start.location)  # the headteacher presses "Authorize" on X
        forged = head.client.get(f"/settings/connections/x/callback?state=wrong&code={code}")
        assert forged.status_code == 303  # refused: the state doesn't match
        session = app.extensions["trip_companion.sessions"]()
        assert session.query(Connection).filter_by(network="x").count() == 0
        start = head.post("/settings/connections/x/start", data={"client_id": fake.client_id})
        state = parse_qs(urlsplit(start.location).query)["state"][0]
        code = fake.approve(start.location)
        done = head.client.get(f"/settings/connections/x/callback?state={state}&code={code}")
        assert done.status_code == 303
        conn = session.query(Connection).filter_by(network="x").one()
        stored = app.extensions["trip_companion.runtime"].credentials(conn.school_id).load("x")
        assert stored["refresh_token"] and stored["access_token"].encode() not in conn.sealed
        assert conn.status == "ok", conn.message
        session.close()
