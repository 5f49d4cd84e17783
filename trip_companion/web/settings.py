"""Settings (headteacher only): the policy profile, and the school's network connections.

Credentials are typed in here, sealed at once, and never rendered back or sent to a phone
(R12). Every change and every credential rotation goes in the audit trail.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy import select

from trip_companion import audit, connections, profile
from trip_companion.models import Connection, Role, utcnow
from trip_companion.publish import x, x_oauth
from trip_companion.publish.http import make_client
from trip_companion.web.access import allow
from trip_companion.web.context import get_db, render, runtime

bp = Blueprint("settings", __name__, url_prefix="/settings")
FORMS = {  # network -> the fields the headteacher types (all secret ones are password inputs)
    "bluesky": (("identifier", "Handle or email", False), ("app_password", "App password", True),
                ("base_url", "Server (leave empty for bsky.social)", False)),
    "mastodon": (("base_url", "Instance address, e.g. https://mastodon.social", False),
                 ("token", "Access token (write:media write:statuses)", True)),
    "facebook": (("page_id", "Page ID", False), ("page_token", "Long-lived Page token", True)),
}
NAMES = {"feed": "School feed", "bluesky": "Bluesky", "mastodon": "Mastodon", "x": "X",
         "facebook": "Facebook Page"}


def _connections() -> dict[str, Connection]:
    rows = get_db().scalars(select(Connection).where(
        Connection.school_id == current_user.school_id))
    return {c.network: c for c in rows}


@bp.get("/")
@allow(Role.HEADTEACHER)
def index():
    return _page()


def _page(status: int = 200, error: str | None = None):
    return render("settings/index.html", status=status, error=error,
                  settings=profile.load(get_db(), current_user.school),
                  connections=_connections(), forms=FORMS, names=NAMES,
                  networks=profile.NETWORKS)


def _settings_from_form(form) -> profile.Settings:
    def lines(name):
        return tuple(x.strip() for x in form.get(name, "").splitlines() if x.strip())

    terms = tuple(tuple(x.strip() for x in line.split("to", 1)) for line in lines("term_dates"))
    return profile.Settings(
        window_start=form.get("window_start", "08:00"), window_end=form.get("window_end", "18:00"),
        names_mode=form.get("names_mode", "never"),
        staff_need_approval=form.get("staff_need_approval") == "on",
        networks=tuple(n for n in profile.NETWORKS if form.get(f"network-{n}") == "on")
        or ("feed",),
        term_dates=terms, vocabulary=lines("vocabulary"),
        public_contacts=lines("public_contacts"), allowed_mentions=lines("allowed_mentions"),
        retention_days=int(form.get("retention_days", 30)),
        device_lifetime_weeks=int(form.get("device_lifetime_weeks", 15)),
        leaders_read_audit=form.get("leaders_read_audit") == "on")


@bp.post("/profile")
@allow(Role.HEADTEACHER)
def save_profile():
    db = get_db()
    try:
        new = _settings_from_form(request.form)
        changes = profile.save(db, current_user.school, new, current_user)
    except (ValueError, TypeError) as exc:
        db.rollback()
        return _page(400, f"Not saved: {exc}")
    audit.record(db, current_user.school_id, "settings.changed", actor=current_user,
                 subject="profile", security=True, details=changes)
    db.commit()
    flash("Policy profile saved.")
    return redirect(url_for("settings.index"), code=303)


@bp.post("/connections/<network>")
@allow(Role.HEADTEACHER)
def connect(network: str):
    if network not in FORMS:
        abort(404)
    values = {name: request.form.get(name, "").strip() for name, _, _ in FORMS[network]}
    values = {k: v for k, v in values.items() if v}
    missing = [label for name, label, _ in FORMS[network]
               if name not in values and name != "base_url"]
    if missing:
        flash(f"{NAMES[network]} not connected: fill in {', '.join(missing)}.")
        return redirect(url_for("settings.index"), code=303)
    runtime().credentials(current_user.school_id).save(network, values)
    _after_save(network)
    return redirect(url_for("settings.index"), code=303)


def _after_save(network: str) -> None:
    """Stamp the rotation (R12), check the connection at once, and audit it."""
    db = get_db()
    conn = db.scalar(select(Connection).where(Connection.school_id == current_user.school_id,
                                              Connection.network == network))
    rotated = conn.connected_by is not None
    conn.connected_by, conn.rotated_at = current_user.id, utcnow()
    _check(conn)
    audit.record(db, current_user.school_id,
                 "credentials.rotated" if rotated else "credentials.connected",
                 actor=current_user, subject=f"connection:{network}", security=True,
                 details={"status": conn.status})
    db.commit()
    flash(f"{NAMES[network]}: {conn.message}")


def _check(conn: Connection) -> None:
    health = connections.probe(runtime(), conn)
    conn.status = health.state
    conn.message, conn.checked_at = health.message, utcnow()


@bp.post("/connections/<network>/check")
@allow(Role.HEADTEACHER)
def check(network: str):
    db = get_db()
    conn = _connections().get(network) or abort(404)
    _check(conn)
    db.commit()
    flash(f"{NAMES.get(network, network)}: {conn.message}")
    return redirect(url_for("settings.index"), code=303)


@bp.post("/connections/<network>/disconnect")
@allow(Role.HEADTEACHER)
def disconnect(network: str):
    db = get_db()
    conn = _connections().get(network) or abort(404)
    db.delete(conn)
    audit.record(db, current_user.school_id, "credentials.removed", actor=current_user,
                 subject=f"connection:{network}", security=True)
    db.commit()
    flash(f"{NAMES.get(network, network)} disconnected; its credentials are deleted.")
    return redirect(url_for("settings.index"), code=303)


@bp.post("/connections/x/start")
@allow(Role.HEADTEACHER)
def x_start():
    client_id = request.form.get("client_id", "").strip()
    if not client_id:
        flash("X not connected: fill in the app's client ID.")
        return redirect(url_for("settings.index"), code=303)
    auth = x_oauth.authorization_request(
        client_id, url_for("settings.x_callback", _external=True),
        authorize_url=current_app.config.get("X_AUTHORIZE_URL", x_oauth.AUTHORIZE_URL))
    session["x_oauth"] = {"state": auth.state, "verifier": auth.code_verifier,
                          "client_id": client_id,
                          "client_secret": request.form.get("client_secret", "").strip()}
    return redirect(auth.url)


@bp.get("/connections/x/callback")
@allow(Role.HEADTEACHER)
def x_callback():
    pending = session.pop("x_oauth", None)
    if not pending or request.args.get("state") != pending["state"]:
        flash("X sign-in didn't match the request we started. Try connecting again.")
        return redirect(url_for("settings.index"), code=303)
    base = runtime().publish_options.get("x", {}).get("base_url", x.DEFAULT_BASE_URL)
    with make_client(base, 30, None) as client:
        credentials = x_oauth.exchange_code(
            client, code=request.args.get("code", ""), code_verifier=pending["verifier"],
            client_id=pending["client_id"], client_secret=pending["client_secret"] or None,
            redirect_uri=url_for("settings.x_callback", _external=True))
    runtime().credentials(current_user.school_id).save("x", credentials)
    _after_save("x")
    return redirect(url_for("settings.index"), code=303)
