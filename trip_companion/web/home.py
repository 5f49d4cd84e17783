"""The first screen: a teacher's event now, or the headteacher's dashboard."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint
from flask_login import current_user

from trip_companion import events, profile, reminders
from trip_companion.models import Role, utcnow
from trip_companion.web.access import signed_in
from trip_companion.web.context import get_db, render

bp = Blueprint("home", __name__)


@bp.get("/")
@signed_in
def index():
    db = get_db()
    now = utcnow()
    if current_user.role == Role.HEADTEACHER:
        settings = profile.load(db, current_user.school)
        rotation = timedelta(weeks=settings.credential_rotation_weeks)
        return render("home/dashboard.html", now_events=events.on_now(db, current_user, now),
                      upcoming=events.coming_up(db, current_user, now),
                      reminders=reminders.due(db, current_user.school, now, rotation=rotation))
    return render("home/index.html", now_events=events.on_now(db, current_user, now),
                  upcoming=events.coming_up(db, current_user, now))
