"""An event's own screen: take photos, see its posts."""

from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user

from trip_companion import events
from trip_companion.web.access import signed_in
from trip_companion.web.context import get_db, render

bp = Blueprint("events", __name__, url_prefix="/events")


@bp.get("/<int:event_id>")
@signed_in
def show(event_id: int):
    event = events.find(get_db(), current_user, event_id) or abort(404)
    return render("events/show.html", event=event)
