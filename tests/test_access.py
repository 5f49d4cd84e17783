"""Every route declares who may use it, and the whole route × role matrix holds."""

from __future__ import annotations

import pytest
from flask import Flask
from flask_login import current_user

from trip_companion import profile
from trip_companion.models import Event, Role, User
from trip_companion.web.access import PUBLIC, allow, rule_for

ROLES = [None, *Role]  # None is anonymous


def sample_values(session) -> dict[str, object]:
    """A real value for every URL parameter a route can take; new parameters must be added."""
    event = session.query(Event).order_by(Event.id).first()
    return {"event_id": event.id, "filename": "css/app.css", "photo_id": 1,
            "device_id": 9999, "incident_id": 9999,
            "post_id": 9999, "slug": "demo", "key": "tc1p1", "index": 0,
            "network": "bluesky"}


def routes(app: Flask):
    for rule in app.url_map.iter_rules():
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        for method in methods:
            yield rule, method


def test_every_route_declares_a_rule(app):
    with app.test_request_context():
        missing = [r.endpoint for r, _ in routes(app) if rule_for(r.endpoint) is None]
    assert missing == [], f"routes without an access rule: {missing}"


def test_a_route_without_a_rule_is_refused(app):
    @app.get("/forgotten")
    def forgotten():
        return "should never be served"

    assert app.test_client().get("/forgotten").status_code == 500


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "anonymous")
def test_route_role_matrix(app, auth, session, role):
    values = sample_values(session)
    # The one profile-gated route (/audit for senior leaders) is opened here; its closed
    # state is tested in test_inspection.py.
    head = session.query(User).filter_by(role=Role.HEADTEACHER).one()
    profile.save(session, head.school, profile.Settings(leaders_read_audit=True), head)
    session.commit()
    if role is not None:
        assert auth.login(role).status_code == 302
    checked = 0
    for rule, method in routes(app):
        with app.test_request_context():
            access = rule_for(rule.endpoint)
        missing = [a for a in rule.arguments if a not in values]
        assert not missing, f"add a sample value for {missing} ({rule.rule})"
        url = rule.build(values, append_unknown=False)[1]
        response = auth.post(url) if method == "POST" else auth.client.open(url, method=method)
        code = response.status_code
        response.close()
        where = f"{method} {rule.rule} as {role}"
        if access is PUBLIC or (role is not None and role in access):
            assert code not in (401, 403), f"{where} refused ({code})"
            assert not (code == 302 and "/login" in response.location
                        and rule.endpoint != "auth.logout"), f"{where} sent to login"
        elif role is None:
            assert code == 401 or (code == 302 and "/login" in response.location), where
        else:
            assert code == 403, f"{where} allowed ({code})"
        checked += 1
        if rule.endpoint == "auth.logout" and role is not None:
            auth.login(role)  # logging out ended the session; carry on signed in
    assert checked > 5


def test_allow_marks_roles(app):
    @allow(Role.HEADTEACHER)
    def view():
        return current_user

    assert view.access == {Role.HEADTEACHER}
