"""An event's own screen: take photos, see its photos and posts."""

from __future__ import annotations

from flask import Blueprint, abort, current_app
from flask_login import current_user

from trip_companion import compose, events
from trip_companion.web.access import signed_in
from trip_companion.web.context import get_db, render
from trip_companion.web.devices import current_device

bp = Blueprint("events", __name__, url_prefix="/events")


@bp.get("/<int:event_id>")
@signed_in
def show(event_id: int):
    event = events.find(get_db(), current_user, event_id) or abort(404)
    device = current_device()
    return render("events/show.html", event=event, device_id=device.id if device else None,
                  max_side=current_app.config.get("CAPTURE_MAX_SIDE", 2048),
                  posts=compose.for_event(get_db(), event, current_user, limit=20))
