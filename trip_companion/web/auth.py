"""Signing in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, flash, redirect, request, session, url_for
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired

from trip_companion import accounts, audit, devices
from trip_companion.models import User
from trip_companion.web import devices as web_devices
from trip_companion.web.access import public, signed_in
from trip_companion.web.context import get_db, render
from trip_companion.web.security import limiter

bp = Blueprint("auth", __name__)
login_manager = LoginManager()


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    # "basic", not "strong": a phone's address changes between 3G and Wi-Fi, and a strong
    # check would sign the teacher out on a hillside. The device cookie and the session
    # version (bumped on password change or disabling) do the real work.
    login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Load by "id:session_version", so bumping the version ends every old session."""
    ident, _, version = user_id.partition(":")
    if not ident.isdigit() or not version.isdigit():
        return None
    user = get_db().scalar(select(User).where(User.id == int(ident)))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])


def _email_key() -> str:
    return "login:" + request.form.get("email", "").strip().lower()


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=_email_key)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        db = get_db()
        try:
            user = accounts.authenticate(db, form.email.data, form.password.data)
        except accounts.LoginRefused as exc:
            db.rollback()
            _record_failure(db, form.email.data)
            error = str(exc)
        else:
            return _signed_in(db, user)
    status = 401 if error else (400 if form.errors else 200)
    return render("auth/login.html", form=form, error=error, status=status)


def _signed_in(db, user: User):
    """Start the session and find (or register) the device it comes from."""
    device, token, created = devices.for_login(
        db, user, request.cookies.get(web_devices.COOKIE), request.user_agent.string)
    audit.record(db, user.school_id, "auth.login", actor=user, device=device,
                 subject=f"user:{user.id}", security=True,
                 details={"device": device.name, "status": device.status.value})
    if created and device.status.value == "pending":
        audit.record(db, user.school_id, "device.requested", actor=user, device=device,
                     subject=f"device:{device.id}", security=True,
                     details={"name": device.name})
    db.commit()
    login_user(user)
    session["device_epoch"] = device.session_epoch
    if created and device.status.value == "pending":
        web_devices.announce(device)
    response = redirect(_safe_next(request.args.get("next")))
    return web_devices.remember(response, token)


def _record_failure(db, email: str) -> None:
    """Failed logins for a known account go in its school's audit trail."""
    for user in db.scalars(select(User).where(User.email == accounts.normalise_email(email))):
        audit.record(db, user.school_id, "auth.login_failed", subject=f"user:{user.id}",
                     security=True, details={"email": user.email,
                                             "address": request.remote_addr})
    db.commit()


def _safe_next(target: str | None) -> str:
    """Only follow a ``next`` that stays on this site."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/"):
            return target
    return url_for("home.index")


@bp.post("/logout")
@signed_in
def logout():
    db = get_db()
    device = web_devices.cookie_device()
    if device is not None:
        device.session_epoch += 1  # a copy of this session cookie stops working too
    audit.record(db, current_user.school_id, "auth.logout", actor=current_user,
                 device=device, subject=f"user:{current_user.id}", security=True)
    db.commit()
    logout_user()
    flash("You are signed out.")
    response = redirect(url_for("auth.login"))
    # Drop cached pages, but never IndexedDB: photos waiting to upload must survive.
    response.headers["Clear-Site-Data"] = '"cache"'
    return response
