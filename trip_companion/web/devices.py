"""Devices (R13): the device cookie, the waiting screen, and the headteacher's approvals."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    request,
    session,
    url_for,
)
from flask_login import current_user, logout_user
from sqlalchemy import select

from trip_companion import accounts, audit, devices, notify
from trip_companion.models import Device, DeviceStatus, Role
from trip_companion.web import access
from trip_companion.web.access import allow, signed_in
from trip_companion.web.context import get_db, render, school_row

bp = Blueprint("devices", __name__)
COOKIE = "tc_device"
MAX_AGE = 400 * 24 * 3600  # browsers cap cookies at 400 days; devices expire sooner anyway
# What a signed-in person may do from a device that isn't trusted yet.
WAITING_ROOM = {"devices.waiting", "devices.rename", "devices.passcode", "devices.ask_again",
                "auth.logout", "auth.login", "static", "shell.manifest",
                "shell.service_worker", "shell.offline"}


def cookie_device() -> Device | None:
    """The signed-in user's own device this request comes from, trusted or not."""
    if "cookie_device" not in g:
        device = devices.find(get_db(), request.cookies.get(COOKIE))
        mine = device is not None and current_user.is_authenticated \
            and device.user_id == current_user.id
        g.cookie_device = device if mine else None
    return g.cookie_device


def current_device() -> Device | None:
    """The trusted device making this request, if any."""
    device = cookie_device()
    return device if devices.is_usable(device) else None


def remember(response: Response, token: str) -> Response:
    """Set the device cookie: HttpOnly, SameSite=Lax, Secure over HTTPS."""
    response.set_cookie(COOKIE, token, max_age=MAX_AGE, httponly=True, samesite="Lax",
                        secure=request.is_secure, path="/")
    return response


def init_app(app) -> None:
    app.before_request(gate)
    app.context_processor(lambda: {"inventory_requested": _inventory_requested()})


def _inventory_requested() -> bool:
    """The headteacher asked this device for a fresh inventory (sent when the app opens)."""
    if not current_user or not current_user.is_authenticated:
        return False
    device = current_device()
    return device is not None and device.inventory_requested_at is not None


def gate():
    """Keep a session on an untrusted device in the waiting room; end it if revoked."""
    if not current_user.is_authenticated or request.endpoint in WAITING_ROOM \
            or request.endpoint is None or access.rule_for(request.endpoint) is access.PUBLIC:
        return None
    device = cookie_device()
    if device is None or device.status == DeviceStatus.REVOKED \
            or session.get("device_epoch") != device.session_epoch:
        logout_user()
        message = "This device's access was ended. Sign in again."
        if request.path.startswith("/api/"):
            return jsonify(error=message), 401
        flash(message)
        return redirect(url_for("auth.login"))
    if not devices.is_usable(device):
        if request.path.startswith("/api/"):
            return jsonify(error="This phone is waiting for the headteacher's approval. "
                                 "Your photos are safe on it."), 403
        return redirect(url_for("devices.waiting"))
    return None


def announce(device: Device) -> None:
    """Tell the headteacher (and office) at once: in the app, and by email."""
    people = accounts.emails(get_db(), device.school_id, Role.HEADTEACHER, Role.OFFICE)
    link = url_for("devices.index", _external=True)
    notify.send_mail(current_app.config, people,
                     f"New device waiting: {device.user.name}",
                     f"{device.user.name} signed in on a new device ({device.name}).\n"
                     f"Approve it, or not, here: {link}\n\nTrip Companion")


@bp.get("/device/waiting")
@signed_in
def waiting():
    device = cookie_device()
    if devices.is_usable(device):
        return redirect(url_for("home.index"))
    return render("devices/waiting.html", "devices/_waiting.html", device=device)


@bp.post("/device/name")
@signed_in
def rename():
    device = cookie_device() or abort(404)
    name = request.form.get("name", "").strip()[:200]
    if name:
        device.name = name
        get_db().commit()
    return redirect(url_for("devices.waiting"))


@bp.post("/device/passcode")
@signed_in
def passcode():
    db = get_db()
    device = cookie_device() or abort(404)
    try:
        devices.enter_passcode(db, device, request.form.get("passcode", ""))
    except devices.DeviceError as exc:
        audit.record(db, device.school_id, "device.passcode_failed", actor=current_user,
                     device=device, subject=f"device:{device.id}", security=True)
        db.commit()
        return render("devices/waiting.html", "devices/_waiting.html", status=400,
                      device=device, error=str(exc))
    audit.record(db, device.school_id, "device.trusted", actor=current_user, device=device,
                 subject=f"device:{device.id}", security=True)
    db.commit()
    flash("This device is approved. You can take photos now.")
    return redirect(url_for("home.index"))


@bp.post("/device/ask-again")
@signed_in
def ask_again():
    db = get_db()
    device = cookie_device() or abort(404)
    try:
        devices.ask_again(device)
    except devices.DeviceError as exc:
        flash(str(exc))
        return redirect(url_for("home.index"))
    audit.record(db, device.school_id, "device.requested_again", actor=current_user,
                 device=device, subject=f"device:{device.id}", security=True)
    db.commit()
    announce(device)
    return redirect(url_for("devices.waiting"))


@bp.get("/devices")
@allow(Role.HEADTEACHER)
def index():
    db = get_db()
    rows = db.scalars(select(Device).where(Device.school_id == current_user.school_id)
                      .order_by(Device.status, Device.created_at.desc())).all()
    return render("devices/index.html", "devices/_list.html", devices=rows)


@bp.post("/devices/<int:device_id>/approve")
@allow(Role.HEADTEACHER)
def approve(device_id: int):
    db = get_db()
    device = school_row(Device, device_id)
    try:
        code = devices.approve(db, device, current_user)
    except devices.DeviceError as exc:
        flash(str(exc))
        return redirect(url_for("devices.index"))
    audit.record(db, device.school_id, "device.approved", actor=current_user,
                 device=current_device(), subject=f"device:{device.id}", security=True,
                 details={"owner": device.user.name, "name": device.name})
    db.commit()
    return render("devices/passcode.html", device=device, code=code)


@bp.post("/devices/<int:device_id>/revoke")
@allow(Role.HEADTEACHER)
def revoke(device_id: int):
    db = get_db()
    device = school_row(Device, device_id)
    devices.revoke(device)
    audit.record(db, device.school_id, "device.revoked", actor=current_user,
                 device=current_device(), subject=f"device:{device.id}", security=True,
                 details={"owner": device.user.name, "name": device.name})
    db.commit()
    flash(f"{device.name} ({device.user.name}) can no longer be used.")
    return redirect(url_for("devices.index"))


@bp.post("/devices/<int:device_id>/renew")
@allow(Role.HEADTEACHER)
def renew(device_id: int):
    db = get_db()
    device = school_row(Device, device_id)
    if device.status != DeviceStatus.TRUSTED:
        abort(409)
    devices.renew(db, device)
    audit.record(db, device.school_id, "device.renewed", actor=current_user,
                 subject=f"device:{device.id}", security=True)
    db.commit()
    flash(f"{device.name} ({device.user.name}) is renewed for another term.")
    return redirect(url_for("devices.index"))
