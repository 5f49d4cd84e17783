"""The first screen: a teacher's event now, or the headteacher's dashboard."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint
from flask_login import current_user

from trip_companion import compose, events, profile, reminders
from trip_companion.models import Role, utcnow
from trip_companion.web.access import signed_in
from trip_companion.web.context import get_db, render

bp = Blueprint("home", __name__)


@bp.get("/")
@signed_in
def index():
    db = get_db()
    now = utcnow()
    now_events = events.on_now(db, current_user, now)
    context = {"now_events": now_events, "upcoming": events.coming_up(db, current_user, now),
               "posts": {e.id: compose.for_event(db, e, current_user) for e in now_events}}
    if current_user.role == Role.HEADTEACHER:
        settings = profile.load(db, current_user.school)
        rotation = timedelta(weeks=settings.credential_rotation_weeks)
        return render("home/dashboard.html", **context,
                      reminders=reminders.due(db, current_user.school, now, rotation=rotation))
    return render("home/index.html", **context)
