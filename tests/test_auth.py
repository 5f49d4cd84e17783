"""Signing in: wrong passwords, disabled accounts, CSRF, rate limits, cookies."""

from __future__ import annotations

from tests.conftest import EMAILS, PASSWORD, build_app, csrf_from, seed_demo
from trip_companion.models import Role, User


def test_login_and_home(auth):
    response = auth.login(Role.STAFF)
    assert response.status_code == 302 and response.location == "/"
    page = auth.client.get("/").get_data(as_text=True)
    assert "Year 6 residential" in page and "Take photos" in page


def test_wrong_password_is_refused_with_a_clear_message(auth):
    response = auth.login(Role.STAFF, password="not the password at all")
    assert response.status_code == 401
    assert "match. Check them" in response.get_data(as_text=True)
    assert auth.client.get("/").status_code == 302


def test_unknown_email_is_refused_the_same_way(auth):
    response = auth.login("nobody@demo.school")
    assert response.status_code == 401
    assert "match. Check them" in response.get_data(as_text=True)


def test_disabled_user_cannot_sign_in(auth, session):
    user = session.query(User).filter_by(email=EMAILS[Role.STAFF]).one()
    user.active = False
    session.commit()
    response = auth.login(Role.STAFF)
    assert response.status_code == 401
    assert "disabled" in response.get_data(as_text=True)


def test_disabling_ends_an_open_session(auth, session):
    auth.login(Role.STAFF)
    assert auth.client.get("/").status_code == 200
    user = session.query(User).filter_by(email=EMAILS[Role.STAFF]).one()
    user.active = False
    session.commit()
    assert auth.client.get("/").status_code == 302


def test_login_without_csrf_token_is_rejected(client):
    response = client.post("/login", data={"email": EMAILS[Role.STAFF], "password": PASSWORD})
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_state_change_with_wrong_csrf_token_is_rejected(auth):
    auth.login(Role.STAFF)
    response = auth.client.post("/logout", headers={"X-CSRFToken": "forged"})
    assert response.status_code == 400
    assert auth.client.get("/").status_code == 200  # still signed in


def test_login_rate_limit(tmp_path, migrated_template):
    app = build_app(tmp_path / "d", migrated_template, LOGIN_RATE_LIMIT="3 per minute")
    seed_demo(app)
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    codes = [client.post("/login", data={"email": EMAILS[Role.STAFF], "password": "wrong guess!",
                                         "csrf_token": token}).status_code for _ in range(5)]
    assert codes[:3] == [401, 401, 401]
    assert codes[3:] == [429, 429]
    # even the right password is held back until the window passes
    right = client.post("/login", data={"email": EMAILS[Role.STAFF], "password": PASSWORD,
                                        "csrf_token": token})
    assert right.status_code == 429
    assert "Too many attempts" in right.get_data(as_text=True)


def test_open_redirect_is_not_followed(auth):
    page = auth.client.get("/login?next=https://evil.example/")
    token = csrf_from(page.get_data(as_text=True))
    response = auth.client.post("/login?next=https://evil.example/",
                                data={"email": EMAILS[Role.STAFF], "password": PASSWORD,
                                      "csrf_token": token})
    assert response.location == "/"


def session_cookie(response) -> str:
    return next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("tc_session="))


def test_session_cookie_flags(app, auth):
    response = auth.login(Role.STAFF)
    cookie = session_cookie(response)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http on loopback
    client = app.test_client()
    secure = client.get("/login", base_url="https://localhost")
    token = csrf_from(secure.get_data(as_text=True))
    over_https = client.post("/login", base_url="https://localhost",
                             data={"email": EMAILS[Role.STAFF], "password": PASSWORD,
                                   "csrf_token": token})
    assert "Secure" in session_cookie(over_https)
    assert "max-age" in over_https.headers["Strict-Transport-Security"]


def test_password_is_stored_as_argon2(session):
    user = session.query(User).filter_by(email=EMAILS[Role.HEADTEACHER]).one()
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_logout_clears_cached_pages(auth):
    auth.login(Role.STAFF)
    response = auth.post("/logout")
    assert response.status_code == 302
    assert response.headers["Clear-Site-Data"] == '"cache"'
    assert auth.client.get("/").status_code == 302
